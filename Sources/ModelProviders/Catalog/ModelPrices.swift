import Foundation

// Prices are `Decimal`, not `Double`: list prices such as 0.10 or 3.75 per million tokens are
// exact in decimal and not in binary, and costs are summed over thousands of calls and compared
// with a run's budget at 80 % and 100 %, where drift would show as a cent that is not there.

/// What one million tokens of each kind cost, in US dollars. A nil rate is unknown: a call
/// that used tokens of that kind has an unknown cost, never a cost of 0.
public struct TokenRates: Sendable, Hashable {
    /// Uncached input tokens.
    public var input: Decimal?
    public var output: Decimal?
    /// Input tokens read from the prompt cache.
    public var cacheRead: Decimal?
    /// Input tokens written to the prompt cache (Anthropic's 5-minute writes).
    public var cacheWrite: Decimal?

    public init(input: Decimal? = nil, output: Decimal? = nil, cacheRead: Decimal? = nil, cacheWrite: Decimal? = nil) {
        self.input = input
        self.output = output
        self.cacheRead = cacheRead
        self.cacheWrite = cacheWrite
    }

    /// Every rate 0: a model that runs on the user's own machine.
    public static let free = TokenRates(input: 0, output: 0, cacheRead: 0, cacheWrite: 0)

    /// Every rate unknown.
    public static let unknown = TokenRates()

    /// Whether every rate is known.
    public var isComplete: Bool { input != nil && output != nil && cacheRead != nil && cacheWrite != nil }

    /// The cost of `usage` at these rates, or nil when a kind of token it used has no rate.
    /// A kind it did not use needs no rate.
    public func cost(of usage: TokenUsage) -> Decimal? {
        var total = Decimal(0)
        let parts: [(tokens: Int, rate: Decimal?)] = [
            (usage.inputTokens, input), (usage.outputTokens, output),
            (usage.cacheReadTokens, cacheRead), (usage.cacheWriteTokens, cacheWrite),
        ]
        // A negative count (a provider's bug) bills nothing rather than a refund.
        for part in parts where part.tokens > 0 {
            guard let rate = part.rate else { return nil }
            total += Decimal(part.tokens) * rate
        }
        return total / Decimal(1_000_000)
    }
}

/// A model's prices: one set of rates, and optionally a second set that applies to a whole call
/// when its prompt is longer than a threshold (Claude Haiku 5.5 bills prompts over 100,000
/// tokens at 5×, output included).
public struct ModelPrices: Sendable, Hashable {
    /// Prices for calls whose prompt is longer than ``thresholdTokens``.
    public struct LongPrompt: Sendable, Hashable {
        /// A prompt (input + cache reads + cache writes) longer than this takes ``rates``.
        public var thresholdTokens: Int
        public var rates: TokenRates

        public init(thresholdTokens: Int, rates: TokenRates) {
            self.thresholdTokens = thresholdTokens
            self.rates = rates
        }
    }

    public var rates: TokenRates
    public var longPrompt: LongPrompt?

    public init(_ rates: TokenRates, longPrompt: LongPrompt? = nil) {
        self.rates = rates
        self.longPrompt = longPrompt
    }

    public static let unknown = ModelPrices(.unknown)
    public static let free = ModelPrices(.free)

    /// The rates one call with `usage` is billed at.
    public func rates(for usage: TokenUsage) -> TokenRates {
        guard let longPrompt else { return rates }
        let prompt = usage.inputTokens + usage.cacheReadTokens + usage.cacheWriteTokens
        return prompt > longPrompt.thresholdTokens ? longPrompt.rates : rates
    }

    /// The cost of one call's `usage`, in US dollars; nil when a price it needs is unknown.
    ///
    /// `usage.inputTokens` is the uncached input only, as Anthropic reports it: a provider
    /// whose input count includes cached tokens (OpenAI's `prompt_tokens`) must have them taken
    /// out when its usage is read, or they are billed twice.
    public func cost(of usage: TokenUsage) -> Decimal? {
        rates(for: usage).cost(of: usage)
    }
}
