import Foundation
import HTTPTransport
import Sandbox
import Store
import Synchronization
import Testing

@testable import Server
@testable import ServerCompat
@testable import ServerCore

/// A server on a free loopback port, talked to through our own libcurl client.
struct LiveServer {
    let server: SandcastleServer
    let client: HTTPClient
    let port: Int
    var service: SandboxService { server.service }

    /// A JSON request; returns status and parsed body.
    func call(
        _ method: HTTPMethod, _ path: String, json: String? = nil, key: String? = nil,
        headers extra: [(String, String)] = []
    ) async throws -> (status: Int, body: [String: Any], text: String) {
        var headers = HTTPHeaders(extra)
        if let key { headers.add("Authorization", "Bearer \(key)") }
        if json != nil { headers.add("Content-Type", "application/json") }
        let response = try await client.send(
            HTTPRequest(
                method: method, path: path, headers: headers,
                body: json.map { .bytes(Array($0.utf8)) } ?? .none,
                timeout: .seconds(60)))
        let parsed = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
        return (response.status, parsed, response.bodyText)
    }

    func errorCode(_ body: [String: Any]) -> String? {
        (body["error"] as? [String: Any])?["code"] as? String
    }
}

enum ServerFixture {
    static let key = "test-key-0123456789"
    static let otherKey = "other-key-9876543210"

    static func configuration(open: Bool = false, _ adjust: (inout ServerConfiguration) -> Void = { _ in }) -> ServerConfiguration {
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.openMode = open
        if !open { configuration.apiKeyDigests = [APIKeyStore.digest(key), APIKeyStore.digest(otherKey)] }
        configuration.reapIntervalSeconds = 0.1
        adjust(&configuration)
        return configuration
    }

    /// Runs `body` against a live server; stops it afterwards, also when `body` throws.
    static func with<T>(
        _ configuration: ServerConfiguration, _ dependencies: ServerDependencies,
        _ body: (LiveServer) async throws -> T
    ) async throws -> T {
        let server = try SandcastleServer(configuration: configuration, dependencies: dependencies)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = server.application { port in continuation.yield(port) }
        let running = Task { try await app.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw ServerError(.internal, "the server did not start") }
        let live = LiveServer(server: server, client: try HTTPClient(endpoint: .http(host: "127.0.0.1", port: port)), port: port)
        do {
            let result = try await body(live)
            running.cancel()
            _ = await running.result
            await server.service.shutdown()
            return result
        } catch {
            running.cancel()
            _ = await running.result
            await server.service.shutdown()
            throw error
        }
    }

    /// An in-memory backend and repository.
    static func fake(_ backend: FakeBackend = FakeBackend(), repository: any SandboxRepository = InMemorySandboxRepository())
        -> ServerDependencies
    {
        ServerDependencies(
            provisioner: DirectProvisioner(backend: backend), host: nil, repository: repository,
            serverID: "test-\(UUID().uuidString.prefix(8))")
    }
}

/// What the fake does with one command.
struct FakeReply: Sendable {
    /// Output chunks, each preceded by its delay.
    var chunks: [(Duration, String)] = []
    var exitCode: Int32 = 0
    /// How long the command runs after its last chunk.
    var tail: Duration = .zero
}

/// An in-memory sandbox backend: commands are answered by a closure, in simulated time;
/// files live in a dictionary.
final class FakeBackend: SandboxBackend {
    let name = "fake"
    let reply: @Sendable (String) -> FakeReply
    /// How long a file write waits before it reads its contents (a slow sandbox).
    let writeDelay: Duration
    private let state = Mutex<(created: Int, destroyed: Set<String>)>((0, []))

    init(
        writeDelay: Duration = .zero,
        reply: @escaping @Sendable (String) -> FakeReply = { command in FakeReply(chunks: [(.zero, "ran: \(command)\n")]) }
    ) {
        self.writeDelay = writeDelay
        self.reply = reply
    }

    func create(_ spec: SandboxSpec) async throws -> any SandboxInstance {
        if spec.image == "missing" { throw SandboxError(.imageNotFound, "image missing is not in the engine") }
        let id = state.withLock { s -> String in
            s.created += 1
            return "fake\(s.created)-\(UUID().uuidString.prefix(6).lowercased())"
        }
        return FakeInstance(id: id, backend: self)
    }

    var created: Int { state.withLock { $0.created } }
    var destroyed: Set<String> { state.withLock { $0.destroyed } }
    fileprivate func destroy(_ id: String) { _ = state.withLock { $0.destroyed.insert(id) } }
}

