/// The native API's OpenAPI 3.1 document, served at `/openapi.json`.
///
/// Described in Swift with the vocabulary of OpenAPIBuilder.swift (no generator dependency) and
/// kept honest by tests: every route the server registers appears here with its method and
/// nothing else does, and every `$ref` names a schema under `components`.
enum OpenAPIDocument {
    /// Rendered once: the document does not change while the server runs.
    static let json = OpenAPI.nativeAPI.rendered()
}

extension OpenAPI {
    static let nativeAPI: JSON = [
        "openapi": "3.1.0",
        "info": [
            "title": "Sandcastle native API",
            "version": "1.0.0",
            "description": #"Sandboxes as a service: see docs/server.md. Errors are {"error":{"code","message"}} with stable codes."#,
        ],
        "servers": [["url": "http://127.0.0.1:8080"]],
        // Either scheme will do; `needsKey: false` lifts both from an operation.
        "security": [["bearer": []], ["apiKey": []]],
        "paths": paths(systemOperations + sandboxOperations + fileOperations + workspaceOperations),
        "components": [
            "schemas": nativeSchemas,
            "securitySchemes": [
                "bearer": ["type": "http", "scheme": "bearer"],
                "apiKey": ["type": "apiKey", "in": "header", "name": "X-API-Key"],
            ],
        ],
    ]

    private static let systemOperations: [Operation] =
        ["/health", "/healthz"].map { path in
            Operation(
                .get, path, tag: "system", summary: "Liveness (no key needed)",
                returns: .ok("ok", .json(.ref("Health"))), needsKey: false)
        } + [
            Operation(
                .get, "/metrics", tag: "system", summary: "Prometheus metrics (no key needed)",
                returns: .ok("text exposition format", .plainText), needsKey: false),
            Operation(
                .get, "/openapi.json", tag: "system", summary: "This document (no key needed)",
                returns: .ok("OpenAPI 3.1", .json(.anyObject)), needsKey: false),
        ]

    private static let sandboxOperations: [Operation] = [
        Operation(
            .get, "/v1/sandboxes", tag: "sandboxes", summary: "List sandboxes (oldest first), filtered and paginated",
            query: [
                .query("status", .string, description: "comma-separated statuses: creating, running, expired, gone, lost, deleted"),
                .query("image", .string),
                .query("limit", .integer.defaulting(to: 50).bounded(1...500)),
                .query("cursor", .string, description: "`next_cursor` of the previous page"),
            ],
            returns: .ok("a page", .json(.ref("SandboxPage"))),
            errors: .unauthorized + [400: "bad filter, limit or cursor"]),
        Operation(
            .post, "/v1/sandboxes", tag: "sandboxes", summary: "Create a sandbox",
            body: .json(.ref("CreateSandbox")),
            returns: .created("created", .json(.ref("Sandbox"))),
            errors: .unauthorized + [
                400: "invalid input or unknown image (`invalid_input`, `image_not_found`)",
                413: "body too large",
                429: "at capacity, globally or for this key (`at_capacity`)",
                502: "the sandbox did not start (`sandbox_start_failed`)",
                503: "the Docker engine does not answer (`engine_unavailable`)",
            ]),
        Operation(
            .get, "/v1/sandboxes/{id}", tag: "sandboxes",
            summary: "A sandbox, whatever its status (a gone one shows status and status_reason)",
            returns: .ok("the sandbox", .json(.ref("Sandbox"))), errors: .anySandbox),
        Operation(
            .delete, "/v1/sandboxes/{id}", tag: "sandboxes",
            summary: "Delete a sandbox (its record stays with status `deleted`)",
            returns: .ok("deleted", .json(.ref("OK"))), errors: .anySandbox),
        Operation(
            .post, "/v1/sandboxes/{id}/exec", tag: "sandboxes", summary: "Run a command to completion",
            body: .json(.ref("Exec")),
            returns: .ok("its result", .json(.ref("ExecResult"))),
            errors: .liveSandbox + [400: "invalid input", 504: "the command ran past its timeout (`command_timeout`)"]),
        Operation(
            .post, "/v1/sandboxes/{id}/exec/stream", tag: "sandboxes",
            summary: #"Run a command, streaming server-sent events: `stdout`/`stderr` ({"data":text}) as chunks arrive, "#
                + "then `exit` ({exit_code, duration_ms, truncated, timed_out, signal}) or `error` ({code, message}); "
                + "a comment line `: keep-alive` every second while the command is quiet; "
                + "a client that disconnects cancels the command",
            body: .json(.ref("Exec")),
            returns: .ok("event stream", .eventStream),
            errors: .liveSandbox + [400: "invalid input"]),
        Operation(
            .post, "/v1/sandboxes/{id}/extend", tag: "sandboxes", summary: "Set a new TTL counted from now",
            body: .json(.ref("Extend")),
            returns: .ok("the sandbox", .json(.ref("Sandbox"))),
            errors: .liveSandbox + [400: "ttl out of range"]),
        Operation(
            .get, "/v1/sandboxes/{id}/stats", tag: "sandboxes", summary: "Memory and CPU use from the engine",
            returns: .ok("stats", .json(.ref("Stats"))), errors: .liveSandbox),
        Operation(
            .get, "/v1/sandboxes/{id}/terminal", tag: "sandboxes",
            summary: "Interactive terminal over WebSocket (Upgrade: websocket). Binary frames: PTY bytes both ways. "
                + #"Text frames from the client: {"type":"resize","rows":R,"cols":C}; "#
                + #"from the server at the end: {"type":"exit","exit_code":N}. Without an upgrade: 400."#,
            query: [.query("rows", .integer.defaulting(to: 24)), .query("cols", .integer.defaulting(to: 80))],
            returns: .switchingProtocols("switching to WebSocket"),
            errors: .liveSandbox + [400: "not a WebSocket request"]),
    ]

