import Engine
import Foundation
import Sandbox
import Store
import Workflow

extension RunService {
    /// A recorded run with its workflow file loaded: what resume, replay and fork start from.
    public struct RecordedRun: Sendable {
        public let run: RunRecord
        public let workflow: WorkflowDefinition
        /// The workflow file, as recorded when the run started.
        public let path: String
    }

    /// Runs `workflow` from its start to its end (or until the calling task is cancelled: the
    /// engine then removes the run's sandboxes and records `cancelled`).
    ///
    /// - Returns: how the run ended; a failed or cancelled run is an outcome, not an error.
    public func start(
        _ workflow: WorkflowDefinition, inputs: [String: InputValue] = [:],
        runID: String = WorkflowEngine.makeRunID(), options: RunOptions = RunOptions()
    ) async throws -> RunOutcome {
        try await engine(options).run(workflow, inputs: inputs, runID: runID)
    }

    /// Records `workflow` as a run that waits to start (`pending`, with its steps and
    /// `alongside`, in one transaction), for a run queue to start with ``resume(_:options:)``.
    /// The run's budget is `maxCostUSD`; `lineage` names its parent (a dead letter's retry).
    ///
    /// - Throws: ``EngineServiceError`` `.invalidInputs`, `.conflict` (an idempotency key
    ///   already used), `.persistence`, `.backendUnavailable`.
    public func enqueue(
        _ workflow: WorkflowDefinition, inputs: [String: InputValue] = [:], runID: String = WorkflowEngine.makeRunID(),
        maxCostUSD: Double? = nil, lineage: WorkflowEngine.Lineage? = nil, alongside: [RunChange] = []
    ) async throws {
        var options = RunOptions()
        options.maxCostUSD = maxCostUSD
        do {
            try await engine(options).enqueue(workflow, inputs: inputs, runID: runID, lineage: lineage, alongside: alongside)
        } catch let error as EngineError where error.code == .invalidInputs {
            throw EngineServiceError(.invalidInputs, error.message, cause: error)
        } catch let error as EngineError {
            if let store = error.cause as? StoreError, store.code == .constraint {
                throw EngineServiceError(.conflict, "run \(runID) clashes with a recorded one: \(store.message)", cause: error)
            }
            throw EngineServiceError(.persistence, error.message, cause: error)
        }
    }

    /// Checks that run `runID` can be continued by this process and loads its workflow.
    ///
    /// - Parameter force: continue even though the process recorded as running it is alive.
    /// - Throws: ``EngineServiceError`` `.notFound`, `.notResumable` (finished), `.ownedElsewhere`
    ///   (a live process runs it), `.invalidWorkflow` (its file cannot be loaded).
    public func prepareResume(runID: String, force: Bool = false) throws -> RecordedRun {
        let detail = try run(id: runID)
        guard WorkflowEngine.resumableStatuses.contains(detail.run.status) else {
            throw EngineServiceError(
                .notResumable,
                "run \(runID) is \(detail.run.status); "
                    + "only pending, running or waiting_approval runs can be resumed")
        }
        if let owner = detail.run.owner, ProcessOwner.isAlive(owner), !force {
            // Two processes executing one run would run its steps twice and remove each other's sandboxes.
            throw EngineServiceError(
                .ownedElsewhere,
                "run \(runID) is being executed by process \(ProcessOwner.pid(of: owner).map(String.init) ?? owner) "
                    + "(e.g. a --detach run); follow it with `sandcastle runs logs --follow \(runID)`, stop it with "
                    + "`sandcastle runs cancel \(runID)`, or pass --force if that process does not run it any more")
        }
        return try recorded(detail.run)
    }

    /// Continues a run from its checkpoints: the dead process's sandboxes go first (they would
    /// hold slots and could still write to the workspace), then the engine resumes it.
    public func resume(_ recorded: RecordedRun, options: RunOptions = RunOptions()) async throws -> RunOutcome {
        let engine = try engine(options)
        _ = await engine.router.removeResources(ofRun: recorded.run.id, includingWorkspace: false)
        return try await engine.resume(runID: recorded.run.id, workflow: recorded.workflow)
    }

    /// Unfinished runs no live process executes, oldest first (sub-workflow runs are their parent's).
    public func orphanedRuns() throws -> [RunRecord] {
        do {
            return try WorkflowEngine.orphanedRuns(in: repository)
        } catch {
            throw EngineServiceError(.persistence, "cannot list the unfinished runs: \(error)", cause: error)
        }
    }

    /// Resumes every orphaned run one after another, approval gates as `--no-wait` (a gate
    /// pauses the run again): for `runs resume --all` and for `serve` at start-up.
    ///
    /// - Parameter say: told which run is resumed from which file, before it starts.
    /// - Returns: each run's id with how it ended, or why it could not be resumed.
    public func resumeOrphanedRuns(say: @Sendable (String) -> Void = { _ in }) async throws -> [(runID: String, outcome: String)] {
        var summary: [(runID: String, outcome: String)] = []
        for run in try orphanedRuns() {
            let outcome: String
            do {
                let recorded = try self.recorded(run)
                say("resuming run \(run.id): workflow `\(recorded.workflow.name)` from \(recorded.path)")
                let result = try await resume(recorded, options: RunOptions(waitForApprovals: false))
                outcome = result.status.rawValue + (result.error.map { ": \($0)" } ?? "")
            } catch let error as EngineServiceError {
                outcome = "not resumed: \(error.message)"
            } catch let error as EngineError {
                outcome = "not resumed: \(error.message)"
            }
            summary.append((run.id, outcome))
        }
        return summary
    }

