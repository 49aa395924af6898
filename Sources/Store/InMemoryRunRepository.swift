import Foundation
import Synchronization

/// A `RunRepository` kept in memory, for engine unit tests. It follows the SQLite
/// implementation's rules (ordering, timestamps, which errors are thrown) so a test that
/// passes here passes there too; the shared StoreTests check both.
public final class InMemoryRunRepository: RunRepository {
    private struct StepKey: Hashable {
        var runID: String
        var stepID: String
        var fanout: Int
    }

    private struct State {
        var runs: [String: RunRecord] = [:]
        var steps: [StepKey: StepRecord] = [:]
        var attempts: [StepKey: [Int: StepAttemptRecord]] = [:]
        var events: [String: [EventRecord]] = [:]
        var approvals: [String: [String: ApprovalRecord]] = [:]
        var modelCalls: [String: [ModelCallRecord]] = [:]
        var submissions: [String: RunSubmissionRecord] = [:]
        var deadLetters: [String: DeadLetterRecord] = [:]
        var violations: [ViolationRecord] = []
    }

    private let state = Mutex(State())

    public init() {}

    public func createRun(_ run: RunRecord) throws {
        try state.withLock { try Self.createRun(run, in: &$0) }
    }

    public func updateRunStatus(id: String, to status: RunStatus, at time: Date, error: String?) throws {
        try state.withLock { try Self.updateRunStatus(id: id, to: status, at: time, error: error, in: &$0) }
    }

    public func upsertStep(_ step: StepRecord) throws {
        try state.withLock { try Self.upsertStep(step, in: &$0) }
    }

    public func recordAttempt(_ attempt: StepAttemptRecord) throws {
        try state.withLock { try Self.recordAttempt(attempt, in: &$0) }
    }

    public func appendEvent(runID: String, kind: String, payloadJSON: String, at time: Date) throws -> Int64 {
        try state.withLock { try Self.appendEvent(runID: runID, kind: kind, payloadJSON: payloadJSON, at: time, in: &$0) }
    }

    public func write(_ changes: [RunChange]) throws {
        try state.withLock { s in
            // Applied to a copy and swapped in, so a failing change leaves nothing behind (like a rollback).
            var copy = s
            try Self.apply(changes, to: &copy)
            s = copy
        }
    }

    private static func apply(_ changes: [RunChange], to copy: inout State) throws {
        for change in changes {
            switch change {
            case .createRun(let run): try createRun(run, in: &copy)
            case .updateRunStatus(let id, let status, let time, let error):
                try updateRunStatus(id: id, to: status, at: time, error: error, in: &copy)
            case .upsertStep(let step): try upsertStep(step, in: &copy)
            case .recordAttempt(let attempt): try recordAttempt(attempt, in: &copy)
            case .appendEvent(let runID, let kind, let payloadJSON, let time):
                _ = try appendEvent(runID: runID, kind: kind, payloadJSON: payloadJSON, at: time, in: &copy)
            case .setRunOwner(let id, let owner):
                guard copy.runs[id] != nil else { throw StoreError(.notFound, "no run with id \(id)") }
                copy.runs[id]?.owner = owner
            case .recordModelCall(let call):
                guard copy.runs[call.runID] != nil else { throw StoreError(.constraint, "no run with id \(call.runID)") }
                copy.modelCalls[call.runID, default: []].append(call)
            case .recordSubmission(let submission):
                guard copy.runs[submission.runID] != nil else { throw StoreError(.constraint, "no run with id \(submission.runID)") }
                if let key = submission.idempotencyKey,
                    copy.submissions.values.contains(where: { $0.tenant == submission.tenant && $0.idempotencyKey == key })
                {
                    throw StoreError(.constraint, "UNIQUE constraint failed: run_submissions.tenant, run_submissions.idempotency_key")
                }
                copy.submissions[submission.runID] = submission
            case .recordDeadLetter(let item): _ = try recordDeadLetter(item, in: &copy)
            case .recordViolation(let record):
                try requireRun(record.runID, in: copy)
                var stored = record
                stored.tenant = copy.submissions[record.runID]?.tenant
                copy.violations.append(stored)
            case .resolveDeadLetter(let id, let resolution, let reason, let retryRunID, let time):
                _ = try resolveDeadLetter(id: id, by: resolution, reason: reason, retryRunID: retryRunID, at: time, in: &copy)
            case .appendAudit: break // no audit log in memory (see RunChange.appendAudit)
            }
        }
    }

