import Foundation
import JSONValues
import ModelProviders
import ProviderDouble
import Testing

/// A provider double for one test, and clients of both protocols pointed at it with a key of
/// the test's own (each key is its own conversation in the double).
struct DoubleFixture {
    let double: RunningProviderDouble
    let key: String

    /// Runs `body` with a fresh double; stops it afterwards, also when `body` throws.
    static func with<T>(_ body: (DoubleFixture) async throws -> T) async throws -> T {
        let double = try await ProviderDouble.start(port: 0)
        let fixture = DoubleFixture(double: double, key: "sk-test-\(UUID().uuidString)")
        do {
            let result = try await body(fixture)
            await double.stop()
            return result
        } catch {
            await double.stop()
            throw error
        }
    }

    func script(_ turns: ScriptedTurn...) {
        double.setScript(key: key, turns: turns)
    }

    func anthropicEndpoint(baseURL: String? = nil, bearer: Bool = false, headers: [String: String] = [:]) -> ProviderEndpoint {
        ProviderEndpoint(
            name: "anthropic", wireProtocol: .anthropic, baseURL: baseURL ?? double.anthropicBaseURL,
            apiKey: bearer ? nil : SecretValue(key), authToken: bearer ? SecretValue(key) : nil,
            credentialVariable: bearer ? "ANTHROPIC_AUTH_TOKEN" : "ANTHROPIC_API_KEY", extraHeaders: headers)
    }

    func anthropic(baseURL: String? = nil, bearer: Bool = false, headers: [String: String] = [:]) throws -> AnthropicProvider {
        try AnthropicProvider(endpoint: anthropicEndpoint(baseURL: baseURL, bearer: bearer, headers: headers), options: Self.options)
    }

    func openAIEndpoint(key: String? = nil) -> ProviderEndpoint {
        ProviderEndpoint(
            name: "openai", wireProtocol: .openAIChat, baseURL: double.openAIBaseURL, apiKey: SecretValue(key ?? self.key),
            credentialVariable: "OPENAI_API_KEY")
    }

    func openAI() throws -> OpenAIChatProvider {
        try OpenAIChatProvider(endpoint: openAIEndpoint(), options: Self.options)
    }

    /// The requests this test's conversation sent.
    var requests: [RecordedRequest] { double.requests(key: key) }

    /// No proxy from the environment the tests happen to run in: they talk to loopback.
    static let options = ProviderHTTPOptions(environment: [:])
}

/// A plain request: a user prompt, optionally tools.
func prompt(_ text: String, tools: [ToolDefinition] = [], system: String? = nil) -> ModelRequest {
    ModelRequest(model: "test-model", system: system, messages: [.user(text)], tools: tools)
}

let bashTool = ToolDefinition(
    name: "Bash", description: "Run a command",
    inputSchema: ["type": "object", "properties": ["command": ["type": "string"]], "required": ["command"]])

/// Every event of a stream, the last being `.finished`.
func collect(_ stream: AsyncThrowingStream<ModelStreamEvent, any Error>) async throws -> (events: [ModelStreamEvent], response: ModelResponse) {
    var events: [ModelStreamEvent] = []
    for try await event in stream { events.append(event) }
    guard case .finished(let response)? = events.last else {
        throw ModelProviderError(.malformedResponse, provider: "test", message: "the stream did not finish: \(events)")
    }
    return (events, response)
}

/// The text deltas of a stream, joined.
func streamedText(_ events: [ModelStreamEvent]) -> String {
    events.compactMap { if case .textDelta(let text) = $0 { text } else { nil } }.joined()
}

/// The error a call throws, as a ModelProviderError (a failure of the test otherwise).
func providerError(_ body: () async throws -> Void) async -> ModelProviderError? {
    do {
        try await body()
        Issue.record("the call succeeded; an error was expected")
        return nil
    } catch let error as ModelProviderError {
        return error
    } catch {
        Issue.record("expected a ModelProviderError, got \(type(of: error)): \(error)")
        return nil
    }
}

/// Runs `body` with a double of its own; stops it afterwards, also when `body` throws.
func withDouble(
    _ configuration: ProviderDouble.Configuration = ProviderDouble.Configuration(), _ body: (RunningProviderDouble) async throws -> Void
) async throws {
    let double = try await ProviderDouble.start(port: 0, configuration: configuration)
    do {
        try await body(double)
    } catch {
        await double.stop()
        throw error
    }
    await double.stop()
}
