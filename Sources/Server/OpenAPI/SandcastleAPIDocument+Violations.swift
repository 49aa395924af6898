/// Policy violations in the `/api` document (ServerCompat's SandcastleAPIController+Violations,
/// docs/api.md "Policy violations").
extension OpenAPI {
    private static let counts = Schema.map(keys: .string, values: .integer)

    static let violationSchemas: KeyValuePairs<String, Schema> = [
        "PolicyViolation": .object(
            [
                "id": .string, "run_id": .string, "step_id": .string, "parallel_index": Schema.integer.orNull, "policy_id": .string,
                "severity": .enumeration("critical", "high", "medium", "low"),
                "trigger_details": .object(
                    ["trigger": .string, "matched": .string, "match_count": .integer], required: ["trigger", "match_count"]),
                "action_taken": .enumeration("redact", "block", "alert", "log", "inject_approval"), "output_modified": .boolean,
                "created_at": .dateTime,
            ],
            required: ["id", "run_id", "step_id", "policy_id", "severity", "trigger_details", "action_taken", "output_modified", "created_at"]),
        "ViolationStats": .object(
            ["total": .integer, "by_severity": counts, "by_policy": counts, "by_action": counts],
            required: ["total", "by_severity", "by_policy", "by_action"]),
    ]

    private static let violationFilters: [Parameter] = [
        .query("severity", .enumeration("critical", "high", "medium", "low")), .query("policy_id", idFilter), .query("step_id", idFilter),
        .query("since", dateFilter, description: "at or after (ISO 8601); empty: no bound"),
        .query("until", dateFilter, description: "before (ISO 8601); empty: no bound"),
    ]

    private static let violationPage: [Parameter] = [
        .query("limit", .integer.defaulting(to: 50).bounded(1...200)),
        .query("offset", .integer.defaulting(to: 0).bounded(0...Int(Int32.max))),
    ]

    private static let violationFilterErrors: ErrorResponses = [
        400: "a `run_id`, `step_id` or `policy_id` that is not an id (`INVALID_ID`)",
        422: "an unknown `severity`, a `since`/`until` that is not ISO 8601, `limit` or `offset` out of range (`VALIDATION_ERROR`)",
    ]

    static let violationOperations: [Operation] = [
        api(
            .get, "/violations", tag: "violations", summary: "Policy violations, newest first (a tenant key sees its own runs')",
            query: violationFilters + [.query("run_id", idFilter)] + violationPage,
            returns: ok("a page", .array(of: .ref("PolicyViolation")), paged: true),
            errors: violationFilterErrors + [404: "a `run_id` the caller may not see (`RUN_NOT_FOUND`)"]),
        api(
            .get, "/violations/stats", tag: "violations", summary: "Violation counts by severity, policy and action, and the total",
            query: violationFilters + [.query("run_id", idFilter)], returns: ok("the counts", .ref("ViolationStats")),
            errors: violationFilterErrors + [404: "a `run_id` the caller may not see (`RUN_NOT_FOUND`)"]),
        api(
            .get, "/runs/{id}/violations", tag: "violations", summary: "A run's policy violations, newest first",
            query: violationFilters + violationPage, returns: ok("a page", .array(of: .ref("PolicyViolation")), paged: true),
            errors: violationFilterErrors + [404: "no such run, or another tenant's (`RUN_NOT_FOUND`)"], pathSchemas: ["id": runIDPath]),
    ]
}