    private static let fileOperations: [Operation] = [
        Operation(
            .get, "/v1/sandboxes/{id}/files", tag: "files", summary: "List a directory",
            query: [.optionalPath],
            returns: .ok("entries", .json(.ref("FileList"))), errors: .liveSandbox),
        Operation(
            .delete, "/v1/sandboxes/{id}/files", tag: "files", summary: "Remove a file or directory",
            query: [.requiredPath, .query("recursive", .boolean)],
            returns: .ok("removed", .json(.ref("OK"))), errors: .liveSandbox),
        Operation(
            .get, "/v1/sandboxes/{id}/files/content", tag: "files", summary: "Download a file (streamed)",
            query: [.requiredPath],
            returns: .ok("the bytes", .bytes), errors: .liveSandbox + .transfer),
        Operation(
            .put, "/v1/sandboxes/{id}/files/content", tag: "files",
            summary: "Upload a file (raw body, streamed; staged and renamed into place once whole)",
            query: [.requiredPath, .query("mode", .string.defaulting(to: "644")), .query("append", .boolean)],
            body: .bytes,
            returns: .created("the written file", .json(.ref("File"))),
            errors: .liveSandbox + .transfer + [400: "invalid input, or a body that stopped before its end", 413: "upload over the limit"]),
        Operation(
            .post, "/v1/sandboxes/{id}/files/mkdir", tag: "files", summary: "Create a directory",
            body: .json(.ref("MakeDirectory")),
            returns: .created("created", .json(.ref("OK"))), errors: .liveSandbox),
        Operation(
            .post, "/v1/sandboxes/{id}/files/move", tag: "files", summary: "Move or rename",
            body: .json(.ref("Move")),
            returns: .ok("moved", .json(.ref("OK"))), errors: .liveSandbox + [409: "target exists"]),
        Operation(
            .get, "/v1/sandboxes/{id}/files/stat", tag: "files", summary: "Stat a path",
            query: [.requiredPath],
            returns: .ok("the entry", .json(.ref("File"))), errors: .liveSandbox),
    ]

    private static let workspaceOperations: [Operation] = [
        Operation(
            .get, "/v1/workspaces", tag: "workspaces", summary: "List named workspaces",
            returns: .ok("workspaces", .json(.ref("WorkspaceList"))), errors: .unauthorized),
        Operation(
            .post, "/v1/workspaces", tag: "workspaces", summary: "Create a named workspace (a Docker volume)",
            body: .json(.ref("CreateWorkspace")),
            returns: .created("created", .json(.ref("Workspace"))),
            errors: [400: "invalid name", 409: "exists"]),
        Operation(
            .delete, "/v1/workspaces/{name}", tag: "workspaces", summary: "Delete a workspace",
            returns: .ok("deleted", .json(.ref("OK"))), errors: [404: "unknown", 409: "in use"]),
        Operation(
            .get, "/v1/workspaces/{name}/files", tag: "workspaces", summary: "List a workspace's files without a sandbox",
            query: [.optionalPath],
            returns: .ok("entries", .json(.ref("FileList"))), errors: [404: "unknown"]),
    ]

