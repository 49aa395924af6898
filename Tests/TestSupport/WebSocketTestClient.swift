import Foundation
import HTTPTransport

/// A minimal WebSocket client over an upgraded stream (client frames masked, RFC 6455).
public final class WebSocketTestClient: Sendable {
    public let stream: UpgradedStream

    /// Opens `path` on `client`'s server; `headers` go along with the handshake's own (a
    /// dashboard socket needs its session cookie and `Origin`).
    public init(client: HTTPClient, path: String, headers extra: [(String, String)] = []) async throws {
        var key = [UInt8](repeating: 0, count: 16)
        for index in key.indices { key[index] = UInt8.random(in: 0...255) }
        var headers: HTTPHeaders = [
            "Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": Data(key).base64EncodedString(),
        ]
        for (name, value) in extra { headers.add(name, value) }
        stream = try await client.upgrade(HTTPRequest(method: .get, path: path, headers: headers))
    }

    public enum Message: Equatable, Sendable {
        case text(String)
        case binary([UInt8])
        case close
    }

    public func send(text: String) async throws { try await send(opcode: 0x1, Array(text.utf8)) }
    public func send(binary: [UInt8]) async throws { try await send(opcode: 0x2, binary) }

    private func send(opcode: UInt8, _ payload: [UInt8]) async throws {
        var frame: [UInt8] = [0x80 | opcode]
        if payload.count < 126 {
            frame.append(0x80 | UInt8(payload.count))
        } else {
            frame.append(0x80 | 126)
            frame += [UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        }
        let mask = (0..<4).map { _ in UInt8.random(in: 0...255) }
        frame += mask
        frame += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        try await stream.write(frame)
    }

    /// Reads messages until `until` returns true for the accumulated list (or the socket closes).
    public func read(until done: ([Message]) -> Bool) async throws -> [Message] {
        var buffer: [UInt8] = []
        var messages: [Message] = []
        for try await chunk in stream.inbound {
            buffer += chunk
            while let (message, used) = Self.parse(buffer) {
                buffer.removeFirst(used)
                messages.append(message)
                if message == .close || done(messages) { return messages }
            }
        }
        return messages
    }

    static func parse(_ b: [UInt8]) -> (Message, Int)? {
        guard b.count >= 2 else { return nil }
        let opcode = b[0] & 0x0F
        var length = Int(b[1] & 0x7F)
        var offset = 2
        if length == 126 {
            guard b.count >= 4 else { return nil }
            length = Int(b[2]) << 8 | Int(b[3])
            offset = 4
        } else if length == 127 {
            guard b.count >= 10 else { return nil }
            length = b[2..<10].reduce(0) { $0 << 8 | Int($1) }
            offset = 10
        }
        guard b.count >= offset + length else { return nil }
        let payload = Array(b[offset..<offset + length])
        switch opcode {
        case 0x1: return (.text(String(decoding: payload, as: UTF8.self)), offset + length)
        case 0x2: return (.binary(payload), offset + length)
        case 0x8: return (.close, offset + length)
        default: return (.binary([]), offset + length)
        }
    }

    public func close() { stream.close() }
}