struct FakeUnsupported: Error {}

final class FakeInstance: SandboxInstance {
    let id: String
    let backend: FakeBackend
    private let files = Mutex<[String: [UInt8]]>([:])

    init(id: String, backend: FakeBackend) {
        self.id = id
        self.backend = backend
    }

    /// A shell line is answered by its text, an argv by its words joined.
    func run(_ command: SandboxCommand) async throws -> SandboxProcess {
        if backend.destroyed.contains(id) { throw SandboxError(.sandboxGone, "sandbox \(id) was destroyed") }
        let line =
            switch command.program {
            case .shell(let line): line
            case .arguments(let arguments): arguments.joined(separator: " ")
            }
        let request = (command: line, timeoutMilliseconds: command.timeoutMilliseconds)
        let reply = backend.reply(request.command)
        let (stream, continuation) = AsyncThrowingStream<ProcessEvent, any Error>.makeStream()
        let task = Task {
            continuation.yield(.started(pid: 42))
            let limit = Duration.milliseconds(Int(request.timeoutMilliseconds))
            var elapsed = Duration.zero
            for (delay, text) in reply.chunks {
                elapsed += delay
                if request.timeoutMilliseconds > 0 && elapsed > limit { break }
                try? await Task.sleep(for: delay)
                continuation.yield(.output(.stdout, Array(text.utf8)))
            }
            elapsed += reply.tail
            let timedOut = request.timeoutMilliseconds > 0 && elapsed > limit
            try? await Task.sleep(for: timedOut ? .zero : reply.tail)
            continuation.yield(.finished(ProcessResult(exitCode: timedOut ? 137 : reply.exitCode, timedOut: timedOut)))
            continuation.finish()
        }
        return SandboxProcess(events: ProcessEvents(stream), control: CancellingControl(task: task))
    }

    func openTerminal(_ request: TerminalRequest) async throws -> SandboxProcess { throw FakeUnsupported() }
    func writeFile<Chunks: AsyncSequence & Sendable>(_ request: FileWrite, contents: Chunks) async throws -> FileInfo
    where Chunks.Element == [UInt8] {
        try await Task.sleep(for: backend.writeDelay)
        var bytes: [UInt8] = []
        for try await chunk in contents { bytes.append(contentsOf: chunk) }
        let data = bytes
        files.withLock { $0[request.path] = data }
        return FileInfo(
            name: request.path, path: request.path, kind: .file, size: UInt64(bytes.count), mode: request.mode,
            modifiedNanoseconds: 0)
    }
    func readFile(_ request: FileRead) async throws -> FileDownload { throw FakeUnsupported() }
    func stat(path: String) async throws -> FileInfo {
        guard let bytes = files.withLock({ $0[path] }) else { throw SandboxError(.notFound, "\(path) does not exist") }
        return FileInfo(name: path, path: path, kind: .file, size: UInt64(bytes.count), mode: 0o644, modifiedNanoseconds: 0)
    }
    func list(path: String) async throws -> [FileInfo] { throw FakeUnsupported() }
    func makeDirectory(path: String, parents: Bool) async throws { throw FakeUnsupported() }
    func remove(path: String, recursive: Bool) async throws {
        guard files.withLock({ $0.removeValue(forKey: path) }) != nil else { throw SandboxError(.notFound, "\(path) does not exist") }
    }
    func move(from: String, to: String, overwrite: Bool) async throws {
        try files.withLock { files in
            guard let bytes = files.removeValue(forKey: from) else { throw SandboxError(.notFound, "\(from) does not exist") }
            files[to] = bytes
        }
    }
    /// The paths of the files written, for checks that nothing was left behind.
    var filePaths: [String] { files.withLock { Array($0.keys) } }
    func destroy() async throws { backend.destroy(id) }
}

/// Delays every create, to hold requests in flight together.
struct SlowBackend: SandboxBackend {
    let base: FakeBackend
    let delay: Duration
    var name: String { "slow" }

    func create(_ spec: SandboxSpec) async throws -> any SandboxInstance {
        try await Task.sleep(for: delay)
        return try await base.create(spec)
    }
}

/// A fake process's controls: only `cancel` does anything, ending the simulated run.
struct CancellingControl: ProcessControl {
    let task: Task<Void, Never>
    func write(_ bytes: [UInt8]) async throws {}
    func closeInput() async throws {}
    func resize(_ size: TerminalSize) async throws {}
    func signal(_ signal: Int32) async throws {}
    func cancel() async throws { task.cancel() }
}
