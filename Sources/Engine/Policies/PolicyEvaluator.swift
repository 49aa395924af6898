import Foundation
import Guardrails
import Store
import Workflow

/// What a step's result is, for a policy's condition: `step_cost`, `output`, `duration`,
/// `attempt`, `status`, `step_id`.
public struct PolicyFacts: Sendable {
    public var stepID: String
    public var fanoutIndex: Int?
    public var attempt: Int
    /// Seconds the step (or item) took, its retries included.
    public var durationSeconds: Double
    /// `completed` or `failed`.
    public var status: String
    /// The model cost of the step's attempts in USD; read only when a condition names `step_cost`.
    public var stepCost: @Sendable () -> Double

    public init(
        stepID: String, fanoutIndex: Int? = nil, attempt: Int = 1, durationSeconds: Double = 0, status: String = "completed",
        stepCost: @escaping @Sendable () -> Double = { 0 }
    ) {
        self.stepID = stepID
        self.fanoutIndex = fanoutIndex
        self.attempt = attempt
        self.durationSeconds = durationSeconds
        self.status = status
        self.stepCost = stepCost
    }
}

/// What the policies of a step decided about one output.
public struct PolicyVerdict: Sendable {
    /// What later steps and the run's outputs see (`apply_to: outputs`).
    public var passedOn: JSONValue
    /// What the store keeps (`apply_to: storage`).
    public var stored: JSONValue
    /// The first `block` that fired: the step fails with its message.
    public var block: Block?
    /// The first `inject_approval` that fired: a gate before the output flows on.
    public var approval: Gate?
    /// `alert` policies that fired.
    public var alerts: [PolicyAlert] = []
    /// One record per policy that fired.
    public var violations: [ViolationRecord] = []
    /// The `redact` policies that apply to logs, for the step's output tail and log events.
    var logRedactions: [CompiledPolicy] = []

    public struct Block: Sendable, Equatable {
        public var policyID: String
        public var message: String
    }

    public struct Gate: Sendable {
        public var policyID: String
        public var settings: PolicyApprovalSettings
    }

    /// Whether nothing fired.
    public var isClean: Bool { violations.isEmpty }

    /// `text` (a log line, an output tail) with the log-targeted redactions applied.
    public func redactingLog(_ text: String) -> String {
        logRedactions.reduce(text) { $1.redacted($0) ?? $0 }
    }
}

/// An `alert` policy that fired: recorded as the run's `policy_alert` event, sent to its webhooks
/// and the server's event feed.
public struct PolicyAlert: Sendable, Hashable, Codable {
    public var policyID: String
    public var severity: String
    public var step: String
    public var index: Int?
    public var trigger: String
    /// Masked, as in the violation.
    public var matched: String?
    public var message: String?
    public var violationID: String

    public static let eventKind = "policy_alert"

    enum CodingKeys: String, CodingKey {
        case policyID = "policy_id", severity, step, index, trigger, matched, message, violationID = "violation_id"
    }

    public var payloadJSON: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}

