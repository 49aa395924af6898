import ModelProviders
import Resilience

/// A key that must never show up in an event or an error.
let anthropicTestKey = "sk-ant-test-0123456789abcdef"
let openAITestKey = "sk-openai-test-0123456789abcdef"

/// A router over fake providers and a manual clock, with the shipped models file.
struct RouterFixture {
    let fakes = FakeProviders()
    let clock = ManualClock()
    let log = EventLog()
    let router: ModelRouter

    init(
        environment: [String: String] = ["ANTHROPIC_API_KEY": anthropicTestKey],
        policy: RoutingPolicy = RoutingPolicy(), catalog: ModelCatalog? = nil, seed: UInt64 = 7
    ) throws {
        let catalog = try catalog ?? ModelCatalog.shipped()
        router = ModelRouter(
            catalog: catalog, settings: try ProviderSettings(environment: environment, catalog: catalog), policy: policy,
            clock: clock.routingClock, random: SeededRandomNumberGenerator(seed: seed), events: log.sink,
            makeProvider: fakes.factory)
    }

    /// A one-message request for `model`.
    static func request(_ model: String, maxTokens: Int = 1024) -> ModelRequest {
        ModelRequest(model: model, messages: [.user("hello")], maxTokens: maxTokens)
    }

    /// The routed call, through the rich API, with events going to ``log``.
    func complete(_ model: String, maxTokens: Int = 1024) async throws -> RoutedResponse {
        try await router.complete(Self.request(model, maxTokens: maxTokens), onEvent: log.sink)
    }
}

/// The shipped models' provider ids, spelled once.
enum ModelID {
    static let sonnet = "claude-sonnet-5-5"
    static let haiku = "claude-haiku-5-5"
    static let opus = "claude-opus-5-5"
}

extension ModelProviderError {
    static func rateLimited(after retryAfter: Duration? = nil) -> ModelProviderError {
        ModelProviderError(.rateLimited, provider: "anthropic", status: 429, retryAfter: retryAfter, message: "rate limited")
    }

    static func overloaded(after retryAfter: Duration? = nil) -> ModelProviderError {
        ModelProviderError(.overloaded, provider: "anthropic", status: 529, retryAfter: retryAfter, message: "overloaded")
    }

    static let server = ModelProviderError(.serverError, provider: "anthropic", status: 500, message: "internal error")
}
