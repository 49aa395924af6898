import Foundation
import JSONValues

/// `GET /api/runs/{id}/transparency-report` (issue 15 §6): what a run did with AI, for a reviewer.
public struct RemoteTransparencyReport: Decodable, Sendable {
    public struct ModelUse: Decodable, Sendable {
        public let provider: String
        public let model: String
        public let region: String?
        public let calls: Int
        public let inputTokens: Int
        public let outputTokens: Int
        public let costUSD: Double
        public let unpricedCalls: Int
        public let piiRedacted: Int

        enum CodingKeys: String, CodingKey {
            case provider, model, region, calls, inputTokens = "input_tokens", outputTokens = "output_tokens"
            case costUSD = "cost_usd", unpricedCalls = "unpriced_calls", piiRedacted = "pii_redacted"
        }
    }

    public struct Decision: Decodable, Sendable {
        public let stepID: String
        public let status: String
        public let message: String?
        public let requestedAt: Date
        public let decidedBy: String?
        public let decidedAt: Date?
        public let comment: String?

        enum CodingKeys: String, CodingKey {
            case stepID = "step_id", status, message, requestedAt = "requested_at", decidedBy = "decided_by"
            case decidedAt = "decided_at", comment
        }
    }

    public struct Oversight: Decodable, Sendable {
        public let approvalGates: Int
        public let decisions: [Decision]

        enum CodingKeys: String, CodingKey { case approvalGates = "approval_gates", decisions }
    }

    public struct Violation: Decodable, Sendable {
        public let stepID: String?
        public let policy: String
        public let severity: String
        public let action: String
        public let matched: String?
        public let createdAt: Date

        enum CodingKeys: String, CodingKey {
            case stepID = "step_id", policy, severity, action, matched, createdAt = "created_at"
        }
    }

    public struct Residency: Decodable, Sendable {
        public let setting: String?
        public let regionsUsed: [String]
        public let unknownRegionCalls: Int

        enum CodingKeys: String, CodingKey {
            case setting, regionsUsed = "regions_used", unknownRegionCalls = "unknown_region_calls"
        }
    }

    public struct Privacy: Decodable, Sendable {
        public let enabled: Bool
        public let mode: String
        public let entities: [String]
        public let applyTo: [String]
        public let piiRedactedInPrompts: Int

        enum CodingKeys: String, CodingKey {
            case enabled, mode, entities, applyTo = "apply_to", piiRedactedInPrompts = "pii_redacted_in_prompts"
        }
    }

    public let runID: String
    public let workflow: String
    public let status: String
    public let riskLevel: String
    public let complianceMode: String?
    public let models: [ModelUse]
    public let humanOversight: Oversight
    public let policyViolations: [Violation]
    public let totalCostUSD: Double
    public let unpricedModelCalls: Int
    public let dataResidency: Residency
    public let privacy: Privacy
    public let generatedAt: Date

    enum CodingKeys: String, CodingKey {
        case runID = "run_id", workflow, status, riskLevel = "risk_level", complianceMode = "compliance_mode", models
        case humanOversight = "human_oversight", policyViolations = "policy_violations", totalCostUSD = "total_cost_usd"
        case unpricedModelCalls = "unpriced_model_calls", dataResidency = "data_residency", privacy, generatedAt = "generated_at"
    }

    /// A report given as JSON (the CLI reads a local run's report the way it reads a server's).
    public init(json: JSONValue) throws {
        self = try SandcastleAPIClient.decoder.decode(Self.self, from: Data(json.jsonText.utf8))
    }
}

extension SandcastleAPIClient {
    /// `GET /api/runs/{id}/transparency-report`.
    public func transparencyReport(runID: String) async throws -> RemoteTransparencyReport {
        try await call(RemoteTransparencyReport.self, .get, "/runs/\(Self.segment(runID))/transparency-report")
    }

    /// The same report as the server's JSON, for `--json`.
    public func transparencyReportJSON(runID: String) async throws -> JSONValue {
        try await call(.get, "/runs/\(Self.segment(runID))/transparency-report").data
    }
}
