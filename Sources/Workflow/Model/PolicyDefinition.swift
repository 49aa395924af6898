import Guardrails

/// One guardrail policy (Sandcastle's `PolicyDefinition`, issue 15 §1): what to look for in a
/// step's result (``PolicyTrigger``) and what to do when it is found (``PolicyAction``).
///
/// Defined at the workflow's top level (`policies:`) and referenced by id from steps, or written
/// inline in a step's `policies:`. The engine evaluates them after a step's output exists and
/// before it is committed or passed on.
public struct PolicyDefinition: Sendable {
    public var id: String
    public var description: String?
    public var severity: PolicySeverity
    public var trigger: PolicyTrigger
    public var action: PolicyAction
    public var location: SourceLocation

    public init(
        id: String, description: String? = nil, severity: PolicySeverity = .medium, trigger: PolicyTrigger,
        action: PolicyAction, location: SourceLocation
    ) {
        self.id = id
        self.description = description
        self.severity = severity
        self.trigger = trigger
        self.action = action
        self.location = location
    }
}

/// How serious a violation is (Sandcastle's four levels; `medium` when unset).
public enum PolicySeverity: String, Sendable, Hashable, CaseIterable, Codable {
    case critical, high, medium, low
}

/// What makes a policy fire.
public struct PolicyTrigger: Sendable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// Any of `patterns` occurs in the output's text (or a string inside JSON output).
        case pattern
        /// Sandcastle's older name for `pattern`; the same meaning.
        case outputContains = "output_contains"
        /// `condition` is true over the step's result (`step_cost`, `output`, `duration`, …).
        case condition
    }

    public var kind: Kind
    public var patterns: [PolicyPattern]
    /// For `condition` triggers: an expression of the `when` language over ``PolicyCondition/variables``.
    public var condition: PolicyCondition?

    public init(kind: Kind, patterns: [PolicyPattern] = [], condition: PolicyCondition? = nil) {
        self.kind = kind
        self.patterns = patterns
        self.condition = condition
    }

    /// Whether the trigger scans text (as opposed to evaluating a condition).
    public var scansText: Bool { kind != .condition }
}

/// One thing a pattern trigger looks for: a built-in entity or a regular expression (RE2 syntax,
/// run in linear time).
public struct PolicyPattern: Sendable {
    public enum Kind: Sendable, Hashable {
        case entity(PIIEntity)
        case regex(String)
    }

    public var kind: Kind
    public var location: SourceLocation

    public init(kind: Kind, location: SourceLocation) {
        self.kind = kind
        self.location = location
    }

    /// The name a violation records as its trigger: the entity (`email`) or `regex`.
    public var name: String {
        switch kind {
        case .entity(let entity): entity.rawValue
        case .regex: "regex"
        }
    }
}

/// A `condition` trigger's expression. Its bare names are the step's result, not the run's
/// context: the language cannot reach inputs, other steps or the environment from here.
public struct PolicyCondition: Sendable {
    public var source: String
    public var expression: Expression
    public var location: SourceLocation

    /// What a condition may read: the step's cost in USD, its output, its duration in seconds,
    /// the attempt number (1 for the first), its status and its id.
    public static let variables: [String] = ["step_cost", "output", "duration", "attempt", "status", "step_id"]

    public init(source: String, expression: Expression, location: SourceLocation) {
        self.source = source
        self.expression = expression
        self.location = location
    }
}

/// What a policy does when it fires.
public struct PolicyAction: Sendable {
    public enum Kind: String, Sendable, Hashable, CaseIterable, Codable {
        /// Replace each match in what `apply_to` names.
        case redact
        /// Fail the step with `message`; its output goes nowhere. Final: no retry follows.
        case block
        /// An event (`policy_alert`) and a webhook, and the step goes on.
        case alert
        /// Only the violation record.
        case log
        /// An approval gate before the output flows on: approve continues, reject fails the step.
        case injectApproval = "inject_approval"
    }

    public var kind: Kind
    /// What replaces a match (`redact`); nil: the entity's placeholder (`[EMAIL]`) or `[REDACTED]`.
    public var replacement: String?
    /// Where a redaction applies; every target when unset.
    public var applyTo: Set<PolicyTarget>
    /// The block message, or the alert's text.
    public var message: String?
    /// The gate `inject_approval` opens.
    public var approval: PolicyApprovalSettings?

    public init(
        kind: Kind, replacement: String? = nil, applyTo: Set<PolicyTarget> = Set(PolicyTarget.allCases), message: String? = nil,
        approval: PolicyApprovalSettings? = nil
    ) {
        self.kind = kind
        self.replacement = replacement
        self.applyTo = applyTo
        self.message = message
        self.approval = approval
    }

    /// What replaces a match of `kind` (an entity name or `regex`).
    public func replacement(forMatchOf kind: String) -> String {
        if let replacement { return replacement }
        return PIIEntity(rawValue: kind)?.placeholder ?? "[REDACTED]"
    }
}

/// Where a `redact` action applies.
public enum PolicyTarget: String, Sendable, Hashable, CaseIterable, Codable {
    /// What later steps and the run's outputs see.
    case outputs
    /// What the store keeps of the step's output.
    case storage
    /// Webhook bodies (the run's outputs in callbacks).
    case webhooks
    /// The step's log events (its output tail and live output).
    case logs

    /// Sandcastle's singular spellings.
    public static let aliases: [String: PolicyTarget] = ["output": .outputs, "webhook": .webhooks, "log": .logs]

    public init?(name: String) {
        if let target = PolicyTarget(rawValue: name) ?? Self.aliases[name] { self = target } else { return nil }
    }
}

/// `approval_config` of an `inject_approval` action.
public struct PolicyApprovalSettings: Sendable {
    public var message: String?
    /// How long the gate waits; nil: until decided.
    public var timeout: Duration?
    public var onTimeout: ApprovalTimeoutAction

    public init(message: String? = nil, timeout: Duration? = nil, onTimeout: ApprovalTimeoutAction = .abort) {
        self.message = message
        self.timeout = timeout
        self.onTimeout = onTimeout
    }
}

/// One entry of a step's `policies:`: a top-level policy by id, or one written in place.
public enum StepPolicyEntry: Sendable {
    case reference(Located<String>)
    case inline(PolicyDefinition)
}
