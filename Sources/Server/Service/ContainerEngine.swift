import DockerEngine
import Foundation
import Sandbox
import SandboxDocker

/// A sandbox container the engine reports, found by its labels.
public struct ManagedContainer: Sendable, Hashable {
    public var containerID: String
    /// The `sandcastle.sandbox` label; nil for objects that are not sandboxes.
    public var sandboxID: String?
    public var running: Bool
    /// Made by the warm pool (its environment was applied per request, not on the container).
    public var pooled: Bool = false
}

/// Resource usage of one sandbox, from the engine's stats.
public struct SandboxStats: Sendable, Hashable, Codable {
    public var memoryBytes: UInt64
    public var memoryLimitBytes: UInt64
    /// CPU use over the sampling window, in percent of one CPU (200 = two full CPUs).
    public var cpuPercent: Double
    public var cpuTotalNanoseconds: UInt64
    public var pids: UInt64

    enum CodingKeys: String, CodingKey {
        case memoryBytes = "memory_bytes", memoryLimitBytes = "memory_limit_bytes", cpuPercent = "cpu_percent"
        case cpuTotalNanoseconds = "cpu_total_ns", pids
    }
}

/// A named workspace volume.
public struct WorkspaceInfo: Sendable, Hashable, Codable {
    public var name: String
    public var createdAt: String?
    public var labels: [String: String]
    enum CodingKeys: String, CodingKey { case name, createdAt = "created_at", labels }

    /// Also writes the name as `id`: `/v1/workspaces` is shared with Sandkasten's API, whose
    /// SDK reads `workspaces[].id` (docs/compat/sandkasten.md).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: EncodedKeys.self)
        try container.encode(name, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encodeIfPresent(createdAt, forKey: .createdAt)
        try container.encode(labels, forKey: .labels)
    }
    enum EncodedKeys: String, CodingKey { case id, name, createdAt = "created_at", labels }
}

/// What the service needs from the container engine beyond creating sandboxes: finding its
/// containers after a restart, re-adopting or removing them, stats, and workspace volumes.
///
/// Separate from ``SandboxBackend`` so the service runs on an in-memory backend in unit tests
/// (with a fake engine, or none); ``DockerContainerEngine`` is the real one.
public protocol ContainerEngine: Sendable {
    /// The container behind an instance this engine's backend created, if it is one.
    func containerID(of instance: any SandboxInstance) -> String?
    /// Every container labelled `sandcastle.managed=true` and `sandcastle.server=<serverID>`.
    func managedContainers(serverID: String) async throws -> [ManagedContainer]
    /// Cuts a live instance off from its runner without removing its container: every operation
    /// in flight fails as gone and no new one reaches it, so the container can be removed later.
    /// False when the instance is not this engine's; the caller then destroys it outright.
    func disconnect(_ instance: any SandboxInstance) -> Bool
    /// Removes a container and its anonymous volumes; a missing one is not an error.
    func removeContainer(_ containerID: String) async throws
    /// Re-attaches to a live sandbox's runner; throws `sandboxGone` when that cannot work.
    func adopt(sandboxID: String, containerID: String) async throws -> any SandboxInstance
    func stats(containerID: String) async throws -> SandboxStats
    /// Every Sandcastle workspace volume (all owners; the service filters).
    func listWorkspaces() async throws -> [WorkspaceInfo]
    /// Creates a workspace volume with the managed, workspace and owner labels.
    func createWorkspace(name: String, owner: String) async throws -> WorkspaceInfo
    /// The volume of that name, whether or not it is a Sandcastle workspace; nil when none exists.
    func volume(name: String) async throws -> WorkspaceInfo?
    func removeWorkspace(name: String) async throws
}

/// ``ContainerEngine`` over the Docker backend.
public struct DockerContainerEngine: ContainerEngine {
    public let backend: DockerSandboxBackend
    public var docker: DockerClient { backend.docker }

    public init(backend: DockerSandboxBackend) {
        self.backend = backend
    }

    public func containerID(of instance: any SandboxInstance) -> String? {
        if let pooled = instance as? PooledSandbox { return containerID(of: pooled.base) }
        return (instance as? DockerSandbox)?.containerID
    }

