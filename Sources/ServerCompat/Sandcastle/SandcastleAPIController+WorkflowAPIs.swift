import Foundation
import HTTPTypes
import Hummingbird
import JSONValues
import Orchestrator
import ServerCore
import Store
import Workflow

/// Workflows as APIs (issue 14 §8; Sandcastle's `/api/v1/{workflow_name}`): an admin publishes a
/// workflow's newest version, and then its endpoint runs that version with the request body as
/// the input, answering at once (`Prefer: respond-async`) or when the run's turn ends. The spec
/// is public (no key); the usage is an admin's. Versions and tenants follow
/// ``WorkflowCatalog/published(name:tenant:)``.
extension SandcastleAPIController {
    static let preferHeader = HTTPField.Name("Prefer")
    static let callbackURLHeader = HTTPField.Name("X-Callback-URL")
    /// `usage?days=` when none is given, and the range it may take.
    static let defaultUsageDays = 30
    static let usageDays = 1...365

    func registerWorkflowAPIs(_ routes: RouteTable) {
        let orchestrator = self.orchestrator
        let catalog = orchestrator.catalog
        routes.add(.post, "\(Self.prefix)/workflows/:name/publish", native: false) { request, context in
            let caller = try Self.admin(context)
            let name = context.parameters.get("name") ?? ""
            let entry = try catalog.publish(name: name, tenant: caller.tenantID)
            let endpoint = Self.endpointURL(name, request: request)
            return SandcastleEnvelope.ok([
                "workflow_name": .string(name), "version": .integer(entry.newest.version), "endpoint_url": .string(endpoint),
                "spec_url": .string("\(endpoint)/spec"), "example_curl": .string(Self.exampleCurl(endpoint, workflow: entry.workflow)),
                "example_sdk": .string(Self.exampleSDK(name, workflow: entry.workflow, request: request)), "is_public": true,
                "published_at": SandcastleEnvelope.timestamp(entry.newest.publishedAt),
            ])
        }
        routes.add(.post, "\(Self.prefix)/v1/:name", native: false) { request, context in
            let caller = try Self.caller(context)
            let name = context.parameters.get("name") ?? ""
            try WorkflowCatalog.validate(name: name)
            try Self.requireAllowed(caller, workflow: name)
            let published = try catalog.published(name: name, tenant: caller.tenantID)
            let input = try Self.callInput(try await HTTP.body(request, limit: Self.maxBodyBytes))
            var submission = try Self.submission(
                ["workflow_name": .string(name), "version": .integer(published.record.version), "input": .object(input)], caller: caller)
            submission.callbackURL = try Self.callbackURL(request.headers)
            submission.endpoint = name
            let submitted = try await orchestrator.submit(submission)
            if Self.prefersAsync(request.headers) {
                return SandcastleEnvelope.ok(["run_id": .string(submitted.runID), "status": "queued"], status: .accepted)
            }
            _ = await orchestrator.queue.waitForTurnEnd(runID: submitted.runID)
            let report = try orchestrator.run(id: submitted.runID)
            let record = try? orchestrator.runs.repository.submission(runID: submitted.runID)
            return SandcastleEnvelope.ok(SandcastleRunJSON.detail(report, submission: record, withSteps: false))
        }
        // Public: answered for a published version only, and never with the workflow's text.
        routes.add(.get, "\(Self.prefix)/v1/:name/spec", native: false) { request, context in
            let name = context.parameters.get("name") ?? ""
            let published = try catalog.published(name: name)
            let endpoint = Self.endpointURL(name, request: request)
            return SandcastleEnvelope.ok([
                "workflow_name": .string(name), "version": .integer(published.record.version),
                "description": .string(published.record.description ?? published.workflow.description ?? ""),
                "endpoint": .string("\(Self.prefix)/v1/\(name)"), "endpoint_url": .string(endpoint), "method": "POST",
                "auth_method": "X-API-Key header or Authorization: Bearer <key>",
                "input_schema": Self.inputSchema(published.workflow),
                "output_description": "the run's outputs keyed by step id",
                "async_header": "Prefer: respond-async answers 202 with the run id instead of waiting for the result",
                "example_curl": .string(Self.exampleCurl(endpoint, workflow: published.workflow)),
                "example_sdk": .string(Self.exampleSDK(name, workflow: published.workflow, request: request)),
            ])
        }
        routes.add(.get, "\(Self.prefix)/v1/:name/usage", native: false) { request, context in
            let caller = try Self.admin(context)
            let name = context.parameters.get("name") ?? ""
            _ = try catalog.published(name: name, tenant: caller.tenantID)
            let days = try Self.integer(request.uri.queryParameters.get("days"), "days", in: Self.usageDays) ?? Self.defaultUsageDays
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
            let today = calendar.startOfDay(for: Date())
            // `days` whole UTC days, today included, so `by_day` has at most `days` entries.
            let since = calendar.date(byAdding: .day, value: 1 - days, to: today) ?? today
            let usage = try orchestrator.runs.repository.endpointUsage(endpoint: name, since: since)
            let average = usage.averageDurationSeconds.map(JSONValue.number) ?? .null
            let byDay: [JSONValue] = usage.days.map { ["date": .string($0.date), "calls": .integer($0.calls), "cost_usd": .number($0.costUSD)] }
            return SandcastleEnvelope.ok([
                "workflow_name": .string(name), "days": .integer(days), "total_calls": .integer(usage.calls),
                "completed": .integer(usage.completed), "failed": .integer(usage.failed), "total_cost_usd": .number(usage.costUSD),
                "avg_duration_seconds": average, "by_day": .array(byDay),
                // Sandcastle's spellings of the same figures, which its SDK documents.
                "period_days": .integer(days), "total_runs": .integer(usage.calls), "successful_runs": .integer(usage.completed),
                "failed_runs": .integer(usage.failed),
                "runs_by_day": .array(usage.days.map { ["date": .string($0.date), "total": .integer($0.calls)] }),
            ])
        }
    }

