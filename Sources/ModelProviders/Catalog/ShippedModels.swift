/// The models file every binary carries, merged under the user's own.
///
/// It is a string literal rather than a SwiftPM resource: a resource is a separate bundle found
/// next to the executable at run time (`Bundle.module`), which a copied or statically linked
/// `sandcastle` binary can lose, and reading it would need Foundation's bundle lookup on Linux.
/// A literal is always there and costs nothing. `ModelCatalogTests` parses it, so a mistake
/// here fails the tests, not a user's run.
///
/// Prices are Anthropic's list prices in USD per million tokens, each with its source. Cache
/// writes are the 5-minute writes (1.25× input on every Claude model); cache reads are no longer
/// 0.1× input everywhere (Sonnet 5.5 and Opus 5.5 bill 0.05×, Fable 5.1 0.025×), so each model
/// states its own. The notes' Sandcastle registry (agents.md §5.2: `sonnet` → claude-sonnet-5
/// at 3/15) is out of date on both the id and the price; Anthropic's own pages win.
public enum ShippedModels {
    public static let yaml = #"""
        # Sandcastle's shipped models file. Your own file is merged over it: `--models FILE`,
        # else SANDCASTLE_MODELS_FILE, else ~/.config/sandcastle/models.yaml ($XDG_CONFIG_HOME
        # honoured). A key you give overrides this file's, key by key; `null` clears one.
        #
        # Prices are US dollars per million tokens. A price left out is unknown: a call that
        # needs it has an unknown cost, never a cost of 0. Models of `ollama/…` run on your own
        # machine and cost a real 0.

        aliases:
          sonnet: claude-sonnet-5-5
          opus: claude-opus-5-5
          haiku: claude-haiku-5-5
          fable: claude-fable-5-2

        # Where a call goes when its model keeps failing for a passing reason (429, 529, 5xx),
        # in order, skipping models whose provider has no key. Sandcastle's own chain starts
        # sonnet → haiku, opus.
        failover:
          sonnet: [haiku, opus]
          opus: [sonnet]
          haiku: [sonnet]
          fable: [opus, sonnet]

        models:
          # Current models (platform.claude.com/docs/en/models/overview, the Fable 5.2 lineup).

          # platform.claude.com/docs/en/models/sonnet-5-5/overview: $2 / $10, 5m cache write $2.50,
          # 1M context, 128K output. Cache read $0.10 since Anthropic's cut of 2026-10-07 (was $0.20;
          # recorded by the pricing refreshes of kurofune/claudit v1.9.2 and phuryn/claude-usage v1.5.7).
          claude-sonnet-5-5:
            provider: anthropic
            model: claude-sonnet-5-5
            context_window: 1_000_000
            max_output_tokens: 128_000
            prices: {input: 2, output: 10, cache_read: 0.10, cache_write: 2.50}

          # platform.claude.com/docs/en/models overview: $4 / $20, 1M context, 128K output; cache
          # write $5 and cache read $0.20 (0.05×) from the pricing page (kurofune/claudit v1.8.2).
          claude-opus-5-5:
            provider: anthropic
            model: claude-opus-5-5
            context_window: 1_000_000
            max_output_tokens: 128_000
            prices: {input: 4, output: 20, cache_read: 0.20, cache_write: 5}

          # platform.claude.com/docs/en/models/haiku-5-5/overview: billed by prompt length. A call
          # whose prompt (input + cache reads + cache writes) is up to 100,000 tokens pays
          # $0.10 / $0.50, cache write $0.125, cache read $0.01; a longer prompt pays 5× on every
          # token of that call, output included (kurofune/claudit v1.9.2 quotes the pricing page).
          claude-haiku-5-5:
            provider: anthropic
            model: claude-haiku-5-5
            context_window: 1_000_000
            max_output_tokens: 128_000
            prices:
              input: 0.10
              output: 0.50
              cache_read: 0.01
              cache_write: 0.125
              long_prompt: {above_tokens: 100_000, input: 0.50, output: 2.50, cache_read: 0.05, cache_write: 0.625}

          # Released 2026-11-09: $8 / $40, cache read $0.20, 5m cache write $10, 1M context, 128K
          # output (the pricing page as quoted by archid21/rightsize v0.10.2 and docs.sim.ai).
          claude-fable-5-2:
            provider: anthropic
            model: claude-fable-5-2
            context_window: 1_000_000
            max_output_tokens: 128_000
            prices: {input: 8, output: 40, cache_read: 0.20, cache_write: 10}

          # Earlier models, still served; the ids other tools and the notes name.

          # platform.claude.com/docs/en/about-claude/pricing: $10 / $50, cache read $0.25 (0.025×),
          # 5m cache write $12.50.
          claude-fable-5-1:
            provider: anthropic
            model: claude-fable-5-1
            context_window: 1_000_000
            max_output_tokens: 128_000
            prices: {input: 10, output: 50, cache_read: 0.25, cache_write: 12.50}

          # platform.claude.com/docs/en/models/sonnet-5/overview: $2 / $10, cache read $0.20, 5m cache
          # write $2.50, 1M context, 128K output. (Sandcastle 0.47.0 lists it at 3 / 15: a price rise
          # Anthropic announced for 2026-09-01 and cancelled, per kurofune/claudit v1.8.1.)
          claude-sonnet-5:
            provider: anthropic
            model: claude-sonnet-5
            context_window: 1_000_000
            max_output_tokens: 128_000
            prices: {input: 2, output: 10, cache_read: 0.20, cache_write: 2.50}

          # platform.claude.com/docs/about-claude/models/whats-new-opus-5: $5 / $25, cache read $0.50,
          # 5m cache write $6.25, 1M context, 128K output.
          claude-opus-5:
            provider: anthropic
            model: claude-opus-5
            context_window: 1_000_000
            max_output_tokens: 128_000
            prices: {input: 5, output: 25, cache_read: 0.50, cache_write: 6.25}

          # platform.claude.com/docs/en/about-claude/pricing: Opus 4.5 to 4.8 at $5 / $25, cache read
          # $0.50, 5m cache write $6.25. Sandcastle's report step maps `opus` here.
          claude-opus-4-7:
            provider: anthropic
            model: claude-opus-4-7
            prices: {input: 5, output: 25, cache_read: 0.50, cache_write: 6.25}

          # $3 / $15 like every Sonnet before 5 (the pricing page as quoted by docs.rs synaps), with the
          # standard 0.1× read and 1.25× write. Sandcastle's report step maps `sonnet` here.
          claude-sonnet-4-6:
            provider: anthropic
            model: claude-sonnet-4-6
            prices: {input: 3, output: 15, cache_read: 0.30, cache_write: 3.75}

          # platform.claude.com/docs/en/models/sonnet-4-5/overview: $3 / $15, 200K context, 64K output;
          # deprecated, retires 2026-11-30.
          claude-sonnet-4-5:
            provider: anthropic
            model: claude-sonnet-4-5
            context_window: 200_000
            max_output_tokens: 64_000
            prices: {input: 3, output: 15, cache_read: 0.30, cache_write: 3.75}

          # platform.claude.com/docs/en/models/haiku-4-5/overview: $1 / $5, 200K context, 64K output,
          # with the standard 0.1× read and 1.25× write. Sandcastle maps `haiku` here.
          claude-haiku-4-5:
            provider: anthropic
            model: claude-haiku-4-5
            context_window: 200_000
            max_output_tokens: 64_000
            prices: {input: 1, output: 5, cache_read: 0.10, cache_write: 1.25}
        """#
}
