import Benchmarks
import Foundation
import Store
import Testing

@testable import Engine

/// `policy_overhead_ms_per_step` (issue 15 §7): the per-step cost of a realistic policy set on a
/// 1,000-step no-op run on SQLite, measured here and printed (the figure the report gives).
@Suite(.timeLimit(.minutes(5)))
struct PolicyOverheadTests {
    @Test func policiesCostLittlePerStepOnAThousandStepRun() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("policy-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var made = 0
        let result = try await PolicyOverhead.measure(steps: 1000, rounds: 2) {
            made += 1
            return try SQLiteRunRepository(path: directory.appendingPathComponent("bench-\(made).sqlite").path)
        }
        #expect(result.completed)
        #expect(result.steps == 1000)
        print(
            "policy_overhead_ms_per_step: \(result.overheadMillisecondsPerStep) "
                + "(without \(result.withoutPolicies), with \(result.withPolicies), 1000 steps; "
                + "evaluation alone \(result.evaluationMillisecondsPerStep) ms per step)")
        #expect(result.evaluationMillisecondsPerStep > 0)
        // Loose in a debug build on a shared machine: the release figure is what the target (0.2 ms) is about.
        #expect(result.overheadMillisecondsPerStep < 5, "\(result.overheadMillisecondsPerStep) ms per step")
    }
}
