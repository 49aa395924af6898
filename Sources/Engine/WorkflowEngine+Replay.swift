import Foundation
import Store
import Workflow

extension WorkflowEngine {
    /// What a replay re-runs and what it takes from its parent, checked before anything is recorded.
    struct ReplayPlan {
        var parent: RunDetail
        /// The workflow with a fork's changes applied.
        var effective: WorkflowDefinition
        var graph: WorkflowGraph
        var changes: ForkChanges?
        /// The parent's results of the steps that are not re-run, by step id.
        var reused: [String: (outcome: DependencyTracker.Outcome, result: StepResult, record: StepRecord)]
    }

    /// Starts a new run of `workflow` that re-runs `fromStep` and everything downstream of it,
    /// reusing the parent run's recorded results for the rest (a replay), or, with `changes`,
    /// re-running `fromStep` changed (a fork). The new run records its lineage: parent run id,
    /// from-step, `replay` or `fork`, and the changes.
    ///
    /// Steps upstream of `fromStep` must have completed in the parent. Steps on other branches
    /// are reused when they finished there and run otherwise. The new run starts from the
    /// parent's workspace as it ended, when it was saved.
    ///
    /// - Throws: ``EngineError`` `.notFound` (no parent run, no such step), `.notResumable` (the
    ///   workflow file changed since the parent ran, or an upstream step did not complete),
    ///   `.invalidRequest` (changes the step cannot take), `.persistence`.
    public func replay(
        parentRunID: String, fromStep: String, workflow: WorkflowDefinition,
        changes: ForkChanges? = nil, runID: String = WorkflowEngine.makeRunID()
    ) async throws -> RunOutcome {
        let plan = try planReplay(parentRunID: parentRunID, fromStep: fromStep, workflow: workflow, changes: changes)
        do {
            try recordReplay(plan, parentRunID: parentRunID, fromStep: fromStep, workflow: workflow, runID: runID, owner: configuration.owner)
            try repository.updateRunStatus(id: runID, to: .running, at: Date(), error: nil)
            try repository.append(Self.replayStarted(plan, parentRunID: parentRunID, fromStep: fromStep), runID: runID)
        } catch {
            throw EngineError(.persistence, "cannot record the new run: \(error)", cause: error)
        }
        onEvent(.runStarted(runID: runID, workflow: plan.effective.name))

        var inputs: [String: JSONValue] = [:]
        if case .object(let values)? = JSONValue.parse(json: plan.parent.run.inputsJSON) { inputs = values }
        var context = TemplateContext(runID: runID, inputs: inputs, environment: configuration.environment)
        var tracker = DependencyTracker(graph: plan.graph)
        for id in plan.graph.ids {
            guard let reused = plan.reused[id] else { continue }
            context.steps[id] = reused.result
            let (_, pruned) = tracker.markFinished(id, reused.outcome)
            for prunedID in pruned where context.steps[prunedID] == nil {
                context.steps[prunedID] = StepResult(output: .null, status: .skipped)
            }
        }
        // The reused steps' files: the parent's workspace as it ended.
        await restoreWorkspace(runID: runID, fromRunID: parentRunID)
        return try await execute(plan.effective, runID: runID, context: context, tracker: tracker)
    }

    /// Records a replay (or, with `changes`, a fork) as a run that waits to start, for a run
    /// queue: `pending`, no owner, the parent's reused results copied, everything checked as
    /// ``replay(parentRunID:fromStep:workflow:changes:runID:)`` checks it. ``resume(runID:workflow:)``
    /// starts it, from the parent's workspace.
    ///
    /// - Throws: as ``replay(parentRunID:fromStep:workflow:changes:runID:)``.
    public func enqueueReplay(
        parentRunID: String, fromStep: String, workflow: WorkflowDefinition, changes: ForkChanges? = nil,
        runID: String = WorkflowEngine.makeRunID()
    ) throws {
        let plan = try planReplay(parentRunID: parentRunID, fromStep: fromStep, workflow: workflow, changes: changes)
        do {
            try recordReplay(plan, parentRunID: parentRunID, fromStep: fromStep, workflow: workflow, runID: runID, owner: nil)
        } catch {
            throw EngineError(.persistence, "cannot record the new run: \(error)", cause: error)
        }
    }

