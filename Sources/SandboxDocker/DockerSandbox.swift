import DockerEngine
import Foundation
import RunnerClient
import RunnerProtocol
import Sandbox
import Synchronization

/// A live sandbox in a Docker container, driven over one runner connection.
public final class DockerSandbox: SandboxInstance {
    public let id: String
    public let containerID: String
    public let image: String
    public let profile: IsolationProfile
    let backend: DockerSandboxBackend
    let connection: RunnerConnection
    private let channel: AttachedRunnerChannel
    private let lifecycle = Mutex(Lifecycle())

    private struct Lifecycle {
        /// Set by ``disconnect()`` and ``destroy()``: a failure of the channel from then on is ours, not the container's.
        var cutOff = false
        /// Set once ``destroy()`` started removing the container.
        var removing = false
    }

    init(
        id: String, containerID: String, image: String, profile: IsolationProfile, backend: DockerSandboxBackend,
        connection: RunnerConnection, channel: AttachedRunnerChannel
    ) {
        self.id = id
        self.containerID = containerID
        self.image = image
        self.profile = profile
        self.backend = backend
        self.connection = connection
        self.channel = channel
    }

    /// What the runner reported in the handshake.
    public var ready: Ready? { connection.ready }

    // MARK: processes

    public func run(_ command: SandboxCommand) async throws -> SandboxProcess {
        try command.validate()
        return try await translating(command.summary) { wrap(try await connection.start(command)) }
    }

    public func openTerminal(_ request: TerminalRequest) async throws -> SandboxProcess {
        try request.validate()
        return try await translating("open a terminal") { wrap(try await connection.openPTY(request.runnerRequest)) }
    }

    /// The runner's events converted lazily as they are read (no task hop per chunk), with
    /// errors explained in the sandbox's terms.
    private func wrap(_ process: RunnerProcess) -> SandboxProcess {
        let events = ProcessEvents(process.events, transform: Sandbox.ProcessEvent.init) { [self] error in
            await self.explain(error, doing: "run the command")
        }
        return SandboxProcess(events: events, control: RunnerProcessControl(process: process))
    }

    // MARK: files

    public func writeFile<Chunks: AsyncSequence & Sendable>(_ request: FileWrite, contents: Chunks) async throws -> Sandbox.FileInfo
    where Chunks.Element == [UInt8] {
        try SandboxInput.checkPath(request.path)
        return try await translating("write \(request.path)") {
            Sandbox.FileInfo(try await connection.writeFile(request.runnerRequest, contents: contents))
        }
    }

    public func readFile(_ request: FileRead) async throws -> Sandbox.FileDownload {
        try SandboxInput.checkPath(request.path)
        return try await translating("read \(request.path)") { Sandbox.FileDownload(try await connection.readFile(request.runnerRequest)) }
    }

    public func stat(path: String) async throws -> Sandbox.FileInfo {
        try SandboxInput.checkPath(path)
        return try await translating("stat \(path)") { Sandbox.FileInfo(try await connection.stat(path: path)) }
    }

    public func list(path: String) async throws -> [Sandbox.FileInfo] {
        try SandboxInput.checkPath(path)
        return try await translating("list \(path)") { try await connection.list(path: path).map(Sandbox.FileInfo.init) }
    }

    public func makeDirectory(path: String, parents: Bool) async throws {
        try SandboxInput.checkPath(path)
        try await translating("create directory \(path)") { try await connection.makeDirectory(path: path, parents: parents) }
    }

    public func remove(path: String, recursive: Bool) async throws {
        try SandboxInput.checkPath(path)
        try await translating("remove \(path)") { try await connection.remove(path: path, recursive: recursive) }
    }

    public func move(from: String, to: String, overwrite: Bool) async throws {
        try SandboxInput.checkPath(from)
        try SandboxInput.checkPath(to)
        try await translating("move \(from) to \(to)") { try await connection.move(from: from, to: to, overwrite: overwrite) }
    }

    // MARK: lifetime

    /// Cuts the sandbox off without removing its container: every operation in flight fails at
    /// once as `sandboxGone` ("was destroyed") and no new one reaches the runner. The container and
    /// the processes in it live on until ``destroy()`` or the engine removes it; this lets a caller
    /// answer "deleted" before that removal, which takes most of a destroy's time, has finished.
    public func disconnect() {
        lifecycle.withLock { $0.cutOff = true }
        connection.close()
    }

