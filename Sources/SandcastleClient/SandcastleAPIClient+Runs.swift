import HTTPTransport
import JSONValues

/// Runs: submit, list, get, cancel, delete, replay, fork; approvals. (Schedules, keys, dead
/// letters and health: SandcastleAPIClient+Server.swift.)
extension SandcastleAPIClient {
    /// What `POST /api/workflows/run` starts: a saved workflow by name or a YAML document.
    public enum WorkflowSource: Sendable {
        case named(String, version: Int? = nil)
        case yaml(String)
    }

    /// `POST /api/workflows/run` (202): the run is queued on the server.
    public func submit(
        _ source: WorkflowSource, input: [String: JSONValue] = [:], maxCostUSD: Double? = nil, idempotencyKey: String? = nil,
        callbackURL: String? = nil
    ) async throws -> RemoteSubmission {
        var body: [String: JSONValue] = ["input": .object(input)]
        switch source {
        case .named(let name, let version):
            body["workflow_name"] = .string(name)
            body["version"] = version.map { .integer($0) }
        case .yaml(let yaml): body["workflow"] = .string(yaml)
        }
        body["max_cost_usd"] = maxCostUSD.map(JSONValue.number)
        body["idempotency_key"] = idempotencyKey.map(JSONValue.string)
        body["callback_url"] = callbackURL.map(JSONValue.string)
        return try await call(RemoteSubmission.self, .post, "/workflows/run", body: .object(body))
    }

    /// `GET /api/runs`, newest first. `status` is one of Sandcastle's (`queued`, `awaiting_approval`, …).
    public func runs(status: String? = nil, workflow: String? = nil, limit: Int = 50, offset: Int = 0) async throws -> Page<RemoteRunSummary> {
        try await page(
            RemoteRunSummary.self, "/runs",
            query: [("status", status), ("workflow", workflow), ("limit", String(limit)), ("offset", String(offset))])
    }

    /// `GET /api/runs/{id}`: the run with its steps and outputs.
    public func run(id: String) async throws -> RemoteRun {
        try await call(RemoteRun.self, .get, "/runs/\(Self.segment(id))")
    }

    /// `POST /api/runs/{id}/cancel`.
    public func cancel(runID: String) async throws {
        _ = try await call(.post, "/runs/\(Self.segment(runID))/cancel")
    }

    /// `DELETE /api/runs/{id}` (a finished run).
    public func delete(runID: String) async throws {
        _ = try await call(.delete, "/runs/\(Self.segment(runID))")
    }

    /// `POST /api/runs/{id}/replay`: a new run from `fromStep`, reusing the rest.
    public func replay(runID: String, fromStep: String) async throws -> RemoteLineage {
        try await call(RemoteLineage.self, .post, "/runs/\(Self.segment(runID))/replay", body: ["from_step": .string(fromStep)])
    }

    /// `POST /api/runs/{id}/fork`: a replay with `changes` to `fromStep` (ours: `run`, `image`, `env`, `timeout`).
    public func fork(runID: String, fromStep: String, changes: [String: JSONValue]) async throws -> RemoteLineage {
        try await call(
            RemoteLineage.self, .post, "/runs/\(Self.segment(runID))/fork", body: ["from_step": .string(fromStep), "changes": .object(changes)])
    }

    /// `GET /api/approvals`; `status` is `pending`, `approved`, `rejected`, `skipped` or `timed_out`.
    public func approvals(status: String? = nil, limit: Int = 200, offset: Int = 0) async throws -> Page<RemoteApproval> {
        try await page(RemoteApproval.self, "/approvals", query: [("status", status), ("limit", String(limit)), ("offset", String(offset))])
    }

    /// A decision on an approval gate.
    public enum ApprovalVerb: String, Sendable {
        case approve, reject, skip
    }

    /// `POST /api/approvals/{id}/approve|reject|skip` with an optional comment and (approve only) edited data.
    public func decide(_ verb: ApprovalVerb, approvalID: String, comment: String? = nil, editedData: JSONValue? = nil) async throws {
        var body: [String: JSONValue] = [:]
        body["comment"] = comment.map(JSONValue.string)
        body["edited_data"] = editedData
        _ = try await call(.post, "/approvals/\(Self.segment(approvalID))/\(verb.rawValue)", body: body.isEmpty ? nil : .object(body))
    }
}
