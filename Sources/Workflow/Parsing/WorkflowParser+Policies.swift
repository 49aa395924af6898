import Guardrails
import Suggestions

/// `policies:` (issue 15 §1), in both formats: definitions at the top, and per step a list of
/// ids of those and/or inline definitions (Sandcastle's schema, notes §2.2). Regexes are
/// compiled here once so a bad one is a located error with the regex engine's own message.
extension WorkflowParser {
    static let policyFields: Set<String> = ["id", "description", "severity", "trigger", "action"]
    static let triggerFields: Set<String> = ["type", "patterns", "expression"]
    static let patternFields: Set<String> = ["type", "pattern"]
    static let actionFields: Set<String> = ["type", "replacement", "apply_to", "approval_config", "message", "notify"]
    static let policyApprovalFields: Set<String> = ["message", "timeout", "timeout_hours", "on_timeout"]

    /// The top-level `policies:` list.
    func parseTopLevelPolicies(_ top: MappingReader, session: ParseSession) -> [PolicyDefinition] {
        guard let node = top.value("policies") else { return [] }
        guard case .sequence(let items) = node.content else {
            session.error(
                .wrongType, at: node.location, "`policies` must be a list of policy definitions, found \(node.typeName)",
                hint: "write policies:\n  - id: no-email\n    trigger: {type: pattern, patterns: [{type: email}]}\n    action: {type: redact}")
            return []
        }
        var seen: Set<String> = []
        var result: [PolicyDefinition] = []
        for (number, item) in items.enumerated() {
            guard let policy = parsePolicy(item, subject: "policy \(number + 1)", session: session) else { continue }
            guard seen.insert(policy.id).inserted else {
                session.error(.invalidValue, at: policy.location, "policy id `\(policy.id)` is defined twice", hint: "give each policy its own id")
                continue
            }
            result.append(policy)
        }
        return result
    }

    /// A step's `policies:` — nil when the step has none (it then gets every top-level policy).
    func parseStepPolicies(_ step: MappingReader, session: ParseSession) -> [StepPolicyEntry]? {
        guard let node = step.value("policies") else { return nil }
        guard case .sequence(let items) = node.content else {
            session.error(
                .wrongType, at: node.location, "a step's `policies` must be a list, found \(node.typeName)",
                hint: "write policies: [no-email] to pick top-level policies, or policies: [] for none")
            return nil
        }
        var entries: [StepPolicyEntry] = []
        for (number, item) in items.enumerated() {
            if let scalar = item.scalar, !session.isNonText(scalar.value) {
                entries.append(.reference(Located(scalar.text, at: item.location)))
            } else if case .mapping = item.content {
                if let policy = parsePolicy(item, subject: "\(step.subject)'s policy \(number + 1)", session: session) {
                    entries.append(.inline(policy))
                }
            } else {
                session.error(
                    .wrongType, at: item.location, "items of a step's `policies` are policy ids or definitions, found \(item.typeName)")
            }
        }
        return entries
    }

    /// Every step's references name a top-level policy (with a did-you-mean when one is close).
    func checkPolicyReferences(_ steps: [StepDefinition], policies: [PolicyDefinition], session: ParseSession) {
        let ids = policies.map(\.id)
        for step in steps {
            for case .reference(let id) in step.policies ?? [] where !ids.contains(id.value) {
                session.error(
                    .invalidValue, at: id.location, "step `\(step.id)` names policy `\(id.value)`, which the workflow does not define",
                    hint: EditDistance.suggestion(for: id.value, among: ids)
                        ?? (ids.isEmpty
                            ? "define it under the top-level `policies:`, or write it inline"
                            : "defined policies: \(ids.joined(separator: ", "))"))
            }
        }
    }

    func parsePolicy(_ node: YAMLNode, subject: String, session: ParseSession) -> PolicyDefinition? {
        guard
            let reader = MappingReader(
                node, subject: subject, session: session,
                expectation: "a policy is a mapping: {id, severity, trigger: {type, …}, action: {type, …}}")
        else { return nil }
        let id = reader.nonEmptyString("id", required: true, hint: "give the policy an id: id: no-pii")
        if let id, !Self.isValidStepID(id.value) {
            session.error(
                .invalidValue, at: id.location, "`\(id.value)` is not a valid policy id",
                hint: "policy ids are 1–100 letters, digits, `_` and `-`, not starting with `-`")
        }
        let description = reader.string("description")?.value
        let severity = reader.choice("severity", PolicySeverity.self)?.value ?? .medium
        let trigger = parseTrigger(reader, session: session)
        let action = parseAction(reader, session: session)
        reader.reportUnknownFields(
            allowed: Self.policyFields, explanations: ["type": "put the trigger's type in `trigger: {type: …}`"])
        guard let id, let trigger, let action else { return nil }
        if action.kind == .redact, !trigger.scansText {
            session.error(
                .invalidValue, at: reader.keyLocation("action"), "policy `\(id.value)` redacts, but its trigger is a condition: there is nothing to replace",
                hint: "use a pattern trigger with redact, or block/alert/log with a condition")
            return nil
        }
        return PolicyDefinition(
            id: id.value, description: description, severity: severity, trigger: trigger, action: action, location: node.location)
    }

