import Foundation

/// Durable state of workflow runs, as the engine and the CLI need it.
///
/// Synchronous on purpose: the SQLite implementation does microsecond work under a lock,
/// and async callers can call it directly. Every method is atomic.
public protocol RunRepository: Sendable {
    /// Stores a new run; `.constraint` if the id exists.
    func createRun(_ run: RunRecord) throws
    /// Sets a run's status. Moving to `.running` sets `startedAt` (first time only); a terminal
    /// status sets `finishedAt`. `error` replaces the stored error. `.notFound` for an unknown run.
    func updateRunStatus(id: String, to status: RunStatus, at time: Date, error: String?) throws
    /// Inserts or replaces the state of one step (keyed by run, step id and fan-out index).
    /// `.constraint` if the run does not exist.
    func upsertStep(_ step: StepRecord) throws
    /// Records (or replaces) one attempt of a step. `.constraint` if the run does not exist.
    func recordAttempt(_ attempt: StepAttemptRecord) throws
    /// Appends an event and returns its sequence number in the run (1, 2, 3, …).
    /// `.constraint` if the run does not exist.
    func appendEvent(runID: String, kind: String, payloadJSON: String, at time: Date) throws -> Int64
    /// Runs matching the query, newest first.
    func listRuns(_ query: RunQuery) throws -> [RunRecord]
    /// A run with its steps, or nil if there is none with that id.
    func run(id: String) throws -> RunDetail?
    /// A step's attempts, oldest first.
    func attempts(runID: String, stepID: String, fanoutIndex: Int?) throws -> [StepAttemptRecord]
    /// The run's events with `seq > afterSeq`, in order, at most `limit`.
    func events(runID: String, afterSeq: Int64, limit: Int) throws -> [EventRecord]

    /// Records an approval request unless the step already has one, and returns the stored
    /// record: asking again after a restart keeps the first request, its deadline and any decision.
    /// When the stored request is (still) pending, the changes `whilePending` makes of it are
    /// applied in the same transaction, so nobody sees a pending approval without the step and
    /// run states that go with it. `.constraint` if the run does not exist.
    func requestApproval(
        _ approval: ApprovalRecord,
        whilePending: (ApprovalRecord) throws -> [RunChange]
    ) throws -> ApprovalRecord
    /// A step's approval, or nil if it never asked for one.
    func approval(runID: String, stepID: String) throws -> ApprovalRecord?
    /// Approvals of one run (or of all runs when `runID` is nil), optionally only in some states,
    /// oldest request first.
    func approvals(runID: String?, statuses: Set<ApprovalStatus>?) throws -> [ApprovalRecord]
    /// Moves a **pending** approval to `status` and returns true; returns false (changing nothing)
    /// when it was already decided, so two deciders racing cannot both win. `.notFound` when the
    /// step has no approval.
    func decideApproval(
        runID: String, stepID: String, status: ApprovalStatus, decidedBy: String?,
        comment: String?, responseJSON: String?, at time: Date
    ) throws -> Bool

    /// The model calls of a run, in the order they were made.
    func modelCalls(runID: String) throws -> [ModelCallRecord]
    /// Tokens and cost per run, for the runs named (a run without calls is absent).
    func modelUsage(runIDs: [String]) throws -> [String: ModelUsageTotals]

    /// Records a dead letter unless the run's step (and fan-out index) has one, and returns the
    /// stored item: a resumed run failing the same step again keeps the first. Its tenant is the
    /// run's submission's. `.constraint` if the run does not exist.
    func recordDeadLetter(_ item: DeadLetterRecord) throws -> DeadLetterRecord
    /// Dead letters passing the query, newest first.
    func deadLetters(_ query: DeadLetterQuery) throws -> [DeadLetterRecord]
    /// How many dead letters pass the query's filters (its limit and offset aside).
    func countDeadLetters(_ query: DeadLetterQuery) throws -> Int
    /// One dead letter, or nil.
    func deadLetter(id: String) throws -> DeadLetterRecord?
    /// Resolves an **open** dead letter and returns it as stored now. `.notFound` for an unknown
    /// id; `.conflict` when it was resolved already, so of two resolvers racing one wins.
    func resolveDeadLetter(
        id: String, by resolution: DeadLetterResolution, reason: String?, retryRunID: String?, at time: Date
    ) throws -> DeadLetterRecord

