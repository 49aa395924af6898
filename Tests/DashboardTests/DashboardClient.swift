import Foundation
import HTTPTransport
import Synchronization

/// A browser at the dashboard, as far as the server can tell: a cookie jar over our HTTP
/// client, this server's `Origin` on every post, forms posted with the CSRF token the page
/// carries. Redirects are not followed, so tests see the 303s themselves.
final class DashboardClient: Sendable {
    let http: HTTPClient
    let port: Int
    /// The origin a page of this server has (`http://127.0.0.1:PORT`).
    var origin: String { "http://127.0.0.1:\(port)" }
    private let jar = Mutex<[String: String]>([:])

    init(port: Int) throws {
        self.port = port
        http = try HTTPClient(endpoint: .http(host: "127.0.0.1", port: port))
    }

    /// `Cookie:` as the browser would send it; nil with an empty jar.
    var cookieHeader: String? {
        let cookies = jar.withLock { $0 }
        return cookies.isEmpty ? nil : cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")
    }

    func get(_ path: String) async throws -> HTTPResponse {
        try await send(HTTPRequest(method: .get, path: path, timeout: .seconds(60)))
    }

    /// Posts `form` (url-encoded) with `Origin: origin` (this server's unless told otherwise).
    func post(_ path: String, form: [(String, String)], origin: String? = nil) async throws -> HTTPResponse {
        let body = form.map { "\(HTTPRequest.percentEncode($0.0))=\(HTTPRequest.percentEncode($0.1))" }.joined(separator: "&")
        let headers: HTTPHeaders = ["Content-Type": "application/x-www-form-urlencoded", "Origin": origin ?? self.origin]
        return try await send(HTTPRequest(method: .post, path: path, headers: headers, body: .bytes(Array(body.utf8)), timeout: .seconds(60)))
    }

    /// Signs in with `key` through the sign-in form; fails the caller when the server refuses.
    func signIn(key: String) async throws {
        let response = try await post("/ui/login", form: [("api_key", key), ("next", "/ui")])
        guard response.status == 303, cookieHeader != nil else {
            throw DashboardClientError(message: "sign-in answered \(response.status): \(response.bodyText)")
        }
    }

    /// The CSRF token of the first form on `html`.
    static func csrf(from html: String) -> String? {
        guard let range = html.range(of: #"name="csrf" value="([^"]+)""#, options: .regularExpression) else { return nil }
        let match = html[range]
        return match.split(separator: "\"").dropFirst(3).first.map(String.init)
    }

    private func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        var request = request
        if let cookie = cookieHeader { request.headers.add("Cookie", cookie) }
        let response = try await http.send(request)
        for header in response.headers.values(for: "Set-Cookie") {
            guard let pair = header.split(separator: ";").first else { continue }
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else { continue }
            let (name, value) = (String(parts[0]).trimmingCharacters(in: .whitespaces), String(parts[1]))
            let expired = header.lowercased().contains("max-age=0") || value.isEmpty
            jar.withLock { if expired { $0[name] = nil } else { $0[name] = value } }
        }
        return response
    }
}

struct DashboardClientError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
