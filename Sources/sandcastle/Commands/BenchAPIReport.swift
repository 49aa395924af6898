import Benchmarks
import Foundation

/// What one server did in `sandcastle bench api`; a figure is nil when it was not measured
/// (the peer could not do the workload, or `--no-baseline`).
struct APIServerFigures {
    var runsPerSecond: Double?
    var submitToResult: LatencySummary?
    /// Milliseconds per step, one sample per run.
    var chainOverhead: LatencySummary?
    var fanOutOverhead: LatencySummary?
    /// The same with the run's time as the server recorded it instead of submit → result.
    var chainRecorded: LatencySummary?
    var fanOutRecorded: LatencySummary?
    var rssIdleMiB: Double?
    var rssAfterMiB: Double?

    /// Both workloads' runs together: the `*_step_overhead_ms` figure.
    var stepOverhead: LatencySummary? {
        let samples = (chainOverhead?.sorted ?? []) + (fanOutOverhead?.sorted ?? [])
        return samples.isEmpty ? nil : LatencySummary(milliseconds: samples)
    }

    var stepOverheadRecorded: LatencySummary? {
        let samples = (chainRecorded?.sorted ?? []) + (fanOutRecorded?.sorted ?? [])
        return samples.isEmpty ? nil : LatencySummary(milliseconds: samples)
    }
}

/// What `sandcastle bench api` prints: one JSON object with `--json`, else a table.
struct APIBenchReport {
    var runs: Int
    var concurrency: Int
    var stepRuns: Int
    var machine: MachineInfo
    var loadBefore: LoadAverage
    var loadAfter = LoadAverage(values: [])
    var ours = APIServerFigures()
    var baseline = APIServerFigures()
    /// Why the peer has no figure for a workload, by workload: said, never made up.
    var baselineMissing: [String: String] = [:]

    static let runsPerSecondTarget = 20.0
    static let stepOverheadTarget = 1.0 / 20

    #if DEBUG
        static let build = "debug"
    #else
        static let build = "release"
    #endif

    /// Ours over the peer's runs per second (≥ 20 is the target).
    var runsPerSecondRatio: Double? {
        guard let ours = ours.runsPerSecond, let peer = baseline.runsPerSecond, peer > 0 else { return nil }
        return ours / peer
    }

    /// Our step overhead over the peer's, at the median (≤ 1/20 is the target).
    var stepOverheadRatio: Double? {
        guard let ours = ours.stepOverhead?.p50, let peer = baseline.stepOverhead?.p50, peer > 0 else { return nil }
        return ours / peer
    }

    private func rounded(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }

    private func pair(_ summary: LatencySummary?) -> Any {
        guard let summary else { return NSNull() }
        return ["p50": rounded(summary.p50), "p95": rounded(summary.p95), "n": summary.count]
    }

    private func overhead(_ figures: APIServerFigures) -> Any {
        guard let all = figures.stepOverhead else { return NSNull() }
        return [
            "p50": rounded(all.p50), "p95": rounded(all.p95), "n": all.count,
            "chain_\(BenchAPIWorkflows.chainSteps)_p50": figures.chainOverhead.map { rounded($0.p50) } ?? NSNull(),
            "fanout_\(BenchAPIWorkflows.fanOutWidth)_p50": figures.fanOutOverhead.map { rounded($0.p50) } ?? NSNull(),
        ] as [String: Any]
    }

    private func rss(_ figures: APIServerFigures) -> Any {
        guard let idle = figures.rssIdleMiB, let after = figures.rssAfterMiB else { return NSNull() }
        return ["idle": rounded(idle), "after": rounded(after)]
    }

    private func optional(_ value: Double?) -> Any { value.map(rounded) ?? NSNull() }