    private static let nativeSchemas = schemas([
        "CreateSandbox": .object([
            "cpu": .number,
            "env": .stringMap,
            "image": .string.defaulting(to: "base").described("base, python, node or sandcastle/NAME[:TAG]"),
            "memory_mb": .integer,
            "network": .boolean,
            "profile": .string.defaulting(to: "default"),
            "ttl_seconds": .integer,
            "workspace": .string,
        ]),
        "CreateWorkspace": .object(["name": .string], required: ["name"]),
        "Error": .object(
            [
                "error": .object(
                    [
                        "code": .string.described(
                            "stable code: invalid_input, unauthorized, not_found, route_not_found, "
                                + "sandbox_expired, sandbox_gone, at_capacity, command_timeout, body_too_large, conflict, "
                                + "permission_denied, image_not_found, method_not_allowed, sandbox_start_failed, "
                                + "engine_unavailable, no_space, internal"),
                        "message": .string,
                    ], required: ["code", "message"]),
                "error_code": .string.described(
                    "on the shared /v1/workspaces routes only: Sandkasten's code "
                        + "(WORKSPACE_NOT_FOUND, WORKSPACE_IN_USE, UNAUTHORIZED, INVALID_REQUEST, ...)"),
                "message": .string.described("on the shared /v1/workspaces routes only: the message again"),
            ], required: ["error"]),
        "Exec": .object([
            "argv": .array(of: .string).described("a program and arguments, run without a shell"),
            "command": .string.described("a shell command line, run in the sandbox's persistent shell"),
            "cwd": .string,
            "env": .stringMap,
            "max_output_bytes": .integer,
            "timeout_ms": .integer,
        ]),
        "ExecResult": .object(
            [
                "cwd": .string,
                "duration_ms": .number,
                "exit_code": .integer,
                "stderr": .string,
                "stdout": .string,
                "timed_out": .boolean,
                "truncated": .boolean,
            ], required: ["stdout", "stderr", "exit_code", "duration_ms", "truncated", "timed_out"]),
        "Extend": .object(["ttl_seconds": .integer], required: ["ttl_seconds"]),
        "File": .object([
            "mode": .string,
            "modified_at": .dateTime,
            "name": .string,
            "path": .string,
            "size": .integer,
            "symlink_target": .string,
            "type": .enumeration("file", "directory", "symlink", "other"),
        ]),
        "FileList": .object(["entries": .array(of: .ref("File")), "path": .string]),
        "Health": .object(["status": .string]),
        "MakeDirectory": .object(["parents": .boolean.defaulting(to: true), "path": .string], required: ["path"]),
        "Move": .object(["from": .string, "overwrite": .boolean, "to": .string], required: ["from", "to"]),
        "OK": .object(["ok": .boolean]),
        "Sandbox": .object(
            [
                "cpu": .number,
                "created_at": .dateTime,
                "env_keys": .array(of: .string),
                "expires_at": .dateTime,
                "id": .string,
                "image": .string,
                "memory_mb": .integer,
                "network": .string,
                "profile": .string,
                "status": .string,
                "status_reason": .string,
                "ttl_seconds": .integer,
                "workspace": .string,
            ], required: ["id", "status", "image", "profile", "env_keys", "created_at"]),
        "SandboxPage": .object(["next_cursor": .string, "sandboxes": .array(of: .ref("Sandbox"))], required: ["sandboxes"]),
        "Stats": .object([
            "cpu_percent": .number,
            "cpu_total_ns": .integer,
            "memory_bytes": .integer,
            "memory_limit_bytes": .integer,
            "pids": .integer,
        ]),
        "Workspace": .object([
            "created_at": .string,
            "id": .string.described("the name again, for Sandkasten's SDK (reads workspaces[].id)"),
            "labels": .stringMap,
            "name": .string,
        ]),
        "WorkspaceList": .object(["workspaces": .array(of: .ref("Workspace"))]),
    ])
}

private extension OpenAPI.ErrorResponses {
    static let unauthorized: Self = [401: "unauthorized"]
    /// Another key's sandbox is reported as unknown, so a key cannot learn which ids exist.
    static let anySandbox: Self = [401: "missing or invalid API key", 404: "unknown sandbox (or another key's)"]
    /// Routes that need the sandbox's container, which an expired or gone sandbox no longer has.
    static let liveSandbox: Self = anySandbox + [410: "sandbox expired (`sandbox_expired`) or gone (`sandbox_gone`)"]
    /// A file transfer waits for a turn among `max_transfers`.
    static let transfer: Self = [
        503: "`max_transfers` transfers under way for `transfer_wait_seconds` (`server_busy`; `Retry-After` says when to retry)"
    ]
}

private extension OpenAPI.Parameter {
    /// The file or directory a files route acts on.
    static let requiredPath = query("path", .string, required: true)
    /// A listing has a default directory: `/workspace` in a sandbox, a workspace's root.
    static let optionalPath = query("path", .string, required: false)
}
