import Benchmarks
import Foundation

/// What `sandcastle bench agent` prints: a table, or one JSON object with `--json`.
struct AgentBenchReport {
    var image: String
    var iterations: Int
    var warmup: Int
    var machine: MachineInfo
    var loadBefore: LoadAverage
    var loadAfter = LoadAverage(values: [])
    var roundTrip = LatencySummary([])
    var bashToolCall = LatencySummary([])
    var roundTripEngine = LatencySummary([])
    var roundTripWithoutRouter = LatencySummary([])
    var roundTripInProcessModel = LatencySummary([])
    var stepOverhead = LatencySummary([])
    var stepUntilStarted = LatencySummary([])
    var stepAfterStarted = LatencySummary([])
    var loopOneTurn = LatencySummary([])
    var queryFirstEvent = LatencySummary([])
    var baselineCLI = LatencySummary([])
    var baselineCLIToolCall = LatencySummary([])
    var baselineAPI = LatencySummary([])
    var baselineAPIToolCall = LatencySummary([])

    static let roundTripTarget = 1.5
    static let stepOverheadTarget = 5.0
    static let queryFirstEventTarget = 2.0

    #if DEBUG
        static let build = "debug"
    #else
        static let build = "release"
    #endif

    private func rounded(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }

    private func figure(_ summary: LatencySummary) -> [String: Any] {
        ["p50": rounded(summary.p50), "p95": rounded(summary.p95), "p99": rounded(summary.p99), "n": summary.count]
    }

    /// How many times slower the baseline's median is than ours.
    private func ratio(_ baseline: LatencySummary) -> Double { (baseline.p50 / roundTrip.p50 * 10).rounded() / 10 }

    func json() -> String {
        let object: [String: Any] = [
            "agent_tool_roundtrip_ms": figure(roundTrip),
            "agent_step_overhead_ms": figure(stepOverhead),
            "query_first_event_ms": figure(queryFirstEvent),
            // Context: where the time goes, the same through the engine, and the baselines.
            "bash_tool_call_ms": figure(bashToolCall),
            "agent_tool_roundtrip_engine_ms": figure(roundTripEngine),
            "agent_tool_roundtrip_without_router_ms": figure(roundTripWithoutRouter),
            "agent_tool_roundtrip_inprocess_model_ms": figure(roundTripInProcessModel),
            "agent_step_until_started_ms": figure(stepUntilStarted),
            "agent_step_after_started_ms": figure(stepAfterStarted),
            "agent_loop_one_turn_ms": figure(loopOneTurn),
            "baseline_docker_exec_cli_roundtrip_ms": figure(baselineCLI),
            "baseline_docker_exec_cli_call_ms": figure(baselineCLIToolCall),
            "baseline_docker_exec_api_roundtrip_ms": figure(baselineAPI),
            "baseline_docker_exec_api_call_ms": figure(baselineAPIToolCall),
            "baseline_ratio": ["docker_exec_cli": ratio(baselineCLI), "docker_exec_api": ratio(baselineAPI)],
            "targets": [
                "agent_tool_roundtrip_ms_p50": Self.roundTripTarget, "agent_step_overhead_ms_p50": Self.stepOverheadTarget,
                "query_first_event_ms_p50": Self.queryFirstEventTarget,
            ],
            "warmup": warmup,
            "image": image,
            "build": Self.build,
            "machine": machine.dictionary.merging(["load_before": loadBefore.values, "load_after": loadAfter.values]) { ours, _ in ours },
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    func table() -> String {
        func ms(_ value: Double) -> String { String(format: "%.3f", value) }
        func row(_ name: String, _ summary: LatencySummary, _ note: String = "") -> String {
            "| \(name) | \(ms(summary.p50)) | \(ms(summary.p95)) | \(ms(summary.p99)) | \(summary.count) | \(note) |"
        }
        func verdict(_ value: Double, _ target: Double) -> String {
            "target p50 ≤ \(String(format: "%g", target)) ms: " + (value <= target ? "meets target" : "MISSES target")
        }
        return """
            Sandcastle agent benchmark (\(Self.build) build, image \(image)) — \(machine.summary)
            load average before \(loadBefore.text), after \(loadAfter.text)

            | figure (ms) | p50 | p95 | p99 | n | note |
            |---|---|---|---|---|---|
            \(row("**agent_tool_roundtrip_ms**: Bash `true`, tool call received → next request leaving (agent loop)", roundTrip, verdict(roundTrip.p50, Self.roundTripTarget)))
            \(row("  of which the Bash call itself (the loop's timing of the tool)", bashToolCall, "the sandbox's share"))
            \(row("  the same round trip, the loop given the client itself (no router)", roundTripWithoutRouter))
            \(row("  the same round trip, an in-process model (no client, no HTTP, no router)", roundTripInProcessModel))
            \(row("  the same round trip through an agent step of the engine (events in SQLite)", roundTripEngine))
            \(row("**agent_step_overhead_ms**: one-turn agent step, its sandbox made, minus model time", stepOverhead, verdict(stepOverhead.p50, Self.stepOverheadTarget)))
            \(row("  until the step started (scheduling, slots, lease, start record)", stepUntilStarted))
            \(row("  from then on (sandbox, artifacts folder, loop, output, result commit)", stepAfterStarted))
            \(row("  the agent loop alone for a one-turn answer, minus model time", loopOneTurn, "the loop's share"))
            \(row("**query_first_event_ms**: POST /query, first text delta at the client → its SSE event read", queryFirstEvent, verdict(queryFirstEvent.p50, Self.queryFirstEventTarget)))
            \(row("baseline: the round trip, each Bash call a `docker exec` (CLI)", baselineCLI, "\(ratio(baselineCLI))× ours"))
            \(row("  of which the docker exec", baselineCLIToolCall))
            \(row("baseline: the round trip, each Bash call an Engine API exec", baselineAPI, "\(ratio(baselineAPI))× ours"))
            \(row("  of which the exec (create, start, inspect)", baselineAPIToolCall))

            Model time is the client's HTTP exchange with the provider double on loopback (zero model latency); \
            everything else is ours. \(warmup) warm-up samples dropped per figure of ours.
            """
    }
}
