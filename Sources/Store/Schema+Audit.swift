extension Schema {
    /// The tamper-evident audit log (issue 15 §4): a SHA-256 hash chain per run (`run:<id>`) and
    /// one for admin actions (`global`); see ``AuditLog`` and docs/guardrails.md. No foreign key
    /// to `runs`: deleting a run keeps its chain (the record of what happened must outlive it).
    static let v11 = Migration(
        version: 11, name: "audit entries",
        sql: """
            CREATE TABLE audit_entries (
                id                INTEGER PRIMARY KEY,
                -- 'run:<run id>' or 'global'
                chain             TEXT NOT NULL,
                -- 1, 2, 3, … per chain
                seq               INTEGER NOT NULL,
                event_type        TEXT NOT NULL,
                -- NULL on the global chain
                run_id            TEXT,
                actor_id          TEXT NOT NULL,
                actor_key_prefix  TEXT,
                source_ip         TEXT,
                -- The payload's canonical JSON, exactly as hashed.
                payload_json      TEXT NOT NULL,
                -- The previous entry's entry_hash in the chain, or 'genesis'.
                prev_hash         TEXT NOT NULL,
                -- Lowercase hex SHA-256 of the entry's canonical JSON (docs/guardrails.md).
                entry_hash        TEXT NOT NULL,
                -- Milliseconds since 1970 (UTC), strictly increasing within the chain.
                created_at        INTEGER NOT NULL,
                UNIQUE (chain, seq)
            );
            CREATE INDEX audit_entries_by_time ON audit_entries(created_at, id);
            CREATE INDEX audit_entries_by_actor ON audit_entries(actor_id, id);
            CREATE INDEX audit_entries_by_type ON audit_entries(event_type, id);
            """)
}
