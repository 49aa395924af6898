import RunnerClient
import RunnerProtocol

/// What a caller asks for when it creates a sandbox.
public struct SandboxSpec: Sendable {
    /// An image name (`sandcastle/python:latest`) or a short name of a Sandcastle image (`base`, `python`, `node`).
    public var image: String
    /// The isolation profile by name (`default` unless told otherwise).
    public var profile: String
    /// Overrides the profile's network mode when set (`bridge` to allow egress).
    public var network: NetworkMode?
    /// Extra environment variables for the runner and everything it starts.
    public var environment: [String: String]
    /// A named workspace volume that outlives the sandbox; nil gives a fresh one removed with the sandbox.
    public var workspace: String?
    /// Overrides of the profile's limits.
    public var memoryBytes: Int64?
    public var nanoCPUs: Int64?
    /// Extra labels on the container (the managed labels are always added).
    public var labels: [String: String]
    /// How long to wait for the runner to become ready.
    public var readyTimeout: Duration

    public init(image: String = "base", profile: String = "default", network: NetworkMode? = nil,
                environment: [String: String] = [:], workspace: String? = nil, memoryBytes: Int64? = nil,
                nanoCPUs: Int64? = nil, labels: [String: String] = [:], readyTimeout: Duration = .seconds(30)) {
        self.image = image
        self.profile = profile
        self.network = network
        self.environment = environment
        self.workspace = workspace
        self.memoryBytes = memoryBytes
        self.nanoCPUs = nanoCPUs
        self.labels = labels
        self.readyTimeout = readyTimeout
    }
}

/// Creates sandboxes, and answers for everything it made: Docker and E2B implement it.
///
/// Beyond ``create(_:)`` a backend has capabilities that callers use without knowing which
/// backend they talk to; one it cannot offer says so (nil, or a ``SandboxError`` `unsupported`).
public protocol SandboxBackend: Sendable {
    var name: String { get }
    func create(_ spec: SandboxSpec) async throws -> any SandboxInstance
    /// Named workspaces its sandboxes can mount (``SandboxSpec/workspace``); nil when its
    /// sandboxes cannot share one.
    var workspaces: (any SharedWorkspaces)? { get }
    /// Removes every sandbox it made that carries all of `labels` (e.g. one run's), also those
    /// made by a process that has died; gone ones are not an error.
    ///
    /// - Returns: how many were removed.
    /// - Throws: ``SandboxError`` `unsupported` when the backend cannot find its sandboxes by label,
    ///   or the failure that stopped the sweep.
    func removeSandboxes(labelled labels: [String: String]) async throws -> Int
    /// Finding, re-attaching and removing its sandboxes one by one; nil when it cannot.
    var inventory: (any SandboxInventory)? { get }
}

extension SandboxBackend {
    public var workspaces: (any SharedWorkspaces)? { nil }

    public func removeSandboxes(labelled labels: [String: String]) async throws -> Int {
        throw SandboxError(.unsupported, "the \(name) backend cannot find its sandboxes by label")
    }
}

/// A live sandbox: a persistent shell, processes and files, until destroyed.
///
/// Failures are ``SandboxError``s: a path the sandbox does not allow is
/// `permissionDenied`, a dead container is `sandboxGone` with the reason.
public protocol SandboxInstance: Sendable {
    var id: String { get }
    /// Runs a command line in the persistent shell, streaming its output.
    func execute(_ request: ShellExecRequest) async throws -> SandboxProcess
    /// Runs an argv without the shell.
    func spawn(_ request: SpawnRequest) async throws -> SandboxProcess
    /// Starts an interactive process on a PTY.
    func openTerminal(_ request: PTYOpenRequest) async throws -> SandboxProcess
    func writeFile<Chunks: AsyncSequence & Sendable>(_ request: WriteFileRequest, contents: Chunks) async throws -> FileInfo
    where Chunks.Element == [UInt8]
    func readFile(_ request: ReadFileRequest) async throws -> FileDownload
    func stat(path: String) async throws -> FileInfo
    func list(path: String) async throws -> [FileInfo]
    func makeDirectory(path: String, parents: Bool) async throws
    func remove(path: String, recursive: Bool) async throws
    func move(from: String, to: String, overwrite: Bool) async throws
    /// Stops everything and removes the sandbox (and its workspace unless it is named).
    func destroy() async throws
    /// True once the sandbox is known to be unusable without asking it (its channel closed: the
    /// container stopped or was removed, or it was destroyed); false when not known.
    var isKnownGone: Bool { get }
    /// Whether ``isKnownGone`` is kept current by the backend (an open channel closes when the
    /// sandbox dies), so `false` can be trusted without a round trip.
    var observesLiveness: Bool { get }
}

