import Foundation
import Guardrails

/// Dead letters: steps given up in workflows with `on_failure: {dead_letter: true}`, kept beside
/// their runs until retried or resolved. The table's unique (run, step, fan-out index) key makes
/// recording one idempotent, so a resumed run cannot add a second item for the same failure.
extension SQLiteRunRepository {
    public func recordDeadLetter(_ item: DeadLetterRecord) throws -> DeadLetterRecord {
        try database.transaction { try Self.recordDeadLetter(item, on: $0) }
    }

    public func deadLetters(_ query: DeadLetterQuery) throws -> [DeadLetterRecord] {
        let (filter, bindings) = Self.deadLetterFilter(query)
        return try database.query(
            "SELECT \(Self.deadLetterColumns) FROM dead_letters\(filter) ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
            bindings + [Int64(clamping: max(0, query.limit)), Int64(clamping: max(0, query.offset))]
        ).map(Self.deadLetterRecord)
    }

    public func countDeadLetters(_ query: DeadLetterQuery) throws -> Int {
        let (filter, bindings) = Self.deadLetterFilter(query)
        return try database.query("SELECT COUNT(*) FROM dead_letters\(filter)", bindings).first?.get(0) ?? 0
    }

    public func deadLetter(id: String) throws -> DeadLetterRecord? {
        try database.read { try Self.deadLetter(id: id, on: $0) }
    }

    public func resolveDeadLetter(
        id: String, by resolution: DeadLetterResolution, reason: String?, retryRunID: String?, at time: Date
    ) throws -> DeadLetterRecord {
        try database.transaction { conn in
            try Self.resolveDeadLetter(id: id, by: resolution, reason: reason, retryRunID: retryRunID, at: time, on: conn)
        }
    }

    static func recordDeadLetter(_ item: DeadLetterRecord, on conn: SQLiteConnection) throws -> DeadLetterRecord {
        guard try conn.queryOne("SELECT 1 FROM runs WHERE id = ?", [item.runID]) != nil else {
            throw StoreError(.constraint, "FOREIGN KEY constraint failed: no run \(item.runID)")
        }
        // The tenant is the run's submission's, read in the same transaction.
        let inserted = try conn.execute(
            """
            INSERT INTO dead_letters (id, run_id, step_id, parallel_index, error, input_json, attempts, tenant, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, COALESCE((SELECT tenant FROM run_submissions WHERE run_id = ?), ''), ?)
            ON CONFLICT (run_id, step_id, parallel_index) DO NOTHING
            """,
            [
                item.id, item.runID, item.stepID, storedFanout(item.parallelIndex), item.error.map(ScrubbingSystem.scrub), item.inputJSON,
                max(1, item.attempts),
                item.runID, item.createdAt,
            ])
        guard
            let stored = try conn.query(
                "SELECT \(deadLetterColumns) FROM dead_letters WHERE run_id = ? AND step_id = ? AND parallel_index = ?",
                [item.runID, item.stepID, storedFanout(item.parallelIndex)]
            ).first.map(deadLetterRecord)
        else {
            throw StoreError(.internal, "the dead letter of run \(item.runID) step \(item.stepID) was not stored")
        }
        if inserted > 0 { try auditDeadLetterRecorded(stored, on: conn) }
        return stored
    }

    static func resolveDeadLetter(
        id: String, by resolution: DeadLetterResolution, reason: String?, retryRunID: String?, at time: Date,
        on conn: SQLiteConnection
    ) throws -> DeadLetterRecord {
        let changed = try conn.execute(
            """
            UPDATE dead_letters SET resolved_at = ?, resolved_by = ?, resolve_reason = ?, retry_run_id = ?
            WHERE id = ? AND resolved_at IS NULL
            """, [time, resolution.rawValue, reason.map(ScrubbingSystem.scrub), retryRunID, id])
        guard let stored = try deadLetter(id: id, on: conn) else { throw StoreError(.notFound, "no dead letter with id \(id)") }
        guard changed > 0 else {
            throw StoreError(.conflict, "dead letter \(id) was resolved already (\(stored.resolvedBy?.rawValue ?? "resolved"))")
        }
        try auditDeadLetterResolved(stored, at: time, on: conn)
        return stored
    }

    private static func deadLetter(id: String, on conn: SQLiteConnection) throws -> DeadLetterRecord? {
        try conn.query("SELECT \(deadLetterColumns) FROM dead_letters WHERE id = ?", [id]).first.map(deadLetterRecord)
    }

    private static func deadLetterFilter(_ query: DeadLetterQuery) -> (String, [any SQLiteValueConvertible]) {
        var filter = SQLFilter()
        if let resolved = query.resolved { filter.add(resolved ? "resolved_at IS NOT NULL" : "resolved_at IS NULL") }
        filter.add("tenant = ?", query.tenant)
        return (filter.clause, filter.bindings)
    }

    private static let deadLetterColumns = """
        id, run_id, step_id, parallel_index, error, input_json, attempts, tenant, created_at, resolved_at, resolved_by,
        resolve_reason, retry_run_id
        """

    private static func deadLetterRecord(_ r: Row) throws -> DeadLetterRecord {
        let tenant: String = try r.get(7)
        let resolvedBy: String? = try r.get(10)
        return DeadLetterRecord(
            id: try r.get(0), runID: try r.get(1), stepID: try r.get(2), parallelIndex: fanoutFromStore(try r.get(3)), error: try r.get(4),
            inputJSON: try r.get(5), attempts: try r.get(6), tenant: tenant.isEmpty ? nil : tenant, createdAt: try r.get(8),
            resolvedAt: try r.get(9), resolvedBy: resolvedBy.map(DeadLetterResolution.init(rawValue:)), resolveReason: try r.get(11),
            retryRunID: try r.get(12))
    }
}