    private func parseTrigger(_ policy: MappingReader, session: ParseSession) -> PolicyTrigger? {
        guard let reader = policy.mapping("trigger", expectation: "write trigger: {type: pattern, patterns: [{type: email}]}") else {
            if !policy.has("trigger") {
                session.error(
                    .missingField, at: policy.node.location, "\(policy.subject) has no `trigger`",
                    hint: "add trigger: {type: pattern, patterns: [{type: email}]}")
            }
            return nil
        }
        guard let kind = reader.choice("type", PolicyTrigger.Kind.self) else {
            if !reader.has("type") {
                session.error(.missingField, at: reader.node.location, "the trigger has no `type`", hint: "type: pattern, output_contains or condition")
            }
            reader.reportUnknownFields(allowed: Self.triggerFields)
            return nil
        }
        var trigger = PolicyTrigger(kind: kind.value)
        if kind.value == .condition {
            guard let text = reader.nonEmptyString("expression", required: true, hint: "write expression: \"duration > 60\"") else {
                reader.reportUnknownFields(allowed: Self.triggerFields)
                return nil
            }
            do throws(ExpressionError) {
                let expression = try ExpressionParser.parse(text.value, variables: Set(PolicyCondition.variables))
                // Only the step's own result: a policy cannot read inputs, other steps or the environment.
                for (reference, column) in expression.referencesWithColumns {
                    if case .env(let name) = reference, PolicyCondition.variables.contains(name) { continue }
                    throw ExpressionError(
                        "a policy condition cannot read `\(reference)`", column: column,
                        hint: "it reads \(PolicyCondition.variables.joined(separator: ", "))")
                }
                trigger.condition = PolicyCondition(source: text.value, expression: expression, location: text.location)
            } catch {
                session.error(
                    .invalidExpression, at: text.location, "invalid policy condition: \(error.message) (column \(error.column))",
                    hint: error.hint ?? "a condition reads \(PolicyCondition.variables.joined(separator: ", "))")
                reader.reportUnknownFields(allowed: Self.triggerFields)
                return nil
            }
            if reader.has("patterns") {
                session.warning(.invalidValue, at: reader.keyLocation("patterns"), "`patterns` is ignored by a condition trigger", hint: "remove it")
                reader.markRead("patterns")
            }
        } else {
            trigger.patterns = parsePatterns(reader, session: session)
            if reader.has("expression") {
                session.warning(
                    .invalidValue, at: reader.keyLocation("expression"), "`expression` is only read by `type: condition` triggers",
                    hint: "remove it")
                reader.markRead("expression")
            }
            if trigger.patterns.isEmpty { return nil }
        }
        reader.reportUnknownFields(allowed: Self.triggerFields)
        return trigger
    }

    private func parsePatterns(_ trigger: MappingReader, session: ParseSession) -> [PolicyPattern] {
        guard let node = trigger.value("patterns") else {
            session.error(
                .missingField, at: trigger.node.location, "a pattern trigger needs `patterns`",
                hint: "write patterns: [{type: email}, {type: regex, pattern: \"ACME-[0-9]+\"}]")
            return []
        }
        guard case .sequence(let items) = node.content, !items.isEmpty else {
            session.error(.wrongType, at: node.location, "`patterns` must be a non-empty list, found \(node.typeName)")
            return []
        }
        let entityNames = PIIEntity.allCases.map(\.rawValue)
        var patterns: [PolicyPattern] = []
        for item in items {
            // `- email` is shorthand for `- {type: email}`.
            if let scalar = item.scalar, !session.isNonText(scalar.value) {
                if let pattern = entityPattern(scalar.text, at: item.location, names: entityNames, session: session) {
                    patterns.append(pattern)
                }
                continue
            }
            guard let reader = MappingReader(item, subject: "a pattern", session: session, expectation: "write {type: email} or {type: regex, pattern: …}")
            else { continue }
            defer { reader.reportUnknownFields(allowed: Self.patternFields) }
            guard let type = reader.nonEmptyString("type", required: true, hint: "type: \(entityNames.joined(separator: "|"))|regex") else { continue }
            if type.value == "regex" {
                guard let pattern = reader.nonEmptyString("pattern", required: true, hint: "write pattern: \"ACME-[0-9]{6}\"") else { continue }
                do {
                    _ = try LinearRegex(pattern.value)
                    patterns.append(PolicyPattern(kind: .regex(pattern.value), location: pattern.location))
                } catch {
                    session.error(
                        .invalidValue, at: pattern.location, error.message,
                        hint: "patterns use RE2 syntax: no backreferences or lookaround, so matching is linear in the output's size")
                }
            } else {
                if reader.has("pattern") {
                    session.warning(
                        .invalidValue, at: reader.keyLocation("pattern"), "`pattern` is only read with `type: regex`; `\(type.value)` is built in",
                        hint: "remove it")
                    reader.markRead("pattern")
                }
                if let pattern = entityPattern(type.value, at: type.location, names: entityNames, session: session) {
                    patterns.append(pattern)
                }
            }
        }
        return patterns
    }

