import HTTPTransport
import JSONValues

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