extension SandboxInstance {
    public var isKnownGone: Bool { false }
    public var observesLiveness: Bool { false }
}

extension SandboxInstance {
    /// Runs `body` with this sandbox, then destroys it, also when `body` throws: then `body`'s
    /// error is the one thrown and the destroy is best effort.
    public func use<T>(_ body: (Self) async throws -> T) async throws -> T {
        let result: T
        do {
            result = try await body(self)
        } catch {
            try? await destroy()
            throw error
        }
        try await destroy()
        return result
    }

    /// Runs a command to completion and gathers its output.
    public func run(_ command: String, timeout: Duration? = nil, maxOutputBytes: UInt64 = 0) async throws -> CollectedOutput {
        let request = ShellExecRequest(command: command, timeoutMilliseconds: timeout.map(Self.milliseconds) ?? 0,
                                       maxOutputBytes: maxOutputBytes)
        return try await execute(request).collect()
    }

    public func writeFile(_ path: String, bytes: [UInt8], mode: UInt32 = 0o644) async throws -> FileInfo {
        try await writeFile(WriteFileRequest(path: path, mode: mode), contents: ChunkedBytes(bytes))
    }

    public func readFileBytes(_ path: String) async throws -> [UInt8] {
        let download = try await readFile(ReadFileRequest(path: path))
        var bytes: [UInt8] = []
        for try await chunk in download.chunks { bytes.append(contentsOf: chunk) }
        return bytes
    }

    static func milliseconds(_ duration: Duration) -> UInt32 {
        let (seconds, attoseconds) = duration.components
        let total = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        return UInt32(clamping: Swift.max(total, 1))
    }
}

/// A process in a sandbox: its events, and the controls that reach it.
public struct SandboxProcess: Sendable {
    public let events: ProcessEvents
    private let control: @Sendable (RunnerMessage) async throws -> Void

    public init(events: ProcessEvents, control: @escaping @Sendable (RunnerMessage) async throws -> Void) {
        self.events = events
        self.control = control
    }

    public func write(_ bytes: [UInt8]) async throws { if !bytes.isEmpty { try await control(.input(bytes)) } }
    public func closeInput() async throws { try await control(.input([])) }
    public func resize(rows: UInt16, columns: UInt16) async throws { try await control(.resize(WindowSize(rows: rows, columns: columns))) }
    public func signal(_ signal: Int32) async throws { try await control(.signal(signal)) }
    public func cancel() async throws { try await control(.cancel) }

    /// Waits for the end, gathering all output (up to the cap).
    public func collect() async throws -> CollectedOutput {
        try await CollectedOutput.collect(events)
    }
}

/// A process's events with errors already translated by the backend (e.g. into
/// ``SandboxError/Code/sandboxGone`` with the container's fate), without a task hop per event.
public struct ProcessEvents: AsyncSequence, Sendable {
    public typealias Element = ProcessEvent
    let base: AsyncThrowingStream<ProcessEvent, any Error>
    let translate: @Sendable (any Error) async -> any Error

    public init(_ base: AsyncThrowingStream<ProcessEvent, any Error>,
                translate: @escaping @Sendable (any Error) async -> any Error = { $0 }) {
        self.base = base
        self.translate = translate
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncThrowingStream<ProcessEvent, any Error>.AsyncIterator
        let translate: @Sendable (any Error) async -> any Error

        public mutating func next() async throws -> ProcessEvent? {
            do {
                return try await base.next()
            } catch {
                throw await translate(error)
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), translate: translate)
    }
}
