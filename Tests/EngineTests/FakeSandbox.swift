import Foundation
import Sandbox
import Synchronization

/// What the fake does with one command.
struct FakeReply: Sendable {
    var stdout = ""
    var stderr = ""
    var exitCode: Int32 = 0
    /// How long the "process" runs; longer than the request's timeout means a timeout.
    var duration: Duration = .zero
}

/// Everything the fake saw, for assertions.
struct FakeLogEntry: Sendable {
    var sandboxID: String
    var spec: SandboxSpec
    var command: String
    var timeoutMilliseconds: UInt32
    var start: ContinuousClock.Instant
    var end: ContinuousClock.Instant?
}

/// An in-memory sandbox backend: commands are answered by a closure, with simulated time.
final class FakeBackend: SandboxBackend {
    let name = "fake"
    let reply: @Sendable (SandboxSpec, String) -> FakeReply
    /// How long removing a sandbox takes; it counts as live until then.
    let destroyDelay: Duration
    private let state = Mutex<(created: Int, destroyed: Set<String>, log: [FakeLogEntry], live: Int, maxLive: Int)>(
        (0, [], [], 0, 0))

    init(destroyDelay: Duration = .zero, reply: @escaping @Sendable (SandboxSpec, String) -> FakeReply = { _, _ in FakeReply() }) {
        self.reply = reply
        self.destroyDelay = destroyDelay
    }

    func create(_ spec: SandboxSpec) async throws -> any SandboxInstance {
        let id = state.withLock { s -> String in
            s.created += 1
            s.live += 1
            s.maxLive = max(s.maxLive, s.live)
            return "fake-\(s.created)"
        }
        return FakeInstance(id: id, spec: spec, backend: self)
    }

    var created: Int { state.withLock { $0.created } }
    var destroyed: Set<String> { state.withLock { $0.destroyed } }
    var log: [FakeLogEntry] { state.withLock { $0.log } }
    /// The most sandboxes alive at once.
    var maxLive: Int { state.withLock { $0.maxLive } }

    func entries(forStep step: String) -> [FakeLogEntry] {
        log.filter { $0.spec.labels["sandcastle.step"] == step }
    }

    fileprivate func started(_ entry: FakeLogEntry) -> Int {
        state.withLock { s in
            s.log.append(entry)
            return s.log.count - 1
        }
    }

    fileprivate func ended(_ index: Int) {
        state.withLock { s in s.log[index].end = ContinuousClock.now }
    }

    fileprivate func destroy(_ id: String) {
        state.withLock { s in
            if s.destroyed.insert(id).inserted { s.live -= 1 }
        }
    }
}

struct FakeUnsupported: Error {}

struct FakeInstance: SandboxInstance {
    let id: String
    let spec: SandboxSpec
    let backend: FakeBackend

    func run(_ command: SandboxCommand) async throws -> SandboxProcess {
        guard case .shell(let line) = command.program else { throw FakeUnsupported() }
        // What a backend would pass on: whole milliseconds, 0 for none.
        let request = (command: line, timeoutMilliseconds: command.timeoutMilliseconds)
        let reply = backend.reply(spec, request.command)
        let index = backend.started(
            FakeLogEntry(
                sandboxID: id, spec: spec, command: request.command,
                timeoutMilliseconds: request.timeoutMilliseconds, start: .now))
        let backend = self.backend
        let (stream, continuation) = AsyncThrowingStream<ProcessEvent, any Error>.makeStream()
        let task = Task {
            continuation.yield(.started(pid: 42))
            let limit = Duration.milliseconds(Int(request.timeoutMilliseconds))
            let timedOut = request.timeoutMilliseconds > 0 && reply.duration > limit
            do {
                try await Task.sleep(for: timedOut ? limit : reply.duration)
            } catch {
                continuation.yield(.finished(ProcessResult(exitCode: 130, cancelled: true)))
                continuation.finish()
                backend.ended(index)
                return
            }
            if !timedOut {
                if !reply.stdout.isEmpty { continuation.yield(.output(.stdout, Array(reply.stdout.utf8))) }
                if !reply.stderr.isEmpty { continuation.yield(.output(.stderr, Array(reply.stderr.utf8))) }
            }
            backend.ended(index)
            continuation.yield(.finished(ProcessResult(exitCode: timedOut ? 137 : reply.exitCode, timedOut: timedOut)))
            continuation.finish()
        }
        return SandboxProcess(events: ProcessEvents(stream), control: CancellingControl(task: task))
    }

    func openTerminal(_ request: TerminalRequest) async throws -> SandboxProcess { throw FakeUnsupported() }
    func writeFile<Chunks: AsyncSequence & Sendable>(_ request: FileWrite, contents: Chunks) async throws -> FileInfo
    where Chunks.Element == [UInt8] { throw FakeUnsupported() }
    func readFile(_ request: FileRead) async throws -> FileDownload { throw FakeUnsupported() }
    func stat(path: String) async throws -> FileInfo { throw FakeUnsupported() }
    func list(path: String) async throws -> [FileInfo] { throw FakeUnsupported() }
    func makeDirectory(path: String, parents: Bool) async throws { throw FakeUnsupported() }
    func remove(path: String, recursive: Bool) async throws { throw FakeUnsupported() }
    func move(from: String, to: String, overwrite: Bool) async throws { throw FakeUnsupported() }
    func destroy() async throws {
        if backend.destroyDelay > .zero { try? await Task.sleep(for: backend.destroyDelay) }
        backend.destroy(id)
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
