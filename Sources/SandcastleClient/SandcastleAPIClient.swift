import Foundation
import HTTPTransport
import JSONValues

/// Typed calls to a Sandcastle server's `/api` (ours, `sandcastle serve`, or Sandcastle 0.47
/// itself): the envelope `{"data","error","meta"}` unwrapped, its errors (nested under `detail`
/// by handlers, at the top level from the auth layer, a plain string for a rate limit) turned
/// into ``RemoteAPIError`` with the server's code and message. The key goes as `X-API-Key`.
///
/// The calls live in extensions by subject: runs, approvals, schedules, API keys, dead letters,
/// system; the live stream in ``followRun(id:after:)``.
public final class SandcastleAPIClient: Sendable {
    public let server: RemoteServer
    let http: HTTPClient
    /// The limit for one ordinary call (not for streams), as Sandcastle's SDK uses 30 s.
    let timeout: Duration
    /// Reconnects of a followed stream after its connection drops, before giving up.
    let reconnectAttempts: Int

    /// The largest answer read into memory.
    static let maxAnswerBytes = 64 << 20

    public init(server: RemoteServer, timeout: Duration = .seconds(30), reconnectAttempts: Int = 20) throws {
        self.server = server
        self.timeout = timeout
        self.reconnectAttempts = reconnectAttempts
        var configuration = HTTPClient.Configuration()
        configuration.userAgent = "sandcastle-cli"
        self.http = try HTTPClient(endpoint: server.endpoint, configuration: configuration)
    }

    /// A successful answer: its `data` and, for lists, `meta`.
    public struct Answer: Sendable {
        public let status: Int
        public let data: JSONValue
        public let meta: JSONValue
    }

    /// One call to `/api<path>`: the answer's `data` and `meta`, or the server's error thrown.
    /// - Parameters:
    ///   - path: below `/api`, starting with `/`; segments that come from users must already be
    ///     encoded (``segment(_:)``).
    ///   - body: sent as JSON; `nil` sends no body.
    public func call(_ method: HTTPMethod, _ path: String, query: [(String, String?)] = [], body: JSONValue? = nil) async throws -> Answer {
        var headers = baseHeaders()
        var payload = HTTPRequestBody.none
        if let body {
            headers.add("Content-Type", "application/json")
            payload = .bytes(Array(body.jsonText.utf8))
        }
        let request = HTTPRequest(
            method: method, path: HTTPRequest.path("/api" + path, query: query), headers: headers, body: payload, timeout: timeout)
        let response: HTTPResponse
        do {
            response = try await http.send(request)
        } catch let error as HTTPTransportError {
            throw RemoteAPIError.unreachable(server, error)
        }
        return try answer(status: response.status, body: response.body, method: method, path: path)
    }

    /// The typed form of ``call(_:_:query:body:)``: `data` decoded as `T`.
    func call<T: Decodable>(
        _ type: T.Type, _ method: HTTPMethod, _ path: String, query: [(String, String?)] = [], body: JSONValue? = nil
    ) async throws -> T {
        let answer = try await call(method, path, query: query, body: body)
        return try decode(type, answer.data, what: "\(method) /api\(path)")
    }

    /// A paginated list: its items and `meta.total`.
    func page<T: Decodable>(_ type: T.Type, _ path: String, query: [(String, String?)]) async throws -> Page<T> {
        let answer = try await call(.get, path, query: query)
        let items = try decode([T].self, answer.data, what: "GET /api\(path)")
        let total = answer.meta.child("total").flatMap(\.doubleValue).map { Int($0) } ?? items.count
        return Page(items: items, total: total)
    }

    /// A user-given id or name as one path segment: percent-encoded, so `../x` stays one segment.
    public static func segment(_ text: String) -> String { HTTPRequest.percentEncode(text) }

    func baseHeaders() -> HTTPHeaders {
        var headers = HTTPHeaders()
        headers.add("Accept", "application/json")
        if let key = server.apiKey { headers.add("X-API-Key", key) }
        return headers
    }