    /// What a cancellation did.
    public struct Cancellation: Sendable {
        /// The runs recorded as cancelled: the run and its unfinished sub-workflow runs.
        public var runs: [String]
        /// Sandboxes removed, or nil when no backend could be reached (``problems`` says why;
        /// `sandcastle doctor` finds leftovers by the managed label).
        public var removedSandboxes: Int?
        public var problems: [String]
    }

    /// Cancels an unfinished run: recorded first (an engine running it in any process stops),
    /// then every sandbox and the workspace of it and of its sub-workflow runs are removed.
    ///
    /// - Throws: ``EngineServiceError`` `.notFound`, `.alreadyFinished`, `.persistence`.
    public func cancel(runID: String, reason: String) async throws -> Cancellation {
        let detail = try run(id: runID)
        guard !detail.run.status.isTerminal else {
            throw EngineServiceError(.alreadyFinished, "run \(runID) is already \(detail.run.status)")
        }
        let runs: [String]
        do {
            runs = try WorkflowEngine.recordCancellation(of: detail, reason: reason, repository: repository)
        } catch let error as EngineError {
            throw EngineServiceError(.persistence, error.message, cause: error)
        }
        guard let router else {
            return Cancellation(
                runs: runs, removedSandboxes: nil,
                problems: [
                    "the sandbox backends are not reachable, sandboxes of run \(runID) were not removed: "
                        + (sandboxProblem ?? "not connected")
                ])
        }
        var cancellation = Cancellation(runs: runs, removedSandboxes: 0, problems: [])
        for id in runs {
            let cleanup = await router.removeResources(ofRun: id, includingWorkspace: true)
            cancellation.removedSandboxes? += cleanup.removedSandboxes
            cancellation.problems += cleanup.problems
        }
        return cancellation
    }

    /// Removes every sandbox and the workspace of a finished run (what an engine that was wound
    /// down by cancellation may still have made); returns how many sandboxes went.
    public func removeSandboxes(ofRun runID: String) async throws -> Int {
        let cleanup = try await requireRouter().removeResources(ofRun: runID, includingWorkspace: true)
        return cleanup.removedSandboxes
    }

    /// Records a decision on one of a run's approval gates (nil `stepID`: its only pending one).
    /// An engine waiting on the gate in any process picks it up; a paused run goes on when resumed.
    ///
    /// - Throws: the ``EngineError`` of ``Approvals/decide(_:runID:stepID:by:comment:repository:now:)``.
    @discardableResult
    public func decide(
        _ decision: ApprovalDecision, runID: String, stepID: String?, by: String?,
        comment: String?
    ) throws -> ApprovalRecord {
        try Approvals.decide(decision, runID: runID, stepID: stepID, by: by, comment: comment, repository: repository)
    }

    /// The parent of a replay or fork, with its workflow loaded.
    public func prepareReplay(of parentRunID: String) throws -> RecordedRun {
        try recorded(try run(id: parentRunID).run)
    }

    /// A new run that re-runs `fromStep` and everything after it (with `changes`: a fork),
    /// reusing the parent's results for the rest.
    public func replay(
        _ parent: RecordedRun, fromStep: String, changes: ForkChanges? = nil,
        runID: String = WorkflowEngine.makeRunID(), options: RunOptions = RunOptions()
    ) async throws -> RunOutcome {
        try await engine(options).replay(
            parentRunID: parent.run.id, fromStep: fromStep, workflow: parent.workflow,
            changes: changes, runID: runID)
    }

    /// Records a replay (or, with `changes`, a fork) of `parent` as a run that waits to start,
    /// for a run queue to start with ``resume(_:options:)``.
    ///
    /// - Throws: the ``EngineError`` of the engine's `enqueueReplay`.
    public func enqueueReplay(
        _ parent: RecordedRun, fromStep: String, changes: ForkChanges? = nil, runID: String = WorkflowEngine.makeRunID()
    ) async throws {
        try await engine(RunOptions()).enqueueReplay(
            parentRunID: parent.run.id, fromStep: fromStep, workflow: parent.workflow, changes: changes, runID: runID)
    }

    /// The workflow file a run recorded, loaded and valid.
    func recorded(_ run: RunRecord) throws -> RecordedRun {
        guard let path = run.workflowPath else {
            throw EngineServiceError(.invalidWorkflow, "run \(run.id) has no recorded workflow file")
        }
        let loaded = WorkflowLoader().load(path: path)
        guard let workflow = loaded.workflow, loaded.isValid else {
            let problems = loaded.diagnostics.filter { $0.severity == .error }.map(\.description)
            throw EngineServiceError(
                .invalidWorkflow,
                (problems + ["cannot load \(path), the workflow of run \(run.id)"])
                    .joined(separator: "\n"))
        }
        return RecordedRun(run: run, workflow: workflow, path: path)
    }
}
