import Engine
import Foundation
import Guardrails
import JSONValues
import Store
import Workflow

/// What guardrail policies cost per step (issue 15 §7, `policy_overhead_ms_per_step`): the same
/// 1,000-step no-op workflow (``EngineBenchmark/workflow(steps:segment:)``) run with and without
/// a realistic policy set — every PII entity redacted, a regex block, a condition alert — and
/// the difference per step. `sandcastle bench scrub` reports it; the target is ≤ 0.2 ms.
public enum PolicyOverhead {
    /// What one measurement found.
    public struct Result: Sendable {
        public var steps: Int
        /// The best wall time of the runs without policies.
        public var withoutPolicies: Duration
        /// The best wall time of the runs with the policy set.
        public var withPolicies: Duration
        /// Both variants completed every step.
        public var completed: Bool
        /// The policy evaluation alone, per step, in milliseconds: the set run over a typical short
        /// step output as many times as there are steps (no engine, no store) — the part of the
        /// difference that noise between whole runs hides.
        public var evaluationMillisecondsPerStep: Double

        /// The policies' cost per step in milliseconds (≥ 0; noise can make the raw difference negative).
        public var overheadMillisecondsPerStep: Double {
            max(0, Self.milliseconds(withPolicies) - Self.milliseconds(withoutPolicies)) / Double(max(1, steps))
        }

        /// The target the issue sets.
        public static let targetMillisecondsPerStep = 0.2

        static func milliseconds(_ duration: Duration) -> Double {
            Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
        }
    }

    /// The policy set measured: PII redaction (all entities), a regex block, a condition alert.
    public static func policies() -> [PolicyDefinition] {
        let location = SourceLocation(file: "<bench>", line: 1, column: 1)
        var set = [
            PolicyDefinition(
                id: "pii", severity: .high,
                trigger: PolicyTrigger(kind: .pattern, patterns: PIIEntity.allCases.map { PolicyPattern(kind: .entity($0), location: location) }),
                action: PolicyAction(kind: .redact), location: location),
            PolicyDefinition(
                id: "no-internal-ids", severity: .critical,
                trigger: PolicyTrigger(kind: .pattern, patterns: [PolicyPattern(kind: .regex("INTERNAL-[0-9]{6}"), location: location)]),
                action: PolicyAction(kind: .block, message: "internal ids may not leave a step"), location: location),
        ]
        if let slow = try? ExpressionParser.parse("duration > 60 or attempt > 2", variables: Set(PolicyCondition.variables)) {
            set.append(
                PolicyDefinition(
                    id: "slow", severity: .low,
                    trigger: PolicyTrigger(
                        kind: .condition, condition: PolicyCondition(source: "duration > 60 or attempt > 2", expression: slow, location: location)),
                    action: PolicyAction(kind: .alert), location: location))
        }
        return set
    }

    /// Runs the `steps`-step workflow `rounds` times each way (alternating, so drift hits both),
    /// each on a fresh repository from `repository`, and keeps each variant's best time.
    public static func measure(
        steps: Int = 1000, rounds: Int = 2, repository: () throws -> any RunRepository = { InMemoryRunRepository() }
    ) async throws -> Result {
        let plain = EngineBenchmark.workflow(steps: steps)
        var guarded = plain
        guarded.policies = policies()
        var best: (plain: Duration?, guarded: Duration?) = (nil, nil)
        var completed = true
        // One untimed run first: the first run of a process pays for lazy initialisation.
        _ = try await EngineBenchmark.measure(EngineBenchmark.workflow(steps: min(steps, 50)), repository: try repository())
        for _ in 0..<max(1, rounds) {
            let without = try await EngineBenchmark.measure(plain, repository: try repository())
            let with = try await EngineBenchmark.measure(guarded, repository: try repository())
            completed = completed && without.status == .completed && with.status == .completed
            best.plain = min(best.plain ?? without.wall, without.wall)
            best.guarded = min(best.guarded ?? with.wall, with.wall)
        }
        return Result(
            steps: steps, withoutPolicies: best.plain ?? .zero, withPolicies: best.guarded ?? .zero, completed: completed,
            evaluationMillisecondsPerStep: evaluationMilliseconds(guarded, steps: steps))
    }

    /// Times the step's compiled policies over a short output, `steps` times, per step.
    static func evaluationMilliseconds(_ workflow: WorkflowDefinition, steps: Int) -> Double {
        let compiled = RunPolicies(workflow).forStep(workflow.steps.first?.id ?? "")
        let output = JSONValue.string("ok: processed 42 records for batch 7 in 0.8 s\n")
        let clock = ContinuousClock()
        let start = clock.now
        for index in 0..<max(1, steps) {
            _ = PolicyEvaluator.evaluate(compiled, output: output, facts: PolicyFacts(stepID: "s\(index)"), runID: "bench")
        }
        return Result.milliseconds(clock.now - start) / Double(max(1, steps))
    }
}
