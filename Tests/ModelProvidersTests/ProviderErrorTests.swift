import Foundation
import JSONValues
import ModelProviders
import ProviderDouble
import Testing

/// Every error class, from both protocols, streamed and not, against the provider double.
@Suite struct ProviderErrorTests {
    enum Client: CaseIterable {
        case anthropic, openAI
    }

    /// One call with the fixture's key; `streaming` consumes the whole stream.
    static func call(_ client: Client, _ fixture: DoubleFixture, streaming: Bool) async throws {
        let provider: any ModelProvider = client == .anthropic ? try fixture.anthropic() : try fixture.openAI()
        if streaming {
            _ = try await collect(try await provider.stream(prompt("Hi")))
        } else {
            _ = try await provider.complete(prompt("Hi"))
        }
    }

    @Test(arguments: Client.allCases, [false, true])
    func rateLimitCarriesRetryAfter(_ client: Client, streaming: Bool) async throws {
        try await DoubleFixture.with { fixture in
            fixture.script(
                .failure(status: 429, retryAfter: "2"),
                ScriptedTurn(status: 429, retryAfter: "9", retryAfterMs: 1500))
            let first = await providerError { try await Self.call(client, fixture, streaming: streaming) }
            #expect(first?.code == .rateLimited)
            #expect(first?.status == 429)
            #expect(first?.retryAfter == .seconds(2))
            #expect(first?.isRetryable == true)
            // retry-after-ms wins over retry-after.
            let second = await providerError { try await Self.call(client, fixture, streaming: streaming) }
            #expect(second?.retryAfter == .milliseconds(1500))
        }
    }

    @Test func retryAfterAsAnHTTPDate() async throws {
        try await DoubleFixture.with { fixture in
            let inOneMinute = Date().addingTimeInterval(60)
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
            fixture.script(
                .failure(status: 429, retryAfter: formatter.string(from: inOneMinute)),
                .failure(status: 503, retryAfter: "Wed, 21 Oct 2015 07:28:00 GMT"))
            let future = await providerError { try await Self.call(.anthropic, fixture, streaming: false) }
            let wait = try #require(future?.retryAfter)
            // The date is a minute ahead when written; the test may take a while to read it back.
            #expect(wait > .seconds(20) && wait <= .seconds(61))
            let past = await providerError { try await Self.call(.anthropic, fixture, streaming: false) }
            #expect(past?.retryAfter == .zero)
            #expect(past?.code == .serverError)
        }
    }

