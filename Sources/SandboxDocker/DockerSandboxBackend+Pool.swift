import DockerEngine
import Sandbox

extension DockerSandboxBackend {
    /// Removes containers (with their anonymous workspaces) a warm pool made and nobody holds:
    /// every container labelled ``SandcastleLabels/pool`` whose sandbox id is not in `keeping`.
    ///
    /// For a server that restarts: a pool's ready sandboxes died with its process, but their
    /// containers did not. The label stays on a container after it was handed out, so the
    /// caller passes the ids its database knows to be in use (`keeping`); the label alone
    /// cannot tell a stale pooled sandbox from one a session still holds. Without `labels`,
    /// another server's pool on the same engine looks stale too.
    ///
    /// - Parameters:
    ///   - keeping: sandbox ids still in use.
    ///   - labels: only containers carrying all of these too (the pool's ``WarmPool/Configuration/labels``,
    ///     e.g. a server id, so one server leaves another's pool alone).
    /// - Returns: the sandbox ids removed.
    @discardableResult
    public func removeStalePooledSandboxes(keeping: Set<String> = [], labels: [String: String] = [:]) async throws -> [String] {
        let required =
            ["\(SandcastleLabels.managed)=true", "\(SandcastleLabels.pool)=true"]
            + labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        let filters = DockerFilters.labels(required)
        let containers: [ContainerSummary]
        do {
            containers = try await docker.listContainers(all: true, filters: filters)
        } catch {
            throw SandboxError.fromDocker(error, doing: "list pooled sandboxes")
        }
        var removed: [String] = []
        for container in containers {
            let sandboxID = container.labels?[SandcastleLabels.sandbox] ?? container.id
            if keeping.contains(sandboxID) { continue }
            do {
                try await docker.removeContainer(id: container.id, force: true, removeVolumes: true)
                removed.append(sandboxID)
            } catch let error as DockerError where error.code == .notFound {
                continue // removed meanwhile: the goal is met
            } catch {
                throw SandboxError.fromDocker(error, doing: "remove stale pooled sandbox \(sandboxID)")
            }
        }
        return removed
    }
}

extension DockerSandbox {
    /// True once the runner channel has closed: the container stopped or was removed, or the
    /// sandbox was destroyed. Every operation would fail; known without a round trip.
    public var isKnownGone: Bool { connection.closedError != nil }
    /// The channel closes when the container stops: an open one is proof enough.
    public var observesLiveness: Bool { true }
}