    private static func createRun(_ run: RunRecord, in s: inout State) throws {
        guard s.runs[run.id] == nil else {
            throw StoreError(.constraint, "UNIQUE constraint failed: runs.id (\(run.id))")
        }
        if let parent = run.parentRunID, s.runs[parent] == nil {
            throw StoreError(.constraint, "FOREIGN KEY constraint failed: no parent run \(parent)")
        }
        s.runs[run.id] = run
    }

    private static func updateRunStatus(
        id: String, to status: RunStatus, at time: Date, error: String?,
        in s: inout State
    ) throws {
        guard var run = s.runs[id] else { throw StoreError(.notFound, "no run with id \(id)") }
        let time = time.storeRounded
        run.status = status
        if status == .running && run.startedAt == nil { run.startedAt = time }
        if status.isTerminal { run.finishedAt = time }
        run.error = error
        s.runs[id] = run
    }

    private static func upsertStep(_ step: StepRecord, in s: inout State) throws {
        try requireRun(step.runID, in: s)
        s.steps[StepKey(runID: step.runID, stepID: step.stepID, fanout: storedFanout(step.fanoutIndex))] = step
    }

    private static func recordAttempt(_ attempt: StepAttemptRecord, in s: inout State) throws {
        try requireRun(attempt.runID, in: s)
        let key = StepKey(runID: attempt.runID, stepID: attempt.stepID, fanout: storedFanout(attempt.fanoutIndex))
        s.attempts[key, default: [:]][attempt.attempt] = attempt
    }

    private static func appendEvent(
        runID: String, kind: String, payloadJSON: String, at time: Date,
        in s: inout State
    ) throws -> Int64 {
        try requireRun(runID, in: s)
        let seq = (s.events[runID]?.last?.seq ?? 0) + 1
        s.events[runID, default: []].append(EventRecord(runID: runID, seq: seq, time: time, kind: kind, payloadJSON: payloadJSON))
        return seq
    }

    /// The request run `runID` was submitted with (as ``SQLiteRunRepository/submission(runID:)``).
    public func submission(runID: String) -> RunSubmissionRecord? {
        state.withLock { $0.submissions[runID] }
    }

