import Foundation
import HummingbirdWebSocket
import NIOCore
import Sandbox

/// One interactive shell in a sandbox carried over a WebSocket, the wire format of every
/// terminal endpoint (the native `/v1/sandboxes/{id}/terminal` and the dashboard's): binary
/// frames carry PTY bytes both ways; a text frame `{"type":"resize","rows":R,"cols":C}` resizes
/// the terminal; when the shell exits the server sends `{"type":"exit","exit_code":N}`.
///
/// Written once so the endpoints cannot drift apart: they differ only in who may open a
/// terminal, never in what a terminal does.
package enum TerminalBridge {
    /// The largest frame read from the browser or client (a paste of 1 MiB still fits).
    static let maxFrameBytes = 1 << 20

    /// The terminal size a request asks for in `?rows=R&cols=C` (24×80 when absent or invalid).
    package static func size(rows: String?, cols: String?) -> TerminalSize {
        TerminalSize(rows: rows.flatMap(UInt16.init) ?? 24, columns: cols.flatMap(UInt16.init) ?? 80)
    }

    /// Opens a shell in `sandbox` and relays until either side ends: the client closing the
    /// socket hangs the shell up; the shell exiting sends the exit frame.
    package static func run(
        _ sandbox: any SandboxInstance, size: TerminalSize, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter
    ) async throws {
        let process = try await sandbox.openTerminal(TerminalRequest(size: size))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for try await message in inbound.messages(maxSize: maxFrameBytes) {
                    switch message {
                    case .binary(let buffer):
                        try await process.write(Array(buffer.readableBytesView))
                    case .text(let text):
                        guard let control = try? JSONDecoder().decode(Control.self, from: Data(text.utf8)) else { continue }
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

    /// A text frame from the client.
    struct Control: Decodable {
        var type: String
        var rows: UInt16?
        var cols: UInt16?
    }
}
