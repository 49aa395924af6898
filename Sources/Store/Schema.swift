/// Sandcastle's database schema, as an ordered list of migrations.
///
/// Conventions: timestamps are INTEGER milliseconds since 1970 (UTC); JSON is stored as TEXT;
/// statuses are lowercase strings so new ones need no migration. Never edit a released
/// migration: append a new one.
public enum Schema {
    /// All migrations, oldest first.
    public static let migrations: [Migration] = [v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13]

    /// The schema version this program writes.
    public static var latestVersion: Int { migrations.count }

    static let v1 = Migration(
        version: 1, name: "runs, steps, events, approvals, sandboxes",
        sql: """
            CREATE TABLE runs (
                id               TEXT PRIMARY KEY,
                workflow_name    TEXT NOT NULL,
                workflow_path    TEXT,
                workflow_hash    TEXT,
                status           TEXT NOT NULL,
                inputs_json      TEXT NOT NULL DEFAULT '{}',
                parent_run_id    TEXT REFERENCES runs(id) ON DELETE SET NULL,
                forked_from_step TEXT,
                created_at       INTEGER NOT NULL,
                started_at       INTEGER,
                finished_at      INTEGER,
                error            TEXT
            );
            CREATE INDEX runs_by_status ON runs(status, created_at);
            CREATE INDEX runs_by_created ON runs(created_at, id);
            CREATE INDEX runs_by_parent ON runs(parent_run_id) WHERE parent_run_id IS NOT NULL;

            -- fanout_index is -1 for a step that is not fanned out: SQLite treats NULLs as distinct
            -- in UNIQUE constraints, so NULL would allow duplicate rows for the same step.
            CREATE TABLE steps (
                run_id        TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                step_id       TEXT NOT NULL,
                fanout_index  INTEGER NOT NULL DEFAULT -1 CHECK (fanout_index >= -1),
                status        TEXT NOT NULL,
                attempt       INTEGER NOT NULL DEFAULT 0,
                backend       TEXT,
                sandbox_id    TEXT,
                exit_code     INTEGER,
                output_json   TEXT,
                output_text   TEXT,
                output_path   TEXT,
                started_at    INTEGER,
                finished_at   INTEGER,
                error         TEXT,
                PRIMARY KEY (run_id, step_id, fanout_index)
            );
            CREATE INDEX steps_by_status ON steps(status);

            CREATE TABLE step_attempts (
                run_id        TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                step_id       TEXT NOT NULL,
                fanout_index  INTEGER NOT NULL DEFAULT -1 CHECK (fanout_index >= -1),
                attempt       INTEGER NOT NULL,
                backend       TEXT,
                sandbox_id    TEXT,
                exit_code     INTEGER,
                started_at    INTEGER NOT NULL,
                finished_at   INTEGER,
                duration_ms   INTEGER,
                error         TEXT,
                PRIMARY KEY (run_id, step_id, fanout_index, attempt)
            );

            -- Append-only log that `runs logs --follow` tails; seq is per run, 1, 2, 3, …
            CREATE TABLE events (
                id            INTEGER PRIMARY KEY,
                run_id        TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                seq           INTEGER NOT NULL,
                time          INTEGER NOT NULL,
                kind          TEXT NOT NULL,
                payload_json  TEXT NOT NULL DEFAULT '{}',
                UNIQUE (run_id, seq)
            );

            CREATE TABLE approvals (
                run_id        TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                step_id       TEXT NOT NULL,
                status        TEXT NOT NULL,
                requested_at  INTEGER NOT NULL,
                decided_by    TEXT,
                decided_at    INTEGER,
                comment       TEXT,
                timeout_at    INTEGER,
                PRIMARY KEY (run_id, step_id)
            );
            CREATE INDEX approvals_pending ON approvals(timeout_at) WHERE status = 'pending';

            CREATE TABLE sandboxes (
                id            TEXT PRIMARY KEY,
                container_id  TEXT,
                image         TEXT NOT NULL,
                profile       TEXT NOT NULL,
                status        TEXT NOT NULL,
                created_at    INTEGER NOT NULL,
                expires_at    INTEGER,
                api_key_id    TEXT,
                workspace     TEXT
            );
            CREATE INDEX sandboxes_by_status ON sandboxes(status);
            CREATE INDEX sandboxes_by_expiry ON sandboxes(expires_at) WHERE expires_at IS NOT NULL;
            CREATE INDEX sandboxes_by_key ON sandboxes(api_key_id) WHERE api_key_id IS NOT NULL;
            CREATE UNIQUE INDEX sandboxes_by_container ON sandboxes(container_id) WHERE container_id IS NOT NULL;
            """)

