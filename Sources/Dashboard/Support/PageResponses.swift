import Foundation
import HTTPTypes
import Hummingbird
import Orchestrator
import Store

/// What every page's layout shows around its content (`templates/layout.mustache`).
struct Chrome: Sendable {
    struct NavItem: Sendable {
        var key: String
        var label: String
        var href: String
        var current: Bool
        var badge: Int?
        /// The badge's element id, so a live page can update it (`dlq-count`).
        var badgeID: String?
        var badgeHidden: Bool
    }

    var title: String
    var theme: String?
    /// What the theme switch sets: the other one (light when the system's is unknown to the server).
    var nextTheme: String
    var csrf: String
    var nav: [NavItem]
    /// Who is signed in (`key_…`, `tenant acme`, or `open mode`).
    var who: String
    var canSignOut: Bool
    /// The page's live stream (`/ui/stream?…`); nil: the page is not live.
    var stream: String?
    var location: String
}

extension Dashboard {
    /// Content-Security-Policy of every page: our own files only, no inline script or style, no
    /// framing, forms post only to us.
    static let contentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

    static let navigation: [(key: String, label: String, path: String)] = [
        ("overview", "Overview", ""), ("runs", "Runs", "/runs"), ("workflows", "Workflows", "/workflows"),
        ("approvals", "Approvals", "/approvals"), ("schedules", "Schedules", "/schedules"),
        ("dead-letters", "Dead letters", "/dead-letters"), ("keys", "API keys", "/keys"),
        ("violations", "Violations", "/violations"), ("audit", "Audit", "/audit"), ("sandboxes", "Sandboxes", "/sandboxes"),
    ]

    /// The layout's model for `visit` on the page `current` (a ``navigation`` key).
    func chrome(_ visit: Visit, title: String, current: String, stream: String? = nil) -> Chrome {
        let unresolved = (try? orchestrator.deadLetters(resolved: false, tenant: visit.tenant, limit: 0, offset: 0).total) ?? 0
        let pending =
            (try? orchestrator.runs.repository.approvals(runID: nil, statuses: [.pending]))?
            .filter { visit.tenant == nil || orchestrator.isVisible(runID: $0.runID, to: visit.tenant) }.count ?? 0
        let nav = Self.navigation.map { item in
            let count: Int? = item.key == "dead-letters" ? unresolved : item.key == "approvals" ? pending : nil
            return Chrome.NavItem(
                key: item.key, label: item.label, href: Self.root + item.path, current: item.key == current, badge: count,
                badgeID: item.key == "dead-letters" ? "dlq-count" : item.key == "approvals" ? "approvals-count" : nil, badgeHidden: count == 0)
        }
        let who =
            openMode ? "open mode" : visit.caller.tenantID.map { "tenant \($0)" } ?? (visit.caller.keyID.map { "admin \($0)" } ?? "admin")
        // The stream starts where this page was drawn: what happens in between is not missed.
        let latest = (try? orchestrator.runs.repository.latestEventID()) ?? 0
        let stream = stream.map { "\($0)&after=\(latest)" }
        return Chrome(
            title: title, theme: visit.theme, nextTheme: visit.theme == "dark" ? "light" : "dark", csrf: visit.session.csrfToken, nav: nav, who: who,
            canSignOut: !openMode, stream: stream,
            location: visit.location)
    }

    /// A rendered page with the dashboard's headers (and the new session's cookie, if any).
    func html(_ body: String, visit: Visit?, status: HTTPResponse.Status = .ok) -> Response {
        var headers = Self.pageHeaders
        if let token = visit?.newToken, let name = HTTPField.Name("Set-Cookie") { headers[name] = Self.sessionCookieValue(token) }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    static var pageHeaders: HTTPFields {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        if let csp = HTTPField.Name("Content-Security-Policy") { headers[csp] = contentSecurityPolicy }
        return headers
    }

    /// 303 to `location` (after a form, or to sign-in).
    func redirect(to location: String, visit: Visit? = nil, setCookie: String? = nil) -> Response {
        var headers = HTTPFields()
        headers[.location] = location
        headers[.cacheControl] = "no-store"
        if let cookie = setCookie ?? visit?.newToken.map(Self.sessionCookieValue), let name = HTTPField.Name("Set-Cookie") {
            headers[name] = cookie
        }
        return Response(status: .seeOther, headers: headers)
    }

    /// Runs a page's handler for a signed-in browser: without a session, sign-in (303); a
    /// ``DashboardError`` or a service error becomes an error page with its status.
    func page(_ request: Request, _ body: (Visit) async throws -> Response) async -> Response {
        guard let visit = visit(request) else {
            let next = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
            return redirect(to: "\(Self.root)/login?next=\(Self.urlEncoded(next))")
        }
        do {
            return try await body(visit)
        } catch {
            let failure = Self.dashboardError(error)
            if failure.status == .internalServerError { logger.error("dashboard page \(request.uri.path) failed: \(error)") }
            return errorPage(failure, visit: visit)
        }
    }

    /// An error page: the message (escaped by the template) and a way back.
    func errorPage(_ error: DashboardError, visit: Visit) -> Response {
        struct Model {
            var chrome: Chrome
            var status: Int
            var message: String
        }
        let model = Model(
            chrome: chrome(visit, title: "Error", current: ""), status: Int(error.status.code), message: error.message)
        return html(resources.render("error", model), visit: visit, status: error.status)
    }

    /// What the services' errors mean on a page.
    static func dashboardError(_ error: any Error) -> DashboardError {
        if let error = error as? DashboardError { return error }
        if let error = error as? OrchestratorError {
            switch error.code {
            case .runNotFound, .workflowNotFound, .approvalNotFound, .scheduleNotFound, .deadLetterNotFound:
                return DashboardError(.notFound, error.message)
            case .alreadyResolved, .invalidStatus, .activeRuns, .notAccepting, .scheduleDisabled, .maxRetriesExceeded:
                return DashboardError(.conflict, error.message)
            case .forbidden: return DashboardError(.forbidden, error.message)
            case .internalFailure: return DashboardError(.internalFailure, error.message)
            default: return DashboardError(.invalidInput, ([error.message] + error.details).joined(separator: "; "))
            }
        }
        return DashboardError(.internalFailure, "\(error)")
    }

    static func urlEncoded(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~/")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}
