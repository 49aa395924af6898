import HTTPTransport
import JSONValues

/// Anthropic's Messages API (`POST {base}/v1/messages`): api.anthropic.com, and gateways that
/// speak it (OpenRouter's `/api`, LiteLLM, a local proxy). One attempt per call.
///
/// Keep one per endpoint: it owns a libcurl client, whose pooled connections later calls reuse.
public struct AnthropicProvider: ModelProvider {
    /// The API version every request names; the Messages API has kept this one stable.
    public static let apiVersion = "2023-06-01"

    public let endpoint: ProviderEndpoint
    private let http: ProviderHTTP

    public var name: String { endpoint.name }

    public init(endpoint: ProviderEndpoint) throws {
        try self.init(endpoint: endpoint, options: ProviderHTTPOptions())
    }

    public init(endpoint: ProviderEndpoint, options: ProviderHTTPOptions) throws {
        self.endpoint = endpoint
        // The base is written without /v1 (ANTHROPIC_BASE_URL=https://api.anthropic.com), but a
        // base that already ends in /v1 must not become /v1/v1.
        http = try ProviderHTTP(endpoint: endpoint, options: options) { basePath in
            basePath.hasSuffix("/v1") ? "/messages" : "/v1/messages"
        }
    }

    /// The path requests go to, below the base URL's host (for messages and tests).
    public var requestPath: String { http.client.endpoint.basePath + http.path }

    public func complete(_ request: ModelRequest) async throws -> ModelResponse {
        let (_, body) = try await http.post(AnthropicWire.body(request, stream: false), headers: headers(streaming: false))
        return try decode(body)
    }

    public func stream(_ request: ModelRequest) async throws -> AsyncThrowingStream<ModelStreamEvent, any Error> {
        let response = try await http.open(AnthropicWire.body(request, stream: true), headers: headers(streaming: true))
        if ProviderHTTP.isJSONDocument(response.headers) {
            let body = try await http.collect(response, limit: http.maxResponseBytes)
            if let json = try? JSONValue.wireDecode(body), json[wire: "error"] != nil {
                throw ProviderFailures.streamError(json, context: http.context, inStream: false)
            }
            return ProviderHTTP.replay(try decode(body))
        }
        return http.events(from: response, assembler: AnthropicStreamAssembler(context: http.context))
    }

    private func decode(_ body: [UInt8]) throws -> ModelResponse {
        guard let json = try? JSONValue.wireDecode(body) else {
            throw http.malformed("the answer is not JSON", body: body)
        }
        do {
            return try AnthropicWire.response(json)
        } catch {
            throw http.malformed(error.message, body: body)
        }
    }

    private func headers(streaming: Bool) -> HTTPHeaders {
        var headers = HTTPHeaders()
        headers.add("content-type", "application/json")
        headers.add("accept", streaming ? "text/event-stream" : "application/json")
        headers.add("anthropic-version", Self.apiVersion)
        // The key wins when both are set, as in Anthropic's SDKs and Claude Code.
        if let key = endpoint.apiKey, !key.isEmpty {
            headers.add("x-api-key", key.reveal())
        } else if let token = endpoint.authToken, !token.isEmpty {
            headers.add("authorization", "Bearer \(token.reveal())")
        }
        for (name, value) in endpoint.extraHeaders.sorted(by: { $0.key < $1.key }) { headers[name] = value }
        return headers
    }
}
