import Foundation
import HTTPTransport
import JSONValues
import ModelProviders
import Synchronization

/// A Streamable HTTP MCP server (MCP 2025-03-26 and later), called from the host: each message is
/// a POST; the answer comes as `application/json` or as a `text/event-stream` that ends after it.
/// The `Mcp-Session-Id` the server hands out at `initialize` goes with every later request, and
/// `MCP-Protocol-Version` once negotiated. Over HTTPTransport's libcurl client.
final class MCPHTTPTransport: MCPTransport {
    let server: String
    private let client: HTTPClient
    private let path: String
    private let headers: [String: String]
    private let options: MCPOptions
    private let inbox: MCPInbox

    private struct Session {
        var id: String?
        var protocolVersion: String?
    }

    private let session = Mutex(Session())
    private let lastFailure = Mutex<String>("")

    var answersInline: Bool { true }

    init(server: String, url: String, headers: [String: String], options: MCPOptions, inbox: MCPInbox) throws {
        self.server = server
        guard let parsed = HTTPEndpoint(url: url) else {
            throw MCPError(.invalidConfiguration, server: server, "`url` is not an http:// or https:// URL with a host")
        }
        // The client prefixes its endpoint's path to every request: keep the URL's path for the requests.
        let endpoint = HTTPEndpoint(transport: parsed.transport)
        let proxy = ProxySetting.fromEnvironment(ProcessInfo.processInfo.environment, for: endpoint)
        client = try HTTPClient(endpoint: endpoint, configuration: HTTPClient.Configuration(proxy: proxy))
        path = parsed.basePath.isEmpty ? "/" : parsed.basePath
        self.headers = headers
        self.options = options
        self.inbox = inbox
    }

    var diagnostics: String { lastFailure.withLock { $0 } }

    func negotiated(protocolVersion: String) {
        session.withLock { $0.protocolVersion = protocolVersion }
    }

    private func requestHeaders() -> HTTPHeaders {
        var fields = HTTPHeaders()
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { fields.add(name, value) }
        fields.add("Accept", "application/json, text/event-stream")
        let current = session.withLock { $0 }
        if let id = current.id { fields.add("Mcp-Session-Id", id) }
        if let version = current.protocolVersion { fields.add("MCP-Protocol-Version", version) }
        return fields
    }

    func send(_ message: JSONValue) async throws {
        var fields = requestHeaders()
        fields.add("Content-Type", "application/json")
        let request = HTTPRequest(method: .post, path: path, headers: fields, body: .bytes(Array(message.jsonText.utf8)))
        let response: HTTPStreamingResponse
        do {
            response = try await client.stream(request)
        } catch {
            throw failure(.httpFailed, "could not be reached: \(error)")
        }
        defer { response.cancel() }
        if let id = response.headers["Mcp-Session-Id"], !id.isEmpty {
            session.withLock { $0.id = id }
        }
        guard response.isSuccess else {
            let body = (try? await response.collect(upTo: 4096)).map { String(decoding: $0, as: UTF8.self) } ?? ""
            if response.status == 404, session.withLock({ $0.id }) != nil {
                throw failure(.httpFailed, "its session has expired (HTTP 404)")
            }
            throw failure(.httpFailed, "answered HTTP \(response.status)" + (body.isEmpty ? "" : ": " + String(body.prefix(500))))
        }
        // 202 Accepted: a notification or an answer we sent, nothing comes back.
        if response.status == 202 { return }
        let type = (response.headers["Content-Type"] ?? "").lowercased()
        if type.hasPrefix("text/event-stream") {
            try await readEvents(response)
        } else {
            let body: [UInt8]
            do {
                body = try await response.collect(upTo: options.maxMessageBytes)
            } catch let error as HTTPTransportError where error.code == .invalidRequest {
                throw failure(.messageTooLarge, "its answer is more than the \(options.maxMessageBytes) bytes accepted")
            }
            if body.isEmpty { return }
            guard let value = JSONValue.parse(json: String(decoding: body, as: UTF8.self)) else {
                throw failure(.protocolViolation, "answered with a body that is not JSON (\(type.isEmpty ? "no content type" : type))")
            }
            inbox.deliver(value)
        }
    }

    /// Reads an SSE answer to its end, handing each event's data on as one message.
    private func readEvents(_ response: HTTPStreamingResponse) async throws {
        var decoder = ServerSentEventDecoder()
        for try await chunk in response.body {
            for event in decoder.feed(chunk) where !event.data.isEmpty {
                guard let value = JSONValue.parse(json: event.data) else {
                    throw failure(.protocolViolation, "sent an event whose data is not JSON")
                }
                inbox.deliver(value)
            }
            if decoder.bufferedByteCount > options.maxMessageBytes {
                throw failure(.messageTooLarge, "sent an event of more than the \(options.maxMessageBytes) bytes accepted")
            }
        }
    }

    private func failure(_ code: MCPError.Code, _ message: String) -> MCPError {
        lastFailure.withLock { $0 = message }
        return MCPError(code, server: server, message)
    }

    /// Ends the session on the server (DELETE with its id), as the protocol asks; best effort.
    func close() async {
        guard session.withLock({ $0.id }) != nil else { return }
        let request = HTTPRequest(method: .delete, path: path, headers: requestHeaders(), timeout: .seconds(5))
        _ = try? await client.send(request)
    }
}
