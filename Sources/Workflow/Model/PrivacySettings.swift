import Guardrails

/// Where the privacy router replaces PII with placeholders (`[EMAIL]`, …).
public enum PrivacyTarget: String, CaseIterable, Sendable, Codable, Hashable {
    /// Every message sent to a model provider (system prompt, user prompt, tool results).
    case prompts
    /// Step outputs, before they are stored and before dependents read them.
    case outputs
    /// Webhook bodies, before they are sent.
    case webhooks
}

/// What the privacy router does with PII it finds. Only `redact` exists for now.
public enum PrivacyMode: String, CaseIterable, Sendable, Codable {
    case redact
}

/// The privacy router's settings in force for a run: a workflow's `privacy:` block, else the
/// server's `PRIVACY_ENABLED` / `PRIVACY_ENTITIES` / `PRIVACY_APPLY_TO`.
public struct PrivacySettings: Sendable, Equatable, Codable {
    public var enabled: Bool
    public var mode: PrivacyMode
    public var entities: Set<PIIEntity>
    public var applyTo: Set<PrivacyTarget>

    /// Sandcastle's server defaults: off; when on, emails, phones, SSNs and cards in outputs and webhooks.
    public static let defaultEntities: Set<PIIEntity> = [.email, .phone, .ssn, .creditCard]
    public static let defaultApplyTo: Set<PrivacyTarget> = [.outputs, .webhooks]
    public static let off = PrivacySettings(enabled: false)

    public init(
        enabled: Bool, mode: PrivacyMode = .redact, entities: Set<PIIEntity> = Self.defaultEntities,
        applyTo: Set<PrivacyTarget> = Self.defaultApplyTo
    ) {
        self.enabled = enabled
        self.mode = mode
        self.entities = entities
        self.applyTo = applyTo
    }

    /// Whether PII is redacted at `target`.
    public func applies(to target: PrivacyTarget) -> Bool { enabled && applyTo.contains(target) && !entities.isEmpty }

    /// The detector for these entities; nil when nothing is redacted at `target`.
    public func detector(for target: PrivacyTarget) -> PIIDetector? {
        applies(to: target) ? PIIDetector(entities: entities) : nil
    }

    /// The entities' names, sorted (for reports and events).
    public var entityNames: [String] { entities.map(\.rawValue).sorted() }
    /// The targets' names, sorted.
    public var targetNames: [String] { applyTo.map(\.rawValue).sorted() }
}
