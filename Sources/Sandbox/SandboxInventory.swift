/// A sandbox a backend reports when asked by label: what a long-lived owner finds again after
/// it restarted.
public struct SandboxListing: Sendable, Hashable {
    /// The backend's own name for it (a container id): what ``SandboxInventory`` takes back.
    public var handle: String
    /// The ``SandcastleLabels/sandbox`` label; nil for objects that are not sandboxes.
    public var sandboxID: String?
    public var running: Bool
    /// Made by a warm pool (its environment was applied per request, not at creation).
    public var pooled: Bool
    /// Every label it carries (``SandcastleLabels``), for sweeps that decide by more than the filter.
    public var labels: [String: String]

    public init(handle: String, sandboxID: String?, running: Bool, pooled: Bool = false, labels: [String: String] = [:]) {
        self.handle = handle
        self.sandboxID = sandboxID
        self.running = running
        self.pooled = pooled
        self.labels = labels
    }
}

/// Resource usage of one sandbox, from its backend.
public struct SandboxStats: Sendable, Hashable, Codable {
    public var memoryBytes: UInt64
    public var memoryLimitBytes: UInt64
    /// CPU use over the sampling window, in percent of one CPU (200 = two full CPUs).
    public var cpuPercent: Double
    public var cpuTotalNanoseconds: UInt64
    public var pids: UInt64

    public init(memoryBytes: UInt64, memoryLimitBytes: UInt64, cpuPercent: Double, cpuTotalNanoseconds: UInt64, pids: UInt64) {
        self.memoryBytes = memoryBytes
        self.memoryLimitBytes = memoryLimitBytes
        self.cpuPercent = cpuPercent
        self.cpuTotalNanoseconds = cpuTotalNanoseconds
        self.pids = pids
    }

    enum CodingKeys: String, CodingKey {
        case memoryBytes = "memory_bytes", memoryLimitBytes = "memory_limit_bytes", cpuPercent = "cpu_percent"
        case cpuTotalNanoseconds = "cpu_total_ns", pids
    }
}

/// What an owner that outlives its process (the server) needs of a backend beyond creating
/// sandboxes: finding its sandboxes by label after a restart, re-attaching to live ones,
/// cutting one off, removing one, and its resource usage. A backend offers it through
/// ``SandboxBackend/inventory``; reconciliation is written once, over this, for any backend.
public protocol SandboxInventory: Sendable {
    /// The handle of an instance this backend created (seen through wrappers such as a pool's), if it is one.
    func handle(of instance: any SandboxInstance) -> String?
    /// Every sandbox with the managed label and all of `labels` (an empty value matches any
    /// value: the label is present), running or not.
    func sandboxes(labelled labels: [String: String]) async throws -> [SandboxListing]
    /// Cuts a live instance off without removing it: every operation in flight fails as gone and
    /// no new one reaches it, so it can be removed later. False when the instance is not this backend's.
    func disconnect(_ instance: any SandboxInstance) -> Bool
    /// Removes a sandbox and its own workspace; a missing one is not an error.
    func remove(handle: String) async throws
    /// Re-attaches to a live sandbox; throws ``SandboxError`` `sandboxGone` when that cannot work.
    func adopt(sandboxID: String, handle: String) async throws -> any SandboxInstance
    /// Throws ``SandboxError`` `sandboxGone` when the sandbox no longer exists.
    func stats(handle: String) async throws -> SandboxStats
}

/// A named workspace as its backend lists it.
public struct WorkspaceListing: Sendable, Hashable {
    public var name: String
    public var createdAt: String?
    public var labels: [String: String]

    public init(name: String, createdAt: String?, labels: [String: String]) {
        self.name = name
        self.createdAt = createdAt
        self.labels = labels
    }
}

/// Named workspaces managed one by one (the server's `/v1/workspaces`), beside the run-level
/// ``SharedWorkspaces`` operations.
public protocol WorkspaceCatalog: SharedWorkspaces {
    /// Workspaces with the managed label and all of `labels` (an empty value matches any value), by name.
    func workspaces(labelled labels: [String: String]) async throws -> [WorkspaceListing]
    /// Creates a workspace carrying the managed label and `labels`.
    func createWorkspace(named name: String, labels: [String: String]) async throws -> WorkspaceListing
    /// The workspace of that name, whether or not Sandcastle made it; nil when none exists.
    func workspace(named name: String) async throws -> WorkspaceListing?
    /// Deletes a workspace nobody mounts.
    ///
    /// - Throws: ``SandboxError`` `notFound` when there is none, `inUse` while a sandbox mounts it.
    func deleteWorkspace(named name: String) async throws
}

extension SandboxBackend {
    public var inventory: (any SandboxInventory)? { nil }
}
