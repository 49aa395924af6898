extension Schema {
    /// Policy violations (issue 15 §1): one row per policy that fired on a step's (or fan-out
    /// item's) result, written with the step's result. `matched` is masked before it gets here.
    static let v13 = Migration(
        version: 13, name: "policy violations",
        sql: """
            CREATE TABLE violations (
                id              TEXT PRIMARY KEY,
                run_id          TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                step_id         TEXT NOT NULL,
                -- -1 for a step that is not fanned out (as in steps).
                parallel_index  INTEGER NOT NULL DEFAULT -1 CHECK (parallel_index >= -1),
                policy_id       TEXT NOT NULL,
                severity        TEXT NOT NULL,
                -- An entity (email, …), 'regex' or 'condition'.
                trigger_kind    TEXT NOT NULL,
                -- Masked: never the raw matched text.
                matched         TEXT,
                match_count     INTEGER NOT NULL DEFAULT 1,
                action          TEXT NOT NULL,
                output_modified INTEGER NOT NULL DEFAULT 0,
                -- The tenant of the run's submission; '' for an admin's run (as in run_submissions).
                tenant          TEXT NOT NULL DEFAULT '',
                created_at      INTEGER NOT NULL
            );
            CREATE INDEX violations_by_run ON violations(run_id, created_at);
            CREATE INDEX violations_by_created ON violations(created_at, id);
            CREATE INDEX violations_by_tenant ON violations(tenant, created_at);
            """)
}
