import Foundation
import JSONValues

/// A policy violation as `/api` answers it (Sandcastle's `PolicyViolationResponse`); Sandcastle's
/// own server sends `trigger_details` as free-form JSON, so it is kept as a value.
public struct RemoteViolation: Decodable, Sendable {
    public let id: String
    public let runID: String
    public let stepID: String?
    public let parallelIndex: Int?
    public let policyID: String
    public let severity: String?
    /// `{trigger, matched (masked), match_count}` from this server.
    public let triggerDetails: JSONValue?
    public let actionTaken: String?
    public let outputModified: Bool?
    public let createdAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, runID = "run_id", stepID = "step_id", parallelIndex = "parallel_index", policyID = "policy_id", severity
        case triggerDetails = "trigger_details", actionTaken = "action_taken", outputModified = "output_modified", createdAt = "created_at"
    }
}

/// `GET /api/violations/stats`.
public struct RemoteViolationStats: Decodable, Sendable {
    public let total: Int
    public let bySeverity: [String: Int]
    public let byPolicy: [String: Int]
    public let byAction: [String: Int]

    enum CodingKeys: String, CodingKey {
        case total, bySeverity = "by_severity", byPolicy = "by_policy", byAction = "by_action"
    }
}

extension SandcastleAPIClient {
    /// `GET /api/runs/{id}/violations`: the run's policy violations, newest first.
    public func runViolations(runID: String, limit: Int = 200, offset: Int = 0) async throws -> Page<RemoteViolation> {
        try await page(
            RemoteViolation.self, "/runs/\(Self.segment(runID))/violations", query: [("limit", String(limit)), ("offset", String(offset))])
    }

    /// `GET /api/violations` with its filters (nil: not filtered).
    public func violations(
        severity: String? = nil, policyID: String? = nil, runID: String? = nil, limit: Int = 50, offset: Int = 0
    ) async throws -> Page<RemoteViolation> {
        var query: [(String, String?)] = [("limit", String(limit)), ("offset", String(offset))]
        if let severity { query.append(("severity", severity)) }
        if let policyID { query.append(("policy_id", policyID)) }
        if let runID { query.append(("run_id", runID)) }
        return try await page(RemoteViolation.self, "/violations", query: query)
    }

    /// `GET /api/violations/stats`.
    public func violationStats() async throws -> RemoteViolationStats {
        try await call(RemoteViolationStats.self, .get, "/violations/stats")
    }
}
