import Guardrails
import Suggestions

/// The workflow-level guardrail keys both formats share (issue 15): `privacy:` (the privacy
/// router) and `risk_level:` (the EU AI Act class).
extension WorkflowParser {
    static let guardrailTopLevelFields: Set<String> = ["privacy", "risk_level"]
    static let privacyFields: Set<String> = ["enabled", "mode", "entities", "apply_to"]

    /// `risk_level: minimal|limited|high|unacceptable`.
    func parseRiskLevel(_ top: MappingReader) -> Located<RiskLevel>? {
        top.choice("risk_level", RiskLevel.self)
    }

    /// `privacy: {enabled, mode: redact, entities: [...], apply_to: [prompts, outputs, webhooks]}`.
    /// A block that is present but leaves `enabled` out is on (writing it is asking for it);
    /// entities and targets left out take Sandcastle's defaults.
    func parsePrivacy(_ top: MappingReader, session: ParseSession) -> PrivacySettings? {
        guard top.has("privacy") else { return nil }
        guard
            let reader = top.mapping(
                "privacy", expectation: "write privacy: {enabled: true, mode: redact, entities: [email, phone], apply_to: [prompts]}")
        else { return nil }
        var settings = PrivacySettings(enabled: reader.bool("enabled")?.value ?? true)
        if let mode = reader.string("mode") {
            if let parsed = PrivacyMode(rawValue: mode.value) {
                settings.mode = parsed
            } else {
                session.error(
                    .invalidValue, at: mode.location, "`\(mode.value)` is not a valid privacy `mode`",
                    hint: "the valid modes: \(PrivacyMode.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        if let names = reader.stringList("entities") {
            var entities: Set<PIIEntity> = []
            for name in names {
                do {
                    entities.insert(try PIIEntity(name: name.value))
                } catch {
                    let valid = PIIEntity.allCases.map(\.rawValue)
                    session.error(
                        .invalidValue, at: name.location, "`\(name.value)` is not a PII entity",
                        hint: EditDistance.suggestion(for: name.value, among: valid) ?? "the entities: \(valid.joined(separator: ", "))")
                }
            }
            settings.entities = entities
        }
        if let names = reader.stringList("apply_to") {
            var targets: Set<PrivacyTarget> = []
            for name in names {
                if let target = PrivacyTarget(rawValue: name.value.lowercased()) {
                    targets.insert(target)
                } else {
                    let valid = PrivacyTarget.allCases.map(\.rawValue)
                    session.error(
                        .invalidValue, at: name.location, "`\(name.value)` is not a privacy `apply_to` target",
                        hint: EditDistance.suggestion(for: name.value, among: valid) ?? "the targets: \(valid.joined(separator: ", "))")
                }
            }
            settings.applyTo = targets
        }
        reader.reportUnknownFields(allowed: Self.privacyFields)
        return settings
    }
}
