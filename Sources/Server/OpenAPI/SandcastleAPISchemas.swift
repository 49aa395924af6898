import ServerCompat

/// The shapes of `/api` (SandcastleAPIDocument.swift): Sandcastle 0.47's request and response
/// models as ServerCompat/Sandcastle reads and writes them.
extension OpenAPI {
    /// Text without a NUL character (the server refuses one in every string field it reads).
    private static let text = Schema.string.matching(#"^[^\u0000]*$"#)
    private static let nonEmpty = Schema.string.matching(#"^[^\u0000]+$"#)
    private static let timestamp = Schema.dateTime.orNull.described("ISO 8601 in UTC with milliseconds")
    private static let runStatusValues = ["queued", "running", "completed", "failed", "cancelled", "budget_exceeded", "awaiting_approval"]

    static let sandcastleSchemas: KeyValuePairs<String, Schema> = [
        "Null": Schema.null,
        "PageMeta": .object(["total": .integer, "limit": .integer, "offset": .integer], required: ["total", "limit", "offset"]),
        "Health": .object(
            ["status": .enumeration("ok", "degraded"), "runtime": .boolean, "database": .boolean, "redis": .ref("Null")],
            required: ["status", "runtime", "database"]),
        "Runtime": .object(
            [
                "mode": .string, "database": .string, "queue": .string, "storage": .string, "sandbox_backend": .string, "data_dir": .string,
                "version": .string, "max_concurrent_runs": .integer, "emergency_stop": .boolean,
            ], required: ["mode", "version", "max_concurrent_runs"]),
        "RunStats": .object(
            [
                "total_runs_today": .integer, "success_rate": Schema.number.orNull, "total_cost_today": .number,
                "avg_duration_seconds": Schema.number.orNull,
                "runs_by_day": .array(
                    of: .object(
                        ["date": .string, "count": .integer, "completed": .integer, "failed": .integer, "cost_usd": .number],
                        required: ["date", "count"])),
                "cost_by_workflow": .array(of: .object(["workflow": .string, "cost_usd": .number], required: ["workflow", "cost_usd"])),
            ], required: ["total_runs_today", "success_rate", "total_cost_today", "runs_by_day", "cost_by_workflow"]),
        "WorkflowInfo": .object(
            [
                "name": .string, "description": .string, "steps_count": .integer, "file_name": .string,
                "steps": .array(of: .object(["id": .string, "depends_on": .array(of: .string)], required: ["id", "depends_on"])),
                "version": .integer, "version_status": .string, "total_versions": .integer, "yaml_content": .string,
                "created_at": timestamp,
            ], required: ["name", "description", "steps_count", "file_name", "steps", "version", "total_versions"]),
        "SaveWorkflow": .object(
            [
                "name": Schema.string.matching("^[A-Za-z0-9_-]{1,200}$").described("1–200 letters, digits, _ and -"),
                "content": nonEmpty.described("the workflow's YAML (docs/workflows.md); its first `name:` is set to `name`"),
                "description": text.orNull,
            ], required: ["name", "content"]
        ).withExamples(["name": "saved", "content": "name: saved\nsteps:\n  - id: a\n    run: echo saved\n", "description": "a saved one"]),
        "RunRequest": .object(
            [
                "workflow": text.orNull.described("the workflow's YAML, inline"),
                "workflow_name": text.orNull.described("a saved workflow, by name"),
                "version": .oneOf(Schema.integer.atLeast(1), .enumeration("latest"), .ref("Null")).described(
                    "with workflow_name: that version (default the newest)"),
                "input": Schema.anyObject.orNull.described("the run's inputs; nested at most 20 levels, at most 1 MiB as JSON"),
                "callback_url": text.orNull.described("http(s); private, loopback and metadata addresses are refused"),
                "idempotency_key": Schema.string.matching(#"^[^\u0000]{1,256}$"#).orNull,
                "max_cost_usd": Schema.number.atLeast(0.0).orNull,
            ]
        ).described("one of `workflow` and `workflow_name` is needed (else 400 `VALIDATION_ERROR`)").withExamples(
            ["workflow_name": "greet", "input": ["who": "Ada"]], ["workflow_name": "sum", "input": ["a": 2, "b": 3], "idempotency_key": "sum-2-3"],
            ["workflow": "name: inline\nsteps:\n  - id: hello\n    run: echo hi\n  - id: shout\n    depends_on: [hello]\n    run: echo HI\n"]),
        "RunAccepted": .object(
            ["run_id": .string, "status": .enumeration("queued", "existing"), "idempotent": .boolean], required: ["run_id", "status"]),
        "RunStatus": .enumeration("queued", "running", "completed", "failed", "cancelled", "budget_exceeded", "awaiting_approval", "partial"),
        "RunSummary": .object(
            [
                "run_id": .string, "workflow_name": .string, "status": .ref("RunStatus"), "total_cost_usd": .number,
                "unpriced_model_calls": .integer, "started_at": timestamp, "completed_at": timestamp, "created_at": timestamp,
                "parent_run_id": Schema.string.orNull,
            ], required: ["run_id", "workflow_name", "status", "total_cost_usd", "started_at", "completed_at", "parent_run_id"]),
        "Run": .object(
            [
                "run_id": .string, "workflow_name": .string, "status": .ref("RunStatus"), "input_data": .anyObject,
                "outputs": Schema.anyObject.described("each completed step's output by step id"), "total_cost_usd": .number,
                "unpriced_model_calls": .integer, "max_cost_usd": Schema.number.orNull, "started_at": timestamp,
                "completed_at": timestamp, "created_at": timestamp, "error": Schema.string.orNull, "steps": .array(of: .ref("Step")),
                "parent_run_id": Schema.string.orNull, "replay_from_step": Schema.string.orNull, "fork_changes": Schema.anyObject.orNull,
                "workflow_version": Schema.integer.orNull,
                "tokens": .object(
                    ["input": .integer, "output": .integer, "cache_read": .integer, "cache_write": .integer],
                    required: ["input", "output"]),
            ],
            required: [
                "run_id", "workflow_name", "status", "input_data", "outputs", "total_cost_usd", "started_at", "completed_at", "error",
                "parent_run_id",
            ]),
        "Step": .object(
            [
                "step_id": .string, "parallel_index": Schema.integer.orNull,
                "status": .enumeration("pending", "running", "completed", "failed", "skipped", "cancelled", "awaiting_approval"),
                "output": Schema.anyValue.described("any JSON value: the step's output once completed, else null"),
                "cost_usd": .number, "unpriced_model_calls": .integer, "duration_seconds": .number, "attempt": .integer,
                "error": Schema.string.orNull, "started_at": timestamp, "model": Schema.string.orNull,
            ], required: ["step_id", "parallel_index", "status", "cost_usd", "duration_seconds", "attempt", "error", "started_at"]),
        "ReplayRequest": .object(["from_step": nonEmpty], required: ["from_step"]).withExamples(["from_step": "shout"]),
        "ForkRequest": .object(
            [
                "from_step": nonEmpty,
                "changes": Schema.object(
                    [
                        "run": .string.described("the step's command"), "image": .string, "env": .map(keys: .string, values: .string),
                        "timeout": .oneOf(Schema.number.exclusivelyAbove(0), .string).described("seconds, or a duration like 90s"),
                    ]
                ).closed.orNull.described("Sandcastle's agent-step changes (prompt, model, max_turns) are refused (400 INVALID_INPUT)"),
            ], required: ["from_step"]
        ).withExamples(["from_step": "shout", "changes": ["run": "echo forked", "timeout": "30s"]]),
        "ReplayAccepted": .object(
            ["new_run_id": .string, "parent_run_id": .string, "replay_from_step": .string, "status": .enumeration("queued")],
            required: ["new_run_id", "parent_run_id", "replay_from_step", "status"]),
        "ForkAccepted": .object(
            [
                "new_run_id": .string, "parent_run_id": .string, "fork_from_step": .string, "changes": .anyObject,
                "status": .enumeration("queued"),
            ], required: ["new_run_id", "parent_run_id", "fork_from_step", "changes", "status"]),
        "RunStreamEvent": .object(
            [
                "event": Schema.string.described("status, step, result; agent and model events under their own names; error"),
                "data": Schema.string.carryingJSON(.anyObject),
            ], required: ["event", "data"]
        ).described("one server-sent event as a client parses it: `event` and its one-line JSON `data`"),
        "ServerEvent": .object(["event": .string, "data": Schema.string.carryingJSON(.anyObject)], required: ["event", "data"]),
        "ApprovalStatus": .enumeration("pending", "approved", "rejected", "skipped", "timed_out", "cancelled"),
        "Approval": .object(
            [
                "id": Schema.string.described("<run id>.<step id>"), "run_id": .string, "step_id": .string, "status": .ref("ApprovalStatus"),
                "request_data": Schema.anyValue, "response_data": Schema.anyValue,
                "message": Schema.string.orNull, "reviewer_id": Schema.string.orNull, "reviewer_comment": Schema.string.orNull,
                "timeout_at": timestamp, "on_timeout": .string, "allow_edit": .boolean, "created_at": timestamp, "resolved_at": timestamp,
            ], required: ["id", "run_id", "step_id", "status", "allow_edit", "created_at"]),
        "ApprovalDecision": .object(
            [
                "comment": text.orNull, "reason": text.orNull,
                "edited_data": Schema.anyValue.described("with approve, when the gate allows editing: the step's output instead"),
            ]),
        "NewSchedule": .object(
            [
                "workflow_name": nonEmpty, "cron_expression": text.described("five fields, or @hourly-style names"),
                "timezone": text.orNull.described("an IANA zone (default UTC)"),
                "input_data": Schema.anyObject.orNull.described("nested at most 20 levels, at most 1 MiB as JSON"),
                "enabled": Schema.boolean.orNull.defaulting(to: true), "catch_up": Schema.enumeration("once", "skip").orNull,
            ], required: ["workflow_name", "cron_expression"]
        ).withExamples(["workflow_name": "greet", "cron_expression": "0 3 * * *", "timezone": "Europe/Berlin", "input_data": ["who": "cron"]]),
        "ScheduleChanges": .object(
            [
                "cron_expression": text.orNull, "timezone": text.orNull, "input_data": Schema.anyObject.orNull,
                "enabled": Schema.boolean.orNull, "catch_up": Schema.enumeration("once", "skip").orNull,
            ]),
        "Schedule": .object(
            [
                "id": .string, "workflow_name": .string, "cron_expression": .string, "input_data": .anyObject, "enabled": .boolean,
                "last_run_id": Schema.string.orNull, "last_run_at": timestamp, "last_run_status": Schema.string.orNull,
                "next_run_at": timestamp, "success_rate": Schema.number.orNull, "status": .string, "created_at": timestamp,
                "updated_at": timestamp, "timezone": .string, "description": .string, "catch_up": .string,
            ], required: ["id", "workflow_name", "cron_expression", "input_data", "enabled", "next_run_at", "created_at"]),
        "NewAPIKey": .object(
            [
                "name": nonEmpty.described("at most 200 characters"), "tenant_id": text.orNull.described("null: an admin key"),
                "max_cost_per_run_usd": Schema.number.orNull, "allowed_workflows": Schema.array(of: .string).orNull,
                "allowed_cidrs": Schema.array(of: .string).orNull,
            ], required: ["name"]
        ).withExamples(["name": "ci", "tenant_id": "team-a", "allowed_workflows": ["greet"]]),
        "CreatedAPIKey": .object(
            [
                "id": .string, "key_prefix": .string, "tenant_id": Schema.string.orNull, "name": .string,
                "key": Schema.string.described("`sc_` and 43 base64url characters: shown here only"),
                "allowed_workflows": Schema.array(of: .string).orNull,
            ], required: ["id", "key_prefix", "tenant_id", "name", "key"]),
        "APIKey": .object(
            [
                "id": .string, "key_prefix": .string, "tenant_id": Schema.string.orNull, "name": .string, "is_active": .boolean,
                "max_cost_per_run_usd": Schema.number.orNull, "expires_at": timestamp, "allowed_cidrs": Schema.array(of: .string).orNull,
                "allowed_workflows": Schema.array(of: .string).orNull, "created_at": timestamp, "last_used_at": timestamp,
            ], required: ["id", "key_prefix", "tenant_id", "name", "is_active"]),
        "RotateAPIKey": .object(["grace_period_hours": Schema.integer.bounded(0...8760).orNull]),
        "RotatedAPIKey": .object(
            [
                "new_key": .string, "new_key_id": .string, "old_key_id": .string, "old_key_expires_at": timestamp,
                "grace_period_hours": .integer, "key": Schema.string.described("the new key again, as Sandcastle's CLI reads it"),
                "grace_expires_at": timestamp,
            ], required: ["new_key", "new_key_id", "old_key_id", "grace_period_hours"]),
        "KeyAllowlist": .object(["cidrs": .array(of: .string)], required: ["cidrs"]).withExamples(["cidrs": ["10.0.0.0/8", "::1/128"]]),
        "DeadLetter": .object(
            [
                "id": .string, "run_id": .string, "step_id": .string, "parallel_index": Schema.integer.orNull, "error": Schema.string.orNull,
                "input_data": Schema.anyValue, "attempts": .integer, "created_at": timestamp, "resolved_at": timestamp,
                "resolved_by": Schema.enumeration("retry", "manual").orNull, "resolve_reason": Schema.string.orNull,
                "retry_run_id": Schema.string.orNull,
            ], required: ["id", "run_id", "step_id", "attempts", "created_at"]),
        "ResolveDeadLetter": .object(["reason": text.orNull.described("at most 4000 characters")]),
    ]

    /// Sandcastle's three error shapes, and the native one the connection guard answers in.
    static let sandcastleErrorSchemas: KeyValuePairs<String, Schema> = [
        "SandcastleError": .object(
            [
                "detail": .object(
                    [
                        "data": .ref("Null"),
                        "error": .object(
                            [
                                "code": Schema.string.described(
                                    "INVALID_WORKFLOW, INVALID_INPUT, INVALID_NAME, INVALID_ID, INVALID_STATUS, INVALID_STEP, "
                                        + "INVALID_CALLBACK_URL, INVALID_CRON, VALIDATION_ERROR, WORKFLOW_NOT_FOUND, RUN_NOT_FOUND, NOT_FOUND, "
                                        + "ACTIVE_RUNS, ALREADY_RESOLVED, SCHEDULE_DISABLED, BODY_TOO_LARGE, METHOD_NOT_ALLOWED, FORBIDDEN, "
                                        + "MAX_RETRIES_EXCEEDED, RETRY_ERROR, CONFLICT, "
                                        + "SERVICE_UNAVAILABLE, DB_ERROR, INTERNAL"),
                                "message": .string,
                                "details": Schema.anyValue.described("null, a list of problems, or {field, …}: any JSON value"),
                            ], required: ["code", "message"]),
                        "meta": .ref("Null"),
                    ], required: ["data", "error", "meta"])
            ], required: ["detail"]
        ).described("a refused request, as Sandcastle's FastAPI handlers answer it: the envelope nested under `detail`"),
        "SandcastleAuthError": .object(
            [
                "data": .ref("Null"),
                "error": .object(
                    ["code": .enumeration("UNAUTHORIZED", "FORBIDDEN", "KEY_EXPIRED", "IP_BLOCKED", "SERVICE_UNAVAILABLE"), "message": .string],
                    required: ["code", "message"]),
            ], required: ["data", "error"]
        ).described("a missing or wrong key, at the top level, as Sandcastle's auth middleware answers it"),
        "SandcastleRateLimited": .object(
            ["detail": Schema.string.described("Rate limit exceeded: 10 requests per 60s. Try again later.")], required: ["detail"]),
        "Error": .object(
            ["error": .object(["code": .string, "message": .string], required: ["code", "message"])], required: ["error"]
        ).described("the connection guard's answer (408, 429, 431), before any route, in the native shape"),
    ]
}
