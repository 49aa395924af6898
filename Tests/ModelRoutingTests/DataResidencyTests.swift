import Guardrails
import ModelProviders
import Resilience
import Testing

/// Issue 15 §6: every model has a region (the models file's `region:`, else its provider's
/// home), and `DATA_RESIDENCY` keeps calls to the allowed regions, failover included.
@Suite struct DataResidencyTests {
    /// Two EU models and a US one on Anthropic's wire, failing over EU → US → EU.
    static let residencyFile = """
        models:
          eu-first: {provider: anthropic, model: claude-eu-first, region: eu}
          us-middle: {provider: anthropic, model: claude-us-middle}
          eu-last: {provider: anthropic, model: claude-eu-last, region: eu-west-1}
        failover:
          eu-first: [us-middle, eu-last]
        """

    static func catalog(_ text: String = residencyFile) throws -> ModelCatalog {
        try ModelCatalog(sources: [.shipped, ModelsFileSource(text: text, file: "residency.yaml")])
    }

    @Test func regionsComeFromTheFileElseTheProvidersHome() throws {
        let catalog = try Self.catalog(
            Self.residencyFile + """

                providers:
                  gateway: {protocol: openai, base_url: "http://127.0.0.1:4000/v1"}
                  mistral: {protocol: openai, base_url: "https://api.mistral.ai/v1", api_key_env: MISTRAL_API_KEY}
                  remote: {protocol: openai, base_url: "https://llm.example.com/v1"}
                  pinned: {protocol: openai, base_url: "https://llm.example.com/v1", region: us-east}
                """)
        #expect(try catalog.resolve("sonnet").region == "us", "Anthropic: us unless the file says otherwise")
        #expect(try catalog.resolve("openai/gpt-4o").region == "us")
        #expect(try catalog.resolve("openrouter/anthropic/claude").region == "us")
        #expect(try catalog.resolve("ollama/llama3.2").region == "local")
        #expect(try catalog.resolve("eu-first").region == "eu", "a model's own region wins over its provider's")
        #expect(try catalog.resolve("us-middle").region == "us")
        #expect(try catalog.resolve("gateway/llama").region == "local", "a loopback base URL never leaves the machine")
        #expect(try catalog.resolve("mistral/mistral-large").region == "eu")
        #expect(try catalog.resolve("remote/some-model").region == nil, "unknown until the file says")
        #expect(try catalog.resolve("pinned/some-model").region == "us-east")
    }

    @Test func aRegionThatIsNotANameIsRefusedWithItsLine() throws {
        let error = try #require(throws: ModelCatalogError.self) {
            try Self.catalog("models:\n  odd: {provider: anthropic, model: x, region: \"EU West\"}\n")
        }
        #expect(error.description.contains("models.odd.region"), "\(error)")
        #expect(error.description.contains("is not a region"), "\(error)")
    }

    @Test func residencyAllowsItsRegionsAndNeverAnUnknownOne() {
        #expect(DataResidency.eu.allows("eu") && DataResidency.eu.allows("eu-west-1") && DataResidency.eu.allows("local"))
        #expect(!DataResidency.eu.allows("us") && !DataResidency.eu.allows("europe") && !DataResidency.eu.allows(nil))
        #expect(DataResidency.local.allows("local") && !DataResidency.local.allows("eu") && !DataResidency.local.allows(nil))
    }

    @Test func aRequestNamingAModelOutsideTheResidencyIsRefusedBeforeAnyCall() async throws {
        let fixture = try RouterFixture(policy: RoutingPolicy(residency: .eu), catalog: try Self.catalog())
        let error = try await #require(throws: ModelProviderError.self) { try await fixture.complete("us-middle") }
        #expect(error.code == .residencyRefused)
        #expect(error.message.contains("DATA_RESIDENCY=eu") && error.message.contains("region us"), "\(error.message)")
        #expect(fixture.fakes.calls.isEmpty, "nothing was sent")
        // The shipped `sonnet` is Anthropic's, in the US: refused the same way.
        await #expect(throws: ModelProviderError.self) { try await fixture.complete("sonnet") }
        #expect(fixture.fakes.calls.isEmpty)
    }

    @Test func failoverSkipsModelsOutsideTheResidency() async throws {
        let fixture = try RouterFixture(policy: RoutingPolicy(attemptsPerModel: 1, residency: .eu), catalog: try Self.catalog())
        fixture.fakes.script("claude-eu-first", .fail(.server))
        fixture.fakes.script("claude-eu-last", .answer("from the eu"))
        let routed = try await fixture.complete("eu-first")
        #expect(routed.model.name == "eu-last")
        #expect(routed.model.region == "eu-west-1")
        #expect(fixture.fakes.calledModels == ["claude-eu-first", "claude-eu-last"], "the US model was never called")
        #expect(
            fixture.log.descriptions.contains("skipping us-middle on anthropic: its region (us) is outside DATA_RESIDENCY=eu"),
            "\(fixture.log.descriptions)")
    }

    @Test func withoutResidencyTheSameChainUsesTheUSModel() async throws {
        let fixture = try RouterFixture(policy: RoutingPolicy(attemptsPerModel: 1), catalog: try Self.catalog())
        fixture.fakes.script("claude-eu-first", .fail(.server))
        fixture.fakes.script("claude-us-middle", .answer("from the us"))
        let routed = try await fixture.complete("eu-first")
        #expect(routed.model.name == "us-middle", "the skip above is the residency's doing, not the chain's")
    }
}

/// The privacy router's `prompts` target on a request: placeholders in everything sent, the
/// model's own tool calls left as they were.
@Suite struct PromptRedactionTests {
    @Test func systemUserTextAndToolResultsAreRedactedAndCounted() {
        let request = ModelRequest(
            model: "sonnet", system: "Reply to jane.doe@example.com only.",
            messages: [
                .user("Call +1 (555) 123-4567 about card 4111 1111 1111 1111."),
                ModelMessage(role: .assistant, content: [.toolCall(ToolCall(id: "t1", name: "Read", input: ["file_path": "/workspace/a.txt"]))]),
                ModelMessage(role: .user, content: [.toolResult(ToolResult(toolCallID: "t1", content: "owner: bob@example.org"))]),
            ], maxTokens: 100)
        let (clean, counts) = request.redactingPII(with: PIIDetector(entities: [.email, .phone, .creditCard]))
        #expect(clean.system == "Reply to [EMAIL] only.")
        #expect(clean.messages[0].text == "Call [PHONE] about card [CREDIT_CARD].")
        #expect(clean.messages[1] == request.messages[1], "the model's own tool call goes back unchanged")
        guard case .toolResult(let result) = clean.messages[2].content.first else {
            Issue.record("the tool result is gone: \(clean.messages[2])")
            return
        }
        #expect(result.content == "owner: [EMAIL]")
        #expect(counts.byEntity == ["email": 2, "phone": 1, "credit_card": 1])
        #expect(counts.total == 4)
    }

    @Test func entitiesNotAskedForAreLeftAlone() {
        let request = ModelRequest(model: "sonnet", messages: [.user("mail jane@example.com from 10.0.0.1")], maxTokens: 10)
        let (clean, counts) = request.redactingPII(with: PIIDetector(entities: [.ipAddress]))
        #expect(clean.messages[0].text == "mail jane@example.com from [IP_ADDRESS]")
        #expect(counts.total == 1)
    }
}
