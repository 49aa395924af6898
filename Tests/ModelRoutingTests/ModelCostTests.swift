import Foundation
import ModelProviders
import Testing

@Suite struct ModelCostTests {
    let catalog: ModelCatalog

    init() throws {
        catalog = try ModelCatalog.shipped()
    }

    @Test func costIsExactInDecimal() throws {
        let sonnet = try catalog.resolve("sonnet")
        // 1M input at $2, 1M output at $10.
        #expect(catalog.cost(of: TokenUsage(inputTokens: 1_000_000, outputTokens: 1_000_000), for: sonnet) == 12)
        // 3 tokens of cache read at $0.10 per million: 0.0000003 exactly, which Double cannot hold.
        #expect(catalog.cost(of: TokenUsage(cacheReadTokens: 3), for: sonnet) == Decimal(string: "0.0000003"))
        let mixed = TokenUsage(inputTokens: 1234, outputTokens: 567, cacheReadTokens: 89_000, cacheWriteTokens: 4_000)
        // 1234·2 + 567·10 + 89000·0.10 + 4000·2.50 = 2468 + 5670 + 8900 + 10000 = 27038 millionths.
        #expect(catalog.cost(of: mixed, for: sonnet) == Decimal(string: "0.027038"))
        // Summing many calls drifts not at all.
        var total = Decimal(0)
        for _ in 0..<10_000 { total += catalog.cost(of: TokenUsage(cacheReadTokens: 1), for: sonnet) ?? 0 }
        #expect(total == Decimal(string: "0.001"))
    }

    @Test func anUnknownPriceMakesTheCostUnknownNeverZero() throws {
        let gpt = try catalog.resolve("openai/gpt-4o")
        #expect(catalog.cost(of: TokenUsage(inputTokens: 10, outputTokens: 5), for: gpt) == nil)

        // Only the prices a call needs must be known.
        let partial = ResolvedModel(name: "p", provider: "openai", modelID: "p", prices: ModelPrices(TokenRates(input: 1, output: 2)))
        #expect(catalog.cost(of: TokenUsage(inputTokens: 1_000_000, outputTokens: 500_000), for: partial) == 2)
        #expect(catalog.cost(of: TokenUsage(inputTokens: 10, cacheReadTokens: 1), for: partial) == nil)
        #expect(catalog.cost(of: TokenUsage(), for: partial) == 0, "no tokens cost nothing, priced or not")
    }

    @Test func aLongPromptIsBilledAtTheHigherBandOnEveryToken() throws {
        let haiku = try catalog.resolve("haiku")
        // Exactly 100,000 prompt tokens: the lower band ($0.10 in, $0.50 out).
        let short = TokenUsage(inputTokens: 60_000, outputTokens: 1_000_000, cacheReadTokens: 40_000)
        #expect(catalog.cost(of: short, for: haiku) == Decimal(string: "0.5064"))
        // One more: the higher band ($0.50 in, $2.50 out, $0.05 read) on all of it.
        let long = TokenUsage(inputTokens: 60_001, outputTokens: 1_000_000, cacheReadTokens: 40_000)
        #expect(catalog.cost(of: long, for: haiku) == Decimal(string: "2.5320005"))
    }

    @Test func aClearedShippedPriceIsUnknown() throws {
        let user = "models:\n  claude-opus-5-5:\n    prices: {cache_read: null}\n"
        let merged = try ModelCatalog(sources: [.shipped, ModelsFileSource(text: user, file: "u.yaml")])
        let opus = try merged.resolve("opus")
        #expect(merged.cost(of: TokenUsage(inputTokens: 1, outputTokens: 1), for: opus) != nil)
        #expect(merged.cost(of: TokenUsage(inputTokens: 1, cacheReadTokens: 1), for: opus) == nil)
    }

    @Test func negativeCountsFromABrokenProviderBillNothing() throws {
        let sonnet = try catalog.resolve("sonnet")
        #expect(catalog.cost(of: TokenUsage(inputTokens: -1_000_000, outputTokens: 1_000_000), for: sonnet) == 10)
    }
}
