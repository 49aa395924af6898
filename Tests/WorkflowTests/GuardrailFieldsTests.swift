import Guardrails
import Testing

@testable import Workflow

/// Issue 15 §3 and §6: a workflow's `privacy:` block and `risk_level:`, and the compliance rules
/// checked at load.
@Suite struct GuardrailFieldsTests {
    @Test func aPrivacyBlockIsReadWithItsEntitiesAndTargets() throws {
        let result = load(
            workflow(
                steps: "  - {id: a, run: echo hi}\n",
                extra: """
                    privacy:
                      enabled: true
                      mode: redact
                      entities: [email, PHONE, credit_card, iban]
                      apply_to: [prompts, outputs, webhooks]

                    """))
        #expect(result.isValid, "\(lines(result))")
        let privacy = try #require(result.workflow?.privacy)
        #expect(privacy.enabled && privacy.mode == .redact)
        #expect(privacy.entities == [.email, .phone, .creditCard, .iban], "entity names are case-insensitive")
        #expect(privacy.applyTo == [.prompts, .outputs, .webhooks])
        #expect(privacy.applies(to: .prompts))
    }

    @Test func aBlockWithoutEnabledIsOnWithSandcastlesDefaults() throws {
        let result = load(workflow(steps: "  - {id: a, run: echo hi}\n", extra: "privacy: {}\n"))
        let privacy = try #require(result.workflow?.privacy)
        #expect(privacy.enabled)
        #expect(privacy.entities == [.email, .phone, .ssn, .creditCard])
        #expect(privacy.applyTo == [.outputs, .webhooks])
        #expect(!privacy.applies(to: .prompts))
        #expect(load(workflow(steps: "  - {id: a, run: echo hi}\n")).workflow?.privacy == nil, "no block: the server's settings")
        let off = load(workflow(steps: "  - {id: a, run: echo hi}\n", extra: "privacy: {enabled: false, apply_to: [prompts]}\n"))
        #expect(off.workflow?.privacy?.applies(to: .prompts) == false)
    }

    @Test func badPrivacyValuesAreErrorsNamingTheValidOnes() {
        let result = load(
            workflow(
                steps: "  - {id: a, run: echo hi}\n",
                extra: "privacy: {mode: mask, entities: [emial, passport], apply_to: [logs], extra: 1}\n"))
        #expect(!result.isValid)
        let text = lines(result).joined(separator: "\n")
        #expect(text.contains("`mask` is not a valid privacy `mode`"), "\(text)")
        #expect(result.errors.contains { $0.hint == "the valid modes: redact" })
        #expect(text.contains("`emial` is not a PII entity"))
        #expect(result.errors.contains { $0.hint == "did you mean `email`?" || ($0.hint ?? "").contains("email") })
        #expect(text.contains("`passport` is not a PII entity"))
        #expect(result.errors.contains { ($0.hint ?? "").contains("credit_card, ip_address, iban, dob") })
        #expect(text.contains("`logs` is not a privacy `apply_to` target"))
        #expect(text.contains("extra"), "unknown keys are named: \(text)")
        let wrongShape = load(workflow(steps: "  - {id: a, run: echo hi}\n", extra: "privacy: yes\n"))
        #expect(!wrongShape.isValid, "\(lines(wrongShape))")
    }

    @Test func riskLevelIsReadAndValidated() {
        let high = load(workflow(steps: "  - {id: a, run: echo hi}\n", extra: "risk_level: limited\n"))
        #expect(high.isValid && high.workflow?.risk == .limited)
        #expect(load(workflow(steps: "  - {id: a, run: echo hi}\n")).workflow?.risk == .minimal, "minimal by default")
        let bad = load(workflow(steps: "  - {id: a, run: echo hi}\n", extra: "risk_level: extreme\n"))
        #expect(!bad.isValid)
        #expect(lines(bad).contains { $0.contains("`extreme` is not a valid `risk_level`") }, "\(lines(bad))")
    }

    @Test func anUnacceptableWorkflowIsRefusedInAnyMode() {
        for mode: ComplianceMode? in [nil, .euAIAct] {
            let result = load(
                workflow(steps: "  - {id: a, run: echo hi}\n", extra: "risk_level: unacceptable\n"),
                options: ValidationOptions(complianceMode: mode))
            let refusal = only(.compliance, in: result)
            #expect(refusal?.message.contains("`risk_level: unacceptable`, which is never run") == true)
            expectAt(refusal, 2, 13)
        }
    }

    @Test func aHighRiskWorkflowNeedsAnApprovalStepUnderTheEUAIAct() {
        let withoutGate = workflow(steps: "  - {id: a, run: echo hi}\n", extra: "risk_level: high\n")
        #expect(load(withoutGate).isValid, "no compliance mode: high risk is a label")
        let refused = load(withoutGate, options: ValidationOptions(complianceMode: .euAIAct))
        let refusal = only(.compliance, in: refused)
        #expect(refusal?.message.contains("has no approval step, which COMPLIANCE_MODE=eu_ai_act requires") == true)
        #expect(refusal?.hint == "add a step with `type: approval` before the outputs are used")

        let withGate = workflow(
            steps: """
                  - {id: a, run: echo hi}
                  - {id: gate, type: approval, depends_on: [a], approval_config: {message: "Ship it?"}}

                """, extra: "risk_level: high\n")
        let accepted = load(withGate, options: ValidationOptions(complianceMode: .euAIAct))
        #expect(accepted.isValid, "\(lines(accepted))")
    }
}
