import Crypto
import Foundation

/// Saved workflows and their versions, and the requests runs were submitted with: what the
/// server's run queue and its `/api/workflows` keep beside the runs, in the same database.
extension SQLiteRunRepository {
    /// Saves `yaml` as the next version of `name` (1 when it has none, or was deleted) and
    /// returns the stored version.
    @discardableResult
    public func saveWorkflowVersion(
        name: String, yaml: String, description: String? = nil, source: WorkflowVersionRecord.Source, tenant: String? = nil,
        at time: Date = Date()
    ) throws -> WorkflowVersionRecord {
        try database.transaction { conn in
            let newest: Int? = try conn.queryOne("SELECT MAX(version) FROM workflow_versions WHERE name = ?", [name])?.get(0)
            let record = WorkflowVersionRecord(
                name: name, version: (newest ?? 0) + 1, yaml: yaml, contentHash: Self.contentHash(yaml), description: description,
                source: source, createdAt: time, tenant: tenant)
            // A deleted workflow saved again starts a new life: its old versions stay deleted.
            try conn.execute(
                """
                INSERT INTO workflow_versions (name, version, yaml, content_hash, description, source, created_at, tenant)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    record.name, record.version, record.yaml, record.contentHash, record.description, record.source.rawValue, time,
                    tenant ?? "",
                ])
            return record
        }
    }

    /// The newest live version of every workflow, by name.
    public func latestWorkflowVersions() throws -> [WorkflowVersionRecord] {
        try database.query(
            """
            SELECT \(Self.versionColumns) FROM workflow_versions v
            WHERE deleted_at IS NULL AND version = (SELECT MAX(version) FROM workflow_versions WHERE name = v.name AND deleted_at IS NULL)
            ORDER BY name
            """
        ).map(Self.versionRecord)
    }

    /// The live versions of `name`, newest first (empty when there is no such workflow).
    public func workflowVersions(name: String) throws -> [WorkflowVersionRecord] {
        try database.query(
            "SELECT \(Self.versionColumns) FROM workflow_versions WHERE name = ? AND deleted_at IS NULL ORDER BY version DESC", [name]
        ).map(Self.versionRecord)
    }

    /// One version of `name`, deleted or not (a run names the version it ran for good).
    public func workflowVersion(name: String, version: Int) throws -> WorkflowVersionRecord? {
        try database.query("SELECT \(Self.versionColumns) FROM workflow_versions WHERE name = ? AND version = ?", [name, version])
            .first.map(Self.versionRecord)
    }

    /// Marks every version of `name` deleted and returns how many there were.
    @discardableResult
    public func deleteWorkflow(name: String, at time: Date = Date()) throws -> Int {
        try database.execute("UPDATE workflow_versions SET deleted_at = ? WHERE name = ? AND deleted_at IS NULL", [time, name])
    }

    /// The request run `runID` was submitted with, or nil for a run started otherwise (the CLI).
    public func submission(runID: String) throws -> RunSubmissionRecord? {
        try database.query("SELECT \(Self.submissionColumns) FROM run_submissions WHERE run_id = ?", [runID]).first.map(Self.submissionRecord)
    }

    /// The run a tenant (nil: admin) already submitted under `idempotencyKey`, if any.
    public func submission(tenant: String?, idempotencyKey: String) throws -> RunSubmissionRecord? {
        try database.query(
            "SELECT \(Self.submissionColumns) FROM run_submissions WHERE tenant = ? AND idempotency_key = ?", [tenant ?? "", idempotencyKey]
        ).first.map(Self.submissionRecord)
    }

    static func recordSubmission(_ submission: RunSubmissionRecord, on conn: SQLiteConnection) throws {
        try conn.execute(
            """
            INSERT INTO run_submissions (run_id, workflow_version, tenant, idempotency_key, callback_url, submitted_at, endpoint)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """,
            [
                submission.runID, submission.workflowVersion, submission.tenant ?? "", submission.idempotencyKey, submission.callbackURL,
                submission.submittedAt, submission.endpoint,
            ])
    }

    /// SHA-256 of a workflow's text, lowercase hex.
    public static func contentHash(_ yaml: String) -> String {
        SHA256.hash(data: Array(yaml.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    static let versionColumns = "name, version, yaml, content_hash, description, source, created_at, tenant, published_at"
    private static let submissionColumns = "run_id, workflow_version, tenant, idempotency_key, callback_url, submitted_at, endpoint"

    static func versionRecord(_ r: Row) throws -> WorkflowVersionRecord {
        WorkflowVersionRecord(
            name: try r.get(0), version: try r.get(1), yaml: try r.get(2), contentHash: try r.get(3), description: try r.get(4),
            source: WorkflowVersionRecord.Source(rawValue: try r.get(5)), createdAt: try r.get(6),
            tenant: (try r.get(7) as String).nonEmpty, publishedAt: try r.get(8))
    }

    private static func submissionRecord(_ r: Row) throws -> RunSubmissionRecord {
        let tenant: String = try r.get(2)
        return RunSubmissionRecord(
            runID: try r.get(0), workflowVersion: try r.get(1), tenant: tenant.isEmpty ? nil : tenant, idempotencyKey: try r.get(3),
            callbackURL: try r.get(4), submittedAt: try r.get(5), endpoint: try r.get(6))
    }
}

extension String {
    /// Nil for the empty string: the store's spelling of "no tenant".
    var nonEmpty: String? { isEmpty ? nil : self }
}
