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
        var html: String { text }
        var bodyText: String { text }
    }

    /// The origin a page of this server has.
    var origin: String { "http://127.0.0.1:\(port)" }

    /// `sc_session=…` once signed in (what a WebSocket upgrade carries).
    var cookieHeader: String? { cookies["sc_session"].map { "sc_session=\($0)" } }

    /// Signs in with `key` (an argument label some tests use).
    func signIn(key: String) async throws { try await signIn(key) }

    /// Posts exactly `form` (its `csrf` included or not) from this server's origin, or `origin`.
    func post(_ path: String, form: [(String, String)], origin: String? = nil) async throws -> Page {
        try await post(path, form: Dictionary(form, uniquingKeysWith: { first, _ in first }), csrf: false, origin: origin)
    }

    var cookies: [String: String] { state.withLock { $0.cookies } }
    var csrf: String? { state.withLock { $0.csrf } }

    func get(_ path: String, headers extra: [(String, String)] = []) async throws -> Page {
        try await send(HTTPRequest(method: .get, path: path, headers: HTTPHeaders(cookieFields() + extra), timeout: .seconds(60)))
    }

    /// Posts `form` (with the page's CSRF token unless `csrf` is false) from this server's origin.
    func post(_ path: String, form: [String: String], csrf: Bool = true, origin: String? = nil) async throws -> Page {
        var fields = form
        if csrf, fields["csrf"] == nil, let token = self.csrf { fields["csrf"] = token }
        let body = fields.sorted { $0.key < $1.key }.map { "\(Self.encode($0.key))=\(Self.encode($0.value))" }.joined(separator: "&")
        let headers =
            cookieFields() + [
                ("Content-Type", "application/x-www-form-urlencoded"), ("Origin", origin ?? "http://127.0.0.1:\(port)"),
            ]
        return try await send(HTTPRequest(method: .post, path: path, headers: HTTPHeaders(headers), body: .bytes(Array(body.utf8)), timeout: .seconds(60)))
    }

    /// Signs in with `key` (from the sign-in page, as a person would); fails the test when refused.
    func signIn(_ key: String) async throws {
        let login = try await get("/ui/login")
        #expect(login.status == 200, "the sign-in page: \(login.status)")
        let answer = try await post("/ui/login", form: ["api_key": key, "next": "/ui"], csrf: false)
        #expect(answer.status == 303, "sign-in: \(answer.status) \(answer.text.prefix(300))")
        #expect(cookies["sc_session"] != nil, "sign-in set no session cookie")
    }

    /// Posts `form` with exactly the token given (nil: none) and no `Origin` unless `extraHeaders` has one.
    func post(_ path: String, _ form: [String: String], csrf token: String?, extraHeaders: [(String, String)] = []) async throws -> Page {
        var fields = form
        if let token { fields["csrf"] = token }
        let body = fields.sorted { $0.key < $1.key }.map { "\(Self.encode($0.key))=\(Self.encode($0.value))" }.joined(separator: "&")
        let headers = cookieFields() + [("Content-Type", "application/x-www-form-urlencoded")] + extraHeaders
        return try await send(HTTPRequest(method: .post, path: path, headers: HTTPHeaders(headers), body: .bytes(Array(body.utf8)), timeout: .seconds(60)))
    }

    /// Reads `path` and posts `form` to `action` with that page's CSRF token.
    func submit(_ form: [String: String], to action: String, from path: String) async throws -> Page {
        let page = try await get(path)
        return try await post(action, form, csrf: try Self.token(page.text))
    }

    /// The page's CSRF token; fails the test when it has none.
    static func token(_ html: String) throws -> String {
        try #require(csrf(in: html), "no CSRF token on the page")
    }

    static func csrf(from html: String) -> String? { csrf(in: html) }

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

    private func cookieFields() -> [(String, String)] {
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