    /// What `sandcastle serve` needs to re-adopt, expire and explain sandboxes after a restart.
    static let v2 = Migration(
        version: 2, name: "sandbox service columns",
        sql: """
            ALTER TABLE sandboxes ADD COLUMN env_json TEXT NOT NULL DEFAULT '{}';
            ALTER TABLE sandboxes ADD COLUMN ttl_seconds INTEGER;
            ALTER TABLE sandboxes ADD COLUMN status_reason TEXT;
            ALTER TABLE sandboxes ADD COLUMN server_id TEXT;
            ALTER TABLE sandboxes ADD COLUMN memory_bytes INTEGER;
            ALTER TABLE sandboxes ADD COLUMN nano_cpus INTEGER;
            ALTER TABLE sandboxes ADD COLUMN network TEXT;
            ALTER TABLE sandboxes ADD COLUMN updated_at INTEGER;
            CREATE INDEX sandboxes_by_created ON sandboxes(created_at, id);
            CREATE INDEX sandboxes_by_server ON sandboxes(server_id, status);
            """)

    /// What an approval gate asks and answers (so `runs approve` needs no workflow file), and how a
    /// replayed or forked run differs from its parent.
    static let v3 = Migration(
        version: 3, name: "approval details, run lineage",
        sql: """
            ALTER TABLE approvals ADD COLUMN message TEXT;
            ALTER TABLE approvals ADD COLUMN request_json TEXT;
            ALTER TABLE approvals ADD COLUMN on_timeout TEXT;
            ALTER TABLE approvals ADD COLUMN allow_edit INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE approvals ADD COLUMN response_json TEXT;
            CREATE INDEX approvals_by_status ON approvals(status, requested_at);

            -- 'replay' or 'fork' when parent_run_id is set; the fork's changes to its from-step as JSON.
            ALTER TABLE runs ADD COLUMN lineage_kind TEXT;
            ALTER TABLE runs ADD COLUMN fork_changes_json TEXT;
            -- The process executing the run ("host pid start-ticks"), so a second one does not resume it meanwhile.
            ALTER TABLE runs ADD COLUMN owner TEXT;
            """)

    /// Model calls of agent and `llm` steps (tokens and cost per call; steps and runs sum them),
    /// and a run's budget, which its resume must keep.
    static let v4 = Migration(
        version: 4, name: "model calls, run budget",
        sql: """
            CREATE TABLE model_calls (
                run_id             TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                step_id            TEXT NOT NULL,
                fanout_index       INTEGER NOT NULL DEFAULT -1,
                attempt            INTEGER NOT NULL,
                turn               INTEGER NOT NULL,
                provider           TEXT NOT NULL,
                model              TEXT NOT NULL,
                input_tokens       INTEGER NOT NULL DEFAULT 0,
                output_tokens      INTEGER NOT NULL DEFAULT 0,
                cache_read_tokens  INTEGER NOT NULL DEFAULT 0,
                cache_write_tokens INTEGER NOT NULL DEFAULT 0,
                -- NULL: unknown (no price for the model, or no usage reported), never 0.
                cost_usd           REAL,
                duration_ms        INTEGER NOT NULL DEFAULT 0,
                created_at         INTEGER NOT NULL
            );
            CREATE INDEX model_calls_by_run ON model_calls(run_id, step_id, fanout_index, attempt, turn);

            ALTER TABLE runs ADD COLUMN max_cost_usd REAL;
            """)

    /// What `sandcastle serve` keeps to run workflows for its clients: saved workflows with
    /// their versions, and each submitted run's request (the version it runs, its tenant,
    /// idempotency key and callback).
    static let v5 = Migration(
        version: 5, name: "workflow versions, run submissions",
        sql: """
            CREATE TABLE workflow_versions (
                name          TEXT NOT NULL,
                version       INTEGER NOT NULL CHECK (version >= 1),
                yaml          TEXT NOT NULL,
                content_hash  TEXT NOT NULL,
                description   TEXT,
                -- api (POST /api/workflows) or file (the workflows folder)
                source        TEXT NOT NULL,
                created_at    INTEGER NOT NULL,
                -- Set when the workflow is deleted: its versions stay for the runs that name them.
                deleted_at    INTEGER,
                PRIMARY KEY (name, version)
            );

            CREATE TABLE run_submissions (
                run_id            TEXT PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
                workflow_version  INTEGER,
                -- '' for an admin's run: SQLite treats NULLs as distinct in UNIQUE indexes.
                tenant            TEXT NOT NULL DEFAULT '',
                idempotency_key   TEXT,
                callback_url      TEXT,
                submitted_at      INTEGER NOT NULL
            );
            CREATE UNIQUE INDEX run_submissions_by_idempotency ON run_submissions(tenant, idempotency_key)
                WHERE idempotency_key IS NOT NULL;
            """)

