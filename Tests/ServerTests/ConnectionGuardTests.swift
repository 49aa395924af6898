import Foundation
import HTTPTransport
import TestSupport
import Testing

@testable import Server
@testable import ServerCore

/// The connection guard against a live server over real sockets, spoken to byte by byte as a
/// hostile client would: the head size limit, the idle, head and body timeouts, the per-client
/// cap, and the long legitimate exchanges none of them may cut.
///
/// A test that races a timer speaks through ``RawConnection/exchange(port:from:_:)``: its steps
/// follow each other on a thread of their own, so a client that waits for a cooperative thread
/// (seconds, in the whole suite on two cores) never looks silent to a 2 s server timer. Tests
/// that race no timer keep the server's default timeouts.
@Suite(.timeLimit(.minutes(3)))
struct ConnectionGuardTests {
    /// Short enough to wait for, long enough that a loaded machine does not trip them by accident.
    static let timeout = 2.0

    /// - Parameter shortTimeouts: sets the idle, head and body timeouts to ``timeout``; false
    ///   keeps the defaults (20 s and more).
    static func withServer<T>(
        backend: FakeBackend = FakeBackend(), shortTimeouts: Bool = true,
        _ adjust: (inout ServerConfiguration) -> Void = { _ in }, _ body: (LiveServer) async throws -> T
    ) async throws -> T {
        let configuration = ServerFixture.configuration(open: true) {
            if shortTimeouts {
                $0.idleTimeoutSeconds = timeout
                $0.requestHeadTimeoutSeconds = timeout
                $0.requestBodyTimeoutSeconds = timeout
            }
            adjust(&$0)
        }
        return try await ServerFixture.with(configuration, ServerFixture.fake(backend), body)
    }

