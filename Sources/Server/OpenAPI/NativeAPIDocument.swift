import ServerCore

/// The native API's OpenAPI 3.1 document, served at `/openapi.json`.
///
/// Described in Swift with the vocabulary of OpenAPIBuilder.swift (no generator dependency) and
/// kept honest by tests: every route the server registers appears here with its method and
/// nothing else does, and every `$ref` names a schema under `components`.
enum OpenAPIDocument {
    /// The document of a server with the default limits.
    static let json = rendered(for: ServiceLimits(ServerConfiguration()))

    /// The document a server with `limits` serves: the bounds of `ttl_seconds`, `timeout_ms` and
    /// `max_output_bytes` are that server's, so a value inside them is one it takes. Rendered once
    /// per server: the document does not change while it runs.
    static func rendered(for limits: ServiceLimits) -> String { OpenAPI.nativeAPI(limits).rendered() }
}

extension OpenAPI {
    static func nativeAPI(_ limits: ServiceLimits) -> JSON {
        [
            "openapi": "3.1.0",
            "info": [
                "title": "Sandcastle native API",
                "version": "1.0.0",
                "description": #"Sandboxes as a service: see docs/server.md. Errors are {"error":{"code","message"}} with stable codes."#,
            ],
            "servers": [["url": "http://127.0.0.1:8080"]],
            // Either scheme will do; `needsKey: false` lifts both from an operation.
            "security": [["bearer": []], ["apiKey": []]],
            "paths": paths(systemOperations + sandboxOperations + fileOperations + workspaceOperations + sandstormOperations),
            "components": [
                "schemas": nativeSchemas(limits),
                "securitySchemes": [
                    "bearer": ["type": "http", "scheme": "bearer"],
                    "apiKey": ["type": "apiKey", "in": "header", "name": "X-API-Key"],
                ],
            ],
        ]
    }

