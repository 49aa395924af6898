import Foundation
import Guardrails

/// `RunRepository` over a migrated `SQLiteDatabase`.
public struct SQLiteRunRepository: RunRepository {
    public let database: SQLiteDatabase

    /// Wraps an already-migrated database.
    public init(database: SQLiteDatabase) {
        self.database = database
    }

    /// Opens the database at `path`, applies the migrations, and wraps it.
    public init(path: String) throws {
        let database = try SQLiteDatabase(path: path)
        try Migrator.migrate(database)
        self.database = database
    }

    public func createRun(_ run: RunRecord) throws {
        try database.transaction { try Self.apply([.createRun(run)], on: $0) }
    }

    static func createRun(_ run: RunRecord, on conn: SQLiteConnection) throws {
        try conn.execute(
            """
            INSERT INTO runs (id, workflow_name, workflow_path, workflow_hash, status, inputs_json,
                              parent_run_id, forked_from_step, lineage_kind, fork_changes_json, owner,
                              created_at, started_at, finished_at, error, max_cost_usd)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                run.id, run.workflowName, run.workflowPath, run.workflowHash, run.status.rawValue, run.inputsJSON,
                run.parentRunID, run.forkedFromStep, run.lineageKind, run.forkChangesJSON, run.owner,
                run.createdAt, run.startedAt, run.finishedAt, run.error, run.maxCostUSD,
            ])
        try auditRunCreated(run, on: conn)
    }

    public func updateRunStatus(id: String, to status: RunStatus, at time: Date, error: String?) throws {
        try database.transaction { try Self.apply([.updateRunStatus(id: id, status: status, time: time, error: error)], on: $0) }
    }

    static func updateRunStatus(
        id: String, to status: RunStatus, at time: Date, error: String?,
        on conn: SQLiteConnection
    ) throws {
        let changed = try conn.execute(
            """
            UPDATE runs SET status = ?,
                started_at = CASE WHEN ? AND started_at IS NULL THEN ? ELSE started_at END,
                finished_at = CASE WHEN ? THEN ? ELSE finished_at END,
                error = ?
            WHERE id = ?
            """, [status.rawValue, status == .running, time, status.isTerminal, time, error, id])
        if changed == 0 {
            throw StoreError(.notFound, "no run with id \(id)")
        }
        try auditRunStatus(id: id, status: status, error: error, at: time, on: conn)
    }

    public func upsertStep(_ step: StepRecord) throws {
        try database.transaction { try Self.apply([.upsertStep(step)], on: $0) }
    }

    static func upsertStep(_ step: StepRecord, on conn: SQLiteConnection) throws {
        try conn.execute(
            """
            INSERT INTO steps (run_id, step_id, fanout_index, status, attempt, backend, sandbox_id, exit_code,
                               output_json, output_text, output_path, started_at, finished_at, error)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (run_id, step_id, fanout_index) DO UPDATE SET
                status = excluded.status, attempt = excluded.attempt, backend = excluded.backend,
                sandbox_id = excluded.sandbox_id, exit_code = excluded.exit_code,
                output_json = excluded.output_json, output_text = excluded.output_text,
                output_path = excluded.output_path, started_at = excluded.started_at,
                finished_at = excluded.finished_at, error = excluded.error
            """,
            [
                step.runID, step.stepID, storedFanout(step.fanoutIndex), step.status.rawValue, step.attempt,
                step.backend, step.sandboxID, step.exitCode, step.outputJSON, step.outputText, step.outputPath,
                step.startedAt, step.finishedAt, step.error,
            ])
        if step.status.isTerminal { try auditStepFinished(step, on: conn) }
    }

    public func recordAttempt(_ a: StepAttemptRecord) throws {
        try database.transaction { try Self.apply([.recordAttempt(a)], on: $0) }
    }

    static func recordAttempt(_ a: StepAttemptRecord, on conn: SQLiteConnection) throws {
        try conn.execute(
            """
            INSERT OR REPLACE INTO step_attempts (run_id, step_id, fanout_index, attempt, backend, sandbox_id,
                                                  exit_code, started_at, finished_at, duration_ms, error)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                a.runID, a.stepID, storedFanout(a.fanoutIndex), a.attempt, a.backend, a.sandboxID, a.exitCode,
                a.startedAt, a.finishedAt, a.durationMs, a.error,
            ])
        if a.finishedAt == nil { try auditStepStarted(a, on: conn) }
    }

    public func appendEvent(runID: String, kind: String, payloadJSON: String, at time: Date) throws -> Int64 {
        // One statement computes the next seq and inserts, inside a write transaction, so two
        // processes appending to the same run cannot pick the same number.
        let payloadJSON = ScrubbingSystem.scrubJSON(payloadJSON)
        return try database.transaction { try Self.appendEvent(runID: runID, kind: kind, payloadJSON: payloadJSON, at: time, on: $0) }
    }

    static func appendEvent(
        runID: String, kind: String, payloadJSON: String, at time: Date,
        on conn: SQLiteConnection
    ) throws -> Int64 {
        let rows = try conn.query(
            """
            INSERT INTO events (run_id, seq, time, kind, payload_json)
            VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE run_id = ?1), ?2, ?3, ?4)
            RETURNING seq
            """, [runID, time, kind, payloadJSON])
        guard let row = rows.first else {
            throw StoreError(.internal, "appending an event to run \(runID) returned no sequence number")
        }
        return try row.get(0, as: Int64.self)
    }

    public func write(_ changes: [RunChange]) throws {
        guard !changes.isEmpty else { return }
        try database.transaction { conn in try Self.apply(changes, on: conn) }
    }

    /// Applies `changes` in order on `conn`, each scrubbed of secrets first (``RunChange/scrubbed``).
    static func apply(_ changes: [RunChange], on conn: SQLiteConnection) throws {
        for change in changes {
            switch change.scrubbed {
            case .createRun(let run): try createRun(run, on: conn)
            case .updateRunStatus(let id, let status, let time, let error):
                try updateRunStatus(id: id, to: status, at: time, error: error, on: conn)
            case .upsertStep(let step): try upsertStep(step, on: conn)
            case .recordAttempt(let attempt): try recordAttempt(attempt, on: conn)
            case .appendEvent(let runID, let kind, let payloadJSON, let time):
                _ = try appendEvent(runID: runID, kind: kind, payloadJSON: payloadJSON, at: time, on: conn)
            case .setRunOwner(let id, let owner):
                guard try conn.execute("UPDATE runs SET owner = ? WHERE id = ?", [owner, id]) > 0 else {
                    throw StoreError(.notFound, "no run with id \(id)")
                }
            case .recordModelCall(let call): try recordModelCall(call, on: conn)
            case .recordSubmission(let submission): try recordSubmission(submission, on: conn)
            case .recordDeadLetter(let item): _ = try recordDeadLetter(item, on: conn)
            case .recordViolation(let record): try recordViolation(record, on: conn)
            case .resolveDeadLetter(let id, let resolution, let reason, let retryRunID, let time):
                _ = try resolveDeadLetter(id: id, by: resolution, reason: reason, retryRunID: retryRunID, at: time, on: conn)
            case .appendAudit(let event): try AuditLog.append(event, on: conn)
            }
        }
    }

    public func listRuns(_ query: RunQuery) throws -> [RunRecord] {
        guard let (filter, bindings) = Self.filter(query) else { return [] }
        let sql = "SELECT \(Self.runColumns) FROM runs\(filter) ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?"
        return try database.query(sql, bindings + [Int64(clamping: max(0, query.limit)), Int64(clamping: max(0, query.offset))])
            .map(Self.run(from:))
    }

    /// How many runs pass the query's filters (its limit and offset aside).
    public func countRuns(_ query: RunQuery) throws -> Int {
        guard let (filter, bindings) = Self.filter(query) else { return 0 }
        return try database.query("SELECT COUNT(*) FROM runs\(filter)", bindings).first?.get(0) ?? 0
    }

    /// The WHERE clause of a query's filters; nil when nothing can match.
    private static func filter(_ query: RunQuery) -> (String, [any SQLiteValueConvertible])? {
        var filter = SQLFilter()
        if let statuses = query.statuses {
            if statuses.isEmpty { return nil }
            filter.add("status", in: statuses.map(\.rawValue))
        }
        filter.add("workflow_name = ?", query.workflowName)
        filter.add("created_at >= ?", query.createdSince)
        filter.add("created_at < ?", query.createdBefore)
        filter.add("id IN (SELECT run_id FROM run_submissions WHERE tenant = ?)", query.tenant)
        return (filter.clause, filter.bindings)
    }

    public func run(id: String) throws -> RunDetail? {
        let (runRows, stepRows) = try database.read { conn in
            (
                try conn.query("SELECT \(Self.runColumns) FROM runs WHERE id = ?", [id]),
                try conn.query(
                    """
                    SELECT run_id, step_id, fanout_index, status, attempt, backend, sandbox_id, exit_code, output_json,
                           output_text, output_path, started_at, finished_at, error
                    FROM steps WHERE run_id = ? ORDER BY step_id, fanout_index
                    """, [id])
            )
        }
        guard let runRow = runRows.first else { return nil }
        return RunDetail(
            run: try Self.run(from: runRow),
            steps: try stepRows.map { r in
                var step = StepRecord(
                    runID: try r.get(0), stepID: try r.get(1), fanoutIndex: fanoutFromStore(try r.get(2)),
                    status: StepStatus(rawValue: try r.get(3)), attempt: try r.get(4))
                step.backend = try r.get(5)
                step.sandboxID = try r.get(6)
                step.exitCode = try r.get(7)
                step.outputJSON = try r.get(8)
                step.outputText = try r.get(9)
                step.outputPath = try r.get(10)
                step.startedAt = try r.get(11)
                step.finishedAt = try r.get(12)
                step.error = try r.get(13)
                return step
            })
    }

    public func attempts(runID: String, stepID: String, fanoutIndex: Int?) throws -> [StepAttemptRecord] {
        try database.query(
            """
            SELECT attempt, backend, sandbox_id, exit_code, started_at, finished_at, duration_ms, error
            FROM step_attempts WHERE run_id = ? AND step_id = ? AND fanout_index = ? ORDER BY attempt
            """, [runID, stepID, storedFanout(fanoutIndex)]
        ).map { r in
            StepAttemptRecord(
                runID: runID, stepID: stepID, fanoutIndex: fanoutIndex, attempt: try r.get(0),
                backend: try r.get(1), sandboxID: try r.get(2), exitCode: try r.get(3),
                startedAt: try r.get(4), finishedAt: try r.get(5), durationMs: try r.get(6),
                error: try r.get(7))
        }
    }

    public func events(runID: String, afterSeq: Int64, limit: Int) throws -> [EventRecord] {
        try database.query(
            """
            SELECT seq, time, kind, payload_json FROM events WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?
            """, [runID, afterSeq, Int64(clamping: max(0, limit))]
        ).map { r in
            EventRecord(runID: runID, seq: try r.get(0), time: try r.get(1), kind: try r.get(2), payloadJSON: try r.get(3))
        }
    }

    public func requestApproval(
        _ a: ApprovalRecord,
        whilePending: (ApprovalRecord) throws -> [RunChange]
    ) throws -> ApprovalRecord {
        try database.transaction { conn in
            // DO NOTHING keeps an earlier request (and its deadline and decision) across restarts.
            let inserted = try conn.execute(
                """
                INSERT INTO approvals (run_id, step_id, status, requested_at, decided_by, decided_at, comment, timeout_at,
                                       message, request_json, on_timeout, allow_edit, response_json)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (run_id, step_id) DO NOTHING
                """,
                [
                    a.runID, a.stepID, a.status.rawValue, a.requestedAt, a.decidedBy, a.decidedAt, a.comment,
                    a.timeoutAt, a.message.map(ScrubbingSystem.scrub), a.requestJSON.map(ScrubbingSystem.scrubJSON),
                    a.onTimeout, a.allowEdit, a.responseJSON.map(ScrubbingSystem.scrubJSON),
                ])
            guard
                let row = try conn.queryOne(
                    "SELECT \(Self.approvalColumns) FROM approvals WHERE run_id = ? AND step_id = ?",
                    [a.runID, a.stepID])
            else {
                throw StoreError(.internal, "the approval of \(a.runID)/\(a.stepID) vanished after insert")
            }
            let stored = try Self.approval(from: row)
            if inserted > 0 { try Self.auditApprovalRequested(stored, on: conn) }
            if stored.status == .pending { try Self.apply(try whilePending(stored), on: conn) }
            return stored
        }
    }

    public func approval(runID: String, stepID: String) throws -> ApprovalRecord? {
        try database.query(
            "SELECT \(Self.approvalColumns) FROM approvals WHERE run_id = ? AND step_id = ?",
            [runID, stepID]
        ).first.map(Self.approval(from:))
    }

    public func approvals(runID: String?, statuses: Set<ApprovalStatus>?) throws -> [ApprovalRecord] {
        var filter = SQLFilter()
        filter.add("run_id = ?", runID)
        if let statuses {
            if statuses.isEmpty { return [] }
            filter.add("status", in: statuses.map(\.rawValue))
        }
        return try database.query(
            "SELECT \(Self.approvalColumns) FROM approvals\(filter.clause) ORDER BY requested_at, run_id, step_id",
            filter.bindings
        ).map(Self.approval(from:))
    }

    public func decideApproval(
        runID: String, stepID: String, status: ApprovalStatus, decidedBy: String?,
        comment: String?, responseJSON: String?, at time: Date
    ) throws -> Bool {
        try database.transaction { conn in
            let changed = try conn.execute(
                """
                UPDATE approvals SET status = ?, decided_by = ?, decided_at = ?, comment = ?, response_json = ?
                WHERE run_id = ? AND step_id = ? AND status = 'pending'
                """,
                [
                    status.rawValue, decidedBy, time, comment.map(ScrubbingSystem.scrub),
                    responseJSON.map(ScrubbingSystem.scrubJSON), runID, stepID,
                ])
            if changed > 0 {
                try Self.auditApprovalDecided(
                    runID: runID, stepID: stepID, status: status, decidedBy: decidedBy,
                    comment: comment.map(ScrubbingSystem.scrub), at: time, on: conn)
                return true
            }
            guard try conn.queryOne("SELECT 1 FROM approvals WHERE run_id = ? AND step_id = ?", [runID, stepID]) != nil else {
                throw StoreError(.notFound, "run \(runID) has no approval for step \(stepID)")
            }
            return false
        }
    }

    private static let approvalColumns = """
        run_id, step_id, status, message, request_json, on_timeout, allow_edit, requested_at, timeout_at,
        decided_by, decided_at, comment, response_json
        """

    private static func approval(from r: Row) throws -> ApprovalRecord {
        ApprovalRecord(
            runID: try r.get(0), stepID: try r.get(1), status: ApprovalStatus(rawValue: try r.get(2)),
            message: try r.get(3), requestJSON: try r.get(4), onTimeout: try r.get(5),
            allowEdit: try r.get(6), requestedAt: try r.get(7), timeoutAt: try r.get(8),
            decidedBy: try r.get(9), decidedAt: try r.get(10), comment: try r.get(11),
            responseJSON: try r.get(12))
    }

    private static let runColumns = """
        id, workflow_name, workflow_path, workflow_hash, status, inputs_json, parent_run_id, forked_from_step,
        created_at, started_at, finished_at, error, lineage_kind, fork_changes_json, owner, max_cost_usd
        """

    private static func run(from r: Row) throws -> RunRecord {
        RunRecord(
            id: try r.get(0), workflowName: try r.get(1), workflowPath: try r.get(2), workflowHash: try r.get(3),
            status: RunStatus(rawValue: try r.get(4)), inputsJSON: try r.get(5), parentRunID: try r.get(6),
            forkedFromStep: try r.get(7), lineageKind: try r.get(12), forkChangesJSON: try r.get(13), owner: try r.get(14),
            createdAt: try r.get(8), startedAt: try r.get(9), finishedAt: try r.get(10), error: try r.get(11),
            maxCostUSD: try r.get(15))
    }
}
