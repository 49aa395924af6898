import Guardrails
import Testing

@testable import Workflow

/// `policies:` (issue 15 §1): Sandcastle's schema at the top and per step, references and inline
/// definitions, the opt-out, and located errors for what is wrong.
@Suite struct PolicyParsingTests {
    static let valid = """
        name: guarded
        policies:
          - id: no-email
            description: keep addresses out
            severity: high
            trigger:
              type: pattern
              patterns: [{type: email}, {type: regex, pattern: "ACME-[0-9]{4}"}]
            action: {type: redact, replacement: "[gone]", apply_to: [output, storage]}
          - id: slow
            trigger: {type: condition, expression: "duration > 60 and attempt >= 2"}
            action: {type: alert, message: too slow}
        steps:
          - {id: all, run: echo a}
          - {id: none, run: echo b, policies: []}
          - id: some
            run: echo c
            policies:
              - slow
              - id: gate
                trigger: {type: output_contains, patterns: [ssn]}
                action: {type: inject_approval, approval_config: {message: "check it", timeout_hours: 2, on_timeout: skip}}
        """

    @Test func parsesDefinitionsReferencesInlineAndOptOut() throws {
        let result = load(Self.valid)
        #expect(result.isValid, "\(lines(result))")
        let workflow = try #require(result.workflow)
        #expect(workflow.policies.map(\.id) == ["no-email", "slow"])
        let email = workflow.policies[0]
        #expect(email.severity == .high && email.description == "keep addresses out")
        #expect(email.trigger.kind == .pattern && email.trigger.patterns.map(\.name) == ["email", "regex"])
        #expect(email.action.kind == .redact && email.action.replacement == "[gone]" && email.action.applyTo == [.outputs, .storage])
        let slow = workflow.policies[1]
        #expect(slow.severity == .medium, "medium when unset")
        #expect(slow.trigger.condition?.source == "duration > 60 and attempt >= 2")
        #expect(slow.action.applyTo == Set(PolicyTarget.allCases), "every target when apply_to is unset")

        let steps = Dictionary(uniqueKeysWithValues: workflow.steps.map { ($0.id, $0) })
        #expect(try workflow.policies(for: #require(steps["all"])).map(\.id) == ["no-email", "slow"])
        #expect(try workflow.policies(for: #require(steps["none"])).isEmpty)
        let some = try workflow.policies(for: #require(steps["some"]))
        #expect(some.map(\.id) == ["slow", "gate"])
        #expect(some[1].action.kind == .injectApproval && some[1].action.approval?.message == "check it")
        #expect(some[1].action.approval?.timeout == .seconds(7200) && some[1].action.approval?.onTimeout == .skip)
    }

    @Test func anUnknownReferenceIsLocatedWithADidYouMean() throws {
        let result = load(
            """
            name: typo
            policies:
              - {id: no-email, trigger: {type: pattern, patterns: [email]}, action: {type: log}}
            steps:
              - {id: a, run: echo a, policies: [no-emial]}
            """)
        let error = try #require(result.errors.first)
        #expect(result.errors.count == 1, "\(lines(result))")
        #expect(error.message == "step `a` names policy `no-emial`, which the workflow does not define")
        #expect(error.hint == "did you mean `no-email`?")
        #expect(error.location?.line == 5)
    }

    @Test func anInvalidRegexCarriesTheRegexEnginesMessage() throws {
        let result = load(
            """
            name: bad-regex
            policies:
              - {id: r, trigger: {type: pattern, patterns: [{type: regex, pattern: "(a"}]}, action: {type: block}}
            steps:
              - {id: a, run: echo a}
            """)
        let error = try #require(result.errors.first)
        #expect(result.errors.count == 1, "\(lines(result))")
        // The message is the regex engine's own (GuardrailError), located at the pattern.
        var engineMessage: String?
        do {
            _ = try LinearRegex("(a")
        } catch {
            engineMessage = error.message
        }
        #expect(engineMessage != nil && error.message == engineMessage)
        #expect(error.location?.line == 3)
    }

    @Test func unknownEntitiesActionsTargetsAndConditionNamesAreRefused() throws {
        let result = load(
            """
            name: wrong
            policies:
              - {id: e, trigger: {type: pattern, patterns: [{type: emial}]}, action: {type: log}}
              - {id: a, trigger: {type: pattern, patterns: [email]}, action: {type: redcat}}
              - {id: t, trigger: {type: pattern, patterns: [email]}, action: {type: redact, apply_to: [databse]}}
              - {id: c, trigger: {type: condition, expression: "durationn > 5"}, action: {type: alert}}
              - {id: s, trigger: {type: condition, expression: "steps.a.output == 1"}, action: {type: alert}}
              - {id: r, trigger: {type: condition, expression: "attempt > 1"}, action: {type: redact}}
              - {id: t, trigger: {type: pattern, patterns: [ssn]}, action: {type: log}}
            steps:
              - {id: a, run: echo a}
            """)
        let messages = result.errors.map { "\($0.location?.line ?? 0): \($0.message) | \($0.hint ?? "")" }
        #expect(messages.contains("3: unknown pattern type `emial` | did you mean `email`?"), "\(messages)")
        #expect(messages.contains { $0.hasPrefix("4: `redcat` is not a valid `type` | did you mean `redact`?") }, "\(messages)")
        #expect(
            messages.contains("5: `databse` is not a valid `apply_to` target | did you mean `storage`?")
                || messages.contains { $0.hasPrefix("5: `databse` is not a valid `apply_to` target") }, "\(messages)")
        #expect(
            messages.contains { $0.hasPrefix("6: invalid policy condition: unknown name `durationn`") && $0.hasSuffix("did you mean `duration`?") },
            "\(messages)")
        #expect(messages.contains { $0.hasPrefix("7: invalid policy condition:") }, "\(messages)")
        #expect(messages.contains { $0.hasPrefix("8: policy `r` redacts, but its trigger is a condition") }, "\(messages)")
        #expect(messages.contains { $0.hasPrefix("9: policy id `t` is defined twice") }, "\(messages)")
        #expect(messages.count == 7, "\(messages)")
    }

    @Test func hostileStringsInPoliciesAreErrorsNotCrashes() {
        let result = load(
            """
            name: hostile
            policies:
              - {id: "../../etc", trigger: {type: pattern, patterns: [email]}, action: {type: log}}
              - {id: ok, trigger: {type: pattern, patterns: [{type: regex, pattern: "\\u0000<script>"}]}, action: {type: log}}
              - "just a string"
            steps:
              - {id: a, run: echo a}
            """)
        let messages = lines(result)
        #expect(messages.contains { $0.contains("`../../etc` is not a valid policy id") }, "\(messages)")
        #expect(messages.contains { $0.contains("policy 3 must be a mapping") }, "\(messages)")
    }
}