    static func errorCode(_ received: RawConnection.Received) -> String? {
        guard let body = received.body, let data = body.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return nil }
        return (object["error"] as? [String: Any])?["code"] as? String
    }

    static func createSandbox(_ s: LiveServer) async throws -> String {
        let created = try await s.call(.post, "/v1/sandboxes", json: "{}")
        return try #require(created.body["id"] as? String, "\(created.text)")
    }

    // MARK: The head size limit

    @Test func aHeadOverTheLimitIsAnswered431ThenClosed() async throws {
        try await Self.withServer(shortTimeouts: false) { s in
            let connection = try await RawConnection.open(port: s.port)
            let huge = String(repeating: "a", count: 200 * 1024)
            try await connection.send("GET /health HTTP/1.1\r\nHost: x\r\nX-Padding: \(huge)\r\n\r\n")
            let received = try await connection.readUntilClosed(within: .seconds(20))
            #expect(received.status == 431, "\(received.text.prefix(300))")
            #expect(Self.errorCode(received) == "request_head_too_large")
            #expect(received.closed, "the connection is closed after the answer")
        }
    }

    @Test func aHeadOverTheLimitOnAKeptAliveConnectionIsAnswered431ThenClosed() async throws {
        try await Self.withServer(shortTimeouts: false, { $0.maxRequestHeadBytes = 4096 }) { s in
            let connection = try await RawConnection.open(port: s.port)
            try await connection.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            let first = try await connection.readResponse()
            #expect(first.status == 200, "\(first.text)")
            // Over the configured limit, far under NIO's default one.
            let padding = String(repeating: "b", count: 8 * 1024)
            try await connection.send("GET /health?\(padding) HTTP/1.1\r\nHost: x\r\n\r\n")
            let second = try await connection.readUntilClosed(within: .seconds(20))
            #expect(second.status == 431, "\(second.text.prefix(300))")
            #expect(Self.errorCode(second) == "request_head_too_large")
            #expect(second.closed)
        }
    }

    // MARK: Timeouts

    @Test func aConnectionThatSendsNothingIsClosedAfterTheHeadTimeout() async throws {
        try await Self.withServer { s in
            // Taken before the connection exists, so the server's clock cannot have started earlier.
            let opening = ContinuousClock.now
            let connection = try await RawConnection.open(port: s.port)
            let received = try await connection.readUntilClosed(within: .seconds(20))
            #expect(received.closed, "still open after 20 s")
            #expect(received.bytes.isEmpty, "nothing was asked, nothing is answered: \(received.text)")
            #expect(ContinuousClock.now - opening >= .seconds(Self.timeout - 0.05), "closed by the head timeout, not before")
        }
    }

    @Test func halfARequestHeadIsAnswered408ThenClosedAfterTheHeadTimeout() async throws {
        try await Self.withServer { s in
            let reads = try await RawConnection.exchange(
                port: s.port, [.send("GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: "), .readUntilClosed(within: .seconds(20))])
            let received = try #require(reads.first)
            #expect(received.status == 408, "\(received.text)")
            #expect(Self.errorCode(received) == "request_timeout")
            #expect(received.closed)
        }
    }

    @Test func anIdleKeptAliveConnectionIsClosedAfterTheIdleTimeout() async throws {
        try await Self.withServer({ $0.idleTimeoutSeconds = 3 }) { s in
            // Taken before the request, so the server's idle clock cannot have started earlier.
            let asked = ContinuousClock.now
            let reads = try await RawConnection.exchange(
                port: s.port,
                [
                    .send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"), .readResponse(within: .seconds(30)),
                    .readUntilClosed(within: .seconds(20)),
                ])
            try #require(reads.count == 2)
            #expect(reads[0].status == 200, "\(reads[0].text)")
            let received = reads[1]
            #expect(received.closed, "still open after 20 s idle")
            #expect(received.bytes.isEmpty, "an idle close says nothing: \(received.text)")
            #expect(ContinuousClock.now - asked >= .seconds(2.95), "the idle timeout (3 s), not the head timeout (2 s)")
        }
    }

    @Test func aStalledBodyIsAnswered408AndNothingOfItIsStored() async throws {
        try await Self.withServer { s in
            let id = try await Self.createSandbox(s)
            let reads = try await RawConnection.exchange(
                port: s.port,
                [
                    .send(
                        "PUT /v1/sandboxes/\(id)/files/content?path=/workspace/stalled HTTP/1.1\r\nHost: x\r\n"
                            + "Content-Length: 1000\r\n\r\n" + String(repeating: "x", count: 10)),
                    .readUntilClosed(within: .seconds(20)),
                ])
            let received = try #require(reads.first)
            #expect(received.status == 408, "\(received.text)")
            #expect(Self.errorCode(received) == "request_timeout")
            #expect(received.closed)
            // A cut body must fail its upload, never pass for the whole file.
            let stat = try await s.call(.get, "/v1/sandboxes/\(id)/files/stat?path=/workspace/stalled")
            #expect(stat.status == 404, "\(stat.text)")
        }
    }

    // MARK: What must not be cut

    @Test func aSlowButSteadyUploadIsNotCut() async throws {
        try await Self.withServer { s in
            let id = try await Self.createSandbox(s)
            let chunks = 12
            let chunk = String(repeating: "s", count: 1000)
            let head = RawConnection.Step.send(
                "PUT /v1/sandboxes/\(id)/files/content?path=/workspace/slow HTTP/1.1\r\nHost: x\r\n"
                    + "Content-Length: \(chunks * chunk.utf8.count)\r\n\r\n")
            // 3.6 s in all, longer than every timeout; never 2 s without a byte.
            let body = (0..<chunks).flatMap { _ in [RawConnection.Step.pause(.milliseconds(300)), .send(chunk)] }
            let reads = try await RawConnection.exchange(port: s.port, [head] + body + [.readResponse(within: .seconds(30))])
            let received = try #require(reads.first)
            #expect(received.status == 201, "\(received.text)")
            let stat = try await s.call(.get, "/v1/sandboxes/\(id)/files/stat?path=/workspace/slow")
            #expect(stat.body["size"] as? Int == chunks * chunk.utf8.count, "\(stat.text)")
        }
    }

    /// The server stops reading while the sandbox is slow to take an upload: that wait is the
    /// server's, and the body timeout must not count it.
    @Test func anUploadToASlowSandboxIsNotCut() async throws {
        try await Self.withServer(backend: FakeBackend(writeDelay: .seconds(5))) { s in
            let id = try await Self.createSandbox(s)
            let size = 8 << 20
            let response = try await s.client.send(
                HTTPRequest(
                    method: .put, path: "/v1/sandboxes/\(id)/files/content?path=/workspace/big",
                    body: .bytes([UInt8](repeating: 7, count: size)), timeout: .seconds(60)))
            #expect(response.status == 201, "\(response.bodyText)")
            let stat = try await s.call(.get, "/v1/sandboxes/\(id)/files/stat?path=/workspace/big")
            #expect(stat.body["size"] as? Int == size, "\(stat.text)")
        }
    }

    @Test func aLongExecAndAnEventStreamOutliveEveryTimeout() async throws {
        let backend = FakeBackend { command in
            command == "slow" ? FakeReply(chunks: [(.zero, "begun\n")], tail: .seconds(5)) : FakeReply(chunks: [(.zero, "ok\n")])
        }
        try await Self.withServer(backend: backend) { s in
            let id = try await Self.createSandbox(s)
            // A JSON exec: the server computes for 5 s and then answers on the same connection,
            // which stays usable.
            let json = #"{"command":"slow","timeout_ms":30000}"#
            let reads = try await RawConnection.exchange(
                port: s.port,
                [
                    .send(
                        "POST /v1/sandboxes/\(id)/exec HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                            + "Content-Length: \(json.utf8.count)\r\n\r\n\(json)"),
                    .readResponse(within: .seconds(30)),
                    .send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"), .readResponse(within: .seconds(30)),
                ])
            try #require(reads.count == 2)
            #expect(reads[0].status == 200, "\(reads[0].text)")
            #expect(reads[0].text.contains("begun"))
            #expect(reads[1].status == 200, "the connection stays usable: \(reads[1].text)")

            let events = try await SSE.collect(s, sandboxID: id, json: json)
            #expect(events.first?.name == "stdout")
            #expect(events.last?.name == "exit", "the stream ran to its end: \(events.map(\.name))")
        }
    }

    // MARK: The per-client cap

    @Test func connectionsOverTheClientCapAreRefusedAtOnceAndOtherClientsAreServed() async throws {
        try await Self.withServer({
            $0.maxConnectionsPerClient = 4
            // Held connections must outlast the test's reads.
            $0.requestHeadTimeoutSeconds = 120
        }) { s in
            var flood: [RawConnection] = []
            for _ in 0..<6 { flood.append(try await RawConnection.open(port: s.port, from: "127.0.0.2")) }
            // Which ones the server took first is up to its event loops: read them all at once.
            let outcomes = try await withThrowingTaskGroup(of: RawConnection.Received.self) { group in
                for connection in flood {
                    group.addTask { try await connection.readUntilClosed(within: .seconds(5)) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let refused = outcomes.filter { $0.status == 429 }
            #expect(refused.count == 2, "\(outcomes.map(\.text))")
            #expect(refused.allSatisfy { Self.errorCode($0) == "too_many_connections" && $0.closed })
            #expect(outcomes.filter { $0.bytes.isEmpty && !$0.closed }.count == 4, "the first four are held")
            // Another client is served meanwhile.
            #expect(try await s.call(.get, "/health").status == 200)
            let metrics = try await s.call(.get, "/metrics")
            #expect(metrics.text.contains(#"sandcastle_connections_closed_total{reason="too_many_connections"} 2"#), "\(metrics.text)")
            // A closed connection gives its place back.
            for connection in flood { connection.close() }
            let admittedAgain = try await eventually(.seconds(30)) {
                let connection = try await RawConnection.open(port: s.port, from: "127.0.0.2")
                try await connection.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
                return try await connection.readResponse(within: .seconds(10)).status == 200
            }
            #expect(admittedAgain)
        }
    }
}