    /// Removes the container (killing the runner and everything it started) and its
    /// anonymous workspace volume. Safe to call more than once.
    public func destroy() async throws {
        let first = lifecycle.withLock { state in
            defer {
                state.cutOff = true
                state.removing = true
            }
            return !state.removing
        }
        guard first else { return }
        connection.close()
        // Detached: a cancelled caller must still get its container removed.
        let (docker, containerID) = (backend.docker, containerID)
        let removal = Task.detached { try await docker.removeContainer(id: containerID, force: true, removeVolumes: true) }
        do {
            try await removal.value
        } catch let error as DockerError where error.code == .notFound {
            return // already gone: the goal of destroy is met
        } catch {
            throw SandboxError.fromDocker(error, doing: "remove sandbox \(id)")
        }
    }

    // MARK: errors

    private func translating<T>(_ action: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            throw await explain(error, doing: action)
        }
    }

    /// Turns a runner or transport error into a ``SandboxError`` a person can act on; when
    /// the channel died, asks the engine what happened to the container.
    func explain(_ error: any Error, doing action: String) async -> SandboxError {
        if let sandboxError = error as? SandboxError { return sandboxError }
        guard let clientError = error as? RunnerClientError else {
            return SandboxError.fromDocker(error, doing: action)
        }
        switch clientError.code {
        case .operationFailed:
            return Self.translate(clientError.failure, message: clientError.message)
        case .channelClosed, .protocolViolation, .timeout:
            if lifecycle.withLock({ $0.cutOff }) {
                return SandboxError(.sandboxGone, "sandbox \(id) was destroyed", cause: error)
            }
            return SandboxError(.sandboxGone, "cannot \(action): \(await fate())", cause: error)
        case .cancelled:
            return SandboxError(.cancelled, "cancelled: \(action)", cause: error)
        default:
            return SandboxError(.runnerFailed, "cannot \(action): \(clientError.message)", cause: error)
        }
    }

    /// Why the runner is unreachable, as far as the engine knows.
    func fate() async -> String {
        let tail = channel.diagnosticsTail
        let suffix = tail.isEmpty ? "" : " Runner said: \(tail)"
        do {
            let state = try await backend.docker.inspectContainer(id: containerID).state
            if state.oomKilled == true {
                return "sandbox \(id) was killed for exceeding its memory limit (\(profile.memoryBytes / 1_048_576) MiB; OOMKilled)." + suffix
            }
            if state.running == true {
                return "the runner in sandbox \(id) stopped answering while its container is still running." + suffix
            }
            return "sandbox \(id)'s container stopped (status \(state.status), exit code \(state.exitCode))." + suffix
        } catch let error as DockerError where error.code == .notFound {
            return "sandbox \(id)'s container no longer exists (removed outside Sandcastle?)." + suffix
        } catch {
            return "sandbox \(id) is unreachable and the engine cannot say why (\(error))." + suffix
        }
    }

    static func translate(_ failure: RunnerFailure?, message: String) -> SandboxError {
        guard let failure else { return SandboxError(.runnerFailed, message) }
        let code: SandboxError.Code =
            switch failure.code {
            case .notFound: .notFound
            case .isDirectory, .notDirectory: .wrongFileKind
            case .permissionDenied, .readOnlyFileSystem: .permissionDenied
            case .alreadyExists: .alreadyExists
            case .noSpace: .noSpace
            case .notEmpty, .invalidRequest, .unsupported: .invalidArgument
            case .spawnFailed where failure.errno == ENOENT: .notFound
            case .spawnFailed where failure.errno == EACCES: .permissionDenied
            case .spawnFailed: .invalidArgument
            case .shellExited: .shellExited
            case .cancelled: .cancelled
            case .io where failure.errno != 0: forErrno(failure.errno)
            default: .runnerFailed
            }
        return SandboxError(code, message, cause: failure)
    }

    /// A file system call the runner made for the caller failed with an errno its own codes do
    /// not name (`write /proc/self/attr/current: Invalid argument`, a FIFO nobody reads, a name
    /// too long, a busy file). The kernel refused what was asked of that path: the caller's
    /// error, except when the runner itself ran short of memory or descriptors, or the disk
    /// failed, which no request can fix.
    static func forErrno(_ code: Int32) -> SandboxError.Code {
        switch code {
        case EIO, ENOMEM, EMFILE, ENFILE, ENOBUFS: .runnerFailed
        case EBUSY, ETXTBSY: .inUse
        default: .invalidArgument
        }
    }
}