    /// Violations passing the query's filters, newest first.
    func violations(_ query: ViolationQuery) throws -> [ViolationRecord]
    /// How many violations pass the query's filters (its limit and offset aside).
    func countViolations(_ query: ViolationQuery) throws -> Int
    /// Counts by severity, policy and action of the violations passing the filters (limit and offset aside).
    func violationStats(_ query: ViolationQuery) throws -> ViolationStats

    /// Applies several writes in order, all or none (one SQLite transaction, so one commit):
    /// how the engine records a step's start or end together with its event.
    func write(_ changes: [RunChange]) throws
}

/// One write of ``RunRepository/write(_:)``; each case does what the method of the same name does.
public enum RunChange: Sendable {
    case createRun(RunRecord)
    case updateRunStatus(id: String, status: RunStatus, time: Date, error: String?)
    case upsertStep(StepRecord)
    case recordAttempt(StepAttemptRecord)
    case appendEvent(runID: String, kind: String, payloadJSON: String, time: Date)
    /// Records which process now executes the run (see ``RunRecord/owner``).
    case setRunOwner(id: String, owner: String?)
    /// Records one model call of an agent or `llm` step.
    case recordModelCall(ModelCallRecord)
    /// Records the request a run was submitted with (the server's run queue), with the run's
    /// record, so a queued run never exists without it. `.constraint` for an idempotency key the
    /// tenant already used.
    case recordSubmission(RunSubmissionRecord)
    /// Records a dead letter (``RunRepository/recordDeadLetter(_:)``), with the step's failure.
    case recordDeadLetter(DeadLetterRecord)
    /// Resolves an open dead letter (``RunRepository/resolveDeadLetter(id:by:reason:retryRunID:at:)``),
    /// so a retry's new run and the item's resolution commit together or not at all.
    case resolveDeadLetter(id: String, by: DeadLetterResolution, reason: String?, retryRunID: String?, time: Date)
    /// Appends an audit entry (``AuditLog``) in the same transaction: how a change the store does
    /// not see itself (the emergency stop, a credential) is recorded with what commits beside it.
    /// The in-memory repository keeps no audit log and ignores it.
    case appendAudit(AuditEvent)
    /// Records a policy violation (its tenant is the run's submission's), with the step's result.
    case recordViolation(ViolationRecord)

    /// An event stamped now.
    public static func event(_ runID: String, _ kind: String, _ payloadJSON: String) -> RunChange {
        .appendEvent(runID: runID, kind: kind, payloadJSON: payloadJSON, time: Date())
    }
}

extension RunRepository {
    /// Resolves an open dead letter as retried by run `retryRunID`.
    @discardableResult
    public func markDeadLetterRetried(id: String, retryRunID: String, at time: Date = Date()) throws -> DeadLetterRecord {
        try resolveDeadLetter(id: id, by: .retry, reason: nil, retryRunID: retryRunID, at: time)
    }

    public func requestApproval(_ approval: ApprovalRecord) throws -> ApprovalRecord {
        try requestApproval(approval, whilePending: { _ in [] })
    }

    public func updateRunStatus(id: String, to status: RunStatus, at time: Date = Date()) throws {
        try updateRunStatus(id: id, to: status, at: time, error: nil)
    }

    @discardableResult
    public func appendEvent(runID: String, kind: String, payloadJSON: String = "{}") throws -> Int64 {
        try appendEvent(runID: runID, kind: kind, payloadJSON: payloadJSON, at: Date())
    }

    public func events(runID: String, afterSeq: Int64 = 0) throws -> [EventRecord] {
        try events(runID: runID, afterSeq: afterSeq, limit: Int.max)
    }
}

/// Fan-out index as stored: -1 stands for "not fanned out" (see the schema).
func storedFanout(_ index: Int?) -> Int { index ?? -1 }
func fanoutFromStore(_ stored: Int) -> Int? { stored < 0 ? nil : stored }
