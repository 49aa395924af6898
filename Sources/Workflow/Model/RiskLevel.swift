/// A workflow's `risk_level:`, the EU AI Act's classes (Annex III).
public enum RiskLevel: String, CaseIterable, Sendable, Codable {
    case minimal, limited, high, unacceptable
}

/// A server's `COMPLIANCE_MODE`: which rules workflows must meet before they run.
public enum ComplianceMode: String, CaseIterable, Sendable, Codable {
    /// High-risk workflows need a human approval step (unacceptable ones are refused in any mode).
    case euAIAct = "eu_ai_act"
}
