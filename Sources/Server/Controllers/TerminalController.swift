import Foundation
import Hummingbird
import HummingbirdWebSocket
import NIOCore
import Sandbox
import ServerCore

/// `GET /v1/sandboxes/{id}/terminal` upgraded to a WebSocket: binary frames carry PTY bytes
/// both ways; a text frame `{"type":"resize","rows":R,"cols":C}` resizes the terminal. When the
/// shell exits the server sends `{"type":"exit","exit_code":N}` and closes. The session itself is
/// ``TerminalBridge``'s, shared with the dashboard's terminal (which differs only in its door:
/// the session cookie and Origin instead of an API key).
struct TerminalController {
    static let path = "/v1/sandboxes/:id/terminal"
    let service: SandboxService

    func register(_ routes: RouteTable, webSocketRouter: Router<ServerRequestContext>) {
        let service = self.service
        // Without an upgrade the path exists but cannot be served over plain HTTP.
        routes.add(.get, Self.path) { _, _ in
            throw ServerError(.invalidInput, "this route is a WebSocket: connect with an Upgrade: websocket request")
        }
        webSocketRouter.ws(RouterPath(Self.path)) { _, context in
            // Resolve before upgrading, so unknown/expired sandboxes get a JSON error, not a dead socket.
            _ = try await service.instance(id: try HTTP.id(context), keyID: context.apiKeyID)
            return .upgrade([:])
        } onUpgrade: { inbound, outbound, wsContext in
            let context = wsContext.requestContext
            let request = wsContext.request
            let sandbox = try await service.instance(id: try HTTP.id(context), keyID: context.apiKeyID)
            let size = TerminalBridge.size(rows: request.uri.queryParameters.get("rows"), cols: request.uri.queryParameters.get("cols"))
            try await TerminalBridge.run(sandbox, size: size, inbound: inbound, outbound: outbound)
        }
    }
}
