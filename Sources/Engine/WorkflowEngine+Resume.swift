import Foundation
import Sandbox
import Store
import Workflow

extension WorkflowEngine {
    /// Continues an unfinished run (`pending`, `running` or `waiting_approval`, e.g. after the
    /// process was killed, or after a paused run's approval was decided) from its persisted state.
    ///
    /// Completed and skipped steps are not run again: their recorded outputs feed the templates of
    /// the steps that follow. Steps that failed with `on_failure: continue` or as dead letters stay failed; every other
    /// step (interrupted, cancelled, failed, never started) runs again with fresh attempts.
    /// Sandboxes left over by the dead process must be removed by the caller first (they carry the
    /// ``SandcastleLabels/run`` label); the run's workspace volume is kept, since later steps read it.
    ///
    /// - Throws: ``EngineError`` `.notResumable` for an unknown or finished run, or when the
    ///   workflow file's content no longer matches the hash recorded at the start of the run;
    ///   `.persistence` when the repository fails.
    public func resume(runID: String, workflow: WorkflowDefinition) async throws -> RunOutcome {
        let found: RunDetail?
        do {
            found = try repository.run(id: runID)
        } catch {
            throw EngineError(.persistence, "cannot read run \(runID): \(error)", cause: error)
        }
        guard let detail = found else { throw EngineError(.notResumable, "no run \(runID)") }
        let run = detail.run
        guard Self.resumableStatuses.contains(run.status) else {
            throw EngineError(
                .notResumable,
                "run \(runID) is \(run.status); only pending, running or waiting_approval runs can be resumed")
        }
        if let recorded = run.workflowHash {
            // Steps already done ran the old file; mixing them with a changed one would be a different run.
            guard Self.contentHash(ofFile: workflow.file) == recorded else {
                throw EngineError(
                    .notResumable,
                    "the workflow file \(workflow.file) changed since run \(runID) started; it cannot be resumed")
            }
        }
        // A fork runs its file with changes to one step; they are recorded with the run.
        let workflow = try Self.effectiveWorkflow(workflow, for: run)
        if let problem = unsupportedFeature(in: workflow) {
            throw EngineError(.notResumable, problem)
        }
        if let problem = unroutableStep(in: workflow) {
            // Left resumable: once the backend is configured, the run can go on.
            throw EngineError(.backendUnavailable, problem)
        }
        var inputs: [String: JSONValue] = [:]
        if case .object(let values)? = JSONValue.parse(json: run.inputsJSON) { inputs = values }

        var context = TemplateContext(runID: runID, inputs: inputs, environment: configuration.environment)
        var tracker = DependencyTracker(graph: WorkflowGraph(workflow))
        let stepsByID = Dictionary(workflow.steps.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for record in detail.steps where record.fanoutIndex == nil {
            guard let step = stepsByID[record.stepID],
                let prior = Self.priorResult(record, step: step, workflow: workflow)
            else { continue }
            context.steps[record.stepID] = prior.1
            let (_, pruned) = tracker.markFinished(record.stepID, prior.0)
            for id in pruned where context.steps[id] == nil {
                context.steps[id] = StepResult(output: .null, status: .skipped)
            }
        }
        let prior = try PriorWork(runID: runID, records: detail.steps, finished: Set(context.steps.keys), repository: repository)
        let neverStarted = run.status == .pending && run.startedAt == nil
        let lineage = run.lineageKind == "replay" || run.lineageKind == "fork"
        // A queued replay or fork starts from its parent's workspace, as one started at once does.
        if neverStarted, lineage, let parent = run.parentRunID { await restoreWorkspace(runID: runID, fromRunID: parent) }
        try persist {
            try repository.write([.setRunOwner(id: runID, owner: configuration.owner)])
            try repository.updateRunStatus(id: runID, to: .running, at: Date(), error: nil)
            // A queued run (``enqueue``, ``enqueueReplay``) starts here for the first time.
            try repository.append(
                neverStarted
                    ? .runStarted(
                        RunEvent.RunStarted(
                            workflow: workflow.name, parentRun: lineage ? run.parentRunID : nil, fromStep: lineage ? run.forkedFromStep : nil,
                            changes: lineage ? run.forkChangesJSON.flatMap { JSONValue.parse(json: $0) } : nil))
                    : .runResumed(RunEvent.RunResumed(workflow: workflow.name, finishedSteps: context.steps.keys.sorted())),
                runID: runID)
        }
        onEvent(.runStarted(runID: runID, workflow: workflow.name))
        return try await execute(workflow, runID: runID, context: context, tracker: tracker, prior: prior)
    }

    /// A completed step's or item's recorded output; nil when it lived in a file that is gone
    /// (its result is then unknown and it runs again).
    public static func recordedOutput(_ record: StepRecord) -> JSONValue? {
        if let path = record.outputPath {
            guard let data = FileManager.default.contents(atPath: path) else { return nil }
            let text = String(decoding: data, as: UTF8.self)
            return path.hasSuffix(".json") ? (JSONValue.parse(json: text) ?? .string(text)) : .string(text)
        }
        if let json = record.outputJSON { return JSONValue.parse(json: json) ?? .string(json) }
        return record.outputText.map(JSONValue.string) ?? .null
    }

    /// The run states `resume` accepts.
    public static let resumableStatuses: Set<RunStatus> = [.pending, .running, .waitingApproval]

    /// Unfinished runs no live process is executing, oldest first: what a restarted service (or
    /// `sandcastle runs resume --all`) should resume. Sub-workflow runs are left out: resuming their
    /// parent starts them again.
    public static func orphanedRuns(in repository: any RunRepository, includingSubWorkflows: Bool = false) throws -> [RunRecord] {
        try repository.listRuns(RunQuery(statuses: resumableStatuses, limit: 10_000))
            .filter { run in
                (includingSubWorkflows || run.lineageKind != "sub_workflow") && !(run.owner.map(ProcessOwner.isAlive) ?? false)
            }
            .reversed()
    }

    /// How a persisted step counts on resume, or nil when it has to run (again).
    static func priorResult(
        _ record: StepRecord, step: StepDefinition,
        workflow: WorkflowDefinition
    ) -> (DependencyTracker.Outcome, StepResult)? {
        switch record.status {
        case .completed:
            guard let output = recordedOutput(record) else { return nil }
            return (.completed, StepResult(output: output, status: .completed, exitCode: record.exitCode))
        case .skipped:
            // `when: false` lets dependents run; anything else skipped (on_failure: skip) prunes them.
            let byCondition =
                (record.error?.hasPrefix("when:") ?? false)
                || (record.error?.hasPrefix(ApprovalWait.timedOutPrefix) ?? false)
                || (record.error?.hasPrefix(ApprovalWait.skippedPrefix) ?? false)
            return (
                byCondition ? .skipped : .pruned,
                StepResult(
                    output: .null, status: .skipped, error: byCondition ? nil : record.error,
                    exitCode: record.exitCode)
            )
        case .failed where workflow.settings(for: step).onFailure == .continue || (workflow.onFailure?.deadLetters == true && step.kind != .approval):
            // A dead-lettered step stays failed (its item was committed with it) and does not run again.
            return (.failedContinuing, StepResult(output: .null, status: .failed, error: record.error, exitCode: record.exitCode))
        default:
            return nil
        }
    }
}
