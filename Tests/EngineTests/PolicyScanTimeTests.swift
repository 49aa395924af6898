import Foundation
import JSONValues
import Testing
import Workflow

@testable import Engine

/// The linear-time property: a workflow's regex policy over a 10 MiB adversarial output.
@Suite struct PolicyScanTimeTests {
    @Test func aRegexPolicyScansTenMebibytesOfAdversarialOutputInUnderASecond() throws {
        let wf = try workflow(
            """
            name: adversarial
            policies:
              - id: nested
                trigger: {type: pattern, patterns: [{type: regex, pattern: "(a+)+b"}, {type: regex, pattern: "(a|aa)*c"}]}
                action: {type: redact}
            steps:
              - {id: big, run: echo}
            """)
        let policies = RunPolicies(wf).forStep("big")
        // A backtracking engine takes exponential time on `(a+)+b` and `(a|aa)*c` over a run of `a`s
        // with neither `b` nor `c`; RE2 is linear. (The regex policy is what is measured: the
        // built-in entities are the Guardrails module's own hand-written scanners.)
        let output = JSONValue.string(String(repeating: "a", count: 10 * 1_048_576))
        let clock = ContinuousClock()
        let start = clock.now
        let verdict = PolicyEvaluator.evaluate(policies, output: output, facts: PolicyFacts(stepID: "big"), runID: "r")
        let took = clock.now - start
        #expect(verdict.isClean)
        #expect(took < .seconds(1), "10 MiB took \(took)")
        print("policy evaluation of a 10 MiB adversarial output: \(took)")
    }
}
