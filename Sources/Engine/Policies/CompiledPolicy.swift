import Guardrails
import Workflow

/// A policy ready to run: its entities in one detector and its regexes compiled, once per run
/// (see ``RunPolicies``), so scanning a step's output compiles nothing.
public struct CompiledPolicy: Sendable {
    public let definition: PolicyDefinition
    private let detector: PIIDetector?
    private let regexes: [LinearRegex]

    /// Compiles `definition`. Parsing checked every regex already, so one that fails here
    /// (a definition built in code) is dropped rather than failing the run.
    public init(_ definition: PolicyDefinition) {
        self.definition = definition
        var entities: Set<PIIEntity> = []
        var regexes: [LinearRegex] = []
        for pattern in definition.trigger.patterns {
            switch pattern.kind {
            case .entity(let entity): entities.insert(entity)
            case .regex(let source): if let regex = try? LinearRegex(source) { regexes.append(regex) }
            }
        }
        self.detector = entities.isEmpty ? nil : PIIDetector(entities: entities)
        self.regexes = regexes
    }

    public var id: String { definition.id }

    /// Everything the trigger's patterns find in `text`, by position, without overlaps (the
    /// earlier, then longer, match wins). Empty for a condition trigger.
    public func matches(in text: String) -> [TextMatch] {
        guard definition.trigger.scansText else { return [] }
        var found = detector?.matches(in: text) ?? []
        for regex in regexes {
            found += regex.matches(in: text).map { TextMatch(kind: "regex", range: $0) }
        }
        guard detector != nil ? !regexes.isEmpty : regexes.count > 1 else { return found }
        found.sort { ($0.range.lowerBound, $1.range.upperBound) < ($1.range.lowerBound, $0.range.upperBound) }
        var kept: [TextMatch] = []
        for match in found where kept.last.map({ $0.range.upperBound <= match.range.lowerBound }) ?? true { kept.append(match) }
        return kept
    }

    /// `text` with every match replaced as the action says; nil when nothing matched.
    public func redacted(_ text: String) -> String? {
        let found = matches(in: text)
        guard !found.isEmpty else { return nil }
        var result = ""
        result.reserveCapacity(text.utf8.count)
        var cursor = text.startIndex
        for match in found {
            result += text[cursor..<match.range.lowerBound]
            result += definition.action.replacement(forMatchOf: match.kind)
            cursor = match.range.upperBound
        }
        result += text[cursor...]
        return result
    }
}

/// A run's policies, compiled once when the run starts: the top-level ones shared by every step
/// that uses them, each step's inline ones for that step.
public struct RunPolicies: Sendable {
    private var byStep: [String: [CompiledPolicy]] = [:]
    /// Whether no step has any policy.
    public private(set) var isEmpty = true

    public init(_ workflow: WorkflowDefinition) {
        let shared = Dictionary(workflow.policies.map { ($0.id, CompiledPolicy($0)) }, uniquingKeysWith: { first, _ in first })
        for step in workflow.steps {
            let compiled: [CompiledPolicy]
            if let entries = step.policies {
                compiled = entries.compactMap { entry in
                    switch entry {
                    case .reference(let id): shared[id.value]
                    case .inline(let policy): CompiledPolicy(policy)
                    }
                }
            } else {
                compiled = workflow.policies.compactMap { shared[$0.id] }
            }
            if !compiled.isEmpty {
                byStep[step.id] = compiled
                isEmpty = false
            }
        }
    }

    /// The compiled policies of a step, in the order they apply.
    public func forStep(_ id: String) -> [CompiledPolicy] { byStep[id] ?? [] }

    /// `output` of `step` as webhook bodies may carry it: the step's `redact` policies that
    /// apply to `webhooks`, applied to every string in it.
    public func redactingWebhook(_ output: JSONValue, step: String) -> JSONValue {
        var value = output
        for policy in forStep(step) where policy.definition.action.kind == .redact && policy.definition.action.applyTo.contains(.webhooks) {
            value = PolicyEvaluator.rewritingStrings(value) { policy.redacted($0) } ?? value
        }
        return value
    }
}
