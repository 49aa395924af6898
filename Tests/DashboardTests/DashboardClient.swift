import Foundation
import HTTPTransport
import Testing

/// A browser, as far as the server can tell: signs in once with an API key, then keeps only the
/// session cookie, reads pages, and posts forms with the CSRF token scraped from the page.
/// Redirects are not followed, so a test sees each 303 and where it points.
final class DashboardClient: @unchecked Sendable {
    struct Page {
        var status: Int
        var html: String
        var headers: HTTPHeaders
        var location: String? { headers["Location"] }
    }

    let http: HTTPClient
    /// `sc_session=…`, once signed in. Set only by the test's own task (hence `@unchecked`).
    private(set) var cookie: String?

    init(port: Int) throws {
        http = try HTTPClient(endpoint: .http(host: "127.0.0.1", port: port))
    }

    /// Signs in with `key` and keeps the session cookie; fails the test when sign-in is refused.
    func signIn(_ key: String) async throws {
        let login = try await get("/ui/login")
        #expect(login.status == 200, "the sign-in page: \(login.status)")
        let answer = try await post("/ui/login", ["api_key": key, "next": "/ui"], csrf: nil)
        #expect(answer.status == 303, "sign-in: \(answer.status) \(answer.html.prefix(300))")
        let session = answer.headers.values(for: "Set-Cookie").first { $0.hasPrefix("sc_session=") }
        cookie = try #require(session?.split(separator: ";").first.map(String.init), "sign-in set no session cookie")
    }

    func get(_ path: String) async throws -> Page {
        try await send(HTTPRequest(method: .get, path: path, headers: headers(), timeout: .seconds(60)))
    }

    /// Posts `form` url-encoded, with the session's CSRF token when `csrf` is given.
    func post(_ path: String, _ form: [String: String], csrf: String?, extraHeaders: [(String, String)] = []) async throws -> Page {
        var fields = form.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        if let csrf { fields.append(("csrf", csrf)) }
        let body = fields.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
        var headers = headers()
        headers.add("Content-Type", "application/x-www-form-urlencoded")
        for (name, value) in extraHeaders { headers.add(name, value) }
        return try await send(HTTPRequest(method: .post, path: path, headers: headers, body: .bytes(Array(body.utf8)), timeout: .seconds(60)))
    }

    /// Reads `path` and posts `form` with the CSRF token of that page.
    func submit(_ form: [String: String], to action: String, from path: String) async throws -> Page {
        let page = try await get(path)
        return try await post(action, form, csrf: try Self.token(page.html))
    }

    /// The page's CSRF token; fails the test when it has none.
    static func token(_ html: String) throws -> String {
        try #require(csrf(from: html), "no CSRF token on the page")
    }

    /// The value of the first hidden `csrf` input.
    static func csrf(from html: String) -> String? {
        guard let range = html.range(of: #"name="csrf" value=""#) else { return nil }
        let rest = html[range.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }

    /// What form encoding leaves as it is: letters, digits and `-._~`.
    static func encode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    private func headers() -> HTTPHeaders {
        var headers = HTTPHeaders()
        if let cookie { headers.add("Cookie", cookie) }
        return headers
    }

    private func send(_ request: HTTPRequest) async throws -> Page {
        let response = try await http.send(request)
        return Page(status: response.status, html: response.bodyText, headers: response.headers)
    }
}
