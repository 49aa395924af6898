/// The transparency report in the `/api` document (ServerCompat's
/// SandcastleAPIController+Transparency, docs/api.md "Transparency reports").
extension OpenAPI {
    static let transparencySchemas: KeyValuePairs<String, Schema> = [
        "TransparencyReport": .object(
            [
                "run_id": .string, "workflow": .string, "status": .string,
                "risk_level": .enumeration("minimal", "limited", "high", "unacceptable"),
                "compliance_mode": Schema.enumeration("eu_ai_act").orNull,
                "models": .array(
                    of: .object(
                        [
                            "provider": .string, "model": .string, "region": Schema.string.orNull, "calls": .integer,
                            "input_tokens": .integer, "output_tokens": .integer, "cost_usd": .number, "unpriced_calls": .integer,
                            "pii_redacted": .integer,
                        ],
                        required: [
                            "provider", "model", "region", "calls", "input_tokens", "output_tokens", "cost_usd", "unpriced_calls",
                            "pii_redacted",
                        ])),
                "human_oversight": .object(
                    [
                        "approval_gates": .integer,
                        "decisions": .array(
                            of: .object(
                                [
                                    "step_id": .string, "status": .string, "message": Schema.string.orNull,
                                    "requested_at": .dateTime, "decided_by": Schema.string.orNull,
                                    "decided_at": Schema.dateTime.orNull, "comment": Schema.string.orNull,
                                ], required: ["step_id", "status", "requested_at"])),
                    ], required: ["approval_gates", "decisions"]),
                "policy_violations": .array(
                    of: .object(
                        [
                            "step_id": Schema.string.orNull, "policy": .string, "severity": .string, "action": .string,
                            "matched": Schema.string.orNull, "created_at": .dateTime,
                        ], required: ["policy", "severity", "action", "created_at"])),
                "total_cost_usd": .number, "unpriced_model_calls": .integer,
                "data_residency": .object(
                    [
                        "setting": Schema.enumeration("eu", "local").orNull, "regions_used": .array(of: .string),
                        "unknown_region_calls": .integer,
                    ], required: ["setting", "regions_used", "unknown_region_calls"]),
                "privacy": .object(
                    [
                        "enabled": .boolean, "mode": .enumeration("redact"), "entities": .array(of: .string),
                        "apply_to": .array(of: .string), "pii_redacted_in_prompts": .integer,
                    ], required: ["enabled", "mode", "entities", "apply_to", "pii_redacted_in_prompts"]),
                "generated_at": .dateTime,
            ],
            required: [
                "run_id", "workflow", "status", "risk_level", "compliance_mode", "models", "human_oversight", "policy_violations",
                "total_cost_usd", "unpriced_model_calls", "data_residency", "privacy", "generated_at",
            ])
    ]

    static let transparencyOperations: [Operation] = [
        api(
            .get, "/runs/{id}/transparency-report", tag: "runs",
            summary: "What a run did with AI: risk level and rules in force, models with region, calls, tokens and cost, "
                + "human oversight at its approval gates, policy violations, data residency and privacy settings",
            returns: ok("the report", .ref("TransparencyReport")),
            errors: [400: "not a run id (`INVALID_ID`)", 404: "no such run (`RUN_NOT_FOUND`)"], id: "getTransparencyReport")
    ]
}
