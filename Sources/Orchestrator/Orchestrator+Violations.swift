import Foundation
import Store

/// A page of policy violations and how many pass the filters in all.
public struct ViolationPage: Sendable {
    public var items: [ViolationRecord]
    public var total: Int
}

/// Policy violations (issue 15 §1) for the API: a tenant sees only its runs' violations, and a
/// run it may not see is "not found", as everywhere.
extension Orchestrator {
    /// Violations passing `query`, whose `tenant` is set to the caller's (nil: an admin, everything).
    ///
    /// - Throws: ``OrchestratorError`` `runNotFound` when `query.runID` names a run the caller
    ///   may not see (or none), `internalFailure`.
    public func violations(_ query: ViolationQuery) throws -> ViolationPage {
        if let runID = query.runID {
            try requireVisible(runID: runID, to: query.tenant)
            guard (try? runs.repository.run(id: runID)) ?? nil != nil else { throw OrchestratorError(.runNotFound, "run \(runID) not found") }
        }
        do {
            return ViolationPage(items: try runs.repository.violations(query), total: try runs.repository.countViolations(query))
        } catch {
            throw OrchestratorError(.internalFailure, "the violations could not be read: \(error)")
        }
    }

    /// Counts by severity, policy and action of the violations passing `query`'s filters.
    ///
    /// - Throws: ``OrchestratorError`` `internalFailure`.
    public func violationStats(_ query: ViolationQuery) throws -> ViolationStats {
        do {
            return try runs.repository.violationStats(query)
        } catch {
            throw OrchestratorError(.internalFailure, "the violation counts could not be read: \(error)")
        }
    }
}
