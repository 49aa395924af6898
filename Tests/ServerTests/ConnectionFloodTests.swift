import Foundation
import HTTPTransport
import TestSupport
import Testing

@testable import ServerCore

/// The built `sandcastle serve` as a child process with a lowered file limit, flooded over
/// real sockets with more connections than that limit: the issue's attack, run in CI.
@Suite(.timeLimit(.minutes(5)))
struct ConnectionFloodTests {
    static let key = "flood-test-key-0123456789"

    @Test func healthAndCreateKeepAnsweringWhileAFloodOverTheFileLimitIsHeld() async throws {
        let data = DockerServerFixture.dataDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        // Held connections would otherwise be cut by the head timeout; the cap alone must protect.
        let server = try await LimitedServe.start(
            fileLimit: "256:256", dataDirectory: data, arguments: ["--api-key", Self.key, "--request-head-timeout", "600"])
        defer { server.stop() }

        // More connections than the server may have files open, all from one client address
        // (127.0.0.2: Linux routes all of 127/8 to loopback); every other one sends half a head.
        let floodSize = 300
        var flood: [RawConnection] = []
        for index in 0..<floodSize {
            guard let connection = try? await RawConnection.open(port: server.port, from: "127.0.0.2", within: .seconds(2)) else { continue }
            if index.isMultiple(of: 2) { try? await connection.send("POST /v1/sandboxes HTTP/1.1\r\nHost: x\r\nContent-") }
            flood.append(connection)
        }
        #expect(flood.count > 256, "only \(flood.count) of \(floodSize) connections were made: no flood")

        // While the flood is held, another client is answered promptly (5 s is the bound a
        // loaded machine needs, not a figure: it answers in milliseconds, and not at all before
        // the guard)...
        let client = try HTTPClient(endpoint: .http(host: "127.0.0.1", port: server.port))
        for _ in 0..<5 {
            let health = try? await client.send(HTTPRequest(method: .get, path: "/health", timeout: .seconds(5)))
            #expect(health?.status == 200, "/health did not answer within 5 s while the flood was held")
        }
        // ...and can create a sandbox with its key.
        let authorization: HTTPHeaders = ["Authorization": "Bearer \(Self.key)", "Content-Type": "application/json"]
        let created = try? await client.send(
            HTTPRequest(
                method: .post, path: "/v1/sandboxes", headers: authorization, body: .bytes(Array("{}".utf8)),
                timeout: .seconds(60)))
        #expect(created?.status == 201, "\(created?.bodyText ?? "no answer")")
        if let body = created?.body, let id = (try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])?["id"] as? String {
            let deleted = try await client.send(
                HTTPRequest(method: .delete, path: "/v1/sandboxes/\(id)", headers: authorization, timeout: .seconds(60)))
            #expect(deleted.status == 200)
        }

        // The flood is still held: the first connections up to the cap are open, the rest were
        // refused (429) and closed at once.
        let outcomes = try await withThrowingTaskGroup(of: RawConnection.Received.self) { group in
            for connection in flood {
                group.addTask { try await connection.readUntilClosed(within: .seconds(3)) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let held = outcomes.filter { !$0.closed && $0.bytes.isEmpty }.count
        let refused = outcomes.filter { $0.closed && $0.status == 429 }.count
        #expect(held == ServerConfiguration().maxConnectionsPerClient, "held \(held), refused \(refused) of \(flood.count)")
        #expect(held + refused == flood.count)
        for connection in flood { connection.close() }
        #expect(try await client.send(HTTPRequest(method: .get, path: "/health", timeout: .seconds(10))).status == 200)
        try await server.terminate()
        try await DockerServerFixture.sweep(serverID: DockerServerFixture.serverID(dataDirectory: data))
    }

    @Test func serveRaisesItsOpenFileLimitToTheHardLimit() async throws {
        let data = DockerServerFixture.dataDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let server = try await LimitedServe.start(fileLimit: "256:1024", dataDirectory: data, arguments: ["--open"])
        defer { server.stop() }
        #expect(server.startupLog.contains("open-file limit 1024 (raised from 256)"), "\(server.startupLog)")
        let limits = try String(contentsOfFile: "/proc/\(server.process.processIdentifier)/limits", encoding: .utf8)
        let line = limits.split(separator: "\n").first { $0.hasPrefix("Max open files") } ?? ""
        #expect(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst(3).prefix(2) == ["1024", "1024"], "\(line)")
        try await server.terminate()
    }
}

/// `sandcastle serve` (the debug build next to the tests) started through `prlimit` on a free port.
struct LimitedServe: @unchecked Sendable {
    let process: Process
    let port: Int
    /// Standard error up to the line that announced the port.
    let startupLog: String

    static func start(fileLimit: String, dataDirectory: String, arguments: [String]) async throws -> LimitedServe {
        try await offThePool { try LimitedServe(fileLimit: fileLimit, dataDirectory: dataDirectory, arguments: arguments) }
    }

    private init(fileLimit: String, dataDirectory: String, arguments: [String]) throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let binary = root.appendingPathComponent(".build/debug/sandcastle").path
        let process = Process()
        // prlimit sets the limits and then executes the server in its own place (same pid).
        process.executableURL = URL(fileURLWithPath: "/usr/bin/prlimit")
        process.arguments =
            ["--nofile=\(fileLimit)", "--", binary, "serve", "--port", "0", "--data-dir", dataDirectory, "--no-resume-runs"]
            + arguments
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        var text = ""
        let handle = stderr.fileHandleForReading
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let data = handle.availableData
            if data.isEmpty { break }
            text += String(decoding: data, as: UTF8.self)
            if let range = text.range(of: #"listening on http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                self.process = process
                self.port = Int(text[range].split(separator: ":").last ?? "") ?? 0
                self.startupLog = text
                // Keep draining stderr so the child never blocks on a full pipe.
                Thread.detachNewThread { while !handle.availableData.isEmpty {} }
                return
            }
        }
        process.terminate()
        throw ServerError(.internal, "sandcastle serve did not start: \(text)")
    }

    /// SIGTERM and wait for the exit.
    func terminate() async throws {
        let process = SendableProcess(self.process)
        guard process.process.isRunning else { return }
        process.process.terminate()
        try await process.waitUntilExit()
    }

    /// SIGTERM without waiting (for a test that failed half-way); nothing once it has exited.
    func stop() {
        if process.isRunning { process.terminate() }
    }
}
