import Foundation
import JSONValues

/// The audit entries of run changes, appended by the repository's own writes in their
/// transaction (see ``AuditLog``). Engine transitions (a run's progress, steps) are the
/// engine's; what a person or client asks for (creating or cancelling a run, deciding an
/// approval, resolving a dead letter, schedules) is recorded with ``AuditActor/current``.
extension SQLiteRunRepository {
    /// The audit log in this repository's database.
    public var audit: AuditLog { AuditLog(database: database) }

    /// Errors are kept to this many characters in an entry (the full text is in the run's rows).
    static let auditErrorLimit = 1000

    static func auditRunCreated(_ run: RunRecord, on conn: SQLiteConnection) throws {
        var payload: [String: JSONValue] = ["workflow_name": .string(run.workflowName), "status": .string(run.status.rawValue)]
        payload["workflow_hash"] = run.workflowHash.map(JSONValue.string)
        payload["parent_run_id"] = run.parentRunID.map(JSONValue.string)
        payload["lineage_kind"] = run.lineageKind.map(JSONValue.string)
        payload["max_cost_usd"] = run.maxCostUSD.map(JSONValue.number)
        try AuditLog.append(AuditEvent("run.created", chain: .run(run.id), payload: payload, time: run.createdAt), on: conn)
    }

    static func auditRunStatus(id: String, status: RunStatus, error: String?, at time: Date, on conn: SQLiteConnection) throws {
        let type: String =
            switch status {
            case .running: "run.started"
            case .waitingApproval: "run.paused"
            case .pending: "run.queued"
            default: "run.\(status.rawValue)"
            }
        var payload: [String: JSONValue] = ["status": .string(status.rawValue)]
        payload["error"] = error.map { .string(String($0.prefix(auditErrorLimit))) }
        // Cancelling is somebody's decision; every other status change is the engine's.
        let actor: AuditActor? = status == .cancelled ? nil : .engine
        try AuditLog.append(AuditEvent(type, chain: .run(id), payload: payload, actor: actor, time: time), on: conn)
    }

    /// An attempt's start (its row without a finish time).
    static func auditStepStarted(_ attempt: StepAttemptRecord, on conn: SQLiteConnection) throws {
        var payload: [String: JSONValue] = ["step_id": .string(attempt.stepID), "attempt": .integer(attempt.attempt)]
        payload["fanout_index"] = attempt.fanoutIndex.map(JSONValue.integer)
        payload["backend"] = attempt.backend.map(JSONValue.string)
        try AuditLog.append(
            AuditEvent("step.started", chain: .run(attempt.runID), payload: payload, actor: .engine, time: attempt.startedAt), on: conn)
    }

    /// A step (or fan-out item) reaching a final state, with what its model calls cost.
    static func auditStepFinished(_ step: StepRecord, on conn: SQLiteConnection) throws {
        // The step row's attempt is 0 when the engine commits a result without it; the attempts
        // recorded for the step say how many there were.
        let recorded =
            try conn.queryOne(
                "SELECT MAX(attempt) FROM step_attempts WHERE run_id = ? AND step_id = ? AND fanout_index = ?",
                [step.runID, step.stepID, storedFanout(step.fanoutIndex)])?.get(0, as: Int?.self) ?? nil
        var payload: [String: JSONValue] = [
            "step_id": .string(step.stepID), "status": .string(step.status.rawValue),
            "attempt": .integer(max(step.attempt, recorded ?? 0)),
        ]
        payload["fanout_index"] = step.fanoutIndex.map(JSONValue.integer)
        payload["exit_code"] = step.exitCode.map(JSONValue.integer)
        payload["error"] = step.error.map { .string(String($0.prefix(auditErrorLimit))) }
        if let row = try conn.queryOne(
            "SELECT SUM(cost_usd), COUNT(cost_usd) FROM model_calls WHERE run_id = ? AND step_id = ? AND fanout_index = ?",
            [step.runID, step.stepID, storedFanout(step.fanoutIndex)]),
            try row.get(1, as: Int.self) > 0
        {
            payload["cost_usd"] = .number(try row.get(0, as: Double.self))
        }
        try AuditLog.append(
            AuditEvent("step.\(step.status.rawValue)", chain: .run(step.runID), payload: payload, actor: .engine, time: step.finishedAt ?? Date()),
            on: conn)
    }

