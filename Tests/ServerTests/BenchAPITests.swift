import Foundation
import TestSupport
import Testing

/// `sandcastle bench api` end to end in a small configuration: the built binary starts the
/// provider double, a `sandcastle serve` child and Sandcastle 0.47's server (through
/// scripts/bench-peer-sandcastle, whose venv is made on first use), drives both through `/api`
/// and prints its JSON. Checks that every figure is there and sane (positive, p50 ≤ p95, ratios
/// consistent with the figures); no timing thresholds: this machine's load decides the values.
/// No skip path: without Docker, a Python ≥ 3.12 or a reachable PyPI for the first install it fails
/// and says which.
@Suite struct BenchAPITests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test(.timeLimit(.minutes(10)))
    func theBenchmarkMeasuresOursAndThePeerAndPrintsSaneJSON() async throws {
        let binary = Self.root.appendingPathComponent(".build/debug/sandcastle").path
        #expect(FileManager.default.isExecutableFile(atPath: binary), "\(binary) is missing: `swift build`")
        let result = try await runChild(
            binary, ["bench", "api", "--json", "--runs", "10", "--concurrency", "4", "--step-runs", "1"], directory: Self.root,
            includeStandardError: false)
        #expect(result.status == 0, "bench api failed:\n\(result.text.suffix(3000))")
        let report = try #require(
            try JSONSerialization.jsonObject(with: Data(result.text.utf8)) as? [String: Any], "not JSON:\n\(result.text.suffix(3000))")

        for side in ["api", "baseline"] {
            let runsPerSecond = try #require(report["\(side)_runs_per_s"] as? Double, "\(side)_runs_per_s in \(report)")
            #expect(runsPerSecond > 0)
            let latency = try #require(report["\(side)_submit_to_result_ms"] as? [String: Any])
            try Self.expectSane(latency, "\(side)_submit_to_result_ms", samples: 10)
            let overhead = try #require(report["\(side)_step_overhead_ms"] as? [String: Any])
            try Self.expectSane(overhead, "\(side)_step_overhead_ms", samples: 2)
            #expect((overhead["chain_20_p50"] as? Double ?? 0) > 0)
            #expect((overhead["fanout_50_p50"] as? Double ?? 0) > 0)
            let recorded = try #require(report["\(side)_step_overhead_recorded_ms"] as? [String: Any])
            try Self.expectSane(recorded, "\(side)_step_overhead_recorded_ms", samples: 2)
            let rss = try #require(report[side == "api" ? "server_rss_mib" : "baseline_rss_mib"] as? [String: Double])
            #expect((rss["idle"] ?? 0) > 1 && (rss["after"] ?? 0) > 1, "\(side) RSS \(rss)")
        }
        #expect((report["baseline_missing"] as? [String: Any])?.isEmpty == true, "\(report["baseline_missing"] ?? "")")
        let ratios = try #require(report["ratios"] as? [String: Double])
        let ours = try #require(report["api_runs_per_s"] as? Double)
        let peer = try #require(report["baseline_runs_per_s"] as? Double)
        #expect(abs((ratios["runs_per_s"] ?? 0) - ours / peer) <= 0.01 * ours / peer + 0.001)
        #expect((ratios["step_overhead"] ?? 0) > 0)
        let targets = try #require(report["targets"] as? [String: Any])
        #expect(targets["runs_per_s_met"] is Bool && targets["step_overhead_met"] is Bool)
        #expect(report["runs"] as? Int == 10 && report["concurrency"] as? Int == 4 && report["step_runs"] as? Int == 1)
        let machine = try #require(report["machine"] as? [String: Any])
        #expect((machine["load_before"] as? [Double])?.count == 3)

        // Nothing the benchmark started outlives it: both servers ran with its work folder
        // (sandcastle-bench-api-UUID) on their command line.
        let left = try await runChild("/bin/sh", ["-c", "ps -eo args | grep -E 'sandcastle-bench-api-' | grep -v grep || true"])
        #expect(left.text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "still running: \(left.text)")
    }

    static func expectSane(_ figure: [String: Any], _ name: String, samples: Int) throws {
        let p50 = try #require(figure["p50"] as? Double, "\(name).p50")
        let p95 = try #require(figure["p95"] as? Double, "\(name).p95")
        #expect(p50 > 0, "\(name).p50 = \(p50)")
        #expect(p50 <= p95, "\(name): p50 \(p50) > p95 \(p95)")
        #expect(figure["n"] as? Int == samples, "\(name).n")
    }
}
