import DockerEngine
import Sandbox

/// The Docker backend's sandboxes as containers, found by label: what the server reconciles
/// with after a restart.
public struct DockerInventory: SandboxInventory {
    public let backend: DockerSandboxBackend
    var docker: DockerClient { backend.docker }

    public init(backend: DockerSandboxBackend) {
        self.backend = backend
    }

    public func handle(of instance: any SandboxInstance) -> String? {
        if let pooled = instance as? PooledSandbox { return handle(of: pooled.base) }
        return (instance as? DockerSandbox)?.containerID
    }

    public func sandboxes(labelled labels: [String: String]) async throws -> [SandboxListing] {
        let filters = DockerFilters.labels(
            ["\(SandcastleLabels.managed)=true"]
                + labels.sorted { $0.key < $1.key }.map { $0.value.isEmpty ? $0.key : "\($0.key)=\($0.value)" })
        do {
            return try await docker.listContainers(all: true, filters: filters).map { summary in
                SandboxListing(
                    handle: summary.id, sandboxID: summary.labels?[SandcastleLabels.sandbox],
                    running: summary.state == "running", pooled: summary.labels?[SandcastleLabels.pool] == "true",
                    labels: summary.labels ?? [:])
            }
        } catch {
            throw SandboxError.fromDocker(error, doing: "list the sandbox containers")
        }
    }

    public func disconnect(_ instance: any SandboxInstance) -> Bool {
        if let pooled = instance as? PooledSandbox { return disconnect(pooled.base) }
        guard let sandbox = instance as? DockerSandbox else { return false }
        sandbox.disconnect()
        return true
    }

    public func remove(handle: String) async throws {
        do {
            try await docker.removeContainer(id: handle, force: true, removeVolumes: true)
        } catch let error as DockerError where error.code == .notFound {
            return
        } catch {
            throw SandboxError.fromDocker(error, doing: "remove container \(handle)")
        }
    }

    public func adopt(sandboxID: String, handle: String) async throws -> any SandboxInstance {
        try await backend.adopt(sandboxID: sandboxID, containerID: handle)
    }

    public func stats(handle: String) async throws -> SandboxStats {
        let stats: ContainerStats
        do {
            stats = try await docker.containerStats(id: handle)
        } catch let error as DockerError where error.code == .notFound {
            throw SandboxError(.sandboxGone, "the sandbox's container no longer exists", cause: error)
        } catch {
            throw SandboxError.fromDocker(error, doing: "read the sandbox's stats")
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
        return SandboxStats(
            memoryBytes: usage > cache ? usage - cache : usage, memoryLimitBytes: memory?.limit ?? 0,
            cpuPercent: (percent * 100).rounded() / 100, cpuTotalNanoseconds: total,
            pids: stats.pidsStats?.current ?? 0)
    }
}

extension DockerSandboxBackend {
    public var inventory: (any SandboxInventory)? { DockerInventory(backend: self) }
}

extension DockerWorkspaces: WorkspaceCatalog {
    public func workspaces(labelled labels: [String: String]) async throws -> [WorkspaceListing] {
        let filters = DockerFilters.labels(
            ["\(SandcastleLabels.managed)=true"]
                + labels.sorted { $0.key < $1.key }.map { $0.value.isEmpty ? $0.key : "\($0.key)=\($0.value)" })
        do {
            return try await backend.docker.listVolumes(filters: filters).map(Self.listing).sorted { $0.name < $1.name }
        } catch {
            throw SandboxError.fromDocker(error, doing: "list the workspace volumes")
        }
    }

    public func createWorkspace(named name: String, labels: [String: String]) async throws -> WorkspaceListing {
        var labels = labels
        labels[SandcastleLabels.managed] = "true"
        do {
            return Self.listing(try await backend.docker.createVolume(name: name, labels: labels))
        } catch {
            throw SandboxError.fromDocker(error, doing: "create workspace \(name)")
        }
    }

    public func workspace(named name: String) async throws -> WorkspaceListing? {
        do {
            return Self.listing(try await backend.docker.inspectVolume(name: name))
        } catch let error as DockerError where error.code == .notFound {
            return nil
        } catch {
            throw SandboxError.fromDocker(error, doing: "inspect workspace \(name)")
        }
    }

    public func deleteWorkspace(named name: String) async throws {
        do {
            try await backend.docker.removeVolume(name: name, force: false)
        } catch let error as DockerError where error.code == .notFound {
            throw SandboxError(.notFound, "no workspace named \(name)", cause: error)
        } catch let error as DockerError where error.code == .conflict {
            throw SandboxError(.inUse, "workspace \(name) is in use by a sandbox", cause: error)
        } catch {
            throw SandboxError.fromDocker(error, doing: "delete workspace \(name)")
        }
    }

    static func listing(_ volume: Volume) -> WorkspaceListing {
        WorkspaceListing(name: volume.name, createdAt: volume.createdAt, labels: volume.labels ?? [:])
    }
}