    static func auditApprovalRequested(_ approval: ApprovalRecord, on conn: SQLiteConnection) throws {
        var payload: [String: JSONValue] = ["step_id": .string(approval.stepID)]
        payload["timeout_at"] = approval.timeoutAt.map { .string(AuditHasher.timestamp(milliseconds: Int64(($0.timeIntervalSince1970 * 1000).rounded()))) }
        payload["on_timeout"] = approval.onTimeout.map(JSONValue.string)
        try AuditLog.append(
            AuditEvent("approval.requested", chain: .run(approval.runID), payload: payload, actor: .engine, time: approval.requestedAt),
            on: conn)
    }

    /// A decision is recorded in the run's chain and, as an admin action, in the global one.
    static func auditApprovalDecided(
        runID: String, stepID: String, status: ApprovalStatus, decidedBy: String?, comment: String?, at time: Date,
        on conn: SQLiteConnection
    ) throws {
        var payload: [String: JSONValue] = ["step_id": .string(stepID), "status": .string(status.rawValue)]
        payload["decided_by"] = decidedBy.map(JSONValue.string)
        payload["comment"] = comment.map { .string(String($0.prefix(auditErrorLimit))) }
        try AuditLog.append(AuditEvent("approval.decided", chain: .run(runID), payload: payload, time: time), on: conn)
        payload["run_id"] = .string(runID)
        try AuditLog.append(AuditEvent("approval.decided", chain: .global, payload: payload, time: time), on: conn)
    }

    static func auditDeadLetterRecorded(_ item: DeadLetterRecord, on conn: SQLiteConnection) throws {
        var payload: [String: JSONValue] = ["id": .string(item.id), "step_id": .string(item.stepID), "attempts": .integer(item.attempts)]
        payload["parallel_index"] = item.parallelIndex.map(JSONValue.integer)
        try AuditLog.append(
            AuditEvent("dead_letter.recorded", chain: .run(item.runID), payload: payload, actor: .engine, time: item.createdAt), on: conn)
    }

    /// A resolution (or retry) is recorded in the run's chain and in the global one.
    static func auditDeadLetterResolved(_ item: DeadLetterRecord, at time: Date, on conn: SQLiteConnection) throws {
        var payload: [String: JSONValue] = ["id": .string(item.id), "step_id": .string(item.stepID)]
        payload["resolved_by"] = item.resolvedBy.map { .string($0.rawValue) }
        payload["reason"] = item.resolveReason.map { .string(String($0.prefix(auditErrorLimit))) }
        payload["retry_run_id"] = item.retryRunID.map(JSONValue.string)
        try AuditLog.append(AuditEvent("dead_letter.resolved", chain: .run(item.runID), payload: payload, time: time), on: conn)
        payload["run_id"] = .string(item.runID)
        try AuditLog.append(AuditEvent("dead_letter.resolved", chain: .global, payload: payload, time: time), on: conn)
    }

    static func auditSchedule(_ type: String, _ schedule: ScheduleRecord, at time: Date, on conn: SQLiteConnection) throws {
        var payload: [String: JSONValue] = [
            "id": .string(schedule.id), "workflow_name": .string(schedule.workflowName),
            "cron_expression": .string(schedule.cronExpression), "timezone": .string(schedule.timeZone), "enabled": .bool(schedule.enabled),
        ]
        payload["tenant"] = schedule.tenant.flatMap { $0.isEmpty ? nil : .string($0) }
        try AuditLog.append(AuditEvent(type, chain: .global, payload: payload, time: time), on: conn)
    }
}
