import Foundation

/// Workflows as APIs (issue 14 §8): which version of a workflow is published as
/// `POST /api/v1/{name}`, and what the runs submitted through that endpoint did.
extension SQLiteRunRepository {
    /// Marks version `version` of `name` published (again: the time moves on).
    ///
    /// - Returns: false when `name` has no such live version.
    @discardableResult
    public func publishWorkflowVersion(name: String, version: Int, at time: Date = Date()) throws -> Bool {
        try database.execute(
            "UPDATE workflow_versions SET published_at = ? WHERE name = ? AND version = ? AND deleted_at IS NULL", [time, name, version]) > 0
    }

    /// The newest published live version of `name`: the one its endpoint runs; nil when none is.
    public func publishedWorkflowVersion(name: String) throws -> WorkflowVersionRecord? {
        try database.query(
            """
            SELECT \(Self.versionColumns) FROM workflow_versions
            WHERE name = ? AND deleted_at IS NULL AND published_at IS NOT NULL ORDER BY version DESC LIMIT 1
            """, [name]
        ).first.map(Self.versionRecord)
    }

    /// What the runs submitted through one endpoint did.
    public struct EndpointUsage: Sendable, Hashable {
        public struct Day: Sendable, Hashable {
            /// `YYYY-MM-DD` in UTC, of the submission.
            public var date: String
            public var calls: Int
            public var costUSD: Double
        }

        public var calls: Int
        public var completed: Int
        public var failed: Int
        /// Priced model cost of those runs.
        public var costUSD: Double
        /// Mean wall time of those that finished; nil with none.
        public var averageDurationSeconds: Double?
        /// One entry per day that had calls, oldest first.
        public var days: [Day]
    }

    /// The runs submitted through `POST /api/v1/{endpoint}` at or after `since`.
    public func endpointUsage(endpoint: String, since: Date) throws -> EndpointUsage {
        let cost = "(SELECT COALESCE(SUM(cost_usd), 0) FROM model_calls m WHERE m.run_id = r.id)"
        let scope = "FROM run_submissions s JOIN runs r ON r.id = s.run_id WHERE s.endpoint = ? AND s.submitted_at >= ?"
        guard
            let row = try database.query(
                """
                SELECT COUNT(*), COALESCE(SUM(CASE WHEN r.status = 'completed' THEN 1 ELSE 0 END), 0),
                       COALESCE(SUM(CASE WHEN r.status = 'failed' THEN 1 ELSE 0 END), 0), COALESCE(SUM(\(cost)), 0),
                       AVG(CASE WHEN r.finished_at IS NOT NULL AND r.started_at IS NOT NULL THEN (r.finished_at - r.started_at) / 1000.0 END)
                \(scope)
                """, [endpoint, since]
            ).first
        else { return EndpointUsage(calls: 0, completed: 0, failed: 0, costUSD: 0, averageDurationSeconds: nil, days: []) }
        let days = try database.query(
            """
            SELECT strftime('%Y-%m-%d', s.submitted_at / 1000, 'unixepoch') AS day, COUNT(*), COALESCE(SUM(\(cost)), 0)
            \(scope) GROUP BY day ORDER BY day
            """, [endpoint, since]
        ).map { r in EndpointUsage.Day(date: try r.get(0), calls: try r.get(1), costUSD: try r.get(2)) }
        return EndpointUsage(
            calls: try row.get(0), completed: try row.get(1), failed: try row.get(2), costUSD: try row.get(3),
            averageDurationSeconds: try row.get(4), days: days)
    }
}
