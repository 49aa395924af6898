import DockerEngine
import Foundation
import Sandbox

/// Workspaces as named Docker volumes with the managed label, read and written through a
/// container created with the volume mounted and never started: the Docker engine serves
/// archives of stopped containers, so nothing runs and no sandbox is spent on it.
public struct DockerWorkspaces: SharedWorkspaces {
    public let backend: DockerSandboxBackend

    public init(backend: DockerSandboxBackend) {
        self.backend = backend
    }

    /// Named volumes outlive their sandboxes on purpose, so whoever owns one removes it.
    ///
    /// The owner's own sandboxes are gone by then, so a container still mounting the volume is a
    /// leftover: a process killed while its create request was in flight leaves the Docker engine
    /// to finish that container after whoever resumed the run had swept the run's label. It was
    /// never started; it goes first, or the volume could not be removed.
    public func removeWorkspace(named name: String) async throws {
        let docker = backend.docker
        var mounting = DockerFilters.labels(["\(SandcastleLabels.managed)=true"])
        mounting.add("volume", name)
        do {
            for container in try await docker.listContainers(all: true, filters: mounting) {
                try await docker.removeContainer(id: container.id, force: true)
            }
            try await docker.removeVolume(name: name, force: true)
        } catch let error as DockerError where error.code == .notFound {
            return
        } catch {
            throw SandboxError.fromDocker(error, doing: "remove workspace \(name)")
        }
    }

    public func saveWorkspace(
        named name: String, to path: String, maxBytes: Int64,
        labels: [String: String]
    ) async throws -> WorkspaceSnapshotOutcome {
        let docker = backend.docker
        do {
            _ = try await docker.inspectVolume(name: name)
        } catch let error as DockerError where error.code == .notFound {
            return .skipped(reason: "the run has no workspace volume (none of its steps ran on Docker)")
        }
        return try await withHelperContainer(volume: name, labels: labels) { container in
            let archive = try await docker.getArchive(id: container, path: "/workspace")
            let file = try BackgroundFileWriter(creating: path)
            var written: Int64 = 0
            do {
                for try await chunk in archive.body {
                    written += Int64(chunk.count)
                    if written > maxBytes { break }
                    try await file.append(chunk)
                }
                guard written <= maxBytes else {
                    file.discard()
                    return .skipped(reason: "the workspace is larger than \(maxBytes) bytes (SANDCASTLE_WORKSPACE_SNAPSHOT_MAX)")
                }
                try await file.finish()
            } catch {
                file.discard()
                throw error
            }
            return .done(bytes: written)
        }
    }

    public func restoreWorkspace(named name: String, from path: String) async throws {
        try await withHelperContainer(volume: name, labels: [:]) { container in
            // The archive's top entry is `workspace/`: extracted at `/`, it lands in the mounted volume.
            try await backend.docker.putArchive(id: container, path: "/", tarFile: path)
        }
    }

    /// Runs `body` with a created (never started) container that mounts `volume` at
    /// `/workspace`, and removes the container afterwards, also when `body` throws.
    private func withHelperContainer<T: Sendable>(
        volume: String, labels: [String: String],
        _ body: (String) async throws -> T
    ) async throws -> T {
        var labels = labels
        labels[SandcastleLabels.managed] = "true"
        var config = ContainerConfig(image: backend.images.resolve("base"))
        config.cmd = ["true"]
        config.labels = labels
        config.networkDisabled = true
        var host = HostConfig()
        // Like a sandbox's mount: a new volume takes the image's /workspace (owned by the sandbox user).
        host.mounts = [
            Mount(
                type: .volume, source: volume, target: "/workspace", readOnly: false,
                volumeOptions: VolumeOptions(noCopy: false, labels: [SandcastleLabels.managed: "true"]))
        ]
        config.hostConfig = host
        let docker = backend.docker
        let container = try await docker.createContainer(config: config)
        do {
            let result = try await body(container)
            await Task.detached { try? await docker.removeContainer(id: container, force: true) }.value
            return result
        } catch {
            await Task.detached { try? await docker.removeContainer(id: container, force: true) }.value
            throw error
        }
    }
}
