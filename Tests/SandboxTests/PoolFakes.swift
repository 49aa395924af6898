import Foundation
import Sandbox
import Synchronization

/// An in-memory backend for the warm pool's logic: creations can be slowed down or made to
/// fail, and every instance records what reached it.
final class PoolFakeBackend: SandboxBackend {
    let name = "pool-fake"
    struct State {
        var specs: [SandboxSpec] = []
        var attempts = 0
        var failing = false
        var createDelay: Duration = .zero
        var instances: [PoolFakeInstance] = []
        var destroyed: Set<String> = []
    }
    let state = Mutex(State())

    func create(_ spec: SandboxSpec) async throws -> any SandboxInstance {
        let (failing, delay, number) = state.withLock { s in
            s.attempts += 1
            return (s.failing, s.createDelay, s.attempts)
        }
        if delay > .zero { try await Task.sleep(for: delay) }
        if failing { throw SandboxError(.imageNotFound, "image \(spec.image) is not in the fake engine") }
        let instance = PoolFakeInstance(id: "fake-\(number)", spec: spec, backend: self)
        state.withLock { s in
            s.specs.append(spec)
            s.instances.append(instance)
        }
        return instance
    }

    var attempts: Int { state.withLock { $0.attempts } }
    var created: Int { state.withLock { $0.instances.count } }
    var destroyed: Set<String> { state.withLock { $0.destroyed } }
    var live: Int { state.withLock { s in s.instances.filter { !s.destroyed.contains($0.id) }.count } }
    func setFailing(_ failing: Bool) { state.withLock { $0.failing = failing } }
    func setCreateDelay(_ delay: Duration) { state.withLock { $0.createDelay = delay } }
    func instance(_ id: String) -> PoolFakeInstance? { state.withLock { s in s.instances.first { $0.id == id } } }
    fileprivate func markDestroyed(_ id: String) { _ = state.withLock { $0.destroyed.insert(id) } }
}

/// Records commands, spawns and terminals. The command `exit` ends the "shell" the way the
/// runner reports it; a dead instance fails everything.
final class PoolFakeInstance: SandboxInstance {
    let id: String
    let spec: SandboxSpec
    let backend: PoolFakeBackend
    struct Log {
        var commands: [String] = []
        var spawns: [SandboxCommand] = []
        var terminals: [TerminalRequest] = []
        var controls: [FakeControl] = []
        var dead = false
        var hanging = false
    }
    let log = Mutex(Log())

    init(id: String, spec: SandboxSpec, backend: PoolFakeBackend) {
        self.id = id
        self.spec = spec
        self.backend = backend
    }

    var commands: [String] { log.withLock { $0.commands } }
    var spawns: [SandboxCommand] { log.withLock { $0.spawns } }
    var terminals: [TerminalRequest] { log.withLock { $0.terminals } }
    var controls: [FakeControl] { log.withLock { $0.controls } }
    func kill() { log.withLock { $0.dead = true } }
    /// The runner stops answering (operations wait until cancelled).
    func hang() { log.withLock { $0.hanging = true } }

    private func checkAlive() throws {
        if log.withLock({ $0.dead }) { throw SandboxError(.sandboxGone, "fake sandbox \(id) is gone") }
    }

    private func finishedProcess(failure: SandboxError? = nil) -> SandboxProcess {
        let (stream, continuation) = AsyncThrowingStream<ProcessEvent, any Error>.makeStream()
        continuation.yield(.started(pid: 7))
        if let failure {
            continuation.finish(throwing: failure)
        } else {
            continuation.yield(.finished(ProcessResult(exitCode: 0)))
            continuation.finish()
        }
        return SandboxProcess(events: ProcessEvents(stream), control: RecordingControl { [self] control in log.withLock { $0.controls.append(control) } })
    }

    func run(_ command: SandboxCommand) async throws -> SandboxProcess {
        try checkAlive()
        guard case .shell(let line) = command.program else {
            log.withLock { $0.spawns.append(command) }
            return finishedProcess()
        }
        log.withLock { $0.commands.append(line) }
        if line == "exit" {
            return finishedProcess(failure: SandboxError(.shellExited, "the shell exited with status 0; a new shell was started"))
        }
        return finishedProcess()
    }

    func openTerminal(_ request: TerminalRequest) async throws -> SandboxProcess {
        try checkAlive()
        log.withLock { $0.terminals.append(request) }
        return finishedProcess()
    }

    func writeFile<Chunks: AsyncSequence & Sendable>(_ request: FileWrite, contents: Chunks) async throws -> FileInfo
    where Chunks.Element == [UInt8] { throw SandboxError(.invalidArgument, "not in the fake") }
    func readFile(_ request: FileRead) async throws -> FileDownload { throw SandboxError(.invalidArgument, "not in the fake") }
    func stat(path: String) async throws -> FileInfo {
        try checkAlive()
        if log.withLock({ $0.hanging }) { try await Task.sleep(for: .seconds(60)) }
        return FileInfo(name: "", path: path, kind: .directory, size: 0, mode: 0o755, modifiedNanoseconds: 0)
    }
    func list(path: String) async throws -> [FileInfo] { throw SandboxError(.invalidArgument, "not in the fake") }
    func makeDirectory(path: String, parents: Bool) async throws { throw SandboxError(.invalidArgument, "not in the fake") }
    func remove(path: String, recursive: Bool) async throws { throw SandboxError(.invalidArgument, "not in the fake") }
    func move(from: String, to: String, overwrite: Bool) async throws { throw SandboxError(.invalidArgument, "not in the fake") }
    func destroy() async throws { backend.markDestroyed(id) }
}

/// Collects the pool's log lines.
final class LogLines: Sendable {
    private let lines = Mutex<[String]>([])
    var all: [String] { lines.withLock { $0 } }
    var sink: WarmPool.Log { { [self] line in lines.withLock { $0.append(line) } } }
}

/// A control that reached a fake process.
enum FakeControl: Equatable, Sendable {
    /// Bytes for stdin; empty is its end.
    case input([UInt8])
    case resize(TerminalSize)
    case signal(Int32)
    case cancel
}

/// Process controls that record what reached them.
struct RecordingControl: ProcessControl {
    let record: @Sendable (FakeControl) -> Void
    func write(_ bytes: [UInt8]) async throws { record(.input(bytes)) }
    func closeInput() async throws { record(.input([])) }
    func resize(_ size: TerminalSize) async throws { record(.resize(size)) }
    func signal(_ signal: Int32) async throws { record(.signal(signal)) }
    func cancel() async throws { record(.cancel) }
}