/// Runs a step's policies over its output, in their order, after the output exists and before
/// anything is committed or passed on.
public enum PolicyEvaluator {
    /// Evaluates `policies` over `output`. Matches are searched in the original output; each
    /// redaction applies to the targets its `apply_to` names, one after another.
    public static func evaluate(
        _ policies: [CompiledPolicy], output: JSONValue, facts: PolicyFacts, runID: String, now: Date = Date()
    ) -> PolicyVerdict {
        var verdict = PolicyVerdict(passedOn: output, stored: output)
        for policy in policies {
            let definition = policy.definition
            guard let firing = fires(policy, output: output, facts: facts) else { continue }
            let action = definition.action
            var modified = false
            switch action.kind {
            case .redact:
                if action.applyTo.contains(.outputs), let changed = rewritingStrings(verdict.passedOn, policy.redacted) {
                    verdict.passedOn = changed
                    modified = true
                }
                if action.applyTo.contains(.storage), let changed = rewritingStrings(verdict.stored, policy.redacted) {
                    verdict.stored = changed
                    modified = true
                }
                if action.applyTo.contains(.logs) { verdict.logRedactions.append(policy) }
            case .block:
                modified = true
                if verdict.block == nil {
                    verdict.block = PolicyVerdict.Block(
                        policyID: definition.id, message: action.message ?? "blocked by policy `\(definition.id)`")
                }
            case .injectApproval:
                if verdict.approval == nil {
                    verdict.approval = PolicyVerdict.Gate(policyID: definition.id, settings: action.approval ?? PolicyApprovalSettings())
                }
            case .alert, .log:
                break
            }
            let record = ViolationRecord(
                runID: runID, stepID: facts.stepID, fanoutIndex: facts.fanoutIndex, policyID: definition.id,
                severity: definition.severity.rawValue, trigger: firing.trigger, matched: firing.matched,
                matchCount: firing.count, action: action.kind.rawValue, outputModified: modified, createdAt: now)
            verdict.violations.append(record)
            if action.kind == .alert {
                verdict.alerts.append(
                    PolicyAlert(
                        policyID: definition.id, severity: definition.severity.rawValue, step: facts.stepID, index: facts.fanoutIndex,
                        trigger: firing.trigger, matched: firing.matched, message: action.message, violationID: record.id))
            }
        }
        return verdict
    }

    /// Why a policy fired: the trigger's kinds, the first match masked, how many matches.
    struct Firing {
        var trigger: String
        var matched: String?
        var count: Int
    }

    static func fires(_ policy: CompiledPolicy, output: JSONValue, facts: PolicyFacts) -> Firing? {
        let trigger = policy.definition.trigger
        if let condition = trigger.condition {
            let holds =
                (try? ExpressionEvaluator.isTrue(condition.expression) { reference in
                    guard case .env(let name) = reference else { return .null }
                    return value(of: name, output: output, facts: facts)
                }) ?? false
            return holds ? Firing(trigger: "condition", matched: nil, count: 1) : nil
        }
        var kinds: [String] = []
        var first: String?
        var count = 0
        forEachString(in: output) { text in
            let found = policy.matches(in: text)
            guard !found.isEmpty else { return }
            count += found.count
            if first == nil, let match = found.first { first = String(text[match.range]) }
            for match in found where !kinds.contains(match.kind) { kinds.append(match.kind) }
        }
        guard count > 0 else { return nil }
        // Masked here: the raw match never leaves this function.
        return Firing(trigger: kinds.joined(separator: ","), matched: first.map(maskedSecret), count: count)
    }

    /// A condition's variable.
    static func value(of name: String, output: JSONValue, facts: PolicyFacts) -> JSONValue {
        switch name {
        case "output": output
        case "duration": .number(facts.durationSeconds)
        case "attempt": .integer(facts.attempt)
        case "status": .string(facts.status)
        case "step_id": .string(facts.stepID)
        case "step_cost": .number(facts.stepCost())
        default: .null
        }
    }

    /// Calls `body` with every string in `value` (object keys aside), depth first.
    static func forEachString(in value: JSONValue, _ body: (String) -> Void) {
        switch value {
        case .string(let text): body(text)
        case .array(let items): for item in items { forEachString(in: item, body) }
        case .object(let members): for key in members.keys.sorted() { if let member = members[key] { forEachString(in: member, body) } }
        default: break
        }
    }

    /// `value` with each string `rewrite` changes replaced; nil when it changed none.
    public static func rewritingStrings(_ value: JSONValue, _ rewrite: (String) -> String?) -> JSONValue? {
        switch value {
        case .string(let text):
            return rewrite(text).map(JSONValue.string)
        case .array(let items):
            var changed = false
            let rewritten = items.map { item -> JSONValue in
                guard let new = rewritingStrings(item, rewrite) else { return item }
                changed = true
                return new
            }
            return changed ? .array(rewritten) : nil
        case .object(let members):
            var changed = false
            var rewritten = members
            for (key, member) in members {
                if let new = rewritingStrings(member, rewrite) {
                    rewritten[key] = new
                    changed = true
                }
            }
            return changed ? .object(rewritten) : nil
        default:
            return nil
        }
    }
}
