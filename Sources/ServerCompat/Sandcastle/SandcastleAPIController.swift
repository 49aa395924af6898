import EngineService
import Foundation
import Guardrails
import HTTPTypes
import Hummingbird
import JSONValues
import Orchestrator
import ServerCore
import Store
import Workflow

/// Sandcastle's REST API under `/api` (0.47, as its `sandcastle-ai` SDK and CLI call it; notes
/// in docs/api.md): workflows with versions, runs submitted to the durable queue, run queries
/// and cancellation. Thin: each handler decodes, calls the ``Orchestrator``, and answers in
/// Sandcastle's envelope (``SandcastleEnvelope``); errors are answered by
/// ``SandcastleErrorMiddleware``.
package struct SandcastleAPIController {
    let orchestrator: Orchestrator
    let version: String
    var scheduler: Scheduler?
    /// The server's keys, for `/api/api-keys`; nil leaves those routes unserved.
    var keys: APIKeyService?

    package static let prefix = "/api"
    static let lastEventIDHeader = HTTPField.Name("Last-Event-ID")
    /// Sandcastle's cap on a request body (a 500 kB workflow, JSON-escaped, plus inputs).
    static let maxBodyBytes = 4 << 20
    /// `POST /api/workflows/run/sync` waits at most this long for the run's turn to end.
    static let syncWait = Duration.seconds(3600)

    package init(orchestrator: Orchestrator, version: String) {
        self.orchestrator = orchestrator
        self.version = version
    }

    package func register(_ routes: RouteTable) {
        registerSystem(routes)
        registerWorkflows(routes)
        registerRuns(routes)
        registerApprovals(routes)
        registerLineage(routes)
        registerTransparency(routes)
        registerAdmin(routes)
        registerSchedules(routes)
        registerDeadLetters(routes)
        registerKeys(routes)
        registerCredentials(routes)
        registerWorkflowAPIs(routes)
        registerAudit(routes)
        registerViolations(routes)
    }

    // MARK: system

    private func registerSystem(_ routes: RouteTable) {
        let orchestrator = self.orchestrator
        let version = self.version
        routes.add(.get, "\(Self.prefix)/health", native: false) { _, _ in
            let database = (try? orchestrator.runs.repository.countRuns(RunQuery(limit: 0))) != nil
            let runtime = orchestrator.runs.router != nil
            return SandcastleEnvelope.ok([
                "status": .string(database && runtime ? "ok" : "degraded"), "runtime": .bool(runtime), "redis": .null,
                "database": .bool(database),
            ])
        }
        routes.add(.get, "\(Self.prefix)/runtime", native: false) { _, _ in
            SandcastleEnvelope.ok([
                "mode": "local", "database": "sqlite", "queue": "in-process", "storage": "local", "sandbox_backend": "docker",
                "data_dir": .string(orchestrator.runs.settings.dataDirectory), "version": .string(version),
                "max_concurrent_runs": .integer(orchestrator.queue.maxConcurrentRuns), "emergency_stop": .bool(orchestrator.isStopped),
            ])
        }
    }

    // MARK: workflows

    private func registerWorkflows(_ routes: RouteTable) {
        let catalog = orchestrator.catalog
        routes.add(.get, "\(Self.prefix)/workflows", native: false) { _, context in
            let caller = try Self.caller(context)
            // Sandcastle answers a bare list here, without `meta`.
            return SandcastleEnvelope.ok(.array(try catalog.list(tenant: caller.tenantID).map { Self.workflowInfo($0, for: caller) }))
        }
        routes.add(.get, "\(Self.prefix)/workflows/:name", native: false) { _, context in
            let caller = try Self.caller(context)
            return SandcastleEnvelope.ok(
                Self.workflowInfo(try catalog.entry(name: context.parameters.get("name") ?? "", tenant: caller.tenantID), for: caller))
        }
        // A tenant key saves (and deletes) its tenant's own workflows; an admin's are shared.
        routes.add(.post, "\(Self.prefix)/workflows", native: false) { request, context in
            let caller = try Self.caller(context)
            let body = try await Self.object(request)
            let name = try Self.requiredString(body, "name")
            try Self.requireAllowed(caller, workflow: name)
            let content = try SandcastleWorkflowName.renaming(try Self.requiredString(body, "content"), to: name)
            let entry = try catalog.save(
                name: name, yaml: content, description: try Self.optionalString(body, "description"), tenant: caller.tenantID)
            return SandcastleEnvelope.ok(Self.workflowInfo(entry, for: caller), status: .created)
        }
        routes.add(.delete, "\(Self.prefix)/workflows/:name", native: false) { _, context in
            let caller = try Self.caller(context)
            let name = context.parameters.get("name") ?? ""
            try WorkflowCatalog.validate(name: name)
            // Existence first: a workflow the key may not see is not found, whatever runs it has.
            _ = try catalog.entry(name: name, tenant: caller.tenantID)
            let active = try orchestrator.runs.repository.countRuns(
                RunQuery(statuses: [.pending, .running, .waitingApproval], workflowName: name))
            if active > 0 {
                throw OrchestratorError(.activeRuns, "workflow \(name) has \(active) queued, running or waiting run\(active == 1 ? "" : "s")")
            }
            guard try catalog.delete(name: name, tenant: caller.tenantID) else { throw OrchestratorError(.workflowNotFound, "no workflow named \(name)") }
            return SandcastleEnvelope.ok(["deleted": true, "workflow_name": .string(name)])
        }
        routes.add(.post, "\(Self.prefix)/workflows/run", native: false) { request, context in
            let caller = try Self.caller(context)
            let submitted = try await orchestrator.submit(try Self.submission(try await Self.object(request), caller: caller))
            return SandcastleEnvelope.ok(
                submitted.isNew
                    ? ["run_id": .string(submitted.runID), "status": "queued"]
                    : ["run_id": .string(submitted.runID), "status": "existing", "idempotent": true],
                status: .accepted)
        }
        routes.add(.post, "\(Self.prefix)/workflows/run/sync", native: false) { request, context in
            let caller = try Self.caller(context)
            let submitted = try await orchestrator.submit(try Self.submission(try await Self.object(request), caller: caller))
            _ = await orchestrator.queue.waitForTurnEnd(runID: submitted.runID)
            let report = try orchestrator.run(id: submitted.runID)
            let submission = try? orchestrator.runs.repository.submission(runID: submitted.runID)
            return SandcastleEnvelope.ok(SandcastleRunJSON.detail(report, submission: submission, withSteps: false))
        }
    }

    /// Sandcastle's `WorkflowInfo`. `description` is a string, empty when there is none: its SDK
    /// and CLI read it as one (`ls workflows` fails on null). As Sandcastle, the text
    /// (`yaml_content`) goes to admins and to the tenant that owns the workflow only.
    static func workflowInfo(_ entry: WorkflowCatalog.Entry, for caller: APICaller) -> JSONValue {
        var info = workflowInfo(entry)
        if !caller.isAdmin && entry.newest.tenant != caller.tenantID, case .object(var members) = info {
            members["yaml_content"] = nil
            info = .object(members)
        }
        return info
    }

    static func workflowInfo(_ entry: WorkflowCatalog.Entry) -> JSONValue {
        let workflow = entry.workflow
        return [
            "name": .string(entry.newest.name), "description": .string(entry.newest.description ?? workflow.description ?? ""),
            "steps_count": .integer(workflow.steps.count), "file_name": .string("\(entry.newest.name).yaml"),
            "steps": .array(
                workflow.steps.map { step in
                    ["id": .string(step.id), "depends_on": .array(step.dependsOn.map { .string($0.value) })]
                }),
            "version": .integer(entry.newest.version), "version_status": "production", "total_versions": .integer(entry.versions),
            // An exported workflow carries no secret: credential values and anything of a secret's shape
            // pasted into its text are scrubbed (issue 15 §5).
            "yaml_content": .string(ScrubbingSystem.scrub(entry.newest.yaml)), "created_at": SandcastleEnvelope.timestamp(entry.newest.createdAt),
        ]
    }

    // MARK: runs

    private func registerRuns(_ routes: RouteTable) {
        let orchestrator = self.orchestrator
        routes.add(.get, "\(Self.prefix)/runs", native: false) { request, context in
            let caller = try Self.caller(context)
            let parameters = Dictionary(
                request.uri.queryParameters.map { (String($0.key), String($0.value)) }, uniquingKeysWith: { first, _ in first })
            var query = try Self.runQuery(parameters)
            query.tenant = caller.tenantID
            let repository = orchestrator.runs.repository
            let runs = try repository.listRuns(query)
            let usage = (try? repository.modelUsage(runIDs: runs.map(\.id))) ?? [:]
            return SandcastleEnvelope.page(
                runs.map { SandcastleRunJSON.summary($0, usage: usage[$0.id]) }, total: try repository.countRuns(query), limit: query.limit,
                offset: query.offset)
        }
        routes.add(.get, "\(Self.prefix)/runs/:id", native: false) { _, context in
            let id = try Self.visibleRunID(context, orchestrator: orchestrator).id
            let report = try orchestrator.run(id: id)
            return SandcastleEnvelope.ok(SandcastleRunJSON.detail(report, submission: try? orchestrator.runs.repository.submission(runID: id)))
        }
        routes.add(.get, "\(Self.prefix)/runs/:id/stream", native: false) { request, context in
            let id = try Self.visibleRunID(context, orchestrator: orchestrator).id
            let lastEventID = Self.lastEventIDHeader.flatMap { request.headers[$0] }.flatMap { Int64($0.trimmingCharacters(in: .whitespaces)) }
            return try SandcastleRunStream(orchestrator: orchestrator, runID: id, lastEventID: lastEventID).response()
        }
        routes.add(.get, "\(Self.prefix)/events", native: false) { request, context in
            let caller = try Self.caller(context)
            let lastEventID = Self.lastEventIDHeader.flatMap { request.headers[$0] }.flatMap { Int64($0.trimmingCharacters(in: .whitespaces)) }
            return try SandcastleEventFeed(orchestrator: orchestrator, lastEventID: lastEventID, tenant: caller.tenantID).response()
        }
        routes.add(.post, "\(Self.prefix)/runs/:id/cancel", native: false) { _, context in
            let id = try Self.visibleRunID(context, orchestrator: orchestrator).id
            try await orchestrator.cancel(runID: id)
            return SandcastleEnvelope.ok(["cancelled": true, "run_id": .string(id)])
        }
    }

    static func runID(_ context: ServerRequestContext) throws -> String {
        guard let id = context.parameters.get("id"), !id.isEmpty, id.count <= 128,
            id.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_") })
        else { throw SandcastleAPIError(.badRequest, "INVALID_ID", "a run id is letters, digits, - and _") }
        return id
    }

    /// `status`, `workflow`, `since`, `until` (ISO 8601), `limit` (1–200, default 50), `offset`.
    static func runQuery(_ parameters: [String: String]) throws -> RunQuery {
        var query = RunQuery(limit: 50, offset: 0)
        if let status = parameters["status"], !status.isEmpty {
            let stored: RunStatus =
                switch status {
                case "queued": .pending
                case "awaiting_approval": .waitingApproval
                case "running", "completed", "failed", "cancelled", "budget_exceeded", "partial": RunStatus(rawValue: status)
                default: throw SandcastleAPIError(.badRequest, "INVALID_STATUS", "unknown status '\(status)'")
                }
            query.statuses = [stored]
        }
        query.workflowName = parameters["workflow"].flatMap { $0.isEmpty ? nil : $0 }
        query.createdSince = try date(parameters["since"], "since")
        query.createdBefore = try date(parameters["until"], "until")
        query.limit = try integer(parameters["limit"], "limit", in: 1...200) ?? 50
        query.offset = try integer(parameters["offset"], "offset", in: 0...Int(Int32.max)) ?? 0
        return query
    }

    static func date(_ text: String?, _ name: String) throws -> Date? {
        guard let text, !text.isEmpty else { return nil }
        for style in [Date.ISO8601FormatStyle(includingFractionalSeconds: true), Date.ISO8601FormatStyle()] {
            if let date = try? style.parse(text) { return date }
        }
        if let date = try? Date.ISO8601FormatStyle().year().month().day().parse(text) { return date }
        throw SandcastleAPIError(.unprocessableContent, "VALIDATION_ERROR", "`\(name)` must be an ISO 8601 date or time, not '\(text.prefix(64))'")
    }

    static func integer(_ text: String?, _ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw SandcastleAPIError(
                .unprocessableContent, "VALIDATION_ERROR", "`\(name)` must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    // MARK: bodies

    /// Sandcastle's `WorkflowRunRequest`.
    static func submission(_ body: [String: JSONValue]) throws -> RunSubmission {
        let yaml = try optionalString(body, "workflow")
        let name = try optionalString(body, "workflow_name")
        let source: RunSubmission.Source
        switch (yaml, name) {
        case (let yaml?, _) where !yaml.isEmpty: source = .inline(yaml)
        case (_, let name?) where !name.isEmpty:
            var version: Int?
            switch body["version"] {
            case nil, .null?, .string("latest")?: version = nil
            case .integer(let number)? where number >= 1: version = number
            default: throw SandcastleAPIError(.unprocessableContent, "VALIDATION_ERROR", "`version` must be a version number or \"latest\"")
            }
            source = .named(name, version: version)
        default:
            throw SandcastleAPIError(.badRequest, "VALIDATION_ERROR", "give `workflow` (YAML) or `workflow_name`")
        }
        var inputs: [String: InputValue] = [:]
        switch body["input"] {
        case nil, .null?: break
        case .object(let members)?:
            // Strings go as text, so a declared number or boolean is converted as Sandcastle coerces it.
            for (key, value) in members {
                if case .string(let text) = value { inputs[key] = .text(text) } else { inputs[key] = .value(value) }
            }
        default: throw SandcastleAPIError(.unprocessableContent, "VALIDATION_ERROR", "`input` must be an object")
        }
        var maxCost: Double?
        switch body["max_cost_usd"] {
        case nil, .null?: break
        case .integer(let value)? where value >= 0: maxCost = Double(value)
        case .number(let value)? where value >= 0 && value.isFinite: maxCost = value
        default: throw SandcastleAPIError(.unprocessableContent, "VALIDATION_ERROR", "`max_cost_usd` must be a number ≥ 0")
        }
        let idempotencyKey = try optionalString(body, "idempotency_key")
        if let key = idempotencyKey, key.isEmpty || key.count > 256 {
            throw SandcastleAPIError(.unprocessableContent, "VALIDATION_ERROR", "`idempotency_key` must be 1 to 256 characters")
        }
        return RunSubmission(
            source: source, inputs: inputs, callbackURL: try optionalString(body, "callback_url"), idempotencyKey: idempotencyKey,
            maxCostUSD: maxCost)
    }

    static func object(_ request: Request) async throws -> [String: JSONValue] {
        try SandcastleRequestLimits.object(try await HTTP.body(request, limit: maxBodyBytes))
    }

    static func requiredString(_ body: [String: JSONValue], _ key: String) throws -> String {
        guard let value = try optionalString(body, key), !value.isEmpty else {
            throw SandcastleAPIError(.unprocessableContent, "VALIDATION_ERROR", "`\(key)` is required")
        }
        return value
    }

    static func optionalString(_ body: [String: JSONValue], _ key: String) throws -> String? {
        switch body[key] {
        case nil, .null?: return nil
        case .string(let text)?:
            guard !text.contains("\u{0}") else { throw SandcastleAPIError(.unprocessableContent, "VALIDATION_ERROR", "`\(key)` holds a NUL character") }
            return text
        default: throw SandcastleAPIError(.unprocessableContent, "VALIDATION_ERROR", "`\(key)` must be a string")
        }
    }
}
