import Foundation
import HTTPTypes
import Hummingbird
import ServerCore

/// Sign-in with an API key (once: the browser then holds a session cookie, never the key),
/// sign-out, and the theme switch.
struct SignInController: Sendable {
    let dashboard: Dashboard

    struct Model {
        var next: String
        var csrf: String
        var error: String?
    }

    func register(on group: RouterGroup<ServerRequestContext>) {
        let dashboard = self.dashboard
        group.get("login") { request, _ -> Response in
            if dashboard.openMode || dashboard.visit(request) != nil {
                return dashboard.redirect(to: Self.next(request.uri.queryParameters.get("next")))
            }
            return dashboard.html(
                dashboard.resources.render("login", Model(next: Self.next(request.uri.queryParameters.get("next")), csrf: "", error: nil)),
                visit: nil)
        }
        group.post("login") { request, context -> Response in
            let buffer = (try? await request.body.collect(upTo: 16 * 1024)) ?? ByteBuffer()
            let form = (try? FormInput.parse(String(buffer: buffer))) ?? FormInput(values: [:])
            let next = Self.next(form["next"])
            func refused(_ message: String, status: HTTPResponse.Status) -> Response {
                dashboard.html(dashboard.resources.render("login", Model(next: next, csrf: "", error: message)), visit: nil, status: status)
            }
            do {
                try Dashboard.checkOrigin(request)
            } catch {
                return refused("\(error)", status: .forbidden)
            }
            guard let key = form["api_key"]?.trimmingCharacters(in: .whitespaces), !key.isEmpty else {
                return refused("Enter an API key.", status: .badRequest)
            }
            let caller: APICaller
            do {
                caller = try dashboard.keys.authenticate(key, clientAddress: context.channel.remoteAddress?.ipAddress)
            } catch {
                // The service's message names the reason (unknown, inactive, expired, address) and never the key.
                return refused("Sign-in refused: \(Self.reason(error))", status: .unauthorized)
            }
            let (token, _) = dashboard.sessions.open(for: caller)
            return dashboard.redirect(to: next, setCookie: Dashboard.sessionCookieValue(token))
        }
        group.post("logout") { request, _ -> Response in
            await dashboard.page(request) { visit in
                // Another site must not be able to sign a browser out either.
                _ = try await dashboard.form(request, visit)
                if let token = Dashboard.cookies(request.headers)[Dashboard.sessionCookie] { dashboard.sessions.close(token: token) }
                return dashboard.redirect(
                    to: "\(Dashboard.root)/login", setCookie: "\(Dashboard.sessionCookie)=; Path=\(Dashboard.root); HttpOnly; SameSite=Strict; Max-Age=0")
            }
        }
        group.post("theme") { request, _ -> Response in
            await dashboard.page(request) { visit in
                let form = try await dashboard.form(request, visit)
                let theme = form["theme"] == "dark" ? "dark" : "light"
                return dashboard.redirect(
                    to: Self.next(form["back"]), visit: visit,
                    setCookie: "\(Dashboard.themeCookie)=\(theme); Path=\(Dashboard.root); SameSite=Strict; Max-Age=31536000")
            }
        }
    }

    /// Where to go after sign-in: a path under `/ui` only (never another site).
    static func next(_ asked: String?) -> String {
        guard let asked, asked.hasPrefix(Dashboard.root), !asked.hasPrefix("//"), !asked.contains("\\"),
            !asked.contains("\r"), !asked.contains("\n"), asked.count < 2000
        else { return Dashboard.root }
        return asked
    }

    static func reason(_ error: any Error) -> String {
        (error as? ServerError)?.message ?? "the key is not valid"
    }
}
