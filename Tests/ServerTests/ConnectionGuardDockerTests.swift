import Foundation
import TestSupport
import Testing

@testable import Server
@testable import ServerCore

/// The long legitimate connections no timeout may cut, on the real engine: a quiet terminal
/// WebSocket and a download to a slow reader, each longer than every timeout.
@Suite(.timeLimit(.minutes(3)))
struct ConnectionGuardDockerTests {
    static func withServer(_ body: (LiveServer) async throws -> Void) async throws {
        try await DockerServerFixture.with(adjust: {
            $0.idleTimeoutSeconds = ConnectionGuardTests.timeout
            $0.requestHeadTimeoutSeconds = ConnectionGuardTests.timeout
            $0.requestBodyTimeoutSeconds = ConnectionGuardTests.timeout
        }) { s in try await body(s) }
    }

    @Test func aQuietTerminalOutlivesEveryTimeout() async throws {
        try await Self.withServer { s in
            let id = try #require(try await s.call(.post, "/v1/sandboxes", json: "{}").body["id"] as? String)
            let socket = try await WebSocketTestClient(client: s.client, path: "/v1/sandboxes/\(id)/terminal")
            #expect(socket.stream.status == 101)
            try await socket.send(binary: Array("echo first-$((6*7))\n".utf8))
            _ = try await socket.read { DockerAPITests.text($0).contains("first-42") }
            // Quiet for more than twice every timeout: a person reading the screen.
            try await Task.sleep(for: .seconds(ConnectionGuardTests.timeout * 2.5))
            try await socket.send(binary: Array("echo still-$((6*7))\n".utf8))
            let seen = try await socket.read { DockerAPITests.text($0).contains("still-42") }
            #expect(DockerAPITests.text(seen).contains("still-42"), "the terminal still answers: \(seen)")
            socket.close()
            #expect(try await s.call(.delete, "/v1/sandboxes/\(id)").status == 200)
        }
    }

    @Test func aDownloadToASlowReaderIsNotCut() async throws {
        try await Self.withServer { s in
            let id = try #require(try await s.call(.post, "/v1/sandboxes", json: "{}").body["id"] as? String)
            let size = 16 << 20
            let made = try await s.call(.post, "/v1/sandboxes/\(id)/exec", json: #"{"command":"head -c \#(size) /dev/zero > /workspace/big"}"#)
            #expect(made.status == 200, "\(made.text)")
            let connection = try await RawConnection.open(
                port: s.port, receiveBuffer: 64 << 10,
                sending: "GET /v1/sandboxes/\(id)/files/content?path=/workspace/big HTTP/1.1\r\nHost: x\r\n\r\n")
            // 1 MiB per 0.4 s: about 6 s for the whole file, longer than every timeout.
            var received: [UInt8] = []
            let started = ContinuousClock.now
            while !RawConnection.isCompleteResponse(received) {
                let before = received.count
                let part = try await connection.read(within: .seconds(30)) { $0.count >= 1 << 20 }
                received += part.bytes
                let complete = RawConnection.isCompleteResponse(received)
                #expect(!part.closed || complete, "cut after \(received.count) bytes: \(part.closing)")
                if part.closed || received.count == before { break }
                try await Task.sleep(for: .milliseconds(400))
            }
            let complete = RawConnection.isCompleteResponse(received)
            #expect(complete, "\(received.count) bytes")
            #expect(String(decoding: received.prefix(12), as: UTF8.self) == "HTTP/1.1 200")
            #expect(ContinuousClock.now - started > .seconds(ConnectionGuardTests.timeout), "slower than the timeouts")
            #expect(try await s.call(.delete, "/v1/sandboxes/\(id)").status == 200)
        }
    }
}
