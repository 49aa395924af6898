/// The audit chain in the `/api` document (ServerCompat's SandcastleAPIController+Audit,
/// docs/api.md "Audit chain"): entries, and the verification of a run's chain and the global one.
extension OpenAPI {
    static let auditSchemas: KeyValuePairs<String, Schema> = [
        "AuditEntry": .object(
            [
                "id": .integer, "chain": Schema.string.described("`run:<run id>` or `global`"), "seq": .integer, "event_type": .string,
                "run_id": Schema.string.orNull, "actor_id": .string, "actor_key_prefix": Schema.string.orNull,
                "source_ip": Schema.string.orNull, "payload": .anyObject, "prev_hash": .string, "entry_hash": .string,
                "timestamp": Schema.string.described("the hashed time: ISO 8601 UTC with milliseconds"), "created_at": .dateTime,
            ],
            required: [
                "id", "chain", "seq", "event_type", "run_id", "actor_id", "payload", "prev_hash", "entry_hash", "timestamp", "created_at",
            ]),
        "AuditVerification": .object(
            [
                "run_id": Schema.string.orNull, "valid": .boolean, "chain_length": .integer,
                "broken_at": Schema.integer.orNull.described("the `seq` of the first bad entry"), "broken_entry_id": Schema.integer.orNull,
                "reason": Schema.enumeration("hash_mismatch", "prev_link_broken", "seq_gap", "timestamp_not_increasing").orNull,
                "message": Schema.string.orNull, "head_hash": Schema.string.orNull,
            ], required: ["run_id", "valid", "chain_length", "broken_at"]),
    ]

    private static let auditPage: [Parameter] = [
        .query("since", dateFilter, description: "at or after (ISO 8601); empty: no bound"),
        .query("until", dateFilter, description: "before (ISO 8601); empty: no bound"),
        .query("limit", .integer.defaulting(to: 50).bounded(1...500)),
        .query("offset", .integer.defaulting(to: 0).bounded(0...Int(Int32.max))),
    ]
    /// A text filter of the audit log: at most 200 printable characters.
    private static let auditText = Schema.string.matching(#"^[^\u0000-\u001F\u007F]{0,200}$"#)
    /// A run id in a path: letters, digits, `-` and `_`, at most 128.
    static let runIDPath = Schema.string.matching("^[A-Za-z0-9_-]{1,128}$")
    private static let auditRun: ErrorResponses = [
        400: "not a run id (`INVALID_ID`)", 404: "no such run, or another tenant's (`RUN_NOT_FOUND`)",
    ]

    static let auditOperations: [Operation] = [
        api(
            .get, "/audit", tag: "audit", summary: "Audit entries of every chain, newest first (admin)",
            query: [.query("run_id", idFilter), .query("actor_id", auditText), .query("event_type", auditText)] + auditPage,
            returns: ok("a page", .array(of: .ref("AuditEntry")), paged: true),
            errors: [
                400: "a `run_id` that is not a run id (`INVALID_ID`)", 403: "a tenant key (`FORBIDDEN`)",
                422: "a filter out of range (`VALIDATION_ERROR`)",
            ]),
        api(
            .get, "/runs/{id}/audit", tag: "audit", summary: "A run's audit chain in order",
            query: auditPage, returns: ok("a page", .array(of: .ref("AuditEntry")), paged: true),
            errors: auditRun + [422: "a filter out of range (`VALIDATION_ERROR`)"], pathSchemas: ["id": runIDPath]),
        api(
            .get, "/audit/verify/{id}", tag: "audit", summary: "Recompute every hash and link of a run's chain",
            returns: ok("the verification", .ref("AuditVerification")), errors: auditRun, pathSchemas: ["id": runIDPath]),
        api(
            .get, "/audit/verify/global", tag: "audit", summary: "Recompute every hash and link of the global chain (admin)",
            returns: ok("the verification", .ref("AuditVerification")), errors: [403: "a tenant key (`FORBIDDEN`)"]),
    ]
}
