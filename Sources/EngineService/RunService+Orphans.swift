import Engine
import Store

extension RunService {
    /// Removes the sandboxes that runs of this data folder left behind when their process died
    /// (a killed `sandcastle run`): nobody uses them again, and a resume makes new ones. Their
    /// runs stay resumable and keep their workspaces. `sandcastle run` and `serve` call it at
    /// start; `sandcastle doctor --clean` sweeps every data folder's (``abandonedSandboxes(_:removing:)``).
    ///
    /// - Throws: ``EngineServiceError`` `.persistence` when the store cannot be read.
    public func removeOrphanedSandboxes() async throws -> OrphanSweep {
        let router = try requireRouter()
        var known: [String: Bool] = [:]
        var failure: (any Error)?
        let sweep = await router.removeOrphanedSandboxes { runID in
            if let cached = known[runID] { return cached }
            do {
                let ours = try !runID.isEmpty && repository.run(id: runID) != nil
                known[runID] = ours
                return ours
            } catch {
                failure = error
                return false
            }
        }
        if let failure {
            throw EngineServiceError(.persistence, "cannot read the runs of \(settings.databasePath): \(failure)", cause: failure)
        }
        return sweep
    }

    /// Every sandbox on the backends of `settings` whose process on this host has died,
    /// whichever data folder its run lives in, removed unless `removing` is false: what
    /// `sandcastle doctor` reports and `doctor --clean` does. Needs no data folder.
    ///
    /// - Throws: ``EngineServiceError`` `.backendUnavailable` when Docker does not answer.
    public static func abandonedSandboxes(_ settings: EngineSettings, removing: Bool) async throws -> OrphanSweep {
        try await makeRouter(settings).removeOrphanedSandboxes(removing: removing)
    }
}
