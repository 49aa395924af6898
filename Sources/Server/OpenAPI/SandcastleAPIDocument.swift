import ServerCompat
import ServerCore

/// Sandcastle's `/api` (ServerCompat/Sandcastle, docs/api.md) as an OpenAPI 3.1 document, served
/// at `/api/openapi.json` without a key. Its own document, because its shapes are Sandcastle's:
/// every answer in the `{data, error, meta}` envelope; a handler's refusal nested under `detail`
/// (``SandcastleErrorSchemas``); an authentication failure at the top level; the rate limit's
/// 429 a plain-string `detail`. A test keeps it equal to the `/api` routes the server registers.
enum SandcastleAPIDocument {
    static let json = OpenAPI.sandcastleAPI().rendered()
    static let path = "/api/openapi.json"
}

extension OpenAPI {
    static func sandcastleAPI() -> JSON {
        [
            "openapi": "3.1.0",
            "info": [
                "title": "Sandcastle API (/api)",
                "version": .string(SandcastleVersion.current),
                "description": .string(
                    "Sandcastle 0.47's REST API as `sandcastle serve` answers it (docs/api.md). Success: "
                        + #"{"data", "error": null, "meta"}. A refused request: {"detail": {"data": null, "error": {"code", "message", "details"}, "meta": null}}; "#
                        + #"a missing or wrong key: {"data": null, "error": {"code": "UNAUTHORIZED", "message"}}; "#
                        + #"over the rate limit of the run-starting endpoints: 429 {"detail": "Rate limit exceeded: …"}."#),
            ],
            "servers": [["url": "http://127.0.0.1:8080"]],
            "security": [["apiKey": []], ["bearer": []]],
            "paths": paths(sandcastleOperations),
            "components": [
                "schemas": schemas(
                    sandcastleSchemas, sandcastleErrorSchemas, workflowAPISchemas, credentialSchemas, auditSchemas, transparencySchemas, violationSchemas),
                "securitySchemes": [
                    "bearer": ["type": "http", "scheme": "bearer"],
                    "apiKey": ["type": "apiKey", "in": "header", "name": "X-API-Key"],
                ],
            ],
        ]
    }

    /// One `/api` operation: Sandcastle's error bodies, 422 for a body of the wrong shape.
    static func api(
        _ method: Operation.Method, _ path: String, tag: String, summary: String, query: [Parameter] = [], body: Content? = nil,
        returns: Response, errors: ErrorResponses = [:], needsKey: Bool = true, rateLimited: Bool = false, id: String? = nil,
        links: [Link] = [], pathSchemas: [String: Schema] = [:]
    ) -> Operation {
        var statusBodies: [Int: Schema] = [:]
        var headers: [Int: [String: Schema]] = [:]
        if needsKey { statusBodies[401] = .ref("SandcastleAuthError") }
        var errors = errors
        if rateLimited {
            errors = errors + [429: "over the rate limit of the run-starting endpoints (per key, or per address without one); `Retry-After`"]
            // The connection guard's 429 (too many connections) keeps the native shape.
            statusBodies[429] = .oneOf(.ref("SandcastleRateLimited"), .ref("Error"))
            let rateHeaders: [String: Schema] = ["X-RateLimit-Limit": .integer, "X-RateLimit-Remaining": .integer]
            headers[returns.status] = rateHeaders
            headers[429] = rateHeaders.merging(["Retry-After": .integer]) { own, _ in own }
        }
        return Operation(
            method, SandcastleAPIController.prefix + path, tag: tag, summary: summary, pathSchemas: pathSchemas, query: query,
            body: body, returns: returns,
            errors: errors, needsKey: needsKey, errorBody: .ref("SandcastleError"), invalidBodyStatus: 422, statusBodies: statusBodies,
            headers: headers, operationID: id, links: links)
    }

    /// From an answer naming a run (at `data.<field>`) to what can be done with it.
    static func runLinks(_ field: String) -> [Link] {
        let id = "$response.body#/data/\(field)"
        return [
            Link(name: "GetRun", operationID: "getRun", parameters: ["id": id]),
            Link(name: "StreamRun", operationID: "streamRun", parameters: ["id": id]),
            Link(name: "CancelRun", operationID: "cancelRun", parameters: ["id": id]),
            Link(name: "ReplayRun", operationID: "replayRun", parameters: ["id": id], body: ["from_step": "shout"]),
            Link(name: "ForkRun", operationID: "forkRun", parameters: ["id": id], body: ["from_step": "shout", "changes": ["run": "echo forked"]]),
            Link(name: "DeleteRun", operationID: "deleteRun", parameters: ["id": id]),
        ]
    }

    private static func scheduleLinks() -> [Link] {
        let id = "$response.body#/data/id"
        return [
            Link(name: "GetSchedule", operationID: "getSchedule", parameters: ["id": id]),
            Link(name: "UpdateSchedule", operationID: "updateSchedule", parameters: ["id": id], body: ["enabled": false]),
            Link(name: "TriggerSchedule", operationID: "triggerSchedule", parameters: ["id": id]),
            Link(name: "DeleteSchedule", operationID: "deleteSchedule", parameters: ["id": id]),
        ]
    }

    static func ok(_ description: String, _ data: Schema, paged: Bool = false, status: Int = 200) -> Response {
        Response(status: status, description: description, content: .json(envelope(data, paged: paged)))
    }

    /// `{data, error: null, meta}`: `meta` is the page on paginated lists, null elsewhere.
    static func envelope(_ data: Schema, paged: Bool = false) -> Schema {
        .object(
            ["data": data, "error": .ref("Null"), "meta": paged ? .ref("PageMeta") : .ref("Null")],
            required: ["data", "error", "meta"])
    }

    /// A query parameter given empty, which the server reads as not given.
    static let emptyText = Schema.string.lengths(0...0)
    /// A date filter: ISO 8601, or empty for no bound (as the peer's `since`/`until`).
    static let dateFilter = Schema.oneOf(.dateTime, emptyText)
    /// A filter naming an id: letters, digits, `-` and `_`, at most 128; empty for none.
    static let idFilter = Schema.string.matching("^[A-Za-z0-9_-]{0,128}$")

    private static let page: [Parameter] = [
        .query("limit", .integer.defaulting(to: 50).bounded(1...200)),
        .query("offset", .integer.defaulting(to: 0).bounded(0...Int(Int32.max))),
    ]

    static let runErrors: ErrorResponses = [
        400: "an invalid workflow (`INVALID_WORKFLOW`), inputs (`INVALID_INPUT`), callback URL (`INVALID_CALLBACK_URL`), "
            + "neither `workflow` nor `workflow_name` (`VALIDATION_ERROR`)",
        404: "no workflow (or version) by that name (`WORKFLOW_NOT_FOUND`)",
        422: "a body that is not a JSON object of this shape, or a field over Sandcastle's caps (`VALIDATION_ERROR`, "
            + "`details.field` names it): `input` nested deeper than 20 levels or over 1 MiB as JSON; a workflow its "
            + "`risk_level` refuses: `unacceptable`, or `high` without an approval step under COMPLIANCE_MODE=eu_ai_act "
            + "(`COMPLIANCE_VIOLATION`)",
        503: "the server is not accepting runs: an emergency stop is on (`SERVICE_UNAVAILABLE`)",
    ]
    private static let lineageErrors: ErrorResponses = [
        400: "an invalid run id (`INVALID_ID`), a step the run cannot be replayed from (`INVALID_STEP`), "
            + "changes it cannot take (`INVALID_INPUT`)",
        404: "no such run (`RUN_NOT_FOUND`)",
        422: "a body that is not a JSON object of this shape (`VALIDATION_ERROR`)",
        503: "the server is not accepting runs: an emergency stop is on (`SERVICE_UNAVAILABLE`)",
    ]
    private static let runID: ErrorResponses = [400: "not a run id (`INVALID_ID`)", 404: "no such run (`RUN_NOT_FOUND`)"]
    private static let approvalID: ErrorResponses = [
        400: "not an approval id, `<run id>.<step id>` (`INVALID_ID`)", 404: "no such approval (`NOT_FOUND`)",
    ]
    private static let scheduleID: ErrorResponses = [400: "not a UUID (`INVALID_ID`)", 404: "no such schedule (`NOT_FOUND`)"]
    private static let workflowName: ErrorResponses = [
        400: "a name other than 1–200 letters, digits, `_`, `-` (`INVALID_NAME`)", 404: "no workflow by that name (`WORKFLOW_NOT_FOUND`)",
    ]
    private static let cron: ErrorResponses = [
        422: "an invalid cron expression or time zone (`INVALID_CRON`, `details.field` names the field at fault), or a body "
            + "of the wrong shape (`VALIDATION_ERROR`)"
    ]

    static let sandcastleOperations: [Operation] =
        [
            api(.get, "/health", tag: "system", summary: "Health (no key needed)", returns: ok("health", .ref("Health")), needsKey: false),
            api(
                .get, "/openapi.json", tag: "system", summary: "This document (no key needed)",
                returns: Response(status: 200, description: "OpenAPI 3.1", content: .json(.anyObject)), needsKey: false),
            api(.get, "/runtime", tag: "system", summary: "How this server runs", returns: ok("runtime", .ref("Runtime"))),
            api(.get, "/stats", tag: "system", summary: "Runs and cost today, by day and by workflow", returns: ok("stats", .ref("RunStats"))),
            api(
                .post, "/admin/emergency-stop", tag: "system",
                summary: "Cancel every queued and running run and refuse new ones until the reset",
                returns: ok("stopped", .object(["cancelled_count": .integer, "active": .boolean], required: ["cancelled_count", "active"]))),
            api(
                .post, "/admin/emergency-stop/reset", tag: "system", summary: "Accept runs again",
                returns: ok("reset", .object(["active": .boolean], required: ["active"]))),

            api(
                .get, "/workflows", tag: "workflows", summary: "Every workflow, newest version (a bare list, no `meta`)",
                returns: ok("workflows", .array(of: .ref("WorkflowInfo")))),
            api(
                .get, "/workflows/{name}", tag: "workflows", summary: "One workflow, newest version",
                returns: ok("the workflow", .ref("WorkflowInfo")), errors: workflowName),
            api(
                .post, "/workflows", tag: "workflows", summary: "Save a workflow as a new version (its `name:` set to the saved name)",
                body: .json(.ref("SaveWorkflow")), returns: ok("saved", .ref("WorkflowInfo"), status: 201),
                errors: [
                    400: "the YAML does not parse or validate (`INVALID_WORKFLOW`) or the name is invalid (`INVALID_NAME`)",
                    422: "a body of the wrong shape (`VALIDATION_ERROR`); a workflow its `risk_level` refuses (`COMPLIANCE_VIOLATION`)",
                ]),
            api(
                .delete, "/workflows/{name}", tag: "workflows", summary: "Delete a workflow and its versions",
                returns: ok(
                    "deleted", .object(["deleted": .boolean, "workflow_name": .string], required: ["deleted", "workflow_name"])),
                errors: workflowName + [409: "runs of it are queued, running or waiting (`ACTIVE_RUNS`)"]),
            api(
                .post, "/workflows/run", tag: "runs", summary: "Queue a run of a workflow by name or of inline YAML",
                body: .json(.ref("RunRequest")),
                returns: ok("queued, or the run an earlier submission with the same `idempotency_key` made", .ref("RunAccepted"), status: 202),
                errors: runErrors, rateLimited: true, id: "submitRun", links: runLinks("run_id")),
            api(
                .post, "/workflows/run/sync", tag: "runs", summary: "Run a workflow and answer once it ends or pauses at an approval",
                body: .json(.ref("RunRequest")), returns: ok("the run, without `steps`", .ref("Run")), errors: runErrors, rateLimited: true,
                id: "runSync", links: runLinks("run_id")),

            api(
                .get, "/runs", tag: "runs", summary: "Runs, newest first, filtered and paginated",
                query: [
                    .query("status", .oneOf(.ref("RunStatus"), emptyText), description: "empty: any"),
                    .query("workflow", .string, description: "empty: any"),
                    .query("since", .oneOf(.dateTime, emptyText), description: "created at or after (ISO 8601); empty: no bound"),
                    .query("until", .oneOf(.dateTime, emptyText), description: "created before (ISO 8601); empty: no bound"),
                ] + page,
                returns: ok("a page", .array(of: .ref("RunSummary")), paged: true),
                errors: [400: "an unknown status (`INVALID_STATUS`)", 422: "`limit`, `offset`, `since` or `until` out of range (`VALIDATION_ERROR`)"]
            ),
            api(
                .get, "/runs/{id}", tag: "runs", summary: "A run with its steps and outputs", returns: ok("the run", .ref("Run")), errors: runID,
                id: "getRun"),
            api(
                .delete, "/runs/{id}", tag: "runs", summary: "Delete a finished run",
                returns: ok("deleted", .object(["deleted": .boolean, "run_id": .string], required: ["deleted", "run_id"])),
                errors: runID + [400: "not a run id (`INVALID_ID`), or the run is queued or running (`INVALID_STATUS`)"], id: "deleteRun"),
            api(
                .post, "/runs/{id}/cancel", tag: "runs", summary: "Cancel a queued or running run",
                returns: ok("cancelled", .object(["cancelled": .boolean, "run_id": .string], required: ["cancelled", "run_id"])),
                errors: runID + [400: "not a run id (`INVALID_ID`), or the run is not queued or running (`INVALID_STATUS`)"], id: "cancelRun"),
            api(
                .post, "/runs/{id}/replay", tag: "runs", summary: "Queue a new run that re-runs a step and what follows it",
                body: .json(.ref("ReplayRequest")), returns: ok("queued", .ref("ReplayAccepted"), status: 202), errors: lineageErrors,
                rateLimited: true, id: "replayRun", links: runLinks("new_run_id")),
            api(
                .post, "/runs/{id}/fork", tag: "runs", summary: "Queue a new run from a step, changed first",
                body: .json(.ref("ForkRequest")), returns: ok("queued", .ref("ForkAccepted"), status: 202), errors: lineageErrors,
                rateLimited: true, id: "forkRun", links: runLinks("new_run_id")),
            api(
                .get, "/runs/{id}/stream", tag: "runs",
                summary: "A run's progress as server-sent events: `status` first, then `step` frames, `result` at the end (or at an "
                    + "approval); `id:` is the event sequence, `Last-Event-ID` resumes after it; `?token=KEY` is accepted here",
                query: [.query("token", .string, description: "the API key, for clients that cannot send headers")],
                returns: Response(status: 200, description: "the run's events", content: .eventStream(.ref("RunStreamEvent"))), errors: runID,
                id: "streamRun"),
            api(
                .get, "/events", tag: "runs",
                summary: "Every run's events as server-sent events (`Last-Event-ID` resumes); `?token=KEY` is accepted here",
                query: [.query("token", .string, description: "the API key, for clients that cannot send headers")],
                returns: Response(status: 200, description: "all runs' events", content: .eventStream(.ref("ServerEvent")))),

            api(
                .get, "/approvals", tag: "approvals", summary: "Approvals, pending first, then newest",
                query: [.query("status", .oneOf(.ref("ApprovalStatus"), emptyText), description: "empty: any")] + page,
                returns: ok("a page", .array(of: .ref("Approval")), paged: true),
                errors: [400: "an unknown status (`INVALID_STATUS`)", 422: "`limit` or `offset` out of range (`VALIDATION_ERROR`)"]),
            api(.get, "/approvals/{id}", tag: "approvals", summary: "One approval", returns: ok("the approval", .ref("Approval")), errors: approvalID),
        ]
        + [("approve", "approved"), ("reject", "rejected"), ("skip", "skipped")].map { verb, field in
            api(
                .post, "/approvals/{id}/\(verb)", tag: "approvals",
                summary: "Decide a pending approval (\(field)); the run goes back to the queue. The body is optional",
                body: .optionalJSON(.ref("ApprovalDecision")),
                returns: ok(
                    field,
                    .object(
                        [field: .boolean, "approval_id": .string, "run_id": .string], required: [field, "approval_id", "run_id"])),
                errors: approvalID + [
                    409: "already decided (`ALREADY_RESOLVED`)", 422: "a body that is not a JSON object of this shape (`VALIDATION_ERROR`)",
                ])
        } + [
            api(
                .post, "/schedules", tag: "schedules", summary: "Create a schedule",
                body: .json(.ref("NewSchedule")), returns: ok("created", .ref("Schedule"), status: 201),
                errors: cron + [404: "no workflow by that name (`WORKFLOW_NOT_FOUND`)", 400: "an invalid workflow name (`INVALID_NAME`)"],
                links: scheduleLinks()),
            api(
                .get, "/schedules", tag: "schedules", summary: "Schedules", query: page,
                returns: ok("a page", .array(of: .ref("Schedule")), paged: true),
                errors: [422: "`limit` or `offset` out of range (`VALIDATION_ERROR`)"]),
            api(
                .get, "/schedules/{id}", tag: "schedules", summary: "One schedule", returns: ok("the schedule", .ref("Schedule")), errors: scheduleID,
                id: "getSchedule"),
            api(
                .patch, "/schedules/{id}", tag: "schedules", summary: "Change a schedule; absent or null fields stay",
                body: .json(.ref("ScheduleChanges")), returns: ok("the schedule", .ref("Schedule")), errors: scheduleID + cron,
                id: "updateSchedule"),
            api(
                .delete, "/schedules/{id}", tag: "schedules", summary: "Delete a schedule",
                returns: ok("deleted", .object(["deleted": .boolean, "id": .string], required: ["deleted", "id"])), errors: scheduleID,
                id: "deleteSchedule"),
            api(
                .post, "/schedules/{id}/trigger", tag: "schedules", summary: "Queue a run of the schedule now",
                returns: ok("queued", .ref("RunAccepted"), status: 202),
                errors: scheduleID + [
                    400: "not a UUID (`INVALID_ID`), or the schedule is disabled (`SCHEDULE_DISABLED`)",
                    503: "the server is not accepting runs (`SERVICE_UNAVAILABLE`)",
                ], id: "triggerSchedule", links: runLinks("run_id")),
        ] + keyOperations + deadLetterOperations + workflowAPIOperations + credentialOperations + auditOperations + transparencyOperations + violationOperations

    private static let keyID: ErrorResponses = [
        400: "not a key id (`INVALID_ID`)", 403: "an admin-only action with a tenant key (`FORBIDDEN`)", 404: "no such active key (`NOT_FOUND`)",
    ]

    /// `/api/api-keys`: creating, rotating and the allowlist are for admin keys.
    private static let keyOperations: [Operation] = [
        api(
            .post, "/api-keys", tag: "api-keys", summary: "Create a key (admin); the plaintext `key` is in this answer only",
            body: .json(.ref("NewAPIKey")), returns: ok("created", .ref("CreatedAPIKey"), status: 201),
            errors: [
                400: "an invalid CIDR block or workflow name (`INVALID_INPUT`)", 403: "a tenant key (`FORBIDDEN`)",
                409: "the server has no pepper (`API_KEY_PEPPER`), so it cannot store keys (`CONFLICT`)",
                422: "a body of the wrong shape (`VALIDATION_ERROR`)",
            ], id: "createKey", links: keyLinks()),
        api(
            .get, "/api-keys", tag: "api-keys", summary: "Active keys (a tenant key: its tenant's)", query: page,
            returns: ok("a page", .array(of: .ref("APIKey")), paged: true), errors: [422: "`limit` or `offset` out of range (`VALIDATION_ERROR`)"]),
        api(
            .delete, "/api-keys/{id}", tag: "api-keys", summary: "Deactivate a key, for good",
            returns: ok("deactivated", .object(["deactivated": .boolean, "id": .string], required: ["deactivated", "id"])), errors: keyID,
            id: "deactivateKey"),
        api(
            .post, "/api-keys/{id}/rotate", tag: "api-keys",
            summary: "A new key with the old one's tenant and limits; the old one works until the grace period ends (admin; the body is optional)",
            body: .optionalJSON(.ref("RotateAPIKey")), returns: ok("rotated", .ref("RotatedAPIKey")),
            errors: keyID + [422: "`grace_period_hours` outside 0–8760 or a body of the wrong shape (`VALIDATION_ERROR`)"], id: "rotateKey"),
        api(
            .put, "/api-keys/{id}/allowlist", tag: "api-keys", summary: "Set the CIDR blocks a key may be used from (admin; empty: anywhere)",
            body: .json(.ref("KeyAllowlist")), returns: ok("the key", .ref("APIKey")),
            errors: keyID + [400: "an invalid CIDR block (`INVALID_INPUT`) or key id (`INVALID_ID`)", 422: "a body of the wrong shape (`VALIDATION_ERROR`)"],
            id: "setKeyAllowlist"),
    ]

    private static func keyLinks() -> [Link] {
        let id = "$response.body#/data/id"
        return [
            Link(name: "RotateKey", operationID: "rotateKey", parameters: ["id": id], body: ["grace_period_hours": 0]),
            Link(name: "SetKeyAllowlist", operationID: "setKeyAllowlist", parameters: ["id": id], body: ["cidrs": ["127.0.0.0/8", "::1/128"]]),
            Link(name: "DeactivateKey", operationID: "deactivateKey", parameters: ["id": id]),
        ]
    }

    private static let deadLetterID: ErrorResponses = [400: "not a dead-letter id (`INVALID_ID`)", 404: "no such item (`NOT_FOUND`)"]

    /// `/api/dead-letter`: what failed steps (and, if configured, failed runs) left.
    private static let deadLetterOperations: [Operation] = [
        api(
            .get, "/dead-letter", tag: "dead-letter", summary: "Dead letters, newest first: open ones, or every one with `resolved=true`",
            query: [.query("resolved", .boolean.defaulting(to: false))] + page,
            returns: ok("a page", .array(of: .ref("DeadLetter")), paged: true),
            errors: [422: "`resolved`, `limit` or `offset` out of range (`VALIDATION_ERROR`)"]),
        api(
            .get, "/dead-letter/{id}", tag: "dead-letter", summary: "One dead letter", returns: ok("the item", .ref("DeadLetter")),
            errors: deadLetterID),
        api(
            .post, "/dead-letter/{id}/retry", tag: "dead-letter", summary: "Queue a new run of the item's workflow with its input; the item is resolved",
            returns: ok(
                "queued",
                .object(["retried": .boolean, "dlq_item_id": .string, "new_run_id": .string], required: ["retried", "dlq_item_id", "new_run_id"])),
            errors: deadLetterID + [
                400: "not a dead-letter id (`INVALID_ID`), or retried as often as the server allows (`MAX_RETRIES_EXCEEDED`)",
                409: "resolved already (`ALREADY_RESOLVED`)", 500: "its run can no longer be made (`RETRY_ERROR`)",
                503: "the server is not accepting runs (`SERVICE_UNAVAILABLE`)",
            ]),
        api(
            .post, "/dead-letter/{id}/resolve", tag: "dead-letter", summary: "Mark an item resolved by hand (the body is optional)",
            body: .optionalJSON(.ref("ResolveDeadLetter")), returns: ok("the item", .ref("DeadLetter")),
            errors: deadLetterID + [409: "resolved already (`ALREADY_RESOLVED`)", 422: "a body of the wrong shape (`VALIDATION_ERROR`)"]),
    ]
}
