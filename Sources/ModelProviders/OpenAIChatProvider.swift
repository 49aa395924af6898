import HTTPTransport
import JSONValues

/// OpenAI-compatible Chat Completions (`POST {base}/chat/completions`, the base including
/// `/v1`): OpenAI, OpenRouter, Ollama, vLLM, llama.cpp's server, LiteLLM, Mistral. One attempt
/// per call.
///
/// Keep one per endpoint: it owns a libcurl client, whose pooled connections later calls reuse.
public struct OpenAIChatProvider: ModelProvider {
    public let endpoint: ProviderEndpoint
    private let http: ProviderHTTP

    public var name: String { endpoint.name }

    public init(endpoint: ProviderEndpoint) throws {
        try self.init(endpoint: endpoint, options: ProviderHTTPOptions())
    }

    public init(endpoint: ProviderEndpoint, options: ProviderHTTPOptions) throws {
        self.endpoint = endpoint
        http = try ProviderHTTP(endpoint: endpoint, options: options) { _ in "/chat/completions" }
    }

    /// The path requests go to, below the base URL's host (for messages and tests).
    public var requestPath: String { http.client.endpoint.basePath + http.path }

    public func complete(_ request: ModelRequest) async throws -> ModelResponse {
        let (_, body) = try await http.post(OpenAIChatWire.body(request, stream: false), headers: headers(streaming: false))
        return try decode(body)
    }

    public func stream(_ request: ModelRequest) async throws -> AsyncThrowingStream<ModelStreamEvent, any Error> {
        let response = try await http.open(OpenAIChatWire.body(request, stream: true), headers: headers(streaming: true))
        if ProviderHTTP.isJSONDocument(response.headers) {
            return ProviderHTTP.replay(try decode(try await http.collect(response, limit: http.maxResponseBytes)))
        }
        return http.events(from: response, assembler: OpenAIChatStreamAssembler(context: http.context))
    }

    private func decode(_ body: [UInt8]) throws -> ModelResponse {
        guard let json = try? JSONValue.wireDecode(body) else {
            throw http.malformed("the answer is not JSON", body: body)
        }
        // Some gateways answer an error with status 200.
        if json[wire: "error"] != nil { throw ProviderFailures.streamError(json, context: http.context, inStream: false) }
        do {
            return try OpenAIChatWire.response(json)
        } catch {
            throw http.malformed(error.message, body: body)
        }
    }

    private func headers(streaming: Bool) -> HTTPHeaders {
        var headers = HTTPHeaders()
        headers.add("content-type", "application/json")
        headers.add("accept", streaming ? "text/event-stream" : "application/json")
        // Local servers (Ollama, llama.cpp) need no key; nothing is sent then.
        if let key = [endpoint.apiKey, endpoint.authToken].compactMap({ $0 }).first(where: { !$0.isEmpty }) {
            headers.add("authorization", "Bearer \(key.reveal())")
        }
        for (name, value) in endpoint.extraHeaders.sorted(by: { $0.key < $1.key }) { headers[name] = value }
        return headers
    }
}
