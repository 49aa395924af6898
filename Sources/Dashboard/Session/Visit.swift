import Foundation
import HTTPTypes
import Hummingbird
import ServerCore
import Store

/// One request to a page: the browser's session (who is asking), its theme, and the cookie the
/// answer must set when the session was made by this request (open mode).
struct Visit: Sendable {
    var session: DashboardSessions.Session
    var newToken: String?
    /// `light` or `dark` as the browser chose (cookie `sc_theme`); nil: follow the system.
    var theme: String?
    /// The path and query asked for (where sign-in and the theme switch come back to).
    var location: String

    var caller: APICaller { session.caller }
    /// The tenant whose things the caller sees; nil: an admin, who sees everything.
    var tenant: String? { session.caller.tenantID }
}

extension Dashboard {
    /// The session cookie's name; the cookie is HttpOnly, SameSite=Strict and scoped to `/ui`.
    static let sessionCookie = "sc_session"
    static let themeCookie = "sc_theme"

    /// The browser's visit, or nil when it has no live session (sign-in needed). In open mode a
    /// browser without one gets a new admin session: forms still need its CSRF token, since any
    /// web page could otherwise make a browser post to a loopback server.
    func visit(_ request: Request) -> Visit? {
        let cookies = Self.cookies(request.headers)
        let theme = cookies[Self.themeCookie].flatMap { ["light", "dark"].contains($0) ? $0 : nil }
        let location = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
        if let token = cookies[Self.sessionCookie], let session = sessions.session(token: token), isStillValid(session) {
            return Visit(session: session, theme: theme, location: location)
        }
        guard openMode else { return nil }
        let (token, session) = sessions.open(for: .open)
        return Visit(session: session, newToken: token, theme: theme, location: location)
    }

    /// A stored key that was revoked or expired ends its sessions at their next request.
    func isStillValid(_ session: DashboardSessions.Session) -> Bool {
        guard let keyID = session.caller.keyID, keyID.hasPrefix("key_") else { return true }
        guard let record = try? keys.key(id: keyID, tenant: nil), record.isActive, record.expiresAt.map({ $0 > Date() }) ?? true else {
            sessions.close(keyID: keyID)
            return false
        }
        return true
    }

    /// `Cookie: a=1; b=2` as a dictionary (the first of a repeated name wins).
    static func cookies(_ headers: HTTPFields) -> [String: String] {
        var found: [String: String] = [:]
        for header in headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2 else { continue }
                let name = parts[0].trimmingCharacters(in: .whitespaces)
                if found[name] == nil { found[name] = parts[1].trimmingCharacters(in: .whitespaces) }
            }
        }
        return found
    }

    /// The `Set-Cookie` value of a session.
    static func sessionCookieValue(_ token: String) -> String {
        "\(sessionCookie)=\(token); Path=\(root); HttpOnly; SameSite=Strict"
    }
}
