import HTTPTransport
import JSONValues

/// Runs: submit, list, get, cancel, delete, replay, fork; approvals.
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

/// Schedules, API keys, dead letters and the server itself.
extension SandcastleAPIClient {
    public func schedules(limit: Int = 50, offset: Int = 0) async throws -> Page<RemoteSchedule> {
        try await page(RemoteSchedule.self, "/schedules", query: [("limit", String(limit)), ("offset", String(offset))])
    }

    public func schedule(id: String) async throws -> RemoteSchedule {
        try await call(RemoteSchedule.self, .get, "/schedules/\(Self.segment(id))")
    }

    public func createSchedule(_ schedule: NewRemoteSchedule) async throws -> RemoteSchedule {
        try await call(RemoteSchedule.self, .post, "/schedules", body: schedule.json)
    }

    public func updateSchedule(id: String, _ changes: RemoteScheduleChanges) async throws -> RemoteSchedule {
        try await call(RemoteSchedule.self, .patch, "/schedules/\(Self.segment(id))", body: changes.json)
    }

    public func deleteSchedule(id: String) async throws {
        _ = try await call(.delete, "/schedules/\(Self.segment(id))")
    }

    /// `POST /api/schedules/{id}/trigger` (202): a run now, outside the schedule's slots.
    public func triggerSchedule(id: String) async throws -> RemoteSubmission {
        try await call(RemoteSubmission.self, .post, "/schedules/\(Self.segment(id))/trigger")
    }

    public func apiKeys(limit: Int = 200, offset: Int = 0) async throws -> Page<RemoteAPIKey> {
        try await page(RemoteAPIKey.self, "/api-keys", query: [("limit", String(limit)), ("offset", String(offset))])
    }

    /// `POST /api/api-keys` (admin): the answer holds the plaintext key, shown this once.
    public func createAPIKey(_ key: NewRemoteAPIKey) async throws -> CreatedRemoteAPIKey {
        try await call(CreatedRemoteAPIKey.self, .post, "/api-keys", body: key.json)
    }

    /// `DELETE /api/api-keys/{id}`: the key stops working (kept, deactivated).
    public func deleteAPIKey(id: String) async throws {
        _ = try await call(.delete, "/api-keys/\(Self.segment(id))")
    }

    /// `POST /api/api-keys/{id}/rotate`: a new key; the old one keeps working for the grace period.
    public func rotateAPIKey(id: String, gracePeriodHours: Int? = nil) async throws -> RotatedRemoteAPIKey {
        var body: [String: JSONValue] = [:]
        body["grace_period_hours"] = gracePeriodHours.map { .integer($0) }
        // Sandcastle requires a body here; an empty object asks for its default grace period.
        return try await call(RotatedRemoteAPIKey.self, .post, "/api-keys/\(Self.segment(id))/rotate", body: .object(body))
    }

    /// `PUT /api/api-keys/{id}/allowlist`: the client networks the key is accepted from (empty: any).
    public func setAllowlist(id: String, cidrs: [String]) async throws -> RemoteAPIKey {
        try await call(RemoteAPIKey.self, .put, "/api-keys/\(Self.segment(id))/allowlist", body: ["cidrs": .array(cidrs.map(JSONValue.string))])
    }

    /// `GET /api/dead-letter`: the open items; with `resolved`, the resolved ones too (Sandcastle's `resolved=true`).
    public func deadLetters(resolved: Bool = false, limit: Int = 50, offset: Int = 0) async throws -> Page<RemoteDeadLetter> {
        try await page(
            RemoteDeadLetter.self, "/dead-letter",
            query: [("resolved", resolved ? "true" : "false"), ("limit", String(limit)), ("offset", String(offset))])
    }

    /// `POST /api/dead-letter/{id}/retry`: the workflow runs again as a new run with its parent.
    public func retryDeadLetter(id: String) async throws -> RemoteDeadLetterRetry {
        try await call(RemoteDeadLetterRetry.self, .post, "/dead-letter/\(Self.segment(id))/retry")
    }

    /// `POST /api/dead-letter/{id}/resolve`: marked handled by hand.
    public func resolveDeadLetter(id: String, reason: String? = nil) async throws -> RemoteDeadLetter {
        try await call(
            RemoteDeadLetter.self, .post, "/dead-letter/\(Self.segment(id))/resolve", body: reason.map { ["reason": .string($0)] })
    }

    /// `GET /api/health` (no key needed): `status` and the parts' states.
    public func health() async throws -> JSONValue {
        try await call(.get, "/health").data
    }
}
