import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Sandbox
import ServerCore

/// `/ui/sandboxes/<id>/terminal`: a shell in the sandbox, in the browser (xterm.js from Debian's
/// `node-xterm`, bundled by `scripts/ui-assets`, driven by `static/terminal.js`), over the
/// WebSocket `/ui/sandboxes/<id>/terminal/ws`.
///
/// The socket speaks the native terminal's wire format through the same ``TerminalBridge``; only
/// the door differs: the dashboard's session cookie instead of an API key, and an `Origin` that
/// must be this server's. A browser sends cookies with a WebSocket handshake from any page, so
/// without the origin check another site could open a shell with a signed-in admin's cookie
/// (cross-site WebSocket hijacking); SameSite=Strict already keeps the cookie off such a
/// handshake, and the check holds where a browser does not honor it.
struct SandboxTerminalController: Sendable {
    let dashboard: Dashboard

    struct Model {
        var chrome: Chrome
        var id: String
        var socket: String
        /// Whether the vendored xterm.js and its CSS are there to load.
        var ready: Bool
    }

    /// The socket's path under the server's root.
    static func socketPath(_ id: String) -> String { "\(Dashboard.root)/sandboxes/\(Dashboard.urlEncoded(id))/terminal/ws" }

    func register(on group: RouterGroup<ServerRequestContext>) {
        let dashboard = self.dashboard
        group.get("sandboxes/{id}/terminal") { request, context -> Response in
            await dashboard.page(request) { visit in
                let (id, _) = try await dashboard.liveSandbox(context, visit)
                let model = Model(
                    chrome: dashboard.chrome(visit, title: "Terminal \(id)", current: "sandboxes"), id: id, socket: Self.socketPath(id),
                    ready: Self.vendorReady(dashboard.resources))
                return dashboard.html(dashboard.resources.render("sandbox-terminal", model), visit: visit)
            }
        }
    }

    /// The WebSocket, on the server's upgrade router. A refused handshake is answered 400 with no
    /// body (hummingbird-websocket writes every refusal so), before any shell starts.
    func registerWebSocket(on router: Router<ServerRequestContext>) {
        let dashboard = self.dashboard
        router.ws(RouterPath("\(Dashboard.root)/sandboxes/:id/terminal/ws")) { request, context in
            _ = try await dashboard.socketSandbox(request, context)
            return .upgrade([:])
        } onUpgrade: { inbound, outbound, socket in
            let request = socket.request
            let sandbox = try await dashboard.socketSandbox(request, socket.requestContext)
            let size = TerminalBridge.size(rows: request.uri.queryParameters.get("rows"), cols: request.uri.queryParameters.get("cols"))
            try await TerminalBridge.run(sandbox, size: size, inbound: inbound, outbound: outbound)
        }
    }

    static func vendorReady(_ resources: DashboardResources) -> Bool {
        guard let folder = resources.vendorFolder else { return false }
        return ["xterm.js", "xterm.css"].allSatisfy { FileManager.default.fileExists(atPath: folder + "/" + $0) }
    }
}

extension Dashboard {
    /// The live sandbox a WebSocket handshake asks for, if it may have it: the handshake comes
    /// from a page of this server (browsers always name the page's origin in one; one without is
    /// no page of ours), with a live session of an admin. Refusals are ``ServerError``s, as the
    /// upgrade router's error middleware expects (the caller's mistake, not a server failure).
    func socketSandbox(_ request: Request, _ context: ServerRequestContext) async throws -> any SandboxInstance {
        guard let name = HTTPField.Name("Origin"), request.headers[name] != nil else {
            throw ServerError(.forbidden, "a terminal opens only from the dashboard's own pages (no Origin)")
        }
        do {
            try Self.checkOrigin(request)
        } catch {
            throw ServerError(.forbidden, "a terminal opens only from the dashboard's own pages (\(error))")
        }
        guard let visit = visit(request) else { throw ServerError(.unauthorized, "sign in to the dashboard first") }
        guard visit.tenant == nil, let sandboxes else { throw ServerError(.forbidden, "only an admin key opens a sandbox's terminal") }
        return try await sandboxes.instance(id: context.parameters.get("id") ?? "", keyID: nil)
    }
}
