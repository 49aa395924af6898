import Foundation
import Guardrails
import ModelProviders
import Workflow

/// The guardrail settings of issue 15, read with the engine's others (the environment, or the
/// config file's `engine:` section): the privacy router's server defaults, the compliance mode
/// and data residency. Names follow Sandcastle's (no `SANDCASTLE_` prefix) so its deployments
/// keep their environment.
extension EngineSettings {
    mutating func applyGuardrails(_ source: SettingSource) throws {
        if let text = source.values[.privacyEnabled] {
            switch text.lowercased() {
            case "true", "1", "yes", "on": privacy.enabled = true
            case "false", "0", "no", "off", "": privacy.enabled = false
            default: throw source.invalid(.privacyEnabled, text, expected: "true or false")
            }
        }
        if let text = source.values[.privacyEntities] {
            var entities: Set<PIIEntity> = []
            for name in Self.commaList(text) {
                guard let entity = try? PIIEntity(name: name) else {
                    throw source.invalid(
                        .privacyEntities, text,
                        expected: "a comma list of \(PIIEntity.allCases.map(\.rawValue).joined(separator: ", ")) (`\(name)` is none)")
                }
                entities.insert(entity)
            }
            privacy.entities = entities
        }
        if let text = source.values[.privacyApplyTo] {
            var targets: Set<PrivacyTarget> = []
            for name in Self.commaList(text) {
                guard let target = PrivacyTarget(rawValue: name.lowercased()) else {
                    throw source.invalid(
                        .privacyApplyTo, text,
                        expected: "a comma list of \(PrivacyTarget.allCases.map(\.rawValue).joined(separator: ", ")) (`\(name)` is none)")
                }
                targets.insert(target)
            }
            privacy.applyTo = targets
        }
        if let text = source.values[.complianceMode] {
            if text.isEmpty || text.lowercased() == "none" {
                complianceMode = nil
            } else if let mode = ComplianceMode(rawValue: text.lowercased()) {
                complianceMode = mode
            } else {
                throw source.invalid(
                    .complianceMode, text, expected: ComplianceMode.allCases.map(\.rawValue).joined(separator: " or ") + " (or unset)")
            }
        }
        if let text = source.values[.dataResidency] {
            if text.isEmpty || text.lowercased() == "any" {
                dataResidency = nil
            } else if let residency = DataResidency(rawValue: text.lowercased()) {
                dataResidency = residency
            } else {
                throw source.invalid(
                    .dataResidency, text, expected: DataResidency.allCases.map(\.rawValue).joined(separator: " or ") + " (or unset)")
            }
        }
    }

    static func commaList(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// The detector the privacy router's `prompts` target redacts requests with (for model calls
    /// outside a run: Sandstorm's one-shot agent); nil when the target is off.
    public var promptRedactor: PIIDetector? { privacy.detector(for: .prompts) }

    /// What validation assumes under these settings: the compliance mode in force.
    public var validationOptions: ValidationOptions {
        ValidationOptions(complianceMode: complianceMode)
    }
}
