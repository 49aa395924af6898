import DockerEngine
import Foundation
import HTTPTransport
import Logging
import Sandbox
import SandboxDocker
import Synchronization
import TestSupport
import Testing

@testable import Server
@testable import ServerCompat
@testable import ServerCore

/// Restart safety against the real engine: re-adopt what still runs, explain what does not,
/// remove what nobody owns.
@Suite(.timeLimit(.minutes(5)))
struct RestartTests {
    @Test func aRestartReadoptsLiveSandboxesReportsDeadOnesAndRemovesOrphans() async throws {
        let data = DockerServerFixture.dataDirectory()
        let docker = try await DockerClient.connect()
        // First life: three sandboxes, then the server stops (sandboxes keep running by design).
        let ids: [String] = try await DockerServerFixture.with(dataDirectory: data, expectNoLeaks: false, keepData: true) { s in
            var ids: [String] = []
            for _ in 0..<3 {
                let created = try await s.call(.post, "/v1/sandboxes", json: "{}")
                ids.append(try #require(created.body["id"] as? String))
            }
            _ = try await s.call(.post, "/v1/sandboxes/\(ids[0])/exec", json: #"{"command":"echo state > /workspace/kept"}"#)
            return ids
        }
        let serverID = try DockerServerFixture.serverID(dataDirectory: data)
        let containers = try await docker.listContainers(all: true, filters: .labels(["\(SandcastleLabels.server)=\(serverID)"]))
        #expect(containers.count == 3, "the stopped server left its sandboxes running")
        func container(of id: String) -> String? {
            containers.first { $0.labels?[SandcastleLabels.sandbox] == id }?.id
        }
        // While it is down: one container is killed, one removed, and an orphan appears.
        try await docker.killContainer(id: try #require(container(of: ids[1])))
        try await docker.removeContainer(id: try #require(container(of: ids[2])), force: true, removeVolumes: true)
        let backend = try await DockerSandboxBackend.fromEnvironment()
        let orphan = try await backend.createSandbox(SandboxSpec(labels: [SandcastleLabels.server: serverID]))

        // Second life on the same data folder.
        try await DockerServerFixture.with(dataDirectory: data) { s in
            let adopted = try await s.call(.get, "/v1/sandboxes/\(ids[0])")
            #expect(adopted.body["status"] as? String == "running")
            let exec = try await s.call(.post, "/v1/sandboxes/\(ids[0])/exec", json: #"{"command":"cat /workspace/kept"}"#)
            #expect(exec.body["stdout"] as? String == "state\n", "re-adopted with its workspace: \(exec.text)")
            for (id, reason) in [(ids[1], "stopped"), (ids[2], "disappeared")] {
                let record = try await s.call(.get, "/v1/sandboxes/\(id)")
                #expect(record.body["status"] as? String == "gone")
                #expect((record.body["status_reason"] as? String)?.contains(reason) == true, "\(record.text)")
                let dead = try await s.call(.post, "/v1/sandboxes/\(id)/exec", json: #"{"command":"true"}"#)
                #expect(dead.status == 410)
                #expect(s.errorCode(dead.body) == "sandbox_gone")
            }
            let left = try await docker.listContainers(all: true, filters: .labels(["\(SandcastleLabels.server)=\(serverID)"]))
            #expect(left.map(\.id) == [try #require(container(of: ids[0]))], "only the adopted sandbox remains")
            _ = orphan
            #expect(try await s.call(.delete, "/v1/sandboxes/\(ids[0])").status == 200)
        }
    }

    @Test func oneServerPerDataFolder() async throws {
        let data = DockerServerFixture.dataDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let configuration = DockerServerFixture.configuration(dataDirectory: data)
        let first = try await ServerDependencies.production(configuration, logger: Logger(label: "test"))
        await #expect(throws: ServerError.self) {
            _ = try await ServerDependencies.production(configuration, logger: Logger(label: "test"))
        }
        withExtendedLifetime(first) {}
    }

    /// Open event streams (the `/api` feed, a run's stream, a dashboard page's) end when the
    /// server is asked to stop: SIGTERM is not held up by clients that stay connected.
    @Test func sigtermEndsOpenEventStreams() async throws {
        let data = DockerServerFixture.dataDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let server = try await ServeProcess.start(dataDirectory: data, arguments: [])
        let client = try HTTPClient(endpoint: .http(host: "127.0.0.1", port: server.port))
        var streams: [HTTPStreamingResponse] = []
        for path in ["/api/events", "/ui/stream?scope=runs"] {
            let stream = try await client.stream(HTTPRequest(method: .get, path: path, timeout: .seconds(120)))
            #expect(stream.status == 200, "\(path): \(stream.status)")
            streams.append(stream)
        }
        // Each stream has written its first bytes: the server is inside every one of them.
        for stream in streams {
            var iterator = stream.body.makeAsyncIterator()
            _ = try await iterator.next()
        }
        let started = ContinuousClock.now
        try await server.terminate()
        let took = ContinuousClock.now - started
        #expect(took < .seconds(10), "the server took \(took) to stop with streams open: \(server.log.contents.suffix(2000))")
        for stream in streams { stream.cancel() }
    }

    /// The issue's test: kill -9 the real `sandcastle serve` during activity, restart it, and every
    /// sandbox either works or is reported gone with a clear status; none is leaked.
    @Test func killDashNineDuringActivityThenRestart() async throws {
        let data = DockerServerFixture.dataDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        var child = try await ServeProcess.start(dataDirectory: data)
        var client = try HTTPClient(endpoint: .http(host: "127.0.0.1", port: child.port))
        var ids: [String] = []
        for image in ["base", "base", "python"] {
            let response = try await client.send(
                HTTPRequest(
                    method: .post, path: "/v1/sandboxes",
                    body: .bytes(Array(#"{"image":"\#(image)","ttl_seconds":600}"#.utf8))))
            #expect(response.status == 201, "\(response.bodyText)")
            ids.append(try #require((try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])?["id"] as? String))
        }
        // Activity at the moment of the kill: a streaming command, an upload, and a burst of execs.
        let streaming = try await client.stream(
            HTTPRequest(
                method: .post, path: "/v1/sandboxes/\(ids[0])/exec/stream",
                body: .bytes(Array(#"{"command":"for i in $(seq 100); do echo $i; sleep 0.05; done"}"#.utf8))))
        var chunks = streaming.body.makeAsyncIterator()
        _ = try await chunks.next()
        let activity = Task { [client, ids] in
            for index in 0..<50 {
                _ = try? await client.send(
                    HTTPRequest(
                        method: .post, path: "/v1/sandboxes/\(ids[1])/exec",
                        body: .bytes(Array(#"{"command":"echo \#(index)"}"#.utf8))))
                _ = try? await client.send(
                    HTTPRequest(
                        method: .put, path: "/v1/sandboxes/\(ids[2])/files/content?path=/workspace/f\(index)",
                        body: .bytes([UInt8](repeating: 1, count: 1 << 20))))
            }
        }
        try await Task.sleep(for: .milliseconds(300))
        try await child.kill9()
        activity.cancel()
        _ = await activity.result

        child = try await ServeProcess.start(dataDirectory: data)
        let started = child
        defer { started.process.terminate() }
        client = try HTTPClient(endpoint: .http(host: "127.0.0.1", port: child.port))
        let serverID = try DockerServerFixture.serverID(dataDirectory: data)
        var working = 0
        var fates: [String] = []
        for id in ids {
            let record = try await client.send(HTTPRequest(method: .get, path: "/v1/sandboxes/\(id)"))
            let body = try #require(try JSONSerialization.jsonObject(with: Data(record.body)) as? [String: Any])
            let status = try #require(body["status"] as? String)
            fates.append("\(status) \(body["status_reason"] as? String ?? "")")
            let exec = try await client.send(
                HTTPRequest(
                    method: .post, path: "/v1/sandboxes/\(id)/exec",
                    body: .bytes(Array(#"{"argv":["echo","alive"]}"#.utf8)), timeout: .seconds(30)))
            if status == "running" {
                #expect(exec.status == 200 && exec.bodyText.contains("alive\\n"), "running must mean working: \(exec.bodyText)")
                working += 1
            } else {
                #expect(["gone", "lost"].contains(status), "\(body)")
                #expect((body["status_reason"] as? String)?.isEmpty == false, "a gone sandbox says why")
                #expect(exec.status == 410, "\(exec.bodyText)")
            }
            _ = try await client.send(HTTPRequest(method: .delete, path: "/v1/sandboxes/\(id)"))
        }
        // SIGTERM: the pool drains; sandboxes were deleted above. Nothing of this server may remain.
        try await child.terminate()
        let docker = try await DockerClient.connect()
        let left = try await docker.listContainers(all: true, filters: .labels(["\(SandcastleLabels.server)=\(serverID)"]))
        #expect(left.isEmpty, "no container leaked: \(left.map(\.id))")
        // Either outcome is correct; how many survived is worth seeing in the log.
        print("kill -9 during activity: \(working) of \(ids.count) sandboxes re-adopted: \(fates)")
        try await DockerServerFixture.sweep(serverID: serverID)
    }
}

extension RestartTests {
    /// A command the killed server left running in a sandbox's shell must not hold the shell: after
    /// the restart, an exec with a short timeout answers at once with its own result (it used to
    /// wait behind the orphan, ≥ 30 s here).
    @Test func aReadoptedSandboxsShellIsFreeAtOnceAfterKillDashNine() async throws {
        let data = DockerServerFixture.dataDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        var child = try await ServeProcess.start(dataDirectory: data)
        var client = try HTTPClient(endpoint: .http(host: "127.0.0.1", port: child.port))
        let created = try await client.send(
            HTTPRequest(method: .post, path: "/v1/sandboxes", body: .bytes(Array(#"{"ttl_seconds":600}"#.utf8))))
        #expect(created.status == 201, "\(created.bodyText)")
        let id = try #require((try JSONSerialization.jsonObject(with: Data(created.body)) as? [String: Any])?["id"] as? String)
        // The orphan-to-be: a long command whose first output proves it is running in the shell.
        let streaming = try await client.stream(
            HTTPRequest(
                method: .post, path: "/v1/sandboxes/\(id)/exec/stream",
                body: .bytes(Array(#"{"command":"echo running; sleep 600; touch /workspace/orphan-finished","timeout_ms":900000}"#.utf8))))
        var chunks = streaming.body.makeAsyncIterator()
        var seen = ""
        while !seen.contains("running"), let chunk = try await chunks.next() { seen += String(decoding: chunk, as: UTF8.self) }
        #expect(seen.contains("running"), "\(seen)")
        try await child.kill9()
        streaming.cancel()

        child = try await ServeProcess.start(dataDirectory: data)
        let restarted = child
        defer { restarted.process.terminate() }
        client = try HTTPClient(endpoint: .http(host: "127.0.0.1", port: child.port))
        let record = try await client.send(HTTPRequest(method: .get, path: "/v1/sandboxes/\(id)"))
        #expect(record.bodyText.contains(#""status":"running""#), "re-adopted: \(record.bodyText)")
        // Before, this waited behind `sleep 600`: the client's 30 s ran out first.
        let exec = try await client.send(
            HTTPRequest(
                method: .post, path: "/v1/sandboxes/\(id)/exec",
                body: .bytes(Array(#"{"command":"echo alive","timeout_ms":5000}"#.utf8)), timeout: .seconds(30)))
        // 200 means it ran within its own 5 s, counted from its arrival.
        #expect(exec.status == 200 && exec.bodyText.contains(#""stdout":"alive\n""#), "\(exec.bodyText)")
        let files = try await client.send(
            HTTPRequest(method: .post, path: "/v1/sandboxes/\(id)/exec", body: .bytes(Array(#"{"command":"ls /workspace"}"#.utf8))))
        #expect(!files.bodyText.contains("orphan-finished"), "the orphan was interrupted, not finished: \(files.bodyText)")
        _ = try await client.send(HTTPRequest(method: .delete, path: "/v1/sandboxes/\(id)"))
        try await child.terminate()
        try await DockerServerFixture.sweep(serverID: try DockerServerFixture.serverID(dataDirectory: data))
    }
}

/// `sandcastle serve` (the debug build next to the tests) as a child process on a free port.
struct ServeProcess: @unchecked Sendable {
    let process: Process
    let port: Int
    /// Everything the server wrote to stderr so far, for a failing test to show.
    let log: ServeLog
    var pid: Int32 { process.processIdentifier }

    /// - Parameter arguments: what `serve` gets beyond keyless mode, a free port and the data folder.
    init(dataDirectory: String, arguments: [String]) throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        // SANDCASTLE=path runs another build (the release binary, for its figures), as the compat scripts do.
        let binary =
            ProcessInfo.processInfo.environment["SANDCASTLE"].map { URL(fileURLWithPath: $0) }
            ?? root.appendingPathComponent(".build/debug/sandcastle")
        let process = Process()
        process.executableURL = binary
        process.arguments = ["serve", "--open", "--port", "0", "--data-dir", dataDirectory] + arguments
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // The server announces its port on one line; read until it does (or exits).
        var text = ""
        let handle = stderr.fileHandleForReading
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let data = handle.availableData
            if data.isEmpty { break }
            text += String(decoding: data, as: UTF8.self)
            if let range = text.range(of: #"listening on http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                let port = Int(text[range].split(separator: ":").last ?? "") ?? 0
                self.process = process
                self.port = port
                let log = ServeLog(text)
                self.log = log
                // Keep draining stderr so the child never blocks on a full pipe.
                Thread.detachNewThread {
                    while true {
                        let data = handle.availableData
                        if data.isEmpty { break }
                        log.append(String(decoding: data, as: UTF8.self))
                    }
                }
                return
            }
        }
        process.terminate()
        throw ServerError(.internal, "sandcastle serve did not start: \(text)")
    }

    /// Starts the server on a thread of its own (its start-up is read with blocking calls).
    /// The default is a warm pool: a killed server leaves idle pooled containers that the next start must remove.
    static func start(dataDirectory: String, arguments: [String] = ["--pool", "base=1"]) async throws -> ServeProcess {
        try await offThePool { try ServeProcess(dataDirectory: dataDirectory, arguments: arguments) }
    }

    func kill9() async throws {
        let this = self
        try await offThePool {
            kill(this.process.processIdentifier, SIGKILL)
            this.process.waitUntilExit()
        }
    }

    /// SIGTERM and wait; does nothing once the process has exited.
    func terminate() async throws {
        let this = self
        try await offThePool {
            guard this.process.isRunning else { return }
            this.process.terminate()
            this.process.waitUntilExit()
        }
    }
}

/// A server's stderr, kept as it comes (the last 256 KiB).
final class ServeLog: Sendable {
    private let text: Mutex<String>

    init(_ start: String) { text = Mutex(start) }

    func append(_ more: String) {
        text.withLock { text in
            text += more
            if text.utf8.count > 256 << 10 { text = String(text.suffix(128 << 10)) }
        }
    }

    var contents: String { text.withLock { $0 } }
}