    private static let systemOperations: [Operation] =
        ["/health", "/healthz"].map { path in
            Operation(
                .get, path, tag: "system", summary: "Liveness (no key needed)",
                returns: .ok("ok", .json(.ref("Health"))), needsKey: false)
        } + [
            Operation(
                .get, "/metrics", tag: "system", summary: "Prometheus metrics (no key needed)",
                returns: .ok("text exposition format", .plainText),
                errors: [500: "the state store cannot be read (`internal`)"], needsKey: false),
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
                .query("cursor", .string.matching(SandboxPage.cursorPattern), description: "`next_cursor` of the previous page"),
            ],
            returns: .ok("a page", .json(.ref("SandboxPage"))),
            errors: [400: "bad filter, limit or cursor (`invalid_input`)"]),
        Operation(
            .post, "/v1/sandboxes", tag: "sandboxes", summary: "Create a sandbox",
            body: .json(.ref("CreateSandbox")),
            returns: .created("created", .json(.ref("Sandbox"))),
            errors: .engine + [
                400: "invalid input (`invalid_input`): a malformed image reference, an unknown profile, a field out of range; "
                    + "or an image the engine does not have (`image_not_found`)",
                404: "the workspace is another key's (`not_found`)",
                409: "a Docker volume of the workspace's name is not a Sandcastle workspace (`conflict`)",
                429: "at capacity, globally or for this key (`at_capacity`)",
                502: "the sandbox did not start (`sandbox_start_failed`)",
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
            .post, "/v1/sandboxes/{id}/exec", tag: "sandboxes",
            summary: "Run a command to completion; timeout_ms counts from the request, including any wait for the "
                + "sandbox's shell; a client that disconnects has its command interrupted",
            body: .json(.ref("Exec")),
            returns: .ok("its result", .json(.ref("ExecResult"))),
            errors: .command + [504: "the command did not finish within its timeout, counted from the request (`command_timeout`)"]),
        Operation(
            .post, "/v1/sandboxes/{id}/exec/stream", tag: "sandboxes",
            summary: #"Run a command, streaming server-sent events: `stdout`/`stderr` ({"data":text}) as chunks arrive, "#
                + "then `exit` ({exit_code, duration_ms, truncated, timed_out, signal, oom_killed}) or `error` ({code, message}: "
                + "the stream's end when the sandbox fails mid-way, with the code a JSON call would have answered); "
                + "a comment line `: keep-alive` every second while the command is quiet; "
                + "a client that disconnects cancels the command. Errors before the command starts are JSON, as for exec",
            body: .json(.ref("Exec")),
            returns: .ok("event stream", .eventStream(.ref("ExecEvent"))),
            errors: .command),
        Operation(
            .post, "/v1/sandboxes/{id}/extend", tag: "sandboxes", summary: "Set a new TTL counted from now",
            body: .json(.ref("Extend")),
            returns: .ok("the sandbox", .json(.ref("Sandbox"))),
            errors: .liveSandbox + [400: "ttl_seconds out of range (`invalid_input`)"]),
        Operation(
            .get, "/v1/sandboxes/{id}/stats", tag: "sandboxes", summary: "Memory and CPU use from the engine",
            returns: .ok("stats", .json(.ref("Stats"))),
            errors: .liveSandbox + .engine + [400: "this server's backend does not report stats (`invalid_input`)"]),
        Operation(
            .get, "/v1/sandboxes/{id}/terminal", tag: "sandboxes",
            summary: "Interactive terminal over WebSocket (Upgrade: websocket). Binary frames: PTY bytes both ways. "
                + #"Text frames from the client: {"type":"resize","rows":R,"cols":C}; "#
                + #"from the server at the end: {"type":"exit","exit_code":N}. Without an upgrade: 400."#,
            query: [.query("rows", .integer.defaulting(to: 24)), .query("cols", .integer.defaulting(to: 80))],
            returns: .switchingProtocols("switching to WebSocket"),
            errors: .liveSandbox + [400: "not a WebSocket request (`invalid_input`)"]),
    ]

    private static let fileOperations: [Operation] = [
        Operation(
            .get, "/v1/sandboxes/{id}/files", tag: "files", summary: "List a directory",
            query: [.optionalPath],
            returns: .ok("entries", .json(.ref("FileList"))), errors: .fileRead),
        Operation(
            .delete, "/v1/sandboxes/{id}/files", tag: "files", summary: "Remove a file or directory",
            query: [.requiredPath, .query("recursive", .boolean)],
            returns: .ok("removed", .json(.ref("OK"))),
            errors: .fileRead + [409: "the path is busy, e.g. a mount point (`conflict`)"]),
        Operation(
            .get, "/v1/sandboxes/{id}/files/content", tag: "files", summary: "Download a file (streamed)",
            query: [.requiredPath],
            returns: .ok("the bytes, chunked: as many as the file has when read (a /proc file reports size 0)", .bytes),
            errors: .fileRead + .transfer),
        Operation(
            .put, "/v1/sandboxes/{id}/files/content", tag: "files",
            summary: "Upload a file (raw body, streamed; staged and renamed into place once whole)",
            query: [
                .requiredPath, .query("mode", .string.matching("^[0-7]{1,4}$").defaulting(to: "644"), description: "octal permission bits"),
                .query("append", .boolean),
            ],
            body: .bytes,
            returns: .created("the written file", .json(.ref("File"))),
            errors: .fileWrite + .transfer + [
                400: "invalid input, or a body that stopped before its end (`invalid_input`)",
                413: "the upload is over the limit (`body_too_large`)",
            ]),
        Operation(
            .post, "/v1/sandboxes/{id}/files/mkdir", tag: "files", summary: "Create a directory",
            body: .json(.ref("MakeDirectory")),
            returns: .created("created", .json(.ref("OK"))), errors: .fileWrite),
        Operation(
            .post, "/v1/sandboxes/{id}/files/move", tag: "files", summary: "Move or rename",
            body: .json(.ref("Move")),
            returns: .ok("moved", .json(.ref("OK"))), errors: .fileWrite),
        Operation(
            .get, "/v1/sandboxes/{id}/files/stat", tag: "files", summary: "Stat a path",
            query: [.requiredPath],
            returns: .ok("the entry", .json(.ref("File"))), errors: .fileRead),
    ]

    private static let workspaceOperations: [Operation] = [
        Operation(
            .get, "/v1/workspaces", tag: "workspaces", summary: "List named workspaces",
            returns: .ok("workspaces", .json(.ref("WorkspaceList"))),
            errors: .engine + [400: "this server's backend has no workspaces (`invalid_input`)"]),
        Operation(
            .post, "/v1/workspaces", tag: "workspaces", summary: "Create a named workspace (a Docker volume)",
            body: .json(.ref("CreateWorkspace")),
            returns: .created("created", .json(.ref("Workspace"))),
            errors: .engine + [400: "invalid name", 409: "this key has a workspace of that name"]),
        Operation(
            .delete, "/v1/workspaces/{name}", tag: "workspaces", summary: "Delete a workspace", pathSchemas: ["name": workspaceName],
            returns: .ok("deleted", .json(.ref("OK"))),
            errors: .engine + [400: "invalid name", 404: "this key has no workspace of that name", 409: "in use"]),
        Operation(
            .get, "/v1/workspaces/{name}/files", tag: "workspaces", summary: "List a workspace's files without a sandbox",
            pathSchemas: ["name": workspaceName],
            query: [.optionalPath],
            returns: .ok("entries", .json(.ref("FileList"))),
            errors: .engine + [
                400: "invalid name, or a path with '..'", 403: "the path leads out of the workspace through a symlink",
                404: "this key has no workspace of that name, or no such path",
            ]),
    ]

    /// Names are per API key; the rule is the one the service enforces (400 otherwise).
    private static let workspaceName = Schema.string.matching(OwnedWorkspace.namePattern)
        .described("\(OwnedWorkspace.nameRule); scoped to the API key")

    /// A Sandcastle image: a short name or `sandcastle/NAME`, with an optional tag and digest, in
    /// the grammar of image references (ImageReference; the engine's, lowercase names).
    private static let imageReference: Schema = {
        let component = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
        let tag = "(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?"
        let digest = "(?:@(?:sha256:[a-f0-9]{64}|sha384:[a-f0-9]{96}|sha512:[a-f0-9]{128}))?"
        return Schema.string.matching("^(?:sandcastle/\(component)(?:/\(component))*|\(component))\(tag)\(digest)$")
            .limited(toLength: SandboxService.maxImageReferenceLength)
    }()

    /// The schemas whose bounds are the server's own limits, and the rest.
    private static func nativeSchemas(_ limits: ServiceLimits) -> JSON {
        schemas(
            fixedSchemas, sandstormSchemas,
            [
                // Every field is optional, and `null` reads as absent.
                "CreateSandbox": .object([
                    "cpu": Schema.number.bounded(0.01...64).orNull.described("CPUs, at most the engine's"),
                    "env": Schema.map(keys: .nonEmptyText.matching(#"^[^=\u0000]+$"#), values: .text).orNull,
                    "image": imageReference.orNull.defaulting(to: "base")
                        .described("base, python, node, agent or sandcastle/NAME[:TAG][@DIGEST]: an image built for Sandcastle"),
                    "memory_mb": Schema.integer.bounded(16...65536).orNull,
                    "network": Schema.boolean.orNull,
                    "profile": Schema.string.matching(SandboxService.profileNamePattern).orNull.defaulting(to: "default")
                        .described("an isolation profile's name (`sandcastle profile ls`)"),
                    "ttl_seconds": Schema.integer.bounded(1...limits.maxTTLSeconds).orNull,
                    "workspace": workspaceName.described(
                        "a workspace of this key, made if it has none of that name (\(OwnedWorkspace.nameRule))"
                    ).orNull,
                ]),
                "Exec": Schema.object([
                    "argv": Schema.array(of: .text).startingWith(.nonEmptyText).orNull.described("a program and arguments, run without a shell"),
                    "command": Schema.nonEmptyText.orNull.described("a shell command line, run in the sandbox's persistent shell"),
                    "cwd": Schema.text.orNull.described("argv only"),
                    "env": Schema.map(keys: .text, values: .text).orNull.described("argv only"),
                    "max_output_bytes": Schema.integer.bounded(1...limits.maxExecOutputBytes).orNull,
                    "timeout_ms": Schema.integer.bounded(1...limits.maxExecTimeoutSeconds * 1000).orNull,
                ]).exactlyOne(of: [(required: "command", without: ["argv", "env", "cwd"]), (required: "argv", without: ["command"])]),
                "Extend": .object(["ttl_seconds": Schema.integer.bounded(1...limits.maxTTLSeconds)], required: ["ttl_seconds"]),
            ])
    }

    private static let fixedSchemas: KeyValuePairs<String, Schema> = [
        "CreateWorkspace": .object(["name": workspaceName], required: ["name"]),
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
        "ExecEvent": .oneOf(
            .object(
                ["event": .enumeration("stdout", "stderr"), "data": Schema.string.carryingJSON(.ref("ExecOutputEvent"))],
                required: ["event", "data"]),
            .object(["event": .enumeration("exit"), "data": Schema.string.carryingJSON(.ref("ExecExitEvent"))], required: ["event", "data"]),
            .object(["event": .enumeration("error"), "data": Schema.string.carryingJSON(.ref("ExecErrorEvent"))], required: ["event", "data"])
        ).described("one server-sent event of exec/stream, as a client parses it: its `event` and its `data` line (JSON)"),
        "ExecOutputEvent": .object(["data": .string.described("the chunk's bytes as UTF-8 text")], required: ["data"]),
        "ExecExitEvent": .object(
            [
                "duration_ms": .number,
                "exit_code": .integer,
                "oom_killed": .boolean,
                "signal": .integer,
                "timed_out": .boolean,
                "truncated": .boolean,
            ], required: ["exit_code", "duration_ms", "truncated", "timed_out", "signal"]),
        "ExecErrorEvent": .object(
            ["code": .string.described("a code of `Error`, e.g. sandbox_gone"), "message": .string], required: ["code", "message"]),
        "ExecResult": .object(
            [
                "cwd": .string,
                "duration_ms": .number,
                "exit_code": .integer,
                "stderr": .string,
                "stdout": .string,
                "oom_killed": .boolean.described(
                    "the kernel's OOM killer killed a process of the sandbox while the command ran: the command "
                        + "(exit_code 137), or the shell the command grew past the memory limit (a fresh shell follows)"),
                "timed_out": .boolean,
                "truncated": .boolean,
            ], required: ["stdout", "stderr", "exit_code", "duration_ms", "truncated", "timed_out", "oom_killed"]),
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
        "MakeDirectory": .object(["parents": Schema.boolean.orNull.defaulting(to: true), "path": .text], required: ["path"]),
        "Move": .object(["from": .text, "overwrite": Schema.boolean.orNull, "to": .text], required: ["from", "to"]),
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
    ]
}

// 401 and 500 (every keyed operation), 400 and 413 (a JSON body) are added to every operation they
// apply to by `Operation`; the sets here are what an operation's own work can answer besides.
private extension OpenAPI.ErrorResponses {
    /// Another key's sandbox is reported as unknown, so a key cannot learn which ids exist.
    static let anySandbox: Self = [404: "unknown sandbox, or another key's (`not_found`)"]
    /// Routes that need the sandbox's container, which an expired or gone sandbox no longer has
    /// (also when it is deleted or expires while the request runs).
    static let liveSandbox: Self = anySandbox + [410: "sandbox expired (`sandbox_expired`) or gone (`sandbox_gone`)"]
    /// Routes that ask the Docker engine itself.
    static let engine: Self = [503: "the Docker engine does not answer (`engine_unavailable`)"]
    /// Running a command: the runner's refusals of what was asked.
    static let command: Self =
        liveSandbox + [
            400: "invalid input, or the command ended the sandbox's shell (`invalid_input`)",
            403: "the program may not be run (`permission_denied`)",
            404: "unknown sandbox, or no such program or working directory (`not_found`)",
        ]
    /// Reading a path in a sandbox: what the kernel in the sandbox answers, by errno.
    static let fileRead: Self =
        liveSandbox + [
            400: "a path that is missing or of the wrong kind for the operation (a directory to read, a file to list), "
                + "or that the kernel refuses, e.g. EINVAL (`invalid_input`)",
            403: "the sandbox does not allow it: permissions, a read-only file system (`permission_denied`)",
            404: "unknown sandbox, or no such path (`not_found`)",
        ]
    /// Writing a path in a sandbox.
    static let fileWrite: Self =
        fileRead + [
            409: "the path exists already, or is busy (`conflict`)",
            507: "the sandbox's disk is full (`no_space`)",
        ]
    /// A file transfer waits for a turn among `max_transfers`.
    static let transfer: Self = [
        503: "`max_transfers` transfers under way for `transfer_wait_seconds` (`server_busy`; `Retry-After` says when to retry)"
    ]
}

private extension OpenAPI.Parameter {
    /// The file or directory a files route acts on.
    static let requiredPath = query("path", .nonEmptyText, required: true)
    /// A listing has a default directory: `/workspace` in a sandbox, a workspace's root.
    static let optionalPath = query("path", .text, required: false)
}
