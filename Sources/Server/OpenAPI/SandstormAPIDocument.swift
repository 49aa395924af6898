import OneShotAgent
import ServerCompat

/// `POST /query`, Sandstorm's one-shot agent (ServerCompat/Sandstorm), in the same document:
/// it is served beside the native API with the same keys, but speaks Sandstorm's (FastAPI's)
/// shapes, errors included.
extension OpenAPI {
    static let sandstormOperations: [Operation] = [
        Operation(
            .post, SandstormController.path, tag: "agents",
            summary: "Run an agent once in a fresh sandbox (Sandstorm's `/query`): the body is checked first (422 with "
                + "FastAPI's `detail` list), then the agent's messages stream as server-sent events, one `data:` line of JSON "
                + "each followed by a blank line (`\\r\\n` separators, no `event:` lines), with a `: ping - <time>` comment "
                + "every 30 s: `system` (init), `assistant`, `user` (tool results), `result`; `warning` and `error` of "
                + "Sandstorm's own. The sandbox is removed when the session ends or the client disconnects. A body's "
                + "provider keys are used for this request only, never stored or logged",
            body: .json(.ref("SandstormQuery")),
            returns: .ok("the session's messages", .eventStream(.ref("SandstormMessage"))),
            errors: [
                401: #"no API key (`{"detail": "Not authenticated"}`) or a wrong one (`"Invalid authentication credentials"`); "#
                    + "`WWW-Authenticate: Bearer`",
                413: "the body is over 32 MiB",
                422: "the body breaks a rule (a missing or empty prompt, a path leaving the workspace, too many or too large files, "
                    + "an unknown model or tool, no key for the model's provider, an invalid output_format): `detail` lists each",
                503: "this server has no model access (its models file or a provider variable is broken; the log says which)",
            ],
            errorBody: .ref("SandstormError"), invalidBodyStatus: 422)
    ]

    static let sandstormSchemas: KeyValuePairs<String, Schema> = [
        "SandstormQuery": .object(
            [
                "prompt": Schema.string.lengths(OneShotRequest.promptLength).described("the task"),
                "model": Schema.string.lengths(1...Int(Int32.max)).orNull.defaulting(to: .string(OneShotRequest.defaultModel))
                    .described("a model name: sonnet, opus, haiku, a models-file name, or provider/id"),
                "max_turns": Schema.integer.atLeast(1).orNull.defaulting(to: .integer(OneShotRequest.defaultMaxTurns)),
                "timeout": Schema.integer.bounded(OneShotRequest.timeoutRange).orNull
                    .defaulting(to: .integer(OneShotRequest.defaultTimeoutSeconds)).described("seconds the whole session may take"),
                "output_format": Schema.anyObject.orNull.described(
                    #"{"type": "json_schema", "schema": {…}}: the result's structured_output follows the schema; {} turns it off"#),
                "files": Schema.map(keys: .string, values: .string).orNull.described(
                    "text files by path relative to the workspace (/workspace): at most 20, 10,000,000 UTF-8 bytes together; "
                        + "absolute paths and paths leaving the workspace are refused"),
                "anthropic_api_key": Schema.string.orNull.described("used for this request instead of ANTHROPIC_API_KEY; never stored"),
                "openrouter_api_key": Schema.string.orNull.described("used for this request instead of OPENROUTER_API_KEY; never stored"),
                "e2b_api_key": Schema.string.orNull.described("accepted and ignored (sandboxes are this server's)"),
                "allowed_tools": Schema.array(of: .string).orNull.described(
                    "Claude Code tool names (Bash, Read, Write, Edit, Glob, Grep, WebFetch, Agent); Claude Code tools Sandcastle "
                        + "lacks are left out with a warning message"),
                "allowed_agents": Schema.array(of: .string).orNull.described("keeps only these of extra_agents"),
                "extra_agents": Schema.map(keys: .string.matching("^[a-zA-Z0-9_-]+$"), values: .anyObject).orNull.described(
                    "subagents for the Agent tool: {name: {description, prompt, tools?, model?}}"),
                "max_budget_usd": Schema.number.atLeast(0.0).orNull.described("the session ends error_max_budget_usd once spent"),
                "include_partial_messages": Schema.boolean.orNull.defaulting(to: false).described(
                    "also stream each text delta as a `stream_event` (Sandcastle's addition)"),
                "resume": Schema.string.orNull.described("not supported: any value is a 422"),
            ], required: ["prompt"]
        ).described("Sandstorm's QueryRequest; other fields are accepted and ignored (allowed_mcp_servers, extra_skills, team_id, …)"),
        "SandstormMessage": Schema.string.carryingJSON(
            .object(
                [
                    "type": .enumeration("system", "assistant", "user", "stream_event", "result", "warning", "error"),
                    "session_id": .string, "uuid": .string,
                ], required: ["type"])
        ).described(
            "one event's data line: a Claude Agent SDK message (system init, assistant, user, stream_event, result with subtype, "
                + "is_error, num_turns, duration_ms, total_cost_usd (null when unknown), usage, structured_output), or "
                + #"Sandstorm's {"type": "warning", "message"} / {"type": "error", "error"}"#),
        "SandstormError": .object(
            [
                "detail": .oneOf(
                    .string.described("what went wrong (401, 413, 503)"),
                    .array(
                        of: .object(
                            [
                                "type": .string.described("pydantic's: missing, string_too_short, value_error, …"),
                                "loc": .array(of: .oneOf(.string, .integer)).described(#"where: ["body", "files"]"#),
                                "msg": .string.described(#""Value error, Too many files: 21 (max 20)", …"#),
                                "ctx": .anyObject,
                            ], required: ["type", "loc", "msg"]))
                )
            ], required: ["detail"]),
    ]
}
