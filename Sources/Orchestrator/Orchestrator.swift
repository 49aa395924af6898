import Engine
import EngineService
import Foundation
import Logging
import Store
import Synchronization
import Webhooks
import Workflow

/// What `sandcastle serve` does with workflows, behind its HTTP API: the catalog of saved
/// workflows, the durable run queue, and the run queries and controls, for one data folder.
/// The HTTP handlers stay thin: they decode, call this, and encode.
public struct Orchestrator: Sendable {
    public let runs: RunService
    public let catalog: WorkflowCatalog
    public let queue: RunQueue
    /// Wakes event streams when a run this process drives records something.
    public let signals: RunSignals
    /// Runs' callbacks: checked at submission, delivered when a run's turn ends.
    /// What running steps print, as it arrives (scrubbed a line at a time), for live pages.
    public let liveOutput: LiveOutput
    public let webhooks: RunWebhooks
    /// Times out the approval gates of paused runs.
    public let approvalDeadlines: ApprovalDeadlines
    /// What failed steps and runs leave behind, and how often one may be retried.
    public let deadLetters: DeadLetterSettings

    /// - Parameter resumesOrphans: also continue runs a dead process left running (`serve
    ///   --no-resume-runs` leaves them to `sandcastle runs resume`); queued runs always start.
    public init(
        runs: RunService, workflowsFolder: String?, maxConcurrentRuns: Int, resumesOrphans: Bool = true,
        webhooks: RunWebhooks = RunWebhooks(sender: WebhookSender(secret: nil)), deadLetters: DeadLetterSettings = DeadLetterSettings(),
        logger: Logger, onEvent: @escaping @Sendable (String, EngineEvent) -> Void = { _, _ in }
    ) {
        self.webhooks = webhooks
        self.deadLetters = deadLetters
        self.runs = runs
        self.catalog = WorkflowCatalog(
            repository: runs.repository, folder: workflowsFolder, dataDirectory: runs.settings.dataDirectory,
            options: runs.settings.validationOptions)
        let signals = RunSignals()
        self.signals = signals
        let liveOutput = LiveOutput()
        self.liveOutput = liveOutput
        // The queue tells the deadline watcher of new gates; the watcher requeues their runs.
        let deadlinesBox = DeadlinesReference()
        let queue = RunQueue(
            runs: runs, maxConcurrentRuns: maxConcurrentRuns, resumesOrphans: resumesOrphans, webhooks: webhooks,
            deadLettersFailedRuns: deadLetters.failedRuns, logger: logger,
            onEvent: { runID, event in
                switch event {
                case .stepOutput(let step, let index, let text):
                    // Not recorded in the store: kept for live pages, which are woken at most
                    // every quarter second by a run's output.
                    if liveOutput.append(text, at: LiveOutput.Place(runID: runID, step: step, index: index)) {
                        signals.notify(runID: runID)
                    }
                case .stepFinished(let step, _, _, _, _):
                    liveOutput.flush(runID: runID, step: step)
                    signals.notify(runID: runID)
                case .runFinished:
                    liveOutput.finish(runID: runID)
                    signals.notify(runID: runID)
                default:
                    signals.notify(runID: runID)
                }
                if case .approvalRequested(_, _, _, _, .some) = event { deadlinesBox.value?.nudge() }
                if case .policyAlert(_, let alert) = event {
                    // Off the run's path: a slow receiver must not hold the step.
                    Task.detached { await webhooks.deliverAlert(alert, runID: runID, runs: runs, logger: logger) }
                }
                onEvent(runID, event)
            })
        self.queue = queue
        let deadlines = ApprovalDeadlines(repository: runs.repository, queue: queue, logger: logger)
        deadlinesBox.set(deadlines)
        self.approvalDeadlines = deadlines
    }

    /// Imports the workflows folder and starts what a previous process left queued or running.
    public func start() async throws {
        try catalog.importFolder()
        if isStopped { await queue.stopAccepting() }
        await queue.start()
        await approvalDeadlines.start()
    }

    /// Stops the background work ``start()`` began (the runs executing go on until the process ends).
    public func stop() async {
        await approvalDeadlines.stop()
    }