    public func listRuns(_ query: RunQuery) throws -> [RunRecord] {
        state.withLock { s in
            let matching = s.runs.values
                .filter { query.matches($0) && (query.tenant == nil || s.submissions[$0.id]?.tenant == query.tenant) }
                .sorted { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) }
            return Array(matching.dropFirst(max(0, query.offset)).prefix(max(0, query.limit)))
        }
    }

    public func run(id: String) throws -> RunDetail? {
        state.withLock { s in
            guard let run = s.runs[id] else { return nil }
            let steps = s.steps.filter { $0.key.runID == id }
                .sorted { ($0.key.stepID, $0.key.fanout) < ($1.key.stepID, $1.key.fanout) }
                .map(\.value)
            return RunDetail(run: run, steps: steps)
        }
    }

    public func attempts(runID: String, stepID: String, fanoutIndex: Int?) throws -> [StepAttemptRecord] {
        state.withLock { s in
            let key = StepKey(runID: runID, stepID: stepID, fanout: storedFanout(fanoutIndex))
            return (s.attempts[key] ?? [:]).sorted { $0.key < $1.key }.map(\.value)
        }
    }

    public func events(runID: String, afterSeq: Int64, limit: Int) throws -> [EventRecord] {
        state.withLock { s in
            Array((s.events[runID] ?? []).filter { $0.seq > afterSeq }.prefix(max(0, limit)))
        }
    }

    public func modelCalls(runID: String) throws -> [ModelCallRecord] {
        state.withLock { $0.modelCalls[runID] ?? [] }
    }

    public func modelUsage(runIDs: [String]) throws -> [String: ModelUsageTotals] {
        state.withLock { s in
            var totals: [String: ModelUsageTotals] = [:]
            for id in runIDs { if let calls = s.modelCalls[id], !calls.isEmpty { totals[id] = ModelUsageTotals(summing: calls) } }
            return totals
        }
    }

    public func requestApproval(
        _ approval: ApprovalRecord,
        whilePending: (ApprovalRecord) throws -> [RunChange]
    ) throws -> ApprovalRecord {
        try state.withLock { s in
            try Self.requireRun(approval.runID, in: s)
            var copy = s
            let stored = copy.approvals[approval.runID]?[approval.stepID] ?? approval
            copy.approvals[approval.runID, default: [:]][approval.stepID] = stored
            if stored.status == .pending { try Self.apply(try whilePending(stored), to: &copy) }
            s = copy
            return stored
        }
    }

    public func approval(runID: String, stepID: String) throws -> ApprovalRecord? {
        state.withLock { $0.approvals[runID]?[stepID] }
    }

    public func approvals(runID: String?, statuses: Set<ApprovalStatus>?) throws -> [ApprovalRecord] {
        state.withLock { s in
            let all = runID.map { Array((s.approvals[$0] ?? [:]).values) } ?? s.approvals.values.flatMap(\.values)
            return all.filter { statuses?.contains($0.status) ?? true }
                .sorted { ($0.requestedAt, $0.runID, $0.stepID) < ($1.requestedAt, $1.runID, $1.stepID) }
        }
    }

    public func decideApproval(
        runID: String, stepID: String, status: ApprovalStatus, decidedBy: String?,
        comment: String?, responseJSON: String?, at time: Date
    ) throws -> Bool {
        try state.withLock { s in
            guard var approval = s.approvals[runID]?[stepID] else {
                throw StoreError(.notFound, "run \(runID) has no approval for step \(stepID)")
            }
            guard approval.status == .pending else { return false }
            approval.status = status
            approval.decidedBy = decidedBy
            approval.decidedAt = time.storeRounded
            approval.comment = comment
            approval.responseJSON = responseJSON
            s.approvals[runID]?[stepID] = approval
            return true
        }
    }

    private static func requireRun(_ id: String, in s: State) throws {
        guard s.runs[id] != nil else {
            throw StoreError(.constraint, "FOREIGN KEY constraint failed: no run \(id)")
        }
    }

    public func violations(_ query: ViolationQuery) throws -> [ViolationRecord] {
        state.withLock { s in
            let matching = s.violations.filter(query.matches).sorted { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) }
            return Array(matching.dropFirst(max(0, query.offset)).prefix(max(0, query.limit)))
        }
    }

    public func countViolations(_ query: ViolationQuery) throws -> Int {
        state.withLock { $0.violations.count(where: query.matches) }
    }

    public func violationStats(_ query: ViolationQuery) throws -> ViolationStats {
        state.withLock { ViolationStats(counting: $0.violations.filter(query.matches)) }
    }

    public func recordDeadLetter(_ item: DeadLetterRecord) throws -> DeadLetterRecord {
        try state.withLock { try Self.recordDeadLetter(item, in: &$0) }
    }

    public func deadLetters(_ query: DeadLetterQuery) throws -> [DeadLetterRecord] {
        state.withLock { s in
            let matching = s.deadLetters.values.filter(query.matches).sorted { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) }
            return Array(matching.dropFirst(max(0, query.offset)).prefix(max(0, query.limit)))
        }
    }

    public func countDeadLetters(_ query: DeadLetterQuery) throws -> Int {
        state.withLock { $0.deadLetters.values.count(where: query.matches) }
    }

    public func deadLetter(id: String) throws -> DeadLetterRecord? {
        state.withLock { $0.deadLetters[id] }
    }

    public func resolveDeadLetter(
        id: String, by resolution: DeadLetterResolution, reason: String?, retryRunID: String?, at time: Date
    ) throws -> DeadLetterRecord {
        try state.withLock { try Self.resolveDeadLetter(id: id, by: resolution, reason: reason, retryRunID: retryRunID, at: time, in: &$0) }
    }

    private static func recordDeadLetter(_ item: DeadLetterRecord, in s: inout State) throws -> DeadLetterRecord {
        try requireRun(item.runID, in: s)
        if let stored = s.deadLetters.values.first(where: {
            $0.runID == item.runID && $0.stepID == item.stepID && $0.parallelIndex == item.parallelIndex
        }) {
            return stored
        }
        var stored = item
        stored.attempts = max(1, item.attempts)
        stored.tenant = s.submissions[item.runID]?.tenant
        stored.resolvedAt = nil
        stored.resolvedBy = nil
        stored.resolveReason = nil
        stored.retryRunID = nil
        guard s.deadLetters[stored.id] == nil else { throw StoreError(.constraint, "UNIQUE constraint failed: dead_letters.id (\(stored.id))") }
        s.deadLetters[stored.id] = stored
        return stored
    }

    private static func resolveDeadLetter(
        id: String, by resolution: DeadLetterResolution, reason: String?, retryRunID: String?, at time: Date, in s: inout State
    ) throws -> DeadLetterRecord {
        guard var item = s.deadLetters[id] else { throw StoreError(.notFound, "no dead letter with id \(id)") }
        guard item.resolvedAt == nil else {
            throw StoreError(.conflict, "dead letter \(id) was resolved already (\(item.resolvedBy?.rawValue ?? "resolved"))")
        }
        item.resolvedAt = time.storeRounded
        item.resolvedBy = resolution
        item.resolveReason = reason
        item.retryRunID = retryRunID
        s.deadLetters[id] = item
        return item
    }
}
