import Foundation
import HTTPTransport
import JSONValues

/// How a provider client talks HTTP, beyond where (``ProviderEndpoint``).
public struct ProviderHTTPOptions: Sendable {
    /// The most bytes one response may bring, streamed or not; past it the call fails with
    /// `malformed_response`, so a hostile or broken server cannot exhaust memory. 32 MiB is far
    /// above any real answer (a 128k-token reply is a few MiB even as streamed JSON events).
    public var maxResponseBytes: Int
    /// Where proxies come from (`HTTPS_PROXY`, `https_proxy`, `http_proxy`, `ALL_PROXY`,
    /// `NO_PROXY`), with libcurl's rules; the process environment unless given.
    public var environment: [String: String]

    public init(maxResponseBytes: Int = 32 << 20, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.maxResponseBytes = maxResponseBytes
        self.environment = environment
    }
}

/// One provider endpoint's HTTP: a libcurl client (TLS with the system's CAs, proxies from the
/// environment), the POST of a JSON body, statuses and transport failures as
/// ``ModelProviderError``s, and the response-size cap.
struct ProviderHTTP: Sendable {
    let client: HTTPClient
    let context: ProviderContext
    let path: String
    let maxResponseBytes: Int
    private let connectTimeout: Duration

    /// - Parameter path: the API path below the base URL, given the base URL's own path (so
    ///   `/v1/messages` can avoid doubling a `/v1` the base already ends in).
    init(endpoint: ProviderEndpoint, options: ProviderHTTPOptions, path: (String) -> String) throws {
        context = ProviderContext(endpoint)
        let base = endpoint.baseURL.trimmingCharacters(in: .whitespaces)
        guard !base.contains("?"), !base.contains("#"), let http = HTTPEndpoint(url: base) else {
            throw context.error(
                .notConfigured,
                "the base URL \(Self.safeURL(base)) is not an http:// or https:// URL with a host (and no query)")
        }
        let proxy = ProxySetting.fromEnvironment(options.environment, for: http)
        client = try HTTPClient(endpoint: http, configuration: HTTPClient.Configuration(connectTimeout: endpoint.connectTimeout, proxy: proxy))
        connectTimeout = endpoint.connectTimeout
        self.path = path(http.basePath)
        maxResponseBytes = options.maxResponseBytes
    }

    /// A URL without its user-info or query, which may hold credentials.
    static func safeURL(_ url: String) -> String {
        var text = Substring(url)
        if let query = text.firstIndex(where: { $0 == "?" || $0 == "#" }) { text = text[..<query] }
        if let scheme = text.range(of: "://"), let at = text[scheme.upperBound...].firstIndex(of: "@") {
            let slash = text[scheme.upperBound...].firstIndex(of: "/") ?? text.endIndex
            if at < slash { text = text[..<scheme.upperBound] + text[text.index(after: at)...] }
        }
        return "'\(ProviderFailures.clip(String(text), 200))'"
    }

    /// POSTs `body` and returns the whole 2xx body; anything else throws.
    func post(_ body: JSONValue, headers: HTTPHeaders) async throws -> (headers: HTTPHeaders, body: [UInt8]) {
        let response = try await open(body, headers: headers)
        return (response.headers, try await collect(response, limit: maxResponseBytes))
    }

    /// POSTs `body` and returns as soon as a 2xx head arrives; anything else throws.
    func open(_ body: JSONValue, headers: HTTPHeaders) async throws -> HTTPStreamingResponse {
        // No overall timeout: a long answer streams for minutes; the caller bounds the call
        // (the step's timeout) by cancelling it.
        let request = HTTPRequest(
            method: .post, path: path, headers: headers, body: .bytes(body.wireBytes), connectTimeout: connectTimeout)
        let response: HTTPStreamingResponse
        do {
            response = try await client.stream(request)
        } catch {
            throw ProviderFailures.transport(error, context: context, during: "the request to \(client.endpoint) failed")
        }
        guard response.isSuccess else {
            // Error bodies are small; a megabyte is plenty to find the provider's message in.
            let bytes = (try? await collect(response, limit: 1 << 20, truncate: true)) ?? []
            try Task.checkCancellation()
            throw ProviderFailures.httpError(status: response.status, headers: response.headers, body: bytes, context: context)
        }
        return response
    }

    /// Reads a body to its end. Past `limit` the transfer is aborted: with `truncate` the bytes
    /// so far are returned, else the call fails as a malformed (oversized) response.
    func collect(_ response: HTTPStreamingResponse, limit: Int, truncate: Bool = false) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        do {
            for try await chunk in response.body {
                if bytes.count + chunk.count > limit {
                    response.cancel()
                    if truncate { return bytes + chunk.prefix(limit - bytes.count) }
                    throw oversized()
                }
                bytes.append(contentsOf: chunk)
            }
        } catch let error as ModelProviderError {
            throw error
        } catch {
            throw ProviderFailures.transport(error, context: context, during: "the response from \(client.endpoint) broke off")
        }
        return bytes
    }

    func oversized() -> ModelProviderError {
        context.error(.malformedResponse, "the response exceeds \(maxResponseBytes) bytes; it was abandoned")
    }

    /// A 2xx body that is not the JSON the protocol promises.
    func malformed(_ what: String, body: some Collection<UInt8>) -> ModelProviderError {
        context.error(.malformedResponse, "\(what): \(ProviderFailures.excerpt(body, context: context))")
    }

    /// Whether a 2xx answer to a streaming request came as one JSON document instead of events
    /// (a server that ignores `stream: true`, or a gateway's error with status 200).
    static func isJSONDocument(_ headers: HTTPHeaders) -> Bool {
        headers["content-type"]?.lowercased().hasPrefix("application/json") ?? false
    }
}
