import Store

/// Tenant isolation of runs (issue 14 §7): a run belongs to the tenant whose key submitted it
/// (a replay or fork to its parent's); a tenant key sees only its tenant's runs, and a run it may
/// not see answers exactly as a run that does not exist. `tenant` nil is an admin: every run.
extension Orchestrator {
    /// The tenant run `runID` belongs to; nil for an admin's run or one started outside the API.
    ///
    /// - Throws: ``OrchestratorError`` `internalFailure`.
    public func tenant(ofRun runID: String) throws -> String? {
        do {
            return try runs.repository.submission(runID: runID)?.tenant
        } catch {
            throw OrchestratorError(.internalFailure, "the store could not be read: \(error)")
        }
    }

    /// Throws `runNotFound`, as for a run that does not exist, unless `tenant` may see run `runID`.
    public func requireVisible(runID: String, to tenant: String?) throws {
        guard let tenant else { return }
        guard try self.tenant(ofRun: runID) == tenant else { throw OrchestratorError(.runNotFound, "run \(runID) not found") }
    }

    /// Whether `tenant` may see run `runID` (see ``requireVisible(runID:to:)``).
    public func isVisible(runID: String, to tenant: String?) -> Bool {
        (try? requireVisible(runID: runID, to: tenant)) != nil
    }
}