    /// The `run_started` event of a replay or fork, naming its parent, from-step and changes.
    static func replayStarted(_ plan: ReplayPlan, parentRunID: String, fromStep: String) -> RunEvent {
        .runStarted(RunEvent.RunStarted(workflow: plan.effective.name, parentRun: parentRunID, fromStep: fromStep, changes: plan.changes?.json))
    }

    private func planReplay(parentRunID: String, fromStep: String, workflow: WorkflowDefinition, changes: ForkChanges?) throws -> ReplayPlan {
        let parent: RunDetail
        do {
            guard let found = try repository.run(id: parentRunID) else { throw EngineError(.notFound, "no run \(parentRunID)") }
            parent = found
        } catch let error as EngineError {
            throw error
        } catch {
            throw EngineError(.persistence, "cannot read run \(parentRunID): \(error)", cause: error)
        }
        guard workflow.step(fromStep) != nil else {
            throw EngineError(
                .notFound,
                "workflow `\(workflow.name)` has no step `\(fromStep)`; its steps: " + workflow.steps.map(\.id).joined(separator: ", "))
        }
        if let recorded = parent.run.workflowHash, Self.contentHash(ofFile: workflow.file) != recorded {
            throw EngineError(
                .notResumable, "the workflow file \(workflow.file) changed since run \(parentRunID); its recorded results no longer match the steps")
        }
        let changes = changes.flatMap { $0.isEmpty ? nil : $0 }
        let effective = try changes?.applied(to: workflow, step: fromStep) ?? workflow
        if let problem = unroutableStep(in: effective) { throw EngineError(.backendUnavailable, problem) }
        let graph = WorkflowGraph(effective)
        let rerun = graph.descendants(of: fromStep).union([fromStep])
        let stepsByID = Dictionary(effective.steps.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let parentSteps = Dictionary(parent.steps.filter { $0.fanoutIndex == nil }.map { ($0.stepID, $0) }, uniquingKeysWith: { first, _ in first })

        var reused: [String: (outcome: DependencyTracker.Outcome, result: StepResult, record: StepRecord)] = [:]
        for id in graph.ids where !rerun.contains(id) {
            guard let record = parentSteps[id], let step = stepsByID[id], let prior = Self.priorResult(record, step: step, workflow: effective)
            else { continue }
            reused[id] = (prior.0, prior.1, record)
        }
        for id in graph.ancestors(of: fromStep).sorted() where reused[id] == nil {
            throw EngineError(
                .notResumable,
                "step `\(id)` (upstream of `\(fromStep)`) did not complete in run \(parentRunID) "
                    + "(\(parentSteps[id]?.status.rawValue ?? "never ran")); replay from an earlier step")
        }
        return ReplayPlan(parent: parent, effective: effective, graph: graph, changes: changes, reused: reused)
    }

    /// The new run with its lineage and steps (the reused ones copied from the parent), pending.
    private func recordReplay(
        _ plan: ReplayPlan, parentRunID: String, fromStep: String, workflow: WorkflowDefinition, runID: String, owner: String?
    ) throws {
        try repository.createRun(
            RunRecord(
                id: runID, workflowName: plan.effective.name, workflowPath: workflow.file, workflowHash: plan.parent.run.workflowHash,
                inputsJSON: plan.parent.run.inputsJSON, parentRunID: parentRunID, forkedFromStep: fromStep,
                lineageKind: plan.changes == nil ? "replay" : "fork", forkChangesJSON: plan.changes?.json.jsonText, owner: owner))
        for step in plan.effective.steps {
            if let reused = plan.reused[step.id] {
                var copy = reused.record
                copy.runID = runID
                try repository.upsertStep(copy)
                try repository.append(.stepReused(RunEvent.StepReused(step: step.id, fromRun: parentRunID, status: reused.record.status)), runID: runID)
            } else {
                try repository.upsertStep(StepRecord(runID: runID, stepID: step.id, status: .pending))
            }
        }
    }
}
