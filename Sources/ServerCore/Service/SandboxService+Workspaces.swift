import Sandbox

/// `/v1/workspaces` and a sandbox's `workspace`: named volumes that outlive sandboxes, each
/// key's own (``OwnedWorkspace``). Another key's workspace, a workflow run's, or any volume that is
/// not the key's workspace answers as absent (`404`), never as "exists".
extension SandboxService {
    public func listWorkspaces(keyID: String?) async throws -> [WorkspaceInfo] {
        let owner = OwnedWorkspace.owner(keyID)
        return try await requireHost().listWorkspaces(owner: owner).compactMap { volume -> WorkspaceInfo? in
            guard let name = volume.labels[SandcastleLabels.workspace] else { return nil }
            let workspace = OwnedWorkspace(name: name, keyID: keyID)
            return workspace.isBacked(by: volume) ? WorkspaceInfo(workspace, volume: volume) : nil
        }
        .sorted { $0.name < $1.name }
    }

    public func createWorkspace(name: String, keyID: String?) async throws -> WorkspaceInfo {
        let workspace = try OwnedWorkspace(validating: name, keyID: keyID)
        let host = try requireHost()
        if try await volume(backing: workspace, host: host) != nil {
            throw ServerError(.conflict, "workspace \(name) exists")
        }
        return WorkspaceInfo(workspace, volume: try await makeVolume(for: workspace, host: host))
    }

    public func deleteWorkspace(name: String, keyID: String?) async throws {
        let workspace = try OwnedWorkspace(validating: name, keyID: keyID)
        let host = try requireHost()
        guard let volume = try await volume(backing: workspace, host: host) else {
            throw ServerError(.notFound, "no workspace named \(name)")
        }
        // A sandbox deleted just before still mounts the volume until its container is removed;
        // the host would refuse with "volume in use" although no sandbox uses it any more.
        await removals.waitForRemovals(mounting: workspace.volumeName)
        do {
            try await host.removeWorkspace(volume: volume.name)
        } catch let error as SandboxError where error.code == .notFound {
            throw ServerError(.notFound, "no workspace named \(name)", cause: error)
        } catch let error as SandboxError where error.code == .inUse {
            throw ServerError(.conflict, "workspace \(name) is in use by a sandbox; delete the sandbox first", cause: error)
        }
    }

    /// Lists a workspace's files without a user sandbox (see ``withWorkspaceHelper(name:keyID:_:)``).
    public func browseWorkspace(name: String, path: String, keyID: String?) async throws -> FileList {
        let relative = try Self.workspaceRelativePath(path)
        let entries = try await withWorkspaceHelper(name: name, keyID: keyID) { helper in
            try await helper.list(path: relative.isEmpty ? "/workspace" : "/workspace/" + relative)
        }
        return FileList(
            path: "/" + relative,
            entries: entries.map { entry in
                var view = FileView(entry)
                view.path = String(view.path.dropFirst("/workspace".count))
                return view
            })
    }

    /// A short-lived helper sandbox with the workspace mounted at `/workspace`, for the caller to
    /// release. It never counts against the caller's limits; another key's workspace is not found.
    ///
    /// The helper's files are confined to `/workspace` (``SandboxSpec/filesBeneath``): its runner
    /// resolves every path beneath it, so a link that a sandbox left in the workspace (`ln -s /
    /// root`) shows as a link and leads nowhere, rather than into the helper's own files.
    package nonisolated func openWorkspaceHelper(name: String, keyID: String?) async throws -> WorkspaceHelperLease {
        let workspace = try OwnedWorkspace(validating: name, keyID: keyID)
        let host = try requireHost()
        guard let volume = try await volume(backing: workspace, host: host) else {
            throw ServerError(.notFound, "no workspace named \(name)")
        }
        // What a sandbox deleted a moment ago still runs in the workspace must not show up here.
        await removals.waitForRemovals(mounting: workspace.volumeName)
        let spec = SandboxSpec(
            image: "base", profile: "default", workspace: volume.name, labels: ["sandcastle.helper": "workspace-browse"],
            filesBeneath: "/workspace")
        let lease = WorkspaceHelperLease(sandbox: try await provisioner.provision(spec).instance)
        do {
            try await Self.requireConfinedFiles(lease.sandbox)
        } catch {
            await lease.release()
            throw error
        }
        return lease
    }

    /// Runs `body` on a helper sandbox (``openWorkspaceHelper(name:keyID:)``), then removes it.
    package nonisolated func withWorkspaceHelper<T: Sendable>(
        name: String, keyID: String?,
        _ body: (any SandboxInstance) async throws -> T
    ) async throws -> T {
        let lease = try await openWorkspaceHelper(name: name, keyID: keyID)
        do {
            let result = try await body(lease.sandbox)
            await lease.release()
            return result
        } catch {
            await lease.release()
            throw error
        }
    }

    /// A runner from an image built before runners could confine their files ignores the request
    /// and would serve the helper's own files through a link: refuse to browse with it. A confined
    /// runner refuses `/`, which lies outside `/workspace`.
    private static func requireConfinedFiles(_ helper: any SandboxInstance) async throws {
        var refused = false
        do {
            _ = try await helper.stat(path: "/")
        } catch let error as SandboxError {
            refused = error.code == .permissionDenied
        }
        guard refused else {
            throw ServerError(
                .invalidConfiguration,
                "the sandbox image's runner cannot keep the workspace browser inside the workspace; "
                    + "rebuild the images (sandcastle images build)")
        }
    }

    /// The volume a new sandbox of this key mounts for `workspace`: the key's workspace, made
    /// (with its labels) when the key has none of that name yet. Without a host nothing can be
    /// looked up, and the derived name alone keeps keys apart.
    func volumeToMount(_ workspace: OwnedWorkspace) async throws -> String {
        guard let host else { return workspace.volumeName }
        // Docker would create a missing volume on its own, without our labels; make it ours first.
        if let volume = try await volume(backing: workspace, host: host) { return volume.name }
        return try await makeVolume(for: workspace, host: host).name
    }

    /// The volume behind the key's workspace; nil when the key has none of that name (whatever
    /// else exists by either of its names).
    nonisolated func volume(backing workspace: OwnedWorkspace, host: any SandboxHost) async throws -> WorkspaceListing? {
        for name in [workspace.volumeName, workspace.legacyVolumeName] {
            if let volume = try await host.volume(name: name), workspace.isBacked(by: volume) { return volume }
        }
        return nil
    }

    private nonisolated func makeVolume(for workspace: OwnedWorkspace, host: any SandboxHost) async throws -> WorkspaceListing {
        let volume = try await host.createWorkspace(volume: workspace.volumeName, labels: workspace.labels)
        // Docker answers a create of an existing name with that volume as it is: only a volume
        // someone made by hand under the derived name gets here, and it is not the key's.
        guard workspace.isBacked(by: volume) else {
            throw ServerError(.conflict, "workspace \(workspace.name) cannot be made: its volume name \(volume.name) is taken")
        }
        return volume
    }

    nonisolated func requireHost() throws -> any SandboxHost {
        guard let host else { throw ServerError(.invalidInput, "this server's backend has no workspaces") }
        return host
    }

    /// A path inside a workspace, without `..` escapes; "" is the root. Symlinks are the
    /// helper's runner's business (``withWorkspaceHelper(name:keyID:_:)``).
    package static func workspaceRelativePath(_ path: String) throws -> String {
        let parts = path.split(separator: "/").filter { $0 != "." }
        guard !parts.contains("..") else { throw ServerError(.invalidInput, "path must stay inside the workspace (no '..')") }
        return parts.joined(separator: "/")
    }
}