    /// Unwraps the envelope of a 2xx answer, or throws the error a non-2xx one carries.
    func answer(status: Int, body: [UInt8], method: HTTPMethod, path: String) throws -> Answer {
        let text = String(decoding: body, as: UTF8.self)
        let json = JSONValue.parse(json: text)
        guard (200..<300).contains(status) else { throw Self.serverError(server, status: status, json: json, text: text) }
        guard let json else {
            if body.isEmpty { return Answer(status: status, data: .null, meta: .null) }
            throw RemoteAPIError(
                .invalidAnswer, "the server at \(server.url) answered \(method) /api\(path) with something that is not JSON: \(Self.excerpt(text))")
        }
        guard case .object(let members) = json, members.keys.contains("data") else {
            // Sandcastle's SDK reads `body.get("data", body)`: a bare answer is its own data.
            return Answer(status: status, data: json, meta: .null)
        }
        return Answer(status: status, data: members["data"] ?? .null, meta: members["meta"] ?? .null)
    }

    /// The error of a refused request: `detail.error`, top-level `error`, a string `detail`
    /// (a rate limit) or FastAPI's list of validation problems.
    static func serverError(_ server: RemoteServer, status: Int, json: JSONValue?, text: String) -> RemoteAPIError {
        var code: String?
        var message: String?
        var details: JSONValue?
        let nested = json?.child("detail")?.child("error") ?? json?.child("error")
        if let nested, case .object = nested {
            if case .string(let text)? = nested.child("code") { code = text }
            if case .string(let text)? = nested.child("message") { message = text }
            if let value = nested.child("details"), value != .null { details = value }
        } else if case .string(let detail)? = json?.child("detail") {
            message = detail
        } else if case .array(let problems)? = json?.child("detail") {
            code = "VALIDATION_ERROR"
            message = problems.compactMap { problem -> String? in
                guard case .string(let text)? = problem.child("msg") else { return nil }
                return text
            }.joined(separator: "; ")
        }
        let reason = message.map(clean) ?? (json == nil ? excerpt(text) : "")
        let codeText = code.map { " \(clean($0))" } ?? ""
        return RemoteAPIError(
            .server, "the server at \(server.url) answered \(status)\(codeText)" + (reason.isEmpty ? "" : ": \(reason)"), status: status,
            serverCode: code.map(clean), serverMessage: message.map(clean), details: details.map { .init(json: $0.jsonText) })
    }

    /// A server's text made safe for a terminal: control characters replaced, length capped.
    static func clean(_ text: String) -> String {
        let flat = String(String.UnicodeScalarView(text.unicodeScalars.map { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) ? " " : $0 }))
        return flat.count > 2000 ? String(flat.prefix(2000)) + "…" : flat
    }

    static func excerpt(_ text: String) -> String {
        let cleaned = clean(text.trimmingCharacters(in: .whitespacesAndNewlines))
        return cleaned.isEmpty ? "an empty body" : String(cleaned.prefix(200))
    }

    func decode<T: Decodable>(_ type: T.Type, _ value: JSONValue, what: String) throws -> T {
        do {
            return try Self.decoder.decode(type, from: Data(value.jsonText.utf8))
        } catch {
            throw RemoteAPIError(.invalidAnswer, "the server at \(server.url) answered \(what) in a shape this CLI does not read: \(error)")
        }
    }

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = RemoteDates.parse(text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an ISO 8601 time: \(text)"))
            }
            return date
        }
        return decoder
    }()
}

/// A page of a list and the total the server counts.
public struct Page<Item: Sendable>: Sendable {
    public let items: [Item]
    public let total: Int
}

/// ISO 8601 as Sandcastle answers it (with or without fractional seconds, `Z` or an offset;
/// Python's `isoformat()` without any zone is read as UTC).
public enum RemoteDates {
    public static func parse(_ text: String) -> Date? {
        let styles = [Date.ISO8601FormatStyle(includingFractionalSeconds: true), Date.ISO8601FormatStyle()]
        for style in styles { if let date = try? style.parse(text) { return date } }
        for style in styles { if let date = try? style.parse(text + "Z") { return date } }
        return nil
    }
}
