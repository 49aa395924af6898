/// Workflows as APIs in the `/api` document (ServerCompat's SandcastleAPIController+WorkflowAPIs,
/// docs/api.md "Workflows as APIs"): publishing, the published endpoint, its public spec and its usage.
extension OpenAPI {
    static let workflowAPISchemas: KeyValuePairs<String, Schema> = [
        "PublishedWorkflow": .object(
            [
                "workflow_name": .string, "version": .integer, "endpoint_url": .string, "spec_url": .string, "example_curl": .string,
                "example_sdk": .string, "is_public": .boolean, "published_at": Schema.dateTime.orNull,
            ], required: ["workflow_name", "version", "endpoint_url", "spec_url", "example_curl", "example_sdk", "is_public"]),
        "WorkflowAPISpec": .object(
            [
                "workflow_name": .string, "version": .integer, "description": .string, "endpoint": .string, "endpoint_url": .string,
                "method": .enumeration("POST"), "auth_method": .string,
                "input_schema": .object(
                    ["type": .enumeration("object"), "properties": .anyObject, "required": .array(of: .string)],
                    required: ["type", "properties", "required"]),
                "output_description": .string, "async_header": .string, "example_curl": .string, "example_sdk": .string,
            ], required: ["workflow_name", "version", "description", "endpoint", "method", "input_schema", "example_curl", "example_sdk"]),
        "WorkflowAPIUsage": .object(
            [
                "workflow_name": .string, "days": .integer, "total_calls": .integer, "completed": .integer, "failed": .integer,
                "total_cost_usd": .number, "avg_duration_seconds": Schema.number.orNull,
                "by_day": .array(of: .object(["date": .string, "calls": .integer, "cost_usd": .number], required: ["date", "calls", "cost_usd"])),
                "period_days": .integer, "total_runs": .integer, "successful_runs": .integer, "failed_runs": .integer,
                "runs_by_day": .array(of: .object(["date": .string, "total": .integer], required: ["date", "total"])),
            ],
            required: ["workflow_name", "days", "total_calls", "completed", "failed", "total_cost_usd", "avg_duration_seconds", "by_day"]),
    ]

    private static let publishedName: ErrorResponses = [
        400: "a name other than 1–200 letters, digits, `_`, `-` (`INVALID_NAME`)",
        404: "no workflow by that name, or none of its versions is published (`WORKFLOW_NOT_FOUND`)",
    ]

    static let workflowAPIOperations: [Operation] = [
        api(
            .post, "/workflows/{name}/publish", tag: "workflow-apis",
            summary: "Publish a workflow's newest version as `POST /api/v1/{name}` (admin); a later save is served once it is published",
            returns: ok("published", .ref("PublishedWorkflow")),
            errors: publishedName + [
                404: "no workflow by that name (`WORKFLOW_NOT_FOUND`)", 403: "a tenant key (`FORBIDDEN`)",
                422: "a workflow its `risk_level` refuses under the server's COMPLIANCE_MODE (`COMPLIANCE_VIOLATION`)",
            ]),
        {
            var call = api(
                .post, "/v1/{name}", tag: "workflow-apis",
                summary: "Run a published workflow with the body as its input; waits for the run unless `Prefer: respond-async`",
                query: [
                    .header("Prefer", .string, description: "`respond-async`: answer 202 with the run id at once"),
                    .header("X-Callback-URL", .string, description: "the run's callback, checked as `callback_url` is"),
                ],
                body: .json(.anyObject), returns: ok("the run, without `steps`", .ref("Run")),
                errors: runErrors + publishedName + [
                    403: "the key's `allowed_workflows` leaves this workflow out (`FORBIDDEN`)",
                    422: "a body that is not a JSON object, or one nested deeper than 20 levels or over 1 MiB as JSON (`VALIDATION_ERROR`)",
                ], rateLimited: true, id: "callWorkflowAPI", links: runLinks("run_id"))
            call.alsoReturns = [ok("queued (`Prefer: respond-async`)", .ref("RunAccepted"), status: 202)]
            return call
        }(),
        api(
            .get, "/v1/{name}/spec", tag: "workflow-apis",
            summary: "What a published workflow's endpoint takes (no key needed; never the workflow's text)",
            returns: ok("the spec", .ref("WorkflowAPISpec")), errors: publishedName, needsKey: false),
        api(
            .get, "/v1/{name}/usage", tag: "workflow-apis", summary: "Calls of a published workflow's endpoint over the last days (admin)",
            query: [.query("days", .integer.defaulting(to: 30).bounded(1...365))], returns: ok("usage", .ref("WorkflowAPIUsage")),
            errors: publishedName + [403: "a tenant key (`FORBIDDEN`)", 422: "`days` outside 1–365 (`VALIDATION_ERROR`)"]),
    ]
}
