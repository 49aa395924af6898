import Foundation
import Hummingbird
import HummingbirdWebSocket
import NIOCore
import Sandbox
import ServerCore

/// `GET /v1/sandboxes/{id}/terminal` upgraded to a WebSocket: binary frames carry PTY bytes
/// both ways; a text frame `{"type":"resize","rows":R,"cols":C}` resizes the terminal. When the
/// shell exits the server sends `{"type":"exit","exit_code":N}` and closes.
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
            let rows = request.uri.queryParameters.get("rows").flatMap(UInt16.init) ?? 24
            let cols = request.uri.queryParameters.get("cols").flatMap(UInt16.init) ?? 80
            let process = try await sandbox.openTerminal(TerminalRequest(size: TerminalSize(rows: rows, columns: cols)))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await message in inbound.messages(maxSize: 1 << 20) {
                        switch message {
                        case .binary(let buffer):
                            try await process.write(Array(buffer.readableBytesView))
                        case .text(let text):
                            guard let control = try? JSONDecoder().decode(TerminalControl.self, from: Data(text.utf8)) else {
                                continue
                            }
                            if control.type == "resize", let rows = control.rows, let cols = control.cols {
                                try await process.resize(TerminalSize(rows: rows, columns: cols))
                            }
                        }
                    }
                    // The client closed the socket: end the shell rather than leave it running unseen.
                    try? await process.signal(SIGHUP)
                    try? await process.cancel()
                }
                group.addTask {
                    var exitCode: Int32 = -1
                    for try await event in process.events {
                        switch event {
                        case .output(_, let bytes): try await outbound.write(.binary(ByteBuffer(bytes: bytes)))
                        case .finished(let result): exitCode = result.exitCode
                        case .started: continue
                        }
                    }
                    try await outbound.write(.text(#"{"type":"exit","exit_code":\#(exitCode)}"#))
                }
                // Whichever side ends first ends the session.
                try await group.next()
                group.cancelAll()
            }
        }
    }

    struct TerminalControl: Decodable {
        var type: String
        var rows: UInt16?
        var cols: UInt16?
    }
}