    @Test(arguments: Client.allCases, [false, true])
    func statusesMapToCodes(_ client: Client, streaming: Bool) async throws {
        try await DoubleFixture.with { fixture in
            let cases: [(Int, String?, ModelProviderError.Code)] = [
                (529, nil, .overloaded), (500, nil, .serverError), (502, nil, .serverError), (404, nil, .invalidRequest),
                (413, nil, .invalidRequest), (422, nil, .invalidRequest),
                (400, "prompt is too long: 210000 tokens > 200000 maximum", .contextWindowExceeded),
                (400, "This model's maximum context length is 128000 tokens.", .contextWindowExceeded),
            ]
            fixture.double.setScript(key: fixture.key, turns: cases.map { ScriptedTurn(status: $0.0, errorMessage: $0.1) })
            for (status, message, code) in cases {
                let error = await providerError { try await Self.call(client, fixture, streaming: streaming) }
                #expect(error?.code == code, "HTTP \(status) \(message ?? "")")
                #expect(error?.status == status)
                #expect(error?.provider == (client == .anthropic ? "anthropic" : "openai"))
                if let message { #expect(error?.message.contains(message) == true) }
            }
        }
    }

    @Test(arguments: Client.allCases)
    func overloadedKeepsTheProviderType(_ client: Client) async throws {
        try await DoubleFixture.with { fixture in
            fixture.script(.failure(status: 529))
            let error = await providerError { try await Self.call(client, fixture, streaming: true) }
            #expect(error?.code == .overloaded)
            #expect(error?.providerErrorType == "overloaded_error")
        }
    }

    @Test(arguments: Client.allCases)
    func authenticationNamesTheVariableAndNeverTheKey(_ client: Client) async throws {
        try await DoubleFixture.with { fixture in
            // A gateway that quotes the key back must not get it into our error either.
            fixture.script(
                ScriptedTurn(status: 401, errorMessage: "invalid x-api-key: \(fixture.key)"),
                ScriptedTurn(status: 403, errorMessage: "key \(fixture.key) may not use this model"))
            let variable = client == .anthropic ? "ANTHROPIC_API_KEY" : "OPENAI_API_KEY"
            let rejected = await providerError { try await Self.call(client, fixture, streaming: false) }
            #expect(rejected?.code == .authentication)
            #expect(rejected?.message.contains(variable) == true)
            #expect(rejected?.isRetryable == false)
            let denied = await providerError { try await Self.call(client, fixture, streaming: true) }
            #expect(denied?.code == .permissionDenied)
            #expect(denied?.message.contains(variable) == true)
            for error in [rejected, denied].compactMap({ $0 }) {
                for text in [error.description, "\(error)", String(reflecting: error), error.message] {
                    #expect(!text.contains(fixture.key), "the key leaked into: \(text)")
                }
                #expect(error.description.contains("[redacted]"))
            }
        }
    }

    @Test(arguments: Client.allCases, [false, true])
    func malformedJSONIsAMalformedResponse(_ client: Client, streaming: Bool) async throws {
        try await DoubleFixture.with { fixture in
            fixture.script(ScriptedTurn(text: "never seen", malformed: true))
            let error = await providerError { try await Self.call(client, fixture, streaming: streaming) }
            #expect(error?.code == .malformedResponse)
            #expect(error?.message.contains("\"") == true, "an excerpt of what came: \(error?.message ?? "")")
            #expect(error?.isRetryable == false)
        }
    }

    @Test(arguments: Client.allCases)
    func aCutStreamIsInterrupted(_ client: Client) async throws {
        try await DoubleFixture.with { fixture in
            fixture.script(ScriptedTurn(text: "a long answer that will never be finished by the server", cutAfterEvents: 4))
            let error = await providerError { try await Self.call(client, fixture, streaming: true) }
            #expect(error?.code == .streamInterrupted)
            #expect(error?.isRetryable == true)
        }
    }

    @Test(arguments: Client.allCases)
    func aCutBodyIsATransportFailure(_ client: Client) async throws {
        try await DoubleFixture.with { fixture in
            fixture.script(ScriptedTurn(text: "a complete answer in one document", cutAfterEvents: 20))
            let error = await providerError { try await Self.call(client, fixture, streaming: false) }
            #expect(error?.code == .transport)
        }
    }

    @Test(arguments: [
        ("overloaded_error", ModelProviderError.Code.overloaded), ("rate_limit_error", .rateLimited), ("api_error", .serverError),
    ])
    func anthropicErrorEventsMidStream(_ type: String, _ code: ModelProviderError.Code) async throws {
        try await DoubleFixture.with { fixture in
            fixture.script(ScriptedTurn(text: "starts fine then", streamError: ScriptedStreamError(type: type, message: "it broke", afterEvents: 3)))
            var deltas = 0
            let error = await providerError {
                for try await event in try await fixture.anthropic().stream(prompt("Hi")) {
                    if case .textDelta = event { deltas += 1 }
                }
            }
            #expect(error?.code == code)
            #expect(error?.providerErrorType == type)
            #expect(error?.message.contains("it broke") == true)
            #expect(deltas == 0, "the error came after message_start, ping and the block start")
        }
    }

    @Test func scriptsThatRanOutAreRefused() async throws {
        try await DoubleFixture.with { fixture in
            fixture.script(.reply("only one"))
            _ = try await fixture.anthropic().complete(prompt("Hi"))
            let error = await providerError { _ = try await fixture.anthropic().complete(prompt("Hi")) }
            #expect(error?.code == .invalidRequest)
            #expect(error?.message.contains("no turn left") == true)
        }
    }

    @Test func unreachableProviderIsATransportError() async throws {
        let endpoint = ProviderEndpoint(
            name: "anthropic", wireProtocol: .anthropic, baseURL: "http://127.0.0.1:1", apiKey: SecretValue("sk-unreachable-123"),
            credentialVariable: "ANTHROPIC_API_KEY")
        let provider = try AnthropicProvider(endpoint: endpoint, options: DoubleFixture.options)
        let error = await providerError { _ = try await provider.complete(prompt("Hi")) }
        #expect(error?.code == .transport)
        #expect(error?.description.contains("sk-unreachable-123") == false)
    }

    @Test func badBaseURLsAreRefusedWithoutShowingCredentials() throws {
        for url in ["ftp://example.com", "not a url", "https://user:sk-secret-pass@api.example.com/v1?key=sk-secret-query"] {
            let endpoint = ProviderEndpoint(name: "openai", wireProtocol: .openAIChat, baseURL: url, credentialVariable: "OPENAI_BASE_URL")
            do {
                _ = try OpenAIChatProvider(endpoint: endpoint, options: DoubleFixture.options)
                Issue.record("\(url) was accepted")
            } catch let error as ModelProviderError {
                #expect(error.code == .notConfigured)
                #expect(!error.message.contains("sk-secret"), "\(error.message)")
            }
        }
    }
}
