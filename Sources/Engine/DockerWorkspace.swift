import Foundation
import DockerEngine
import Sandbox

extension DockerSandboxBackend {
    /// Removes a run's shared workspace volume (named volumes outlive their sandboxes on
    /// purpose, so the engine removes it when the run ends). A volume that is already gone is fine.
    ///
    /// The run's own sandboxes are gone by now, so a container still mounting the volume is a
    /// leftover: a process killed while its create request was in flight leaves the engine to
    /// finish that container after whoever resumed the run had swept the run's label. It was
    /// never started; it goes first, or the volume could not be removed.
    public func removeWorkspaceVolume(named name: String) async {
        var mounting = DockerFilters.labels(["\(SandcastleLabels.managed)=true"])
        mounting.add("volume", name)
        if let leftovers = try? await docker.listContainers(all: true, filters: mounting) {
            for container in leftovers {
                try? await docker.removeContainer(id: container.id, force: true)
            }
        }
        do {
            try await docker.removeVolume(name: name, force: true)
        } catch let error as DockerError where error.code == .notFound {
            return
        } catch {
            // A cleanup problem must not turn a finished run into a failed one; `sandcastle doctor`
            // finds leftovers by the managed label.
            return
        }
    }
}

/// Workspace snapshots as tar files under the data folder (`runs/RUN/workspace.tar`), read and
/// written through a container created with the volume mounted and never started: the engine
/// serves archives of stopped containers, so nothing runs and no sandbox is spent on it.
public struct DockerWorkspaceSnapshots: WorkspaceSnapshotStore {
    public let backend: DockerSandboxBackend
    public let files: RunFiles
    /// A workspace larger than this is not kept (the run's events say so).
    public let maxBytes: Int64

    public init(backend: DockerSandboxBackend, files: RunFiles, maxBytes: Int64 = defaultMaxBytes) {
        self.backend = backend
        self.files = files
        self.maxBytes = maxBytes
    }

    public static let defaultMaxBytes: Int64 = 256 << 20

    public func save(volume: String, runID: String) async throws -> WorkspaceSnapshotOutcome {
        let docker = backend.docker
        do {
            _ = try await docker.inspectVolume(name: volume)
        } catch let error as DockerError where error.code == .notFound {
            return .skipped(reason: "the run has no workspace volume (none of its steps ran on Docker)")
        }
        let path = files.workspaceSnapshot(runID)
        let partial = path + ".partial"
        try FileManager.default.createDirectory(atPath: files.runDirectory(runID), withIntermediateDirectories: true)
        return try await withHelperContainer(volume: volume, runID: runID) { container in
            let archive = try await docker.getArchive(id: container, path: "/workspace")
            let file = try BackgroundFileWriter(creating: partial)
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
            // Renamed only once whole, so a crash never leaves a truncated snapshot to restore.
            _ = try? FileManager.default.removeItem(atPath: path)
            try FileManager.default.moveItem(atPath: partial, toPath: path)
            return .done(bytes: written)
        }
    }

    public func restore(volume: String, fromRunID runID: String) async throws -> WorkspaceSnapshotOutcome {
        let path = files.workspaceSnapshot(runID)
        guard let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber else {
            return .skipped(reason: "run \(runID) kept no workspace snapshot")
        }
        try await withHelperContainer(volume: volume, runID: nil) { container in
            // The archive's top entry is `workspace/`: extracted at `/`, it lands in the mounted volume.
            try await backend.docker.putArchive(id: container, path: "/", tarFile: path)
        }
        return .done(bytes: size.int64Value)
    }

    /// Runs `body` with a created (never started) container that mounts `volume` at
    /// `/workspace`, and removes the container afterwards, also when `body` throws.
    private func withHelperContainer<T: Sendable>(volume: String, runID: String?,
                                                  _ body: (String) async throws -> T) async throws -> T {
        var labels = [SandcastleLabels.managed: "true"]
        if let runID { labels[EngineLabels.run] = runID }
        var config = ContainerConfig(image: backend.images.resolve("base"))
        config.cmd = ["true"]
        config.labels = labels
        config.networkDisabled = true
        var host = HostConfig()
        // Like a sandbox's mount: a new volume takes the image's /workspace (owned by the sandbox user).
        host.mounts = [Mount(type: .volume, source: volume, target: "/workspace", readOnly: false,
                             volumeOptions: VolumeOptions(noCopy: false, labels: [SandcastleLabels.managed: "true"]))]
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