    /// The body of a call: the input object itself, capped as a run's `input` is.
    static func callInput(_ bytes: [UInt8]) throws -> [String: JSONValue] {
        let input = try SandcastleRequestLimits.object(bytes)
        let levels = depth(.object(input))
        guard levels <= maxInputDepth else {
            throw SandcastleAPIError(
                .unprocessableContent, "VALIDATION_ERROR", "the input is nested \(levels) levels deep; at most \(maxInputDepth) are accepted")
        }
        guard bytes.count <= maxInputBytes || JSONValue.object(input).jsonText.utf8.count <= maxInputBytes else {
            throw SandcastleAPIError(.unprocessableContent, "VALIDATION_ERROR", "the input is over \(maxInputBytes) bytes as JSON")
        }
        return input
    }

    /// `X-Callback-URL`, checked later as a run's `callback_url` is.
    static func callbackURL(_ headers: HTTPFields) throws -> String? {
        guard let name = callbackURLHeader, let value = headers[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else {
            return nil
        }
        guard value.count <= 2048 else {
            throw SandcastleAPIError(.badRequest, "INVALID_CALLBACK_URL", "X-Callback-URL is over 2048 characters")
        }
        return value
    }

    /// `Prefer: respond-async` (RFC 7240: one preference among others, any case).
    static func prefersAsync(_ headers: HTTPFields) -> Bool {
        guard let name = preferHeader else { return false }
        return headers[values: name].contains { value in
            value.split(separator: ",").contains { $0.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() == "respond-async" }
        }
    }

    /// The endpoint's absolute URL when the request names a plain host, else its path.
    static func endpointURL(_ name: String, request: Request) -> String {
        "\(baseURL(request) ?? "")\(prefix)/v1/\(name)"
    }

    /// `http://HOST` of the request's `Host` when it is a plain host (letters, digits, `.-:[]`):
    /// anything else is the client's own invention and is not echoed into examples.
    static func baseURL(_ request: Request) -> String? {
        guard let host = request.head.authority, !host.isEmpty, host.count <= 255,
            host.unicodeScalars.allSatisfy({
                $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || ".-:[]".unicodeScalars.contains($0))
            })
        else { return nil }
        return "http://\(host)"
    }

    /// The workflow's inputs as a JSON Schema object.
    static func inputSchema(_ workflow: WorkflowDefinition) -> JSONValue {
        var properties: [String: JSONValue] = [:]
        for input in workflow.inputs {
            var property: [String: JSONValue] = ["type": .string(input.type == .list ? "array" : input.type.rawValue)]
            if let value = input.defaultValue { property["default"] = value }
            if let text = input.description { property["description"] = .string(text) }
            if let values = input.allowedValues { property["enum"] = .array(values) }
            properties[input.name] = .object(property)
        }
        return [
            "type": "object", "properties": .object(properties),
            "required": .array(workflow.inputs.filter(\.required).map { .string($0.name) }),
        ]
    }

    /// An input object a reader can start from: each input's default, else a value of its type.
    static func exampleInput(_ workflow: WorkflowDefinition) -> JSONValue {
        var members: [String: JSONValue] = [:]
        for input in workflow.inputs {
            members[input.name] =
                input.defaultValue ?? input.allowedValues?.first
                ?? {
                    switch input.type {
                    case .integer: .integer(1)
                    case .number: .number(1.5)
                    case .boolean: .bool(true)
                    case .list: .array([])
                    case .object: .object([:])
                    default: .string("…")
                    }
                }()
        }
        return .object(members)
    }

    static func exampleCurl(_ endpoint: String, workflow: WorkflowDefinition) -> String {
        // Single quotes around the body: a quote inside it ends and reopens the shell string.
        let body = exampleInput(workflow).jsonText.replacingOccurrences(of: "'", with: "'\\''")
        return """
            curl -X POST "\(endpoint)" \\
              -H "X-API-Key: YOUR_KEY" \\
              -H "Content-Type: application/json" \\
              -d '\(body)'
            """
    }

    static func exampleSDK(_ name: String, workflow: WorkflowDefinition, request: Request) -> String {
        """
        from sandcastle import SandcastleClient
        client = SandcastleClient(base_url="\(baseURL(request) ?? "http://localhost:8080")", api_key="YOUR_KEY")
        result = client.call_api("\(name)", \(pythonLiteral(exampleInput(workflow))))
        """
    }

    /// A JSON value as Python writes it (JSON's strings and numbers are Python's too).
    static func pythonLiteral(_ value: JSONValue) -> String {
        switch value {
        case .null: "None"
        case .bool(let flag): flag ? "True" : "False"
        case .array(let items): "[" + items.map(pythonLiteral).joined(separator: ", ") + "]"
        case .object(let members):
            "{" + members.keys.sorted().map { "\(JSONValue.string($0).jsonText): \(pythonLiteral(members[$0] ?? .null))" }.joined(separator: ", ") + "}"
        default: value.jsonText
        }
    }
}
