import Foundation

/// Policy violations beside their runs: written with the step's result (``RunChange/recordViolation(_:)``),
/// read with filters for the API and `sandcastle runs violations`.
extension SQLiteRunRepository {
    public func violations(_ query: ViolationQuery) throws -> [ViolationRecord] {
        let (filter, bindings) = Self.violationFilter(query)
        return try database.query(
            "SELECT \(Self.violationColumns) FROM violations\(filter) ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
            bindings + [Int64(clamping: max(0, query.limit)), Int64(clamping: max(0, query.offset))]
        ).map(Self.violationRecord)
    }

    public func countViolations(_ query: ViolationQuery) throws -> Int {
        let (filter, bindings) = Self.violationFilter(query)
        return try database.query("SELECT COUNT(*) FROM violations\(filter)", bindings).first?.get(0) ?? 0
    }

    public func violationStats(_ query: ViolationQuery) throws -> ViolationStats {
        let (filter, bindings) = Self.violationFilter(query)
        var stats = ViolationStats()
        for (column, assign) in [
            ("severity", \ViolationStats.bySeverity), ("policy_id", \ViolationStats.byPolicy), ("action", \ViolationStats.byAction),
        ] as [(String, WritableKeyPath<ViolationStats, [String: Int]>)] {
            for row in try database.query("SELECT \(column), COUNT(*) FROM violations\(filter) GROUP BY \(column)", bindings) {
                let count: Int = try row.get(1)
                stats[keyPath: assign][try row.get(0)] = count
            }
        }
        stats.total = stats.bySeverity.values.reduce(0, +)
        return stats
    }

    static func recordViolation(_ record: ViolationRecord, on conn: SQLiteConnection) throws {
        guard try conn.queryOne("SELECT 1 FROM runs WHERE id = ?", [record.runID]) != nil else {
            throw StoreError(.constraint, "FOREIGN KEY constraint failed: no run \(record.runID)")
        }
        try conn.execute(
            """
            INSERT INTO violations (id, run_id, step_id, parallel_index, policy_id, severity, trigger_kind, matched, match_count,
                                    action, output_modified, tenant, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, COALESCE((SELECT tenant FROM run_submissions WHERE run_id = ?), ''), ?)
            """,
            [
                record.id, record.runID, record.stepID, storedFanout(record.fanoutIndex), record.policyID, record.severity, record.trigger,
                record.matched, max(1, record.matchCount), record.action, record.outputModified ? 1 : 0, record.runID, record.createdAt,
            ])
    }

    private static func violationFilter(_ query: ViolationQuery) -> (String, [any SQLiteValueConvertible]) {
        var filter = SQLFilter()
        filter.add("run_id = ?", query.runID)
        filter.add("step_id = ?", query.stepID)
        filter.add("policy_id = ?", query.policyID)
        filter.add("severity = ?", query.severity)
        filter.add("created_at >= ?", query.since)
        filter.add("created_at < ?", query.until)
        filter.add("tenant = ?", query.tenant)
        return (filter.clause, filter.bindings)
    }

    private static let violationColumns = """
        id, run_id, step_id, parallel_index, policy_id, severity, trigger_kind, matched, match_count, action, output_modified,
        tenant, created_at
        """

    private static func violationRecord(_ r: Row) throws -> ViolationRecord {
        let tenant: String = try r.get(11)
        let modified: Int = try r.get(10)
        return ViolationRecord(
            id: try r.get(0), runID: try r.get(1), stepID: try r.get(2), fanoutIndex: fanoutFromStore(try r.get(3)),
            policyID: try r.get(4), severity: try r.get(5), trigger: try r.get(6), matched: try r.get(7), matchCount: try r.get(8),
            action: try r.get(9), outputModified: modified != 0, tenant: tenant.isEmpty ? nil : tenant, createdAt: try r.get(12))
    }
}
