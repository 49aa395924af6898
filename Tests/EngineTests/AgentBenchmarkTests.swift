import Agent
import Foundation
import ModelProviders
import ProviderDouble
import Sandbox
import TestSupport
import Testing

@testable import Benchmarks

/// `sandcastle bench agent`, run small: the figures are there, positive and ordered (no timed
/// assertion), and the measurement refuses runs that did not go as scripted.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct AgentBenchmarkTests {
    @Test func benchAgentRunsSmallAndPrintsEveryFigureAsJSON() async throws {
        let cli = try CLIRunTests.executable()
        let result = try await runChild(
            cli.path, ["bench", "agent", "--json", "--iterations", "5", "--warmup", "2", "--baseline-iterations", "5", "--query-iterations", "5"],
            includeStandardError: false)
        #expect(result.status == 0, "\(result.text)")
        let object = try #require(try? JSONSerialization.jsonObject(with: result.output) as? [String: Any], "not JSON: \(result.text)")

        let figures = [
            "agent_tool_roundtrip_ms", "agent_step_overhead_ms", "bash_tool_call_ms", "agent_tool_roundtrip_engine_ms",
            "agent_tool_roundtrip_without_router_ms", "agent_tool_roundtrip_inprocess_model_ms", "agent_step_until_started_ms",
            "agent_step_after_started_ms", "agent_loop_one_turn_ms", "baseline_docker_exec_cli_roundtrip_ms", "baseline_docker_exec_cli_call_ms",
            "baseline_docker_exec_api_roundtrip_ms", "baseline_docker_exec_api_call_ms", "query_first_event_ms",
        ]
        for name in figures {
            let figure = try #require(object[name] as? [String: Any], "\(name) missing from \(object.keys.sorted())")
            let p50 = try #require(figure["p50"] as? Double), p95 = try #require(figure["p95"] as? Double)
            let p99 = try #require(figure["p99"] as? Double)
            #expect(p50 > 0 && p50 <= p95 && p95 <= p99, "\(name): \(figure)")
            #expect(figure["n"] as? Int == 5, "\(name): \(figure)")
        }
        // Each tool call lies inside its round trip, so its order statistics are smaller too.
        func p50(_ name: String) -> Double { (object[name] as? [String: Any])?["p50"] as? Double ?? .nan }
        #expect(p50("bash_tool_call_ms") <= p50("agent_tool_roundtrip_ms"))
        #expect(p50("baseline_docker_exec_cli_call_ms") <= p50("baseline_docker_exec_cli_roundtrip_ms"))
        #expect(p50("baseline_docker_exec_api_call_ms") <= p50("baseline_docker_exec_api_roundtrip_ms"))
        let ratios = try #require(object["baseline_ratio"] as? [String: Double])
        #expect(Set(ratios.keys) == ["docker_exec_cli", "docker_exec_api"])
        #expect(ratios.values.allSatisfy { $0 > 0 })
        let targets = try #require(object["targets"] as? [String: Double])
        #expect(targets == ["agent_tool_roundtrip_ms_p50": 1.5, "agent_step_overhead_ms_p50": 5, "query_first_event_ms_p50": 2])
        #expect(object["build"] as? String == "debug")
        #expect((object["image"] as? String)?.contains("agent") == true)
        let machine = try #require(object["machine"] as? [String: Any])
        #expect((machine["cores"] as? Int ?? 0) > 0 && machine["engine"] is String && machine["load_before"] is [Double])
        #expect(Set(object.keys).isSuperset(of: figures + ["baseline_ratio", "targets", "warmup", "machine"]))
    }

    @Test func theTimelineSeesEachCallAtTheClientAndTheRoundTripsBetweenThem() async throws {
        let models = try await AgentBenchmarkModels.start()
        defer { Task { await models.stop() } }
        let router = try models.conversation([.reply("one"), .reply("two")])
        for _ in 0..<2 {
            let stream = try await router.stream(ModelRequest(model: AgentBenchmarkModels.model, messages: [.user("hi")]))
            for try await _ in stream {}
        }
        let calls = models.timeline.take()
        #expect(calls.count == 2)
        #expect(calls.allSatisfy { ($0.modelTime ?? .zero) > .zero })
        let gaps = try ModelTimeline.roundTrips(calls)
        #expect(gaps.count == 1 && gaps[0] >= .zero)
        #expect(models.timeline.take().isEmpty, "take() starts the timeline over")

        // Calls that overlap, or one without an answer, are not one conversation: no figure.
        let start = ContinuousClock.now
        let overlapping = [
            ModelTimeline.Call(requested: start, answered: start + .milliseconds(2)),
            ModelTimeline.Call(requested: start + .milliseconds(1), answered: start + .milliseconds(3)),
        ]
        #expect(throws: AgentBenchmarkError.self) { try ModelTimeline.roundTrips(overlapping) }
        let unanswered = [ModelTimeline.Call(requested: start, answered: nil), ModelTimeline.Call(requested: start + .milliseconds(1))]
        #expect(throws: AgentBenchmarkError.self) { try ModelTimeline.roundTrips(unanswered) }
    }

    @Test func aRoundTripWhoseToolFailsIsRefusedNotMeasured() async throws {
        let models = try await AgentBenchmarkModels.start()
        defer { Task { await models.stop() } }
        let sandbox = try await NoopSandboxBackend().create(SandboxSpec(image: "none"))
        let failing = RelayedBashTool { _ in (Array("boom".utf8), 2) }
        let error = await #expect(throws: AgentBenchmarkError.self) {
            _ = try await AgentRoundTrip.throughLoop(sandbox: sandbox, models: models, iterations: 3, warmup: 1, bash: failing)
        }
        #expect(error?.code == .runFailed)
        #expect(error?.message.contains("boom") == true, "\(String(describing: error))")

        // The relayed tool reports like ours: output, then the exit code, as an error.
        let relayed = try await failing.run(try ToolInput(["command": "x"]), context: ToolContext(sandbox: sandbox))
        #expect(relayed == ToolOutput("boom\nExit code 2", isError: true))
        let quiet = try await RelayedBashTool { _ in ([], 0) }.run(try ToolInput(["command": "x"]), context: ToolContext(sandbox: sandbox))
        #expect(quiet == ToolOutput("(no output)"))
    }
}
