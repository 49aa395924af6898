import Foundation
import ModelProviders
import Testing

@Suite struct ModelCatalogTests {
    let shipped: ModelCatalog

    init() throws {
        shipped = try ModelCatalog.shipped()
    }

    @Test func aliasesResolveToTheCurrentAnthropicModelsWithTheirListPrices() throws {
        let sonnet = try shipped.resolve("sonnet")
        #expect(sonnet.name == "claude-sonnet-5-5")
        #expect(sonnet.provider == "anthropic")
        #expect(sonnet.modelID == "claude-sonnet-5-5")
        #expect(sonnet.contextWindow == 1_000_000)
        #expect(sonnet.maxOutputTokens == 128_000)
        #expect(sonnet.prices.rates == TokenRates(input: 2, output: 10, cacheRead: Decimal(string: "0.10"), cacheWrite: Decimal(string: "2.50")))

        let opus = try shipped.resolve("opus")
        #expect(opus.modelID == "claude-opus-5-5")
        #expect(opus.prices.rates == TokenRates(input: 4, output: 20, cacheRead: Decimal(string: "0.20"), cacheWrite: 5))

        let haiku = try shipped.resolve("haiku")
        #expect(haiku.modelID == "claude-haiku-5-5")
        #expect(haiku.prices.rates.input == Decimal(string: "0.10"))
        #expect(haiku.prices.longPrompt?.thresholdTokens == 100_000)
        #expect(haiku.prices.longPrompt?.rates.output == Decimal(string: "2.50"))

        #expect(try shipped.resolve("fable").modelID == "claude-fable-5-2")
    }

    @Test func everyShippedModelHasEveryPriceAndAnAnthropicId() throws {
        #expect(shipped.models.count >= 10)
        for (name, entry) in shipped.models {
            #expect(entry.provider == "anthropic", "\(name)")
            #expect(entry.modelID == name, "\(name)")
            #expect(entry.prices.rates.isComplete, "\(name) lacks a price")
            // The 5-minute cache write is 1.25× input on every Claude model.
            if let input = entry.prices.rates.input {
                #expect(entry.prices.rates.cacheWrite == input * Decimal(string: "1.25")!, "\(name)")
            }
        }
    }

    @Test func fullNamesResolveToThemselves() throws {
        let model = try shipped.resolve("claude-sonnet-4-5")
        #expect(model.name == "claude-sonnet-4-5")
        #expect(model.modelID == "claude-sonnet-4-5")
        #expect(model.contextWindow == 200_000)
        #expect(model.prices.rates.output == 15)
        // What a resolution names resolves again to the same model.
        #expect(try shipped.resolve(try shipped.resolve("sonnet").name) == shipped.resolve("sonnet"))
    }

    @Test func providerPrefixesNameModelsTheFileDoesNotList() throws {
        let gpt = try shipped.resolve("openai/gpt-4o")
        #expect(gpt == ResolvedModel(name: "openai/gpt-4o", provider: "openai", modelID: "gpt-4o", prices: .unknown, region: "us"))

        let routed = try shipped.resolve("openrouter/anthropic/claude-sonnet-5.5")
        #expect(routed.provider == "openrouter")
        #expect(routed.modelID == "anthropic/claude-sonnet-5.5")
        #expect(routed.prices == .unknown)

        // Ollama runs on the user's machine: its price is a real 0, not unknown.
        let local = try shipped.resolve("ollama/llama3.2")
        #expect(local.provider == "ollama")
        #expect(local.modelID == "llama3.2")
        #expect(local.prices == .free)
        #expect(shipped.cost(of: TokenUsage(inputTokens: 5000, outputTokens: 700), for: local) == 0)

        // A prefixed name of a listed model finds the listed model and its prices.
        let listed = try shipped.resolve("anthropic/claude-sonnet-5-5")
        #expect(listed.name == "claude-sonnet-5-5")
        #expect(listed.prices.rates.input == 2)
    }

    @Test func anUnknownBareNameListsCloseMatches() throws {
        let error = try #require(throws: ModelCatalogError.self) { try shipped.resolve("sonet") }
        #expect(error.code == .unknownModel)
        #expect(error.message.contains("unknown model `sonet`"))
        #expect(error.message.contains("did you mean `sonnet`"))
        #expect(error.hint?.contains("openai/…") == true)

        let typo = try #require(throws: ModelCatalogError.self) { try shipped.resolve("claude-sonet-5-5") }
        #expect(typo.message.contains("`claude-sonnet-5-5`"))

        let nothingClose = try #require(throws: ModelCatalogError.self) { try shipped.resolve("gpt-4o") }
        #expect(!nothingClose.message.contains("did you mean"))
        #expect(nothingClose.hint?.contains("openai/…") == true)
    }

