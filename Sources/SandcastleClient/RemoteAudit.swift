import JSONValues

/// One entry of a remote server's audit log (`GET /api/audit`, `/api/runs/{id}/audit`).
public struct RemoteAuditEntry: Decodable, Sendable {
    public let id: Int
    public let chain: String?
    public let seq: Int?
    public let eventType: String
    public let runID: String?
    public let actorID: String?
    public let actorKeyPrefix: String?
    public let sourceIP: String?
    public let payload: JSONValue?
    public let prevHash: String
    public let entryHash: String
    /// The hashed time, ISO 8601 UTC with milliseconds.
    public let timestamp: String?

    enum CodingKeys: String, CodingKey {
        case id, chain, seq, eventType = "event_type", runID = "run_id", actorID = "actor_id", actorKeyPrefix = "actor_key_prefix"
        case sourceIP = "source_ip", payload, prevHash = "prev_hash", entryHash = "entry_hash", timestamp
    }
}

/// A chain's verification (`GET /api/audit/verify/{run_id}` or `/global`).
public struct RemoteAuditVerification: Decodable, Sendable {
    public let runID: String?
    public let valid: Bool
    public let chainLength: Int
    /// The `seq` of the first bad entry.
    public let brokenAt: Int?
    public let brokenEntryID: Int?
    /// `hash_mismatch`, `prev_link_broken`, `seq_gap`, `timestamp_not_increasing`.
    public let reason: String?
    public let message: String?
    public let headHash: String?

    enum CodingKeys: String, CodingKey {
        case runID = "run_id", valid, chainLength = "chain_length", brokenAt = "broken_at", brokenEntryID = "broken_entry_id", reason
        case message, headHash = "head_hash"
    }
}

/// The audit chain: entries and their verification.
extension SandcastleAPIClient {
    /// `GET /api/audit/verify/{run_id}`: a run's chain recomputed by the server.
    public func verifyAudit(runID: String) async throws -> RemoteAuditVerification {
        try await call(RemoteAuditVerification.self, .get, "/audit/verify/\(Self.segment(runID))")
    }

    /// `GET /api/audit/verify/global` (admin).
    public func verifyGlobalAudit() async throws -> RemoteAuditVerification {
        try await call(RemoteAuditVerification.self, .get, "/audit/verify/global")
    }

    /// `GET /api/runs/{id}/audit`: a run's entries in order.
    public func auditEntries(runID: String, limit: Int = 500, offset: Int = 0) async throws -> Page<RemoteAuditEntry> {
        try await page(
            RemoteAuditEntry.self, "/runs/\(Self.segment(runID))/audit", query: [("limit", String(limit)), ("offset", String(offset))])
    }

    /// `GET /api/audit` (admin): every chain's entries, newest first, filtered.
    public func auditEntries(
        actorID: String? = nil, eventType: String? = nil, limit: Int = 500, offset: Int = 0
    ) async throws -> Page<RemoteAuditEntry> {
        try await page(
            RemoteAuditEntry.self, "/audit",
            query: [("actor_id", actorID), ("event_type", eventType), ("limit", String(limit)), ("offset", String(offset))])
    }
}
