import Sandbox

/// What removing a run's leftovers did.
public struct RunCleanup: Sendable, Equatable {
    /// Sandboxes removed, over every backend.
    public var removedSandboxes = 0
    /// What could not be removed or checked, one sentence each (the store stays the source of
    /// truth; `sandcastle doctor` finds leftovers by the managed label).
    public var problems: [String] = []
}

extension BackendRouter {
    /// Removes every sandbox of run `runID` on every configured backend, whichever process made
    /// it, and with `includingWorkspace` the run's shared workspace too. The one place that
    /// knows what "everything of a run" is: cancel, resume and the server all come here.
    ///
    /// Backends that cannot find their sandboxes by label are passed over silently: their
    /// sandboxes end with their own lifetime (E2B's timeout).
    public func removeResources(ofRun runID: String, includingWorkspace: Bool) async -> RunCleanup {
        var cleanup = RunCleanup()
        for entry in entries {
            do {
                cleanup.removedSandboxes += try await entry.backend.removeSandboxes(labelled: [SandcastleLabels.run: runID])
            } catch let error as SandboxError where error.code == .unsupported {
                continue
            } catch {
                cleanup.problems.append("cannot remove the \(entry.name) sandboxes of run \(runID): \(error)")
            }
        }
        if includingWorkspace, let workspaces {
            do {
                try await workspaces.removeWorkspace(named: WorkflowEngine.workspaceName(runID: runID))
            } catch {
                cleanup.problems.append("cannot remove the workspace of run \(runID): \(error)")
            }
        }
        return cleanup
    }
}