    /// Schedules (issue 14 §4): a workflow run on a cron expression read in a time zone, and a
    /// row per fire. A slot's fire row is written before its run is made, under a unique key, so
    /// a slot fires once even when two schedulers (or a restarted one) race for it.
    static let v6 = Migration(
        version: 6, name: "schedules, schedule fires",
        sql: """
            CREATE TABLE schedules (
                id               TEXT PRIMARY KEY,
                workflow_name    TEXT NOT NULL,
                cron_expression  TEXT NOT NULL,
                -- An IANA name: the expression's fields are read on its wall clock.
                timezone         TEXT NOT NULL DEFAULT 'UTC',
                input_json       TEXT NOT NULL DEFAULT '{}',
                enabled          INTEGER NOT NULL DEFAULT 1,
                -- 'once' or 'skip' for slots missed while the server was down; NULL follows the server's setting.
                catch_up         TEXT,
                -- '' for an admin's schedule (as in run_submissions).
                tenant           TEXT NOT NULL DEFAULT '',
                created_at       INTEGER NOT NULL,
                updated_at       INTEGER NOT NULL,
                -- Slots at or before this never fire: set at creation, on enabling, and when the
                -- expression or the zone changes.
                armed_at         INTEGER NOT NULL,
                last_run_id      TEXT,
                last_run_at      INTEGER,
                -- 'pending' when the last fire made a run, 'failed' when it could not; readers prefer
                -- the run's own status while the run exists.
                last_run_status  TEXT
            );
            CREATE INDEX schedules_by_created ON schedules(created_at, id);

            -- slot: the fired slot's minute as seconds since 1970 (UTC); NULL for a manual trigger,
            -- which SQLite's UNIQUE treats as distinct. run_id and error are both NULL while the fire
            -- is under way (a crash then leaves it for the next start to finish).
            CREATE TABLE schedule_fires (
                id           INTEGER PRIMARY KEY,
                schedule_id  TEXT NOT NULL REFERENCES schedules(id) ON DELETE CASCADE,
                slot         INTEGER,
                run_id       TEXT,
                fired_at     INTEGER NOT NULL,
                error        TEXT,
                UNIQUE (schedule_id, slot)
            );
            CREATE INDEX schedule_fires_by_time ON schedule_fires(schedule_id, fired_at);
            CREATE INDEX schedule_fires_unfinished ON schedule_fires(schedule_id) WHERE run_id IS NULL AND error IS NULL;
            """)

    /// Dead letters (issue 14 §6): a step that failed for good in a workflow with
    /// `on_failure: {dead_letter: true}` (or any failed run, when the server is set so) leaves an
    /// item to retry or resolve. One item per step (and fan-out index) of a run, by a unique key,
    /// so a resumed run never adds a second one; written in the transaction that records the
    /// step's failure.
    static let v7 = Migration(
        version: 7, name: "dead letters",
        sql: """
            CREATE TABLE dead_letters (
                id              TEXT PRIMARY KEY,
                run_id          TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                step_id         TEXT NOT NULL,
                -- -1 for a step that is not fanned out (as in steps: NULLs are distinct in UNIQUE).
                parallel_index  INTEGER NOT NULL DEFAULT -1 CHECK (parallel_index >= -1),
                error           TEXT,
                -- The run's input, a JSON object (Sandcastle's input_data).
                input_json      TEXT,
                attempts        INTEGER NOT NULL DEFAULT 1,
                -- The tenant of the run's submission; '' for an admin's run (as in run_submissions).
                tenant          TEXT NOT NULL DEFAULT '',
                created_at      INTEGER NOT NULL,
                resolved_at     INTEGER,
                -- 'retry' or 'manual' once resolved.
                resolved_by     TEXT,
                resolve_reason  TEXT,
                -- The run a retry made (no foreign key: deleting that run keeps the item's history).
                retry_run_id    TEXT,
                UNIQUE (run_id, step_id, parallel_index)
            );
            CREATE INDEX dead_letters_by_created ON dead_letters(created_at, id);
            CREATE INDEX dead_letters_unresolved ON dead_letters(created_at, id) WHERE resolved_at IS NULL;
            CREATE INDEX dead_letters_by_tenant ON dead_letters(tenant, created_at);
            """)
}
