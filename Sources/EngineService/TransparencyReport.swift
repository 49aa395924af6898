import Foundation
import JSONValues
import ModelProviders
import Store
import Workflow

/// What a run did with AI, for a reviewer (the EU AI Act's Article 13 transparency): its risk
/// class and the rules in force, the models and providers that processed its data (with their
/// regions, calls, tokens and cost), the human oversight it had (every approval gate with who
/// decided what and when), the policy violations it raised, and the privacy settings in force.
///
/// Built from the store's records (`model_calls`, `approvals`) and the run's workflow file; the
/// settings are the server's as they are now.
public struct TransparencyReport: Sendable {
    /// One model's share of the run.
    public struct ModelUse: Sendable, Equatable {
        public var provider: String
        public var model: String
        public var region: String?
        public var calls: Int
        public var inputTokens: Int
        public var outputTokens: Int
        /// The sum over calls with a known price; `unpricedCalls` had none.
        public var costUSD: Double
        public var unpricedCalls: Int
        /// PII entities replaced by placeholders in its requests.
        public var piiRedacted: Int
    }

    /// One human decision at an approval gate.
    public struct Oversight: Sendable, Equatable {
        public var stepID: String
        /// `pending`, `approved`, `rejected`, `skipped`, `timed_out`.
        public var status: String
        public var message: String?
        public var requestedAt: Date
        public var decidedBy: String?
        public var decidedAt: Date?
        public var comment: String?
    }

    /// One policy violation, as the policy engine records it (what matched is masked there).
    public struct Violation: Sendable, Equatable {
        public var stepID: String?
        public var policy: String
        public var severity: String
        public var action: String
        public var matched: String?
        public var createdAt: Date

        public init(stepID: String?, policy: String, severity: String, action: String, matched: String?, createdAt: Date) {
            self.stepID = stepID
            self.policy = policy
            self.severity = severity
            self.action = action
            self.matched = matched
            self.createdAt = createdAt
        }
    }

    public var runID: String
    public var workflow: String
    public var status: String
    public var riskLevel: RiskLevel
    public var complianceMode: ComplianceMode?
    public var models: [ModelUse]
    public var oversight: [Oversight]
    public var violations: [Violation]
    public var totalCostUSD: Double
    public var unpricedModelCalls: Int
    public var dataResidency: DataResidency?
    public var privacy: PrivacySettings
    public var generatedAt: Date

    /// The report as JSON (snake_case keys; dates ISO 8601), what the API and `--json` print.
    public var json: JSONValue {
        func date(_ value: Date?) -> JSONValue {
            value.map { .string($0.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))) } ?? .null
        }
        func text(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
        let regions = Set(models.compactMap(\.region)).sorted()
        return [
            "run_id": .string(runID),
            "workflow": .string(workflow),
            "status": .string(status),
            "risk_level": .string(riskLevel.rawValue),
            "compliance_mode": text(complianceMode?.rawValue),
            "models": .array(
                models.map { use in
                    [
                        "provider": .string(use.provider), "model": .string(use.model), "region": text(use.region),
                        "calls": .integer(use.calls), "input_tokens": .integer(use.inputTokens),
                        "output_tokens": .integer(use.outputTokens), "cost_usd": .number(use.costUSD),
                        "unpriced_calls": .integer(use.unpricedCalls), "pii_redacted": .integer(use.piiRedacted),
                    ]
                }),
            "human_oversight": [
                "approval_gates": .integer(oversight.count),
                "decisions": .array(
                    oversight.map { gate in
                        [
                            "step_id": .string(gate.stepID), "status": .string(gate.status), "message": text(gate.message),
                            "requested_at": date(gate.requestedAt), "decided_by": text(gate.decidedBy),
                            "decided_at": date(gate.decidedAt), "comment": text(gate.comment),
                        ]
                    }),
            ],
            "policy_violations": .array(
                violations.map { violation in
                    [
                        "step_id": text(violation.stepID), "policy": .string(violation.policy),
                        "severity": .string(violation.severity), "action": .string(violation.action),
                        "matched": text(violation.matched), "created_at": date(violation.createdAt),
                    ]
                }),
            "total_cost_usd": .number(totalCostUSD),
            "unpriced_model_calls": .integer(unpricedModelCalls),
            "data_residency": [
                "setting": text(dataResidency?.rawValue),
                "regions_used": .array(regions.map(JSONValue.string)),
                "unknown_region_calls": .integer(models.filter { $0.region == nil }.map(\.calls).reduce(0, +)),
            ],
            "privacy": [
                "enabled": .bool(privacy.enabled), "mode": .string(privacy.mode.rawValue),
                "entities": .array(privacy.entityNames.map(JSONValue.string)),
                "apply_to": .array(privacy.targetNames.map(JSONValue.string)),
                "pii_redacted_in_prompts": .integer(models.map(\.piiRedacted).reduce(0, +)),
            ],
            "generated_at": date(generatedAt),
        ]
    }
}

extension RunService {
    /// The transparency report of run `id`.
    ///
    /// Its violations are the policy engine's records of the run (``violations(runID:)``), matches masked.
    ///
    /// - Throws: ``EngineServiceError`` `.runNotFound` (as ``report(id:)``), `.persistence`.
    public func transparencyReport(id: String, now: Date = Date()) throws -> TransparencyReport {
        let report = try report(id: id)
        let run = report.detail.run
        // Read without the compliance rules: a report describes a run, whatever the mode says now.
        let workflow = run.workflowPath.flatMap { WorkflowLoader().load(path: $0).workflow }
        var uses: [String: TransparencyReport.ModelUse] = [:]
        var order: [String] = []
        for call in report.modelCalls {
            let key = "\(call.provider)\u{0}\(call.model)\u{0}\(call.region ?? "")"
            if uses[key] == nil {
                order.append(key)
                uses[key] = TransparencyReport.ModelUse(
                    provider: call.provider, model: call.model, region: call.region, calls: 0, inputTokens: 0, outputTokens: 0,
                    costUSD: 0, unpricedCalls: 0, piiRedacted: 0)
            }
            uses[key]?.calls += 1
            uses[key]?.inputTokens += call.inputTokens
            uses[key]?.outputTokens += call.outputTokens
            if let cost = call.costUSD { uses[key]?.costUSD += cost } else { uses[key]?.unpricedCalls += 1 }
            uses[key]?.piiRedacted += call.piiRedacted
        }
        let totals = report.usage()
        return TransparencyReport(
            runID: run.id, workflow: run.workflowName, status: run.status.rawValue, riskLevel: workflow?.risk ?? .minimal,
            complianceMode: settings.complianceMode, models: order.compactMap { uses[$0] },
            oversight: report.approvals.map { gate in
                TransparencyReport.Oversight(
                    stepID: gate.stepID, status: gate.status.rawValue, message: gate.message, requestedAt: gate.requestedAt,
                    decidedBy: gate.decidedBy, decidedAt: gate.decidedAt, comment: gate.comment)
            },
            violations: try violations(runID: run.id).map { record in
                TransparencyReport.Violation(
                    stepID: record.stepID, policy: record.policyID, severity: record.severity, action: record.action,
                    matched: record.matched, createdAt: record.createdAt)
            },
            totalCostUSD: totals.pricedCostUSD, unpricedModelCalls: totals.unpricedCalls,
            dataResidency: settings.dataResidency, privacy: workflow?.privacy ?? settings.privacy, generatedAt: now)
    }
}
