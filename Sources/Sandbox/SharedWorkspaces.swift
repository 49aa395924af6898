/// Named workspaces that outlive the sandboxes mounting them: what the steps of one run share.
///
/// A backend offers them through ``SandboxBackend/workspaces`` when its sandboxes can mount one
/// (local Docker volumes); a backend whose sandboxes each live on their own (E2B) offers none,
/// and callers give its sandboxes no workspace name.
public protocol SharedWorkspaces: Sendable {
    /// Removes the workspace, first removing any leftover sandbox still mounting it (one a
    /// killed process left half made). A workspace that does not exist is not an error.
    func removeWorkspace(named name: String) async throws

    /// Writes the workspace's files as a tar archive to `path`, without running anything in it.
    ///
    /// - Parameters:
    ///   - maxBytes: a larger archive is not kept: the outcome is `.skipped` and `path` is not written.
    ///   - labels: put on any helper object the backend makes meanwhile (e.g. the run's), so a
    ///     sweep by label finds it if this process dies.
    /// - Returns: `.skipped` with the reason when there is no such workspace or it is too large.
    func saveWorkspace(
        named name: String, to path: String, maxBytes: Int64,
        labels: [String: String]
    ) async throws -> WorkspaceSnapshotOutcome

    /// Fills the workspace (created when missing) with the files of an archive written by
    /// ``saveWorkspace(named:to:maxBytes:labels:)``.
    func restoreWorkspace(named name: String, from path: String) async throws
}

/// What a workspace save or restore did.
public enum WorkspaceSnapshotOutcome: Sendable, Equatable {
    /// Done: the snapshot's size in bytes.
    case done(bytes: Int64)
    /// Nothing was saved or restored, and why (no workspace, over the size cap, no snapshot).
    case skipped(reason: String)
}
