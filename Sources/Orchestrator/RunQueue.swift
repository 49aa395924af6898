import Engine
import EngineService
import Foundation
import Logging
import Store
import Synchronization
import Workflow

/// The server's durable run queue. A submitted run is recorded `pending` (with its steps and its
/// request, one transaction) before the client hears of it; runs then start oldest first as
/// capacity allows (`maxConcurrentRuns`). Nothing is kept only in memory: after a crash,
/// ``start()`` finds the pending runs and the running ones whose process is gone, and runs them
/// again from their checkpoints, so none is lost and no completed step runs twice.
///
/// A run that reaches an approval gate ends its turn `waiting_approval` and frees its slot; the
/// decision puts it back in the queue (``requeue(runID:)``).
public actor RunQueue {
    public nonisolated let runs: RunService
    public nonisolated let maxConcurrentRuns: Int
    /// Also continue runs a dead process left running, not only queued ones.
    let resumesOrphans: Bool
    let webhooks: RunWebhooks?
    /// Every failed run leaves a dead letter (``DeadLetterSettings/failedRuns``).
    let deadLettersFailedRuns: Bool
    let logger: Logger
    /// Told every engine event of every run this queue drives, as it happens.
    let onEvent: @Sendable (_ runID: String, EngineEvent) -> Void

    /// Runs executing in this process.
    private var active: [String: Task<Void, Never>] = [:]
    /// Callers of ``waitForTurnEnd(runID:)``.
    private var waiters: [String: [CheckedContinuation<RunStatus, Never>]] = [:]
    /// Runs to leave alone at the next pump: just started elsewhere in this process, or failed to start.
    private var refused: Set<String> = []
    /// Runs paused at a gate whose decision came in: they go on at the next free slot.
    private var decided: Set<String> = []
    private var accepting = true

    public init(
        runs: RunService, maxConcurrentRuns: Int, resumesOrphans: Bool = true, webhooks: RunWebhooks? = nil,
        deadLettersFailedRuns: Bool = false, logger: Logger, onEvent: @escaping @Sendable (_ runID: String, EngineEvent) -> Void = { _, _ in }
    ) {
        self.runs = runs
        self.deadLettersFailedRuns = deadLettersFailedRuns
        self.maxConcurrentRuns = max(1, maxConcurrentRuns)
        self.resumesOrphans = resumesOrphans
        self.webhooks = webhooks
        self.logger = logger
        self.onEvent = onEvent
    }

    /// Picks up what a previous process left: pending runs and running ones nobody executes.
    public func start() {
        pump()
    }

    /// Records the run as pending (with `alongside`, in the same transaction) and starts it when
    /// capacity allows.
    ///
    /// - Throws: ``OrchestratorError`` `notAccepting`, `invalidInput`, `internalFailure`.
    public func enqueue(
        _ workflow: WorkflowDefinition, inputs: [String: InputValue], runID: String, maxCostUSD: Double?, submission: RunSubmissionRecord,
        lineage: WorkflowEngine.Lineage? = nil, alongside: [RunChange] = []
    ) async throws {
        guard accepting else {
            throw OrchestratorError(.notAccepting, "the server is not accepting runs (emergency stop; POST /api/admin/emergency-stop/reset lifts it)")
        }
        do {
            try await runs.enqueue(
                workflow, inputs: inputs, runID: runID, maxCostUSD: maxCostUSD, lineage: lineage,
                alongside: [.recordSubmission(submission)] + alongside)
        } catch let error as EngineServiceError where error.code == .invalidInputs {
            throw OrchestratorError(.invalidInput, error.message)
        } catch let error as EngineServiceError where error.code == .conflict {
            throw OrchestratorError(.internalFailure, error.message)
        } catch {
            throw OrchestratorError(.internalFailure, "the run could not be recorded: \(error)")
        }
        pump()
    }

    /// A run that waited for an approval goes on (its decision is recorded).
    public func requeue(runID: String) {
        refused.remove(runID)
        decided.insert(runID)
        pump()
    }

    /// Waits until the run's current turn ends (finished, or paused at an approval) and returns
    /// its status then. Returns at once for a run that is not pending or running.
    public func waitForTurnEnd(runID: String) async -> RunStatus {
        let status = (try? runs.run(id: runID).run.status) ?? .failed
        guard status == .pending || status == .running else { return status }
        return await withCheckedContinuation { continuation in waiters[runID, default: []].append(continuation) }
    }

    /// Cancels the task executing `runID` in this process, if one does, and waits for it to end:
    /// the engine then stops the run's work, removes its sandboxes and records it cancelled.
    /// Recording the cancellation alone would leave this process's engine running the step (and
    /// its retries) until it noticed.
    ///
    /// - Returns: whether a task was cancelled.
    @discardableResult
    public func cancelExecution(runID: String) async -> Bool {
        guard let task = active[runID] else {
            // A queued run never gets a turn, so whoever waits for its turn's end (a
            // `run/sync` request) hears now that it is over, instead of waiting forever.
            let status = (try? runs.run(id: runID).run.status) ?? .cancelled
            if status.isTerminal { for waiter in waiters.removeValue(forKey: runID) ?? [] { waiter.resume(returning: status) } }
            return false
        }
        task.cancel()
        await task.value
        return true
    }

    /// How many runs execute in this process now.
    public var activeCount: Int { active.count }

    /// Stops accepting and starting runs (emergency stop, shutdown); the ones executing go on.
    public func stopAccepting() {
        accepting = false
    }

    /// Accepts and starts runs again.
    public func resumeAccepting() {
        accepting = true
        pump()
    }

    /// Starts runs while there is capacity: oldest pending first, then running ones whose process is gone.
    private func pump() {
        guard accepting, active.count < maxConcurrentRuns else { return }
        // Without a sandbox backend (Docker did not answer at start) runs stay queued rather than
        // failing one by one; `GET /api/health` says `degraded` meanwhile.
        guard runs.router != nil else {
            logger.error("queued runs wait: no sandbox backend (\(runs.sandboxProblem ?? "not connected"))")
            return
        }
        var candidates: [RunRecord]
        do {
            candidates = try WorkflowEngine.orphanedRuns(in: runs.repository).filter { run in
                run.status == .pending || (run.status == .running && resumesOrphans)
                    || (run.status == .waitingApproval && (try? runs.repository.approvals(runID: run.id, statuses: [.pending]))?.isEmpty == true)
            }
            // Paused runs of this process whose gate was decided (their owner, this process, is alive).
            for id in decided.sorted() where !candidates.contains(where: { $0.id == id }) {
                if let run = try? runs.run(id: id).run, run.status == .waitingApproval {
                    candidates.append(run)
                } else {
                    decided.remove(id)
                }
            }
        } catch {
            logger.error("the run queue cannot read the store: \(error)")
            return
        }
        // Runs this process already executes carry its own (live) owner, so they are not orphans;
        // a queued run has no owner until it starts.
        for run in candidates where active.count < maxConcurrentRuns && active[run.id] == nil && !refused.contains(run.id) {
            launch(run)
        }
    }

    private func launch(_ run: RunRecord) {
        let runID = run.id
        decided.remove(runID)
        logger.notice(
            "workflow run \(runID) starting (it was \(run.status.rawValue))", metadata: ["run": .string(runID), "active": .stringConvertible(active.count)])
        let runs = self.runs
        let logger = self.logger
        let onEvent = self.onEvent
        let deadLettersFailedRuns = self.deadLettersFailedRuns
        active[runID] = Task {
            var options = RunService.RunOptions(waitForApprovals: false)
            options.deadLettersFailedRuns = deadLettersFailedRuns
            options.onEvent = { event in onEvent(runID, event) }
            do {
                // A run this process paused at a gate carries its own (live) owner; nobody else runs it.
                let recorded = try runs.prepareResume(runID: runID, force: run.owner == ProcessOwner.current())
                let outcome = try await runs.resume(recorded, options: options)
                logger.notice("workflow run \(runID) \(outcome.status.rawValue)", metadata: ["run": .string(runID)])
            } catch {
                logger.error("run could not be started", metadata: ["run": .string(runID), "error": .string("\(error)")])
                self.markUnstartable(runID, error: "\(error)")
            }
            self.finished(runID)
        }
    }

    /// A run that cannot start (its workflow file is gone, it changed) fails rather than
    /// blocking the queue forever.
    private func markUnstartable(_ runID: String, error: String) {
        refused.insert(runID)
        guard let detail = try? runs.run(id: runID), detail.run.status == .pending || detail.run.status == .running else { return }
        let reason = "the run could not be started: \(error)"
        var changes: [RunChange] = [.updateRunStatus(id: runID, status: .failed, time: Date(), error: reason)]
        if deadLettersFailedRuns && detail.run.lineageKind != "sub_workflow" {
            // No step failed: the item is the run's own (an empty step id), committed with its failure.
            let item = DeadLetterRecord(runID: runID, stepID: "", error: reason, inputJSON: detail.run.inputsJSON, attempts: 1)
            let event = RunEvent.deadLettered(RunEvent.DeadLettered(step: "", item: item.id, error: reason, attempts: 1))
            changes += [.recordDeadLetter(item), .event(runID, event.kind, event.payloadJSON())]
        }
        try? runs.repository.write(changes)
    }

    private func finished(_ runID: String) {
        active[runID] = nil
        let status = (try? runs.run(id: runID).run.status) ?? .failed
        if let webhooks, status.isTerminal || status == .waitingApproval {
            // Off the queue: a slow receiver (three attempts, backoff) must not hold a slot.
            let (runs, logger) = (self.runs, self.logger)
            Task.detached { await webhooks.deliver(runID: runID, runs: runs, logger: logger) }
        }
        for waiter in waiters.removeValue(forKey: runID) ?? [] { waiter.resume(returning: status) }
        pump()
    }
}