    /// Records a run (answered only once it is stored) and queues it. A known idempotency key
    /// of the same tenant returns the run it named instead.
    ///
    /// - Throws: ``OrchestratorError``.
    public func submit(_ submission: RunSubmission) async throws -> SubmittedRun {
        if let key = submission.idempotencyKey, let existing = try existingRun(tenant: submission.tenant, key: key) {
            return existing
        }
        let workflow: WorkflowDefinition
        var version: Int?
        switch submission.source {
        case .named(let name, let wanted):
            let resolved = try catalog.resolve(name: name, version: wanted, tenant: submission.tenant)
            (workflow, version) = (resolved.workflow, resolved.record.version)
        case .inline(let yaml):
            workflow = try catalog.inline(yaml)
        }
        if let url = submission.callbackURL { try await webhooks.check(url) }
        try await webhooks.check(workflow)
        let runID = WorkflowEngine.makeRunID()
        let record = RunSubmissionRecord(
            runID: runID, workflowVersion: version, tenant: submission.tenant, idempotencyKey: submission.idempotencyKey,
            callbackURL: submission.callbackURL, endpoint: submission.endpoint)
        do {
            try await queue.enqueue(workflow, inputs: submission.inputs, runID: runID, maxCostUSD: submission.maxCostUSD, submission: record)
        } catch let error as OrchestratorError where error.code == .internalFailure && submission.idempotencyKey != nil {
            // Two submissions with one key at once: the loser answers with the winner's run.
            if let key = submission.idempotencyKey, let existing = try existingRun(tenant: submission.tenant, key: key) { return existing }
            throw error
        }
        return SubmittedRun(runID: runID, isNew: true, workflowVersion: version)
    }

    private func existingRun(tenant: String?, key: String) throws -> SubmittedRun? {
        do {
            return try runs.repository.submission(tenant: tenant, idempotencyKey: key).map {
                SubmittedRun(runID: $0.runID, isNew: false, workflowVersion: $0.workflowVersion)
            }
        } catch {
            throw OrchestratorError(.internalFailure, "the store could not be read: \(error)")
        }
    }

    /// A run with its steps.
    ///
    /// - Throws: ``OrchestratorError`` `runNotFound`.
    public func run(id: String) throws -> RunService.RunReport {
        do {
            return try runs.report(id: id)
        } catch let error as EngineServiceError where error.code == .notFound {
            throw OrchestratorError(.runNotFound, "run \(id) not found")
        } catch {
            throw OrchestratorError(.internalFailure, "\(error)")
        }
    }

    /// Cancels a queued or running run (Sandcastle allows nothing else).
    ///
    /// - Throws: ``OrchestratorError`` `runNotFound`, `invalidStatus`.
    public func cancel(runID: String, reason: String = "cancelled through the API") async throws {
        let status = try run(id: runID).detail.run.status
        guard status == .pending || status == .running else {
            throw OrchestratorError(.invalidStatus, "run \(runID) is \(status); only queued or running runs can be cancelled")
        }
        // Recorded first, so the engine (here or in another process) ends the run `cancelled`
        // with the reason; then this process's execution stops at once.
        do {
            _ = try await runs.cancel(runID: runID, reason: reason)
        } catch let error as EngineServiceError where error.code == .alreadyFinished {
            throw OrchestratorError(.invalidStatus, error.message)
        } catch {
            throw OrchestratorError(.internalFailure, "\(error)")
        }
        if await queue.cancelExecution(runID: runID) {
            // What the engine made while it wound down (a retry's sandbox) goes too.
            _ = try? await runs.removeSandboxes(ofRun: runID)
        }
    }

    /// Decides the approval gate `stepID` of `runID` and puts the run back in the queue (a run
    /// paused at the gate goes on at the next free slot; one waiting on it in another process
    /// sees the decision itself).
    ///
    /// - Throws: ``OrchestratorError`` `approvalNotFound`, `alreadyResolved`, `invalidInput`
    ///   (edited data for a step that does not allow it).
    @discardableResult
    public func decide(_ decision: ApprovalDecision, runID: String, stepID: String, by: String?, comment: String?) async throws
        -> ApprovalRecord
    {
        let record: ApprovalRecord
        do {
            record = try runs.decide(decision, runID: runID, stepID: stepID, by: by, comment: comment)
        } catch let error as EngineError {
            switch error.code {
            case .notFound: throw OrchestratorError(.approvalNotFound, error.message)
            case .alreadyResolved: throw OrchestratorError(.alreadyResolved, error.message)
            case .invalidRequest: throw OrchestratorError(.invalidInput, error.message)
            default: throw OrchestratorError(.internalFailure, error.message)
            }
        }
        signals.notify(runID: runID)
        await queue.requeue(runID: runID)
        return record
    }

