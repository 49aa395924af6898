import Foundation
import HTTPTransport
import Synchronization
import Testing

/// A browser, as far as the server can tell: a cookie jar, `Origin` on posts, forms encoded as
/// browsers encode them, the CSRF token read from the last page it loaded. No redirects are
/// followed (tests look at them).
final class DashboardClient: Sendable {
    let client: HTTPClient
    let port: Int
    private let state = Mutex<(cookies: [String: String], csrf: String?)>(([:], nil))

    init(port: Int) throws {
        self.port = port
        client = try HTTPClient(endpoint: .http(host: "127.0.0.1", port: port))
    }

    struct Page: Sendable {
        var status: Int
        var text: String
        var headers: HTTPHeaders
        var location: String? { headers["Location"] }
    }

    var cookies: [String: String] { state.withLock { $0.cookies } }
    var csrf: String? { state.withLock { $0.csrf } }

    func get(_ path: String, headers extra: [(String, String)] = []) async throws -> Page {
        try await send(HTTPRequest(method: .get, path: path, headers: HTTPHeaders(cookieHeader() + extra), timeout: .seconds(60)))
    }

    /// Posts `form` (with the page's CSRF token unless `csrf` is false) from this server's origin.
    func post(_ path: String, form: [String: String], csrf: Bool = true, origin: String? = nil) async throws -> Page {
        var fields = form
        if csrf, fields["csrf"] == nil, let token = self.csrf { fields["csrf"] = token }
        let body = fields.sorted { $0.key < $1.key }.map { "\(Self.encode($0.key))=\(Self.encode($0.value))" }.joined(separator: "&")
        let headers =
            cookieHeader() + [
                ("Content-Type", "application/x-www-form-urlencoded"), ("Origin", origin ?? "http://127.0.0.1:\(port)"),
            ]
        return try await send(HTTPRequest(method: .post, path: path, headers: HTTPHeaders(headers), body: .bytes(Array(body.utf8)), timeout: .seconds(60)))
    }

    private func send(_ request: HTTPRequest) async throws -> Page {
        let response = try await client.send(request)
        let page = Page(status: response.status, text: response.bodyText, headers: response.headers)
        state.withLock { state in
            for cookie in response.headers.values(for: "Set-Cookie") {
                let pair = cookie.split(separator: ";").first.map(String.init) ?? ""
                let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { continue }
                if cookie.contains("Max-Age=0") { state.cookies.removeValue(forKey: parts[0]) } else { state.cookies[parts[0]] = parts[1] }
            }
            if let token = Self.csrf(in: page.text) { state.csrf = token }
        }
        return page
    }

    private func cookieHeader() -> [(String, String)] {
        let cookies = state.withLock { $0.cookies }
        guard !cookies.isEmpty else { return [] }
        return [("Cookie", cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; "))]
    }

    /// The value of the first `name="csrf"` hidden field of a page.
    static func csrf(in html: String) -> String? {
        guard let field = html.range(of: #"name="csrf" value=""#) else { return nil }
        let rest = html[field.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }.flatMap { $0.isEmpty ? nil : $0 }
    }

    static func encode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return (text.addingPercentEncoding(withAllowedCharacters: allowed) ?? "").replacingOccurrences(of: "%20", with: "+")
    }

    /// How many times `needle` occurs in `text`.
    static func count(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }
}