    private func entityPattern(_ name: String, at location: SourceLocation, names: [String], session: ParseSession) -> PolicyPattern? {
        do {
            return PolicyPattern(kind: .entity(try PIIEntity(name: name)), location: location)
        } catch {
            session.error(
                .invalidValue, at: location, "unknown pattern type `\(name)`",
                hint: EditDistance.suggestion(for: name, among: names + ["regex"]) ?? "use one of \(names.joined(separator: ", ")) or regex")
            return nil
        }
    }

    private func parseAction(_ policy: MappingReader, session: ParseSession) -> PolicyAction? {
        guard let reader = policy.mapping("action", expectation: "write action: {type: redact}") else {
            if !policy.has("action") {
                session.error(.missingField, at: policy.node.location, "\(policy.subject) has no `action`", hint: "add action: {type: log}")
            }
            return nil
        }
        defer { reader.reportUnknownFields(allowed: Self.actionFields) }
        guard let kind = reader.choice("type", PolicyAction.Kind.self) else {
            if !reader.has("type") {
                session.error(
                    .missingField, at: reader.node.location, "the action has no `type`",
                    hint: "type: \(PolicyAction.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return nil
        }
        var action = PolicyAction(kind: kind.value)
        action.replacement = reader.string("replacement")?.value
        action.message = reader.string("message")?.value
        if reader.has("notify") {
            // Sandcastle's per-policy notification channels: our alerts reach the run's webhooks.
            session.warning(
                .invalidValue, at: reader.keyLocation("notify"), "`notify` is ignored: alerts reach the run's webhooks and event feed",
                hint: "remove it")
            reader.markRead("notify")
        }
        if let targets = reader.stringList("apply_to") {
            var applyTo: Set<PolicyTarget> = []
            for target in targets {
                if let parsed = PolicyTarget(name: target.value) {
                    applyTo.insert(parsed)
                } else {
                    let names = PolicyTarget.allCases.map(\.rawValue)
                    session.error(
                        .invalidValue, at: target.location, "`\(target.value)` is not a valid `apply_to` target",
                        hint: EditDistance.suggestion(for: target.value, among: names) ?? "use \(names.joined(separator: ", "))")
                }
            }
            if applyTo.isEmpty, targets.isEmpty {
                session.error(.invalidValue, at: reader.keyLocation("apply_to"), "`apply_to` is empty: the redaction would apply nowhere")
            }
            if !applyTo.isEmpty { action.applyTo = applyTo }
        }
        if kind.value == .injectApproval {
            action.approval = parsePolicyApproval(reader, session: session)
        } else if reader.has("approval_config") {
            session.warning(
                .invalidValue, at: reader.keyLocation("approval_config"), "`approval_config` is only read by `inject_approval`",
                hint: "remove it")
            reader.markRead("approval_config")
        }
        return action
    }

    private func parsePolicyApproval(_ action: MappingReader, session: ParseSession) -> PolicyApprovalSettings {
        guard let config = action.mapping("approval_config", expectation: "write approval_config: {message: \"…\", timeout_hours: 24}") else {
            return PolicyApprovalSettings()
        }
        var settings = PolicyApprovalSettings(message: config.string("message")?.value)
        settings.timeout = config.duration("timeout", in: .seconds(1)...ApprovalStepConfiguration.maximumTimeout)?.value
        if let hoursNode = config.value("timeout_hours") {
            if let hours = hoursNode.scalar?.value.doubleValue, hours > 0, hours <= 720 {
                settings.timeout = .milliseconds(Int64((hours * 3_600_000).rounded()))
            } else {
                session.error(.invalidDuration, at: hoursNode.location, "`timeout_hours` must be a number of hours between 0 and 720")
            }
        }
        settings.onTimeout = config.choice("on_timeout", ApprovalTimeoutAction.self)?.value ?? .abort
        config.reportUnknownFields(allowed: Self.policyApprovalFields)
        return settings
    }
}
