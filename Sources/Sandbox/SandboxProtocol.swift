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
    /// Confines the sandbox's file operations to this directory (e.g. `/workspace`): paths resolve
    /// beneath it only, no symlink or `..` leading out of it, and nothing that changes files is
    /// served. For a helper that reads a shared workspace on someone's behalf, so that links a
    /// sandbox left there do not reach the helper's own files. A backend that cannot confine
    /// refuses the spec.
    public var filesBeneath: String?

    public init(
        image: String = "base", profile: String = "default", network: NetworkMode? = nil,
        environment: [String: String] = [:], workspace: String? = nil, memoryBytes: Int64? = nil,
        nanoCPUs: Int64? = nil, labels: [String: String] = [:], readyTimeout: Duration = .seconds(30),
        filesBeneath: String? = nil
    ) {
        self.image = image
        self.profile = profile
        self.network = network
        self.environment = environment
        self.workspace = workspace
        self.memoryBytes = memoryBytes
        self.nanoCPUs = nanoCPUs
        self.labels = labels
        self.readyTimeout = readyTimeout
        self.filesBeneath = filesBeneath
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
/// Speaks the sandbox's own types (``SandboxCommand``, ``ProcessEvent``, ``FileInfo`` …);
/// each backend converts them to its wire format at its edge.
/// Failures are ``SandboxError``s: a path the sandbox does not allow is
/// `permissionDenied`, a dead container is `sandboxGone` with the reason.
public protocol SandboxInstance: Sendable {
    var id: String { get }
    /// Starts a command (a shell line or an argv), streaming its output.
    ///
    /// - Throws: ``SandboxError`` `invalidArgument` for options its program kind cannot take
    ///   (see ``SandboxCommand/validate()``).
    func run(_ command: SandboxCommand) async throws -> SandboxProcess
    /// Starts an interactive process on a terminal.
    func openTerminal(_ request: TerminalRequest) async throws -> SandboxProcess
    func writeFile<Chunks: AsyncSequence & Sendable>(_ request: FileWrite, contents: Chunks) async throws -> FileInfo
    where Chunks.Element == [UInt8]
    func readFile(_ request: FileRead) async throws -> FileDownload
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

    /// Runs a line in the persistent shell to completion and gathers its output.
    public func run(_ line: String, timeout: Duration? = nil, maxOutputBytes: UInt64? = nil) async throws -> CollectedOutput {
        try await run(.shell(line, timeout: timeout, maxOutputBytes: maxOutputBytes)).collect()
    }

    /// Runs an argv (no shell) to completion and gathers its output.
    public func run(arguments: [String], timeout: Duration? = nil, maxOutputBytes: UInt64? = nil) async throws -> CollectedOutput {
        try await run(.arguments(arguments, timeout: timeout, maxOutputBytes: maxOutputBytes)).collect()
    }

    public func writeFile(_ path: String, bytes: [UInt8], mode: UInt32 = FileWrite.defaultMode) async throws -> FileInfo {
        try await writeFile(FileWrite(path: path, mode: mode), contents: ChunkedBytes(bytes))
    }

    public func readFileBytes(_ path: String) async throws -> [UInt8] {
        let download = try await readFile(FileRead(path: path))
        var bytes: [UInt8] = []
        for try await chunk in download.chunks { bytes.append(contentsOf: chunk) }
        return bytes
    }
}
