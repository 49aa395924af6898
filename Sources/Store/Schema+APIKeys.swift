/// The server's own API keys (issue 14 §7): keys made through `/api/api-keys` and the
/// `ADMIN_API_KEY` bootstrap, stored only as an HMAC with the server's pepper, plus the tenant a
/// workflow saved through the API belongs to.
extension Schema {
    static let v8 = Migration(
        version: 8, name: "api keys, workflow tenants",
        sql: """
            CREATE TABLE api_keys (
                id                    TEXT PRIMARY KEY,
                -- The key's first 8 characters: the lookup before the constant-time comparison.
                key_prefix            TEXT NOT NULL,
                -- Lowercase hex HMAC-SHA256(pepper, key); the key itself is never stored.
                key_hash              TEXT NOT NULL UNIQUE,
                -- NULL: an admin key (sees every tenant).
                tenant_id             TEXT,
                name                  TEXT NOT NULL,
                is_active             INTEGER NOT NULL DEFAULT 1,
                max_cost_per_run_usd  REAL,
                expires_at            INTEGER,
                -- JSON arrays of strings; NULL for no restriction.
                allowed_cidrs         TEXT,
                allowed_workflows     TEXT,
                created_at            INTEGER NOT NULL,
                last_used_at          INTEGER,
                rotated_from          TEXT
            );
            CREATE INDEX api_keys_by_prefix ON api_keys(key_prefix) WHERE is_active = 1;
            CREATE INDEX api_keys_by_created ON api_keys(created_at, id);

            -- '' for a workflow every key sees (the folder's, an admin's); a tenant's own otherwise.
            ALTER TABLE workflow_versions ADD COLUMN tenant TEXT NOT NULL DEFAULT '';

            -- A tenant key's run list, stats and event feed select its runs by tenant.
            CREATE INDEX run_submissions_by_tenant ON run_submissions(tenant, run_id);
            """)
}