    @Test func badNamesGetClearErrors() throws {
        let prefix = try #require(throws: ModelCatalogError.self) { try shipped.resolve("opneai/gpt-4o") }
        #expect(prefix.code == .unknownProvider)
        #expect(prefix.message.contains("unknown provider `opneai`"))
        #expect(prefix.hint == "did you mean `openai`?")

        let empty = try #require(throws: ModelCatalogError.self) { try shipped.resolve("") }
        #expect(empty.message == "no model named")

        let bare = try #require(throws: ModelCatalogError.self) { try shipped.resolve("openai/") }
        #expect(bare.message.contains("names no model after the provider"))

        let huge = try #require(throws: ModelCatalogError.self) { try shipped.resolve(String(repeating: "x", count: 100_000)) }
        #expect(huge.message.contains("at most 200 characters"))

        // A hostile name cannot forge terminal output through the message.
        let hostile = try #require(throws: ModelCatalogError.self) { try shipped.resolve("evil\u{1B}[2Jname") }
        #expect(!hostile.description.contains("\u{1B}"))
        #expect(hostile.description.contains("\\u{1B}"))
    }

    @Test func theUsersFileMergesOverTheShippedOneKeyByKey() throws {
        let user = """
            providers:
              together:
                protocol: openai
                base_url: https://api.together.xyz/v1/
                api_key_env: TOGETHER_API_KEY
            aliases:
              fast: together/meta-llama/Llama-3-8b
            models:
              claude-sonnet-5-5:
                prices: {input: 2.5, cache_write: null}
              llama-big:
                provider: together
                model: meta-llama/Llama-3-70b
                context_window: 128_000
                prices: {input: 0.88, output: 0.88}
            failover:
              sonnet: []
            """
        let catalog = try ModelCatalog(sources: [.shipped, ModelsFileSource(text: user, file: "/home/me/models.yaml")])
        #expect(catalog.files == ["shipped models file", "/home/me/models.yaml"])

        let sonnet = try catalog.resolve("sonnet")
        #expect(sonnet.prices.rates.input == Decimal(string: "2.5"))
        #expect(sonnet.prices.rates.output == 10, "a price the user did not give stays")
        #expect(sonnet.prices.rates.cacheWrite == nil, "null clears a shipped price")
        #expect(sonnet.contextWindow == 1_000_000)

        let together = try #require(catalog.customProviders["together"])
        #expect(together.baseURL == "https://api.together.xyz/v1")
        #expect(together.wireProtocol == .openAIChat)
        #expect(together.apiKeyVariable == "TOGETHER_API_KEY")

        let llama = try catalog.resolve("llama-big")
        #expect(llama.provider == "together")
        #expect(llama.modelID == "meta-llama/Llama-3-70b")
        #expect(try catalog.resolve("together/meta-llama/Llama-3-70b").name == "llama-big")

        let fast = try catalog.resolve("fast")
        #expect(fast.provider == "together")
        #expect(fast.modelID == "meta-llama/Llama-3-8b")

        #expect(catalog.failoverChain(for: "sonnet") == [])
        #expect(catalog.failoverChain(for: "opus") == ["sonnet"])
    }

    @Test func aUserCanTurnAnAliasIntoAModelAndRepointIt() throws {
        let user = """
            aliases:
              haiku: claude-haiku-4-5
            models:
              opus:
                provider: openrouter
                model: anthropic/claude-opus-5.5
            """
        let catalog = try ModelCatalog(sources: [.shipped, ModelsFileSource(text: user, file: "mine.yaml")])
        #expect(try catalog.resolve("haiku").modelID == "claude-haiku-4-5")
        let opus = try catalog.resolve("opus")
        #expect(opus.provider == "openrouter")
        #expect(opus.name == "opus")
        #expect(catalog.aliases["opus"] == nil)
    }

    @Test func failoverChainsFollowAliasesBothWays() throws {
        #expect(shipped.failoverChain(for: "sonnet") == ["haiku", "opus"])
        #expect(shipped.failoverChain(for: "claude-sonnet-5-5") == ["haiku", "opus"])
        #expect(shipped.failoverChain(for: "anthropic/claude-sonnet-5-5") == ["haiku", "opus"])
        #expect(shipped.failoverChain(for: "claude-sonnet-4-5") == [])
        #expect(shipped.failoverChain(for: "nonsense") == [])
    }

    @Test func anEmptyOrCommentOnlyUserFileChangesNothing() throws {
        for text in ["", "# just a comment\n", "models:\n"] {
            let catalog = try ModelCatalog(sources: [.shipped, ModelsFileSource(text: text, file: "empty.yaml")])
            #expect(catalog.models == shipped.models)
            #expect(catalog.aliases == shipped.aliases)
        }
    }
}