    public func managedContainers(serverID: String) async throws -> [ManagedContainer] {
        let filters = DockerFilters.labels(["\(SandcastleLabels.managed)=true", "\(SandcastleLabels.server)=\(serverID)"])
        return try await docker.listContainers(all: true, filters: filters).map { summary in
            ManagedContainer(containerID: summary.id, sandboxID: summary.labels?[SandcastleLabels.sandbox],
                             running: summary.state == "running", pooled: summary.labels?[SandcastleLabels.pool] == "true")
        }
    }

    public func disconnect(_ instance: any SandboxInstance) -> Bool {
        if let pooled = instance as? PooledSandbox { return disconnect(pooled.base) }
        guard let sandbox = instance as? DockerSandbox else { return false }
        sandbox.disconnect()
        return true
    }

    public func removeContainer(_ containerID: String) async throws {
        do {
            try await docker.removeContainer(id: containerID, force: true, removeVolumes: true)
        } catch let error as DockerError where error.code == .notFound {
            return
        }
    }

    public func adopt(sandboxID: String, containerID: String) async throws -> any SandboxInstance {
        try await backend.adopt(sandboxID: sandboxID, containerID: containerID)
    }

    public func stats(containerID: String) async throws -> SandboxStats {
        let stats: ContainerStats
        do {
            stats = try await docker.containerStats(id: containerID)
        } catch let error as DockerError where error.code == .notFound {
            throw SandboxError(.sandboxGone, "the sandbox's container no longer exists", cause: error)
        }
        let total = stats.cpuStats?.cpuUsage?.totalUsage ?? 0
        let previousTotal = stats.precpuStats?.cpuUsage?.totalUsage ?? 0
        let system = stats.cpuStats?.systemCPUUsage ?? 0
        let previousSystem = stats.precpuStats?.systemCPUUsage ?? 0
        let cpus = Double(stats.cpuStats?.onlineCPUs ?? 1)
        var percent = 0.0
        // Docker's own formula: the container's share of the host's CPU time over the window.
        if total > previousTotal, system > previousSystem {
            percent = Double(total - previousTotal) / Double(system - previousSystem) * cpus * 100
        }
        let memory = stats.memoryStats
        // Page cache is reclaimable; report what `docker stats` reports (usage minus inactive file).
        let cache = memory?.stats?["inactive_file"] ?? memory?.stats?["total_inactive_file"] ?? 0
        let usage = memory?.usage ?? 0
        return SandboxStats(memoryBytes: usage > cache ? usage - cache : usage, memoryLimitBytes: memory?.limit ?? 0,
                            cpuPercent: (percent * 100).rounded() / 100, cpuTotalNanoseconds: total,
                            pids: stats.pidsStats?.current ?? 0)
    }

    public func listWorkspaces() async throws -> [WorkspaceInfo] {
        let filters = DockerFilters.labels(["\(SandcastleLabels.managed)=true", SandcastleLabels.workspace])
        return try await docker.listVolumes(filters: filters).map(Self.info)
            .sorted { $0.name < $1.name }
    }

    public func createWorkspace(name: String, owner: String) async throws -> WorkspaceInfo {
        let volume = try await docker.createVolume(name: name, labels: [SandcastleLabels.managed: "true", SandcastleLabels.workspace: name,
                                                                       SandcastleLabels.owner: owner])
        return Self.info(volume)
    }

    public func volume(name: String) async throws -> WorkspaceInfo? {
        do {
            return Self.info(try await docker.inspectVolume(name: name))
        } catch let error as DockerError where error.code == .notFound {
            return nil
        }
    }

    public func removeWorkspace(name: String) async throws {
        do {
            try await docker.removeVolume(name: name, force: false)
        } catch let error as DockerError where error.code == .notFound {
            throw ServerError(.notFound, "no workspace named \(name)")
        } catch let error as DockerError where error.code == .conflict {
            throw ServerError(.conflict, "workspace \(name) is in use by a sandbox; delete the sandbox first", cause: error)
        }
    }

    static func info(_ volume: Volume) -> WorkspaceInfo {
        WorkspaceInfo(name: volume.name, createdAt: volume.createdAt, labels: volume.labels ?? [:])
    }
}
