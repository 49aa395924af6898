import Agent
import Engine
import Foundation
import JSONValues
import ModelProviders
import ProviderDouble
import Sandbox
import Store
import Synchronization
import Workflow

/// `agent_tool_roundtrip_ms`: a `Bash` call of `true`, from the model's tool call fully received
/// by our client to our next request handed to it (``ModelTimeline``), with a zero-latency
/// provider double answering over loopback HTTP. What lies between is ours: the router, the
/// agent loop (events, input check, the task group, the transcript), the tool's process in the
/// sandbox and back, and, through the engine, the run's records of the turn and the call.
public enum AgentRoundTrip {
    /// What the model says: `calls` turns each calling `Bash` with `true`, then a text answer.
    static func script(calls: Int) -> [ScriptedTurn] {
        Array(repeating: .calls([ScriptedToolCall(name: "Bash", input: ["command": "true"])]), count: calls) + [.reply("done")]
    }

    static let prompt = "Run `true` with the Bash tool each time you are asked, until you are told to stop."

    /// What one loop run measured: the round trips, and the tool calls inside them as the loop
    /// timed them (`toolCallFinished`: the tool's run, the sandbox's share of each round trip).
    public struct LoopSamples: Sendable {
        public var roundTrips: [Duration]
        public var toolCalls: [Duration]
    }

    /// Through the agent loop alone (no engine, no store): what every agent path shares
    /// (`prompt:` steps, `sandcastle agent`, `POST /query`). `bash` is the tool the model's
    /// `Bash` calls reach: ours by default, or a baseline's (``RelayedBashTool``). `withoutRouter`
    /// hands the loop the provider client itself, to tell the router's share from the rest.
    ///
    /// - Returns: `iterations` samples of each, after `warmup` more that are dropped.
    public static func throughLoop(
        sandbox: any SandboxInstance, models: AgentBenchmarkModels, iterations: Int, warmup: Int,
        bash: any AgentTool = BashTool(), withoutRouter: Bool = false
    ) async throws -> LoopSamples {
        let calls = warmup + iterations
        let provider = withoutRouter ? try models.directClient(script(calls: calls)) : try models.conversation(script(calls: calls))
        let toolCalls = Mutex<[Duration]>([])
        let events = AgentEventSink { event in
            if case .toolCallFinished(let finish) = event { toolCalls.withLock { $0.append(finish.duration) } }
        }
        _ = models.timeline.take()
        let loop = AgentLoop(
            provider: provider, configuration: AgentConfiguration(model: AgentBenchmarkModels.model, maxTurns: calls + 1),
            tools: try ToolSet([bash]), sandbox: sandbox, events: events)
        let result = await loop.run(prompt: prompt)
        let timings = models.timeline.take()
        guard case .success = result.outcome else {
            throw AgentBenchmarkError(.runFailed, "the agent run ended \(result.outcome.terminalReason): \(result.outcome.summary)")
        }
        let answers = result.transcript.flatMap(\.content).compactMap { if case .toolResult(let answer) = $0 { answer } else { nil } }
        if let failed = answers.first(where: \.isError) {
            throw AgentBenchmarkError(.runFailed, "a Bash call of `true` failed: \(failed.content.prefix(500))")
        }
        return LoopSamples(
            roundTrips: try samples(timings, calls: calls, warmup: warmup), toolCalls: Array(toolCalls.withLock { $0 }.dropFirst(warmup)))
    }

    /// The loop with a model in this process that answers at once (``ToolRoundTrip/measure(sandbox:iterations:warmup:)``):
    /// no client, no HTTP, no router. What is left is the loop and the sandbox.
    public static func withInProcessModel(sandbox: any SandboxInstance, iterations: Int, warmup: Int) async throws -> [Duration] {
        try await ToolRoundTrip.measure(sandbox: sandbox, iterations: iterations, warmup: warmup)
    }

    /// Through an agent (`prompt:`) step of a workflow run by the engine, configured as
    /// `sandcastle run` configures it: the same round trip plus what the engine does around each
    /// turn and call (the `model_turn` record, `tool_called` and `tool_answered` events in SQLite).
    public static func throughEngine(
        backend: any SandboxBackend, repository: any RunRepository, dataDirectory: String, image: String,
        models: AgentBenchmarkModels, iterations: Int, warmup: Int
    ) async throws -> [Duration] {
        let calls = warmup + iterations
        let router = try models.conversation(script(calls: calls))
        let workflow = try AgentBenchmarkWorkflows.load(
            """
            name: bench-agent-roundtrip
            steps:
              - id: agent
                prompt: \(AgentBenchmarkWorkflows.quoted(prompt))
                model: \(AgentBenchmarkModels.model)
                max_turns: \(calls + 1)
                tools: [Bash]
                image: \(AgentBenchmarkWorkflows.quoted(image))
            """)
        _ = models.timeline.take()
        let engine = WorkflowEngine(
            backend: backend, repository: repository,
            configuration: AgentBenchmarkWorkflows.configuration(dataDirectory: dataDirectory, models: models.access(router)))
        let outcome = try await engine.run(workflow)
        let timings = models.timeline.take()
        guard outcome.status == .completed else {
            throw AgentBenchmarkError(.runFailed, "the benchmark run ended \(outcome.status): \(outcome.error ?? "")")
        }
        let failed = try repository.events(runID: outcome.runID).map(RunEvent.init).contains {
            if case .toolAnswered(let answer) = $0 { answer.isError } else { false }
        }
        if failed { throw AgentBenchmarkError(.runFailed, "a Bash call of `true` failed in run \(outcome.runID)") }
        return try samples(timings, calls: calls, warmup: warmup)
    }

    /// The round trips between `calls + 1` model calls (the last one is the closing answer), the
    /// first `warmup` dropped.
    static func samples(_ timings: [ModelTimeline.Call], calls: Int, warmup: Int) throws -> [Duration] {
        guard timings.count == calls + 1 else {
            throw AgentBenchmarkError("expected \(calls + 1) model calls, the client saw \(timings.count)")
        }
        return Array(try ModelTimeline.roundTrips(timings).dropFirst(warmup))
    }
}

/// `Bash` as sandboxes without a runner run it: each call's command handed to `relay` (one
/// `docker exec` per call, for the baseline), its output and exit code reported as ours are.
public struct RelayedBashTool: AgentTool {
    public let definition = BashTool().definition
    private let relay: @Sendable (String) async throws -> (output: [UInt8], exitCode: Int32)

    public init(relay: @escaping @Sendable (String) async throws -> (output: [UInt8], exitCode: Int32)) {
        self.relay = relay
    }

    public func run(_ input: ToolInput, context: ToolContext) async throws -> ToolOutput {
        let (output, exitCode) = try await relay(try input.string("command"))
        var text = String(decoding: output, as: UTF8.self)
        if exitCode != 0 { text += (text.isEmpty || text.hasSuffix("\n") ? "" : "\n") + "Exit code \(exitCode)" }
        return ToolOutput(text.isEmpty ? "(no output)" : text, isError: exitCode != 0)
    }
}
