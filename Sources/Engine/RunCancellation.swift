import Foundation
import Store

extension WorkflowEngine {
    /// Records the cancellation of an unfinished run and, first, of its unfinished sub-workflow
    /// runs: every unfinished step becomes `cancelled`, a `run_cancel_requested` event is added,
    /// the run becomes `cancelled` with `reason`, and its pending approvals are closed.
    ///
    /// Recorded before anything is removed: an engine still running the run (in any process)
    /// sees it and stops, and a crash afterwards leaves nothing to resume. Removing the runs'
    /// sandboxes is the caller's next step (``BackendRouter/removeResources(ofRun:includingWorkspace:)``).
    ///
    /// - Returns: the ids of the runs cancelled, children before their parent.
    /// - Throws: ``EngineError`` `.persistence` when the store refuses a write.
    public static func recordCancellation(
        of detail: RunDetail, reason: String,
        repository: any RunRepository
    ) throws -> [String] {
        let id = detail.run.id
        var cancelled: [String] = []
        let children = ((try? repository.listRuns(RunQuery(statuses: resumableStatuses, limit: 10_000))) ?? [])
            .filter { $0.parentRunID == id && $0.lineageKind == "sub_workflow" }
        for child in children {
            if let childDetail = try? repository.run(id: child.id) {
                cancelled += try recordCancellation(of: childDetail, reason: reason, repository: repository)
            }
        }
        do {
            for step in detail.steps where !step.status.isTerminal {
                var step = step
                step.status = .cancelled
                step.finishedAt = Date()
                try repository.upsertStep(step)
            }
            try repository.append(.runCancelRequested, runID: id)
            try repository.updateRunStatus(id: id, to: .cancelled, at: Date(), error: reason)
            for approval in try repository.approvals(runID: id, statuses: [.pending]) {
                _ = try repository.decideApproval(
                    runID: id, stepID: approval.stepID, status: .cancelled, decidedBy: nil,
                    comment: "the run was cancelled", responseJSON: nil, at: Date())
            }
        } catch {
            throw EngineError(.persistence, "cannot record the cancellation of run \(id): \(error)", cause: error)
        }
        return cancelled + [id]
    }
}
