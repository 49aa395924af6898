import DockerEngine
import Foundation
import HTTPTransport
import Logging
import Sandbox
import Store
import Testing

@testable import Server
@testable import ServerCompat
@testable import ServerCore

/// Real-engine fixtures. No skip path: without an engine these tests fail.
enum DockerServerFixture {
    /// A fresh data folder (so a fresh server id: only this test's containers carry its label).
    static func dataDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("sc-server-\(UUID().uuidString)").path
    }

    static func configuration(
        dataDirectory: String, open: Bool = true, _ adjust: (inout ServerConfiguration) -> Void = { _ in }
    ) -> ServerConfiguration {
        ServerFixture.configuration(open: open) {
            $0.dataDirectory = dataDirectory
            $0.reapIntervalSeconds = 0.5
            adjust(&$0)
        }
    }

    /// Runs `body` against a server on the real engine; afterwards removes whatever carries this
    /// server's label and fails the test if anything was left behind by `body`.
    static func with<T>(
        dataDirectory: String = dataDirectory(), open: Bool = true, expectNoLeaks: Bool = true, keepData: Bool = false,
        adjust: (inout ServerConfiguration) -> Void = { _ in },
        _ body: (LiveServer) async throws -> T
    ) async throws -> T {
        let configuration = configuration(dataDirectory: dataDirectory, open: open, adjust)
        let dependencies = try await ServerDependencies.production(configuration, logger: Logger(label: "test"))
        let result = try await ServerFixture.with(configuration, dependencies, body)
        if expectNoLeaks {
            let leaked = try await sweep(serverID: dependencies.serverID)
            #expect(leaked.isEmpty, "containers left behind: \(leaked)")
        }
        if !keepData { try? FileManager.default.removeItem(atPath: dataDirectory) }
        return result
    }

    /// Removes this server's containers; returns the ids it found.
    @discardableResult
    static func sweep(serverID: String) async throws -> [String] {
        let docker = try await DockerClient.connect()
        let containers = try await docker.listContainers(all: true, filters: .labels(["\(SandcastleLabels.server)=\(serverID)"]))
        for container in containers { try? await docker.removeContainer(id: container.id, force: true, removeVolumes: true) }
        return containers.map(\.id)
    }

    static func serverID(dataDirectory: String) throws -> String {
        try String(contentsOfFile: dataDirectory + "/server-id", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// A minimal WebSocket client over an upgraded stream (client frames masked, RFC 6455).
final class WebSocketTestClient: Sendable {
    let stream: UpgradedStream

    init(client: HTTPClient, path: String) async throws {
        var key = [UInt8](repeating: 0, count: 16)
        for index in key.indices { key[index] = UInt8.random(in: 0...255) }
        stream = try await client.upgrade(
            HTTPRequest(
                method: .get, path: path,
                headers: [
                    "Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
                    "Sec-WebSocket-Key": Data(key).base64EncodedString(),
                ]))
    }

    enum Message: Equatable {
        case text(String)
        case binary([UInt8])
        case close
    }

    func send(text: String) async throws { try await send(opcode: 0x1, Array(text.utf8)) }
    func send(binary: [UInt8]) async throws { try await send(opcode: 0x2, binary) }

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
    func read(until done: ([Message]) -> Bool) async throws -> [Message] {
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

    func close() { stream.close() }
}
