import Foundation

/// What the server's overview shows (`GET /api/stats`), computed by SQLite over the runs table,
/// and the deletion of a finished run.
extension SQLiteRunRepository {
    public struct RunStats: Sendable {
        public struct Day: Sendable, Hashable {
            /// `YYYY-MM-DD` in UTC.
            public var date: String
            public var runs: Int
            public var completed: Int
            public var failed: Int
            public var costUSD: Double
        }

        public var runsSince: Int
        /// Completed over finished (completed, failed, cancelled, budget exceeded) since the start; nil with none finished.
        public var successRate: Double?
        public var costSinceUSD: Double
        /// Mean wall time of the runs finished since the start; nil with none.
        public var averageDurationSeconds: Double?
        /// One entry per day that had runs, oldest first.
        public var days: [Day]
        /// Priced model cost per workflow over the days, highest first.
        public var costByWorkflow: [WorkflowCost]

        public struct WorkflowCost: Sendable, Hashable {
            public var workflow: String
            public var costUSD: Double
        }
    }

    /// Figures of the runs created at or after `since`, and per day from `daysFrom`; with a
    /// `tenant`, of that tenant's runs only.
    public func runStats(since: Date, daysFrom: Date, tenant: String? = nil) throws -> RunStats {
        let scope = tenant == nil ? "" : " AND id IN (SELECT run_id FROM run_submissions WHERE tenant = ?)"
        let scoped: [any SQLiteValueConvertible] = tenant.map { [$0] } ?? []
        let finished = "'completed', 'failed', 'cancelled', 'budget_exceeded'"
        let cost = "(SELECT COALESCE(SUM(cost_usd), 0) FROM model_calls m WHERE m.run_id = runs.id)"
        guard
            let row = try database.query(
                """
                SELECT COUNT(*),
                       SUM(CASE WHEN status = 'completed' THEN 1 ELSE 0 END),
                       SUM(CASE WHEN status IN (\(finished)) THEN 1 ELSE 0 END),
                       COALESCE(SUM(\(cost)), 0),
                       AVG(CASE WHEN finished_at IS NOT NULL AND started_at IS NOT NULL THEN (finished_at - started_at) / 1000.0 END)
                FROM runs WHERE created_at >= ?\(scope)
                """, [since] + scoped
            ).first
        else { return RunStats(runsSince: 0, successRate: nil, costSinceUSD: 0, averageDurationSeconds: nil, days: [], costByWorkflow: []) }
        let total: Int = try row.get(0)
        let completed: Int? = try row.get(1)
        let ended: Int? = try row.get(2)
        let days = try database.query(
            """
            SELECT strftime('%Y-%m-%d', created_at / 1000, 'unixepoch') AS day, COUNT(*),
                   SUM(CASE WHEN status = 'completed' THEN 1 ELSE 0 END), SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END),
                   COALESCE(SUM(\(cost)), 0)
            FROM runs WHERE created_at >= ?\(scope) GROUP BY day ORDER BY day
            """, [daysFrom] + scoped
        ).map { r in
            RunStats.Day(date: try r.get(0), runs: try r.get(1), completed: try r.get(2), failed: try r.get(3), costUSD: try r.get(4))
        }
        let byWorkflow = try database.query(
            """
            SELECT workflow_name, COALESCE(SUM(\(cost)), 0) AS spent FROM runs WHERE created_at >= ?\(scope)
            GROUP BY workflow_name ORDER BY spent DESC, workflow_name
            """, [daysFrom] + scoped
        ).map { r in RunStats.WorkflowCost(workflow: try r.get(0), costUSD: try r.get(1)) }
        return RunStats(
            runsSince: total, successRate: (ended ?? 0) > 0 ? Double(completed ?? 0) / Double(ended ?? 1) : nil, costSinceUSD: try row.get(3),
            averageDurationSeconds: try row.get(4), days: days, costByWorkflow: byWorkflow)
    }

    /// Deletes a run with everything recorded of it (steps, attempts, events, approvals, model
    /// calls, its submission); runs derived from it keep going, without their parent link.
    ///
    /// - Returns: false when there was no such run.
    @discardableResult
    public func deleteRun(id: String) throws -> Bool {
        try database.execute("DELETE FROM runs WHERE id = ?", [id]) > 0
    }
}