    func json() -> String {
        let object: [String: Any] = [
            "api_runs_per_s": optional(ours.runsPerSecond),
            "api_submit_to_result_ms": pair(ours.submitToResult),
            "api_step_overhead_ms": overhead(ours),
            "api_step_overhead_recorded_ms": pair(ours.stepOverheadRecorded),
            "server_rss_mib": rss(ours),
            "baseline_runs_per_s": optional(baseline.runsPerSecond),
            "baseline_submit_to_result_ms": pair(baseline.submitToResult),
            "baseline_step_overhead_ms": overhead(baseline),
            "baseline_step_overhead_recorded_ms": pair(baseline.stepOverheadRecorded),
            "baseline_rss_mib": rss(baseline),
            "baseline_missing": baselineMissing,
            "baseline": "sandcastle-ai 0.47.0 (scripts/bench-peer-sandcastle)",
            "ratios": ["runs_per_s": optional(runsPerSecondRatio), "step_overhead": optional(stepOverheadRatio)],
            "targets": [
                "runs_per_s_ratio_min": Self.runsPerSecondTarget, "step_overhead_ratio_max": Self.stepOverheadTarget,
                "runs_per_s_met": runsPerSecondRatio.map { $0 >= Self.runsPerSecondTarget } ?? NSNull(),
                "step_overhead_met": stepOverheadRatio.map { $0 <= Self.stepOverheadTarget } ?? NSNull(),
            ] as [String: Any],
            "runs": runs, "concurrency": concurrency, "step_runs": stepRuns,
            "build": Self.build,
            "machine": machine.dictionary.merging(["load_before": loadBefore.values, "load_after": loadAfter.values]) { ours, _ in ours },
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    func table() -> String {
        func number(_ value: Double?, _ format: String = "%.1f") -> String { value.map { String(format: format, $0) } ?? "—" }
        func percentiles(_ summary: LatencySummary?) -> String {
            summary.map { "\(String(format: "%.1f", $0.p50)) / \(String(format: "%.1f", $0.p95))" } ?? "—"
        }
        func rssText(_ figures: APIServerFigures) -> String {
            guard let idle = figures.rssIdleMiB, let after = figures.rssAfterMiB else { return "—" }
            return String(format: "%.1f → %.1f", idle, after)
        }
        func verdict(_ ratio: Double?, _ met: (Double) -> Bool, _ format: String) -> String {
            guard let ratio else { return "no baseline" }
            return String(format: format, ratio) + (met(ratio) ? " — meets target" : " — MISSES target")
        }
        let missing = baselineMissing.keys.sorted().map { "- the peer has no \($0) figure: \(baselineMissing[$0] ?? "")" }
        return """
            Sandcastle /api benchmark (\(Self.build) build) — \(machine.summary)
            load average before \(loadBefore.text), after \(loadAfter.text)

            | figure | sandcastle serve | Sandcastle 0.47 | ratio |
            |---|---|---|---|
            | runs/s (\(runs) one-step llm runs, \(concurrency) at a time) | \(number(ours.runsPerSecond)) | \(number(baseline.runsPerSecond)) | \(verdict(runsPerSecondRatio, { $0 >= Self.runsPerSecondTarget }, "%.1f×")) |
            | submit → result (ms, p50 / p95) | \(percentiles(ours.submitToResult)) | \(percentiles(baseline.submitToResult)) | |
            | step overhead (ms/step, p50 / p95) | \(percentiles(ours.stepOverhead)) | \(percentiles(baseline.stepOverhead)) | \(verdict(stepOverheadRatio, { $0 <= Self.stepOverheadTarget }, "%.3f×")) |
            |   \(BenchAPIWorkflows.chainSteps)-step chain (p50) | \(number(ours.chainOverhead?.p50, "%.2f")) | \(number(baseline.chainOverhead?.p50, "%.2f")) | |
            |   \(BenchAPIWorkflows.fanOutWidth)-wide fan-out (p50) | \(number(ours.fanOutOverhead?.p50, "%.2f")) | \(number(baseline.fanOutOverhead?.p50, "%.2f")) | |
            |   the run's time as the server recorded it, not submit → result | \(percentiles(ours.stepOverheadRecorded)) | \(percentiles(baseline.stepOverheadRecorded)) | |
            | server RSS (MiB, idle → after) | \(rssText(ours)) | \(rssText(baseline)) | |

            Step overhead = (submit → result − the provider double's own time) / steps, \(stepRuns) runs of each workload.
            Targets: ≥ \(Int(Self.runsPerSecondTarget))× the peer's runs/s, ≤ 1/\(Int(1 / Self.stepOverheadTarget)) of its step overhead.
            """ + (missing.isEmpty ? "" : "\n" + missing.joined(separator: "\n"))
    }
}
