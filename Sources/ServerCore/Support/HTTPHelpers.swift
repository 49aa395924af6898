import Foundation
import Hummingbird
import NIOCore
import Sandbox

/// Every route the server registers, so `/openapi.json` can be checked against them.
///
/// Controllers register through this instead of the router directly; one controller per API
/// family (sandboxes, files, workspaces, system, and later Sandkasten's sessions) keeps them
/// independent. Paths use Hummingbird's `:param` syntax; ``openAPIPath`` gives `{param}`.
public final class RouteTable {
    public struct Route: Hashable, Sendable {
        public var method: String
        public var path: String
        /// Part of the native API (in `/openapi.json`); false for compatibility APIs such as
        /// Sandkasten's, which are described by their own project.
        public var native: Bool = true
        /// The path as OpenAPI writes it (`{id}` for `:id`).
        public var openAPIPath: String {
            path.split(separator: "/", omittingEmptySubsequences: false).map { part in
                part.hasPrefix(":") ? "{\(part.dropFirst())}" : String(part)
            }.joined(separator: "/")
        }
    }

    let router: Router<ServerRequestContext>
    public private(set) var routes: [Route] = []

    package init(router: Router<ServerRequestContext>) {
        self.router = router
    }

    package func add(
        _ method: HTTPRequest.Method, _ path: String, native: Bool = true,
        _ handler: @Sendable @escaping (Request, ServerRequestContext) async throws -> Response
    ) {
        routes.append(Route(method: method.rawValue, path: path, native: native))
        router.on(RouterPath(path), method: method, use: handler)
    }

    /// Records a route served by another router (the WebSocket upgrade router).
    package func record(_ method: HTTPRequest.Method, _ path: String, native: Bool = true) {
        routes.append(Route(method: method.rawValue, path: path, native: native))
    }
}

package enum HTTP {
    /// A file's bytes as an octet-stream answer, chunked as they are read. No Content-Length: a
    /// file's size is no promise of its length (/proc reports 0, /sys 4096, a log grows while it
    /// is read); the body ends where the file does. The transfer's turn lasts as long as the body
    /// is written (or until the response is dropped unwritten).
    package static func download(_ download: FileDownload, releasing slot: TransferSlot) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/octet-stream"
        let body = ResponseBody { writer in
            defer { slot.release() }
            for try await chunk in download.chunks { try await writer.write(ByteBuffer(bytes: chunk)) }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    package static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    package static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try encoder.encode(value)
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    package static func text(_ text: String, contentType: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// Reads the whole body, refusing more than `limit` bytes with 413 `body_too_large`.
    package static func body(_ request: Request, limit: Int) async throws -> [UInt8] {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw ServerError(.bodyTooLarge, "the request body has \(length) bytes; this route accepts at most \(limit)")
        }
        var bytes: [UInt8] = []
        for try await buffer in request.body {
            guard bytes.count + buffer.readableBytes <= limit else {
                throw ServerError(.bodyTooLarge, "the request body exceeds \(limit) bytes")
            }
            bytes.append(contentsOf: buffer.readableBytesView)
        }
        return bytes
    }

    /// Decodes a JSON body; malformed JSON or a wrong field is 400 `invalid_input` naming the field.
    package static func decode<T: Decodable>(_ type: T.Type, from request: Request, limit: Int) async throws -> T {
        let bytes = try await body(request, limit: limit)
        guard !bytes.isEmpty else { throw ServerError(.invalidInput, "the request needs a JSON body") }
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch {
            throw ServerError(.invalidInput, "invalid JSON body: \(ServerError.describe(error))", cause: error)
        }
    }

    /// A required query parameter.
    package static func query(_ request: Request, _ name: String) throws -> String {
        guard let value = request.uri.queryParameters.get(name), !value.isEmpty else {
            throw ServerError(.invalidInput, "the query parameter `\(name)` is required")
        }
        return value
    }

    package static func optionalInt(_ request: Request, _ name: String) throws -> Int? {
        guard let text = request.uri.queryParameters.get(name), !text.isEmpty else { return nil }
        guard let value = Int(text) else { throw ServerError(.invalidInput, "`\(name)` must be an integer, not '\(text)'") }
        return value
    }

    package static func bool(_ request: Request, _ name: String) throws -> Bool {
        guard let text = request.uri.queryParameters.get(name), !text.isEmpty else { return false }
        switch text.lowercased() {
        case "1", "true", "yes": return true
        case "0", "false", "no": return false
        default: throw ServerError(.invalidInput, "`\(name)` must be true or false, not '\(text)'")
        }
    }

    package static func id(_ context: ServerRequestContext) throws -> String {
        guard let id = context.parameters.get("id"), !id.isEmpty else { throw ServerError(.invalidInput, "missing sandbox id") }
        return id
    }
}
