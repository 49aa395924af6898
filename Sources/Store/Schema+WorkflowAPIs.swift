extension Schema {
    /// Workflows as APIs (issue 14 §8): a saved version published as `POST /api/v1/{name}`, and
    /// which endpoint a run came through, so the endpoint's usage can be counted.
    static let v9 = Migration(
        version: 9, name: "published workflow versions, run endpoints",
        sql: """
            -- Set when an admin publishes the version; NULL for one never published. The API serves
            -- the newest published version of a name (a later save waits for its own publishing).
            ALTER TABLE workflow_versions ADD COLUMN published_at INTEGER;

            -- The workflow name of `POST /api/v1/{name}` the run was submitted through; NULL for a
            -- run submitted any other way.
            ALTER TABLE run_submissions ADD COLUMN endpoint TEXT;
            CREATE INDEX run_submissions_by_endpoint ON run_submissions(endpoint, submitted_at) WHERE endpoint IS NOT NULL;
            """)
}