    /// Queues a replay of run `runID` from `fromStep` (with `changes`: a fork) and returns the
    /// new run's id. The new run reuses the parent's results upstream and starts from its workspace.
    ///
    /// - Throws: ``OrchestratorError`` `runNotFound`, `invalidStep` (no such step, or one whose
    ///   upstream did not complete), `invalidInput` (changes the step cannot take).
    public func replay(runID: String, fromStep: String, changes: ForkChanges? = nil) async throws -> String {
        let parent: RunService.RecordedRun
        // The new run belongs to the parent's tenant, whoever asked for it.
        let tenant = try tenant(ofRun: runID)
        do {
            parent = try runs.prepareReplay(of: runID)
        } catch let error as EngineServiceError where error.code == .notFound {
            throw OrchestratorError(.runNotFound, "run \(runID) not found")
        } catch {
            throw OrchestratorError(.invalidStep, "run \(runID) cannot be replayed: \(error)")
        }
        let newRunID = WorkflowEngine.makeRunID()
        do {
            try await runs.enqueueReplay(parent, fromStep: fromStep, changes: changes, runID: newRunID)
            if let tenant { try runs.repository.write([.recordSubmission(RunSubmissionRecord(runID: newRunID, tenant: tenant))]) }
        } catch let error as StoreError {
            throw OrchestratorError(.internalFailure, "the replay's tenant could not be recorded: \(error.message)")
        } catch let error as EngineError {
            switch error.code {
            case .notFound, .notResumable: throw OrchestratorError(.invalidStep, error.message)
            case .invalidRequest: throw OrchestratorError(.invalidInput, error.message)
            default: throw OrchestratorError(.internalFailure, error.message)
            }
        }
        await queue.requeue(runID: newRunID)
        return newRunID
    }

    /// Whether the emergency stop is on (no run is accepted or started).
    public var isStopped: Bool { EmergencyStop(dataDirectory: runs.settings.dataDirectory).isActive }

    /// Cancels every queued and running run and refuses new ones until ``resetEmergencyStop()``;
    /// returns how many runs were cancelled.
    ///
    /// - Throws: ``OrchestratorError`` `internalFailure` when the stop cannot be recorded.
    public func emergencyStop() async throws -> Int {
        do {
            try EmergencyStop(dataDirectory: runs.settings.dataDirectory).activate()
            // The stop is a file, not a row: its audit entry commits right after it (a failure
            // here leaves the stop on, the safe side, and answers an error).
            try runs.repository.audit.append(.global("emergency.stopped"))
        } catch {
            throw OrchestratorError(.internalFailure, "the emergency stop could not be recorded: \(error)")
        }
        await queue.stopAccepting()
        var cancelled = 0
        let live = (try? runs.repository.listRuns(RunQuery(statuses: [.pending, .running], limit: 100_000))) ?? []
        for run in live where run.lineageKind != "sub_workflow" {
            if (try? await cancel(runID: run.id, reason: "emergency stop")) != nil { cancelled += 1 }
        }
        return cancelled
    }

    /// Lifts the emergency stop: runs are accepted and started again.
    public func resetEmergencyStop() async throws {
        do {
            try EmergencyStop(dataDirectory: runs.settings.dataDirectory).reset()
            try runs.repository.audit.append(.global("emergency.reset"))
        } catch {
            throw OrchestratorError(.internalFailure, "the emergency stop could not be lifted: \(error)")
        }
        await queue.resumeAccepting()
    }
}

/// Set once, after the queue exists: the queue's event callback needs the deadline watcher,
/// which needs the queue.
private final class DeadlinesReference: Sendable {
    private let slot = Mutex<ApprovalDeadlines?>(nil)
    var value: ApprovalDeadlines? { slot.withLock { $0 } }
    func set(_ deadlines: ApprovalDeadlines) { slot.withLock { $0 = deadlines } }
}
