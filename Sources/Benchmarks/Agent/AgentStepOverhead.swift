import Agent
import Engine
import Foundation
import ProviderDouble
import Sandbox
import Store
import Synchronization
import Workflow

/// `agent_step_overhead_ms`: what an agent (`prompt:`) step costs beyond its model call, when the
/// model answers at once and the step's sandbox already exists.
///
/// The steps form a chain in one `session:`, so the chain's first step makes the sandbox and
/// every later step finds it made (the first `warmup` steps are not counted). A sample is the
/// time from the previous step's `stepFinished` to this step's `stepFinished` (both live engine
/// events, sent once the result is committed) minus this step's model time (the client's HTTP
/// exchange with the zero-latency double, ``ModelTimeline``). It covers everything the engine
/// does for the step: scheduling it, its slots and backend lease, the durable start record,
/// taking the session's sandbox, the artifacts folder, the agent loop with its request and
/// events, the `model_turn` record, turning the answer into the output, and the result's commit.
public enum AgentStepOverhead {
    /// Each step's overhead, and its two parts: until the engine reports the step started
    /// (scheduling, slots, backend lease, the start record) and from then on (the sandbox, the
    /// artifacts folder, the agent loop, the output, the result's commit), the model time taken out.
    public struct Samples: Sendable {
        public var overhead: [Duration] = []
        public var untilStarted: [Duration] = []
        public var afterStarted: [Duration] = []
    }

    public static func measure(
        backend: any SandboxBackend, repository: any RunRepository, dataDirectory: String, image: String,
        models: AgentBenchmarkModels, iterations: Int, warmup: Int
    ) async throws -> Samples {
        let steps = max(1, warmup) + iterations
        let router = try models.conversation([.reply("ok")], repeats: true)
        var yaml = "name: bench-agent-step\nsteps:\n"
        for index in 0..<steps {
            yaml += """
                  - id: s\(index)
                    prompt: Answer in one word.
                    model: \(AgentBenchmarkModels.model)
                    max_turns: 1
                    image: \(AgentBenchmarkWorkflows.quoted(image))
                    session: bench\(index > 0 ? "\n    depends_on: [s\(index - 1)]" : "")

                """
        }
        let workflow = try AgentBenchmarkWorkflows.load(yaml)
        let finished = Mutex<[String: ContinuousClock.Instant]>([:])
        let started = Mutex<[String: ContinuousClock.Instant]>([:])
        _ = models.timeline.take()
        let engine = WorkflowEngine(
            backend: backend, repository: repository,
            configuration: AgentBenchmarkWorkflows.configuration(dataDirectory: dataDirectory, models: models.access(router)),
            onEvent: { event in
                let now = ContinuousClock.now
                switch event {
                case .stepStarted(let step, _, _): started.withLock { $0[step] = now }
                case .stepFinished(let step, _, _, _, _): finished.withLock { $0[step] = now }
                default: break
                }
            })
        let outcome = try await engine.run(workflow)
        let timings = models.timeline.take()
        guard outcome.status == .completed else {
            throw AgentBenchmarkError(.runFailed, "the benchmark run ended \(outcome.status): \(outcome.error ?? "")")
        }
        guard timings.count == steps else {
            throw AgentBenchmarkError("expected one model call per step (\(steps)), the client saw \(timings.count)")
        }
        let (starts, ends) = (started.withLock { $0 }, finished.withLock { $0 })
        var samples = Samples()
        for index in max(1, warmup)..<steps {
            guard let previous = ends["s\(index - 1)"], let start = starts["s\(index)"], let end = ends["s\(index)"],
                let answered = timings[index].answered
            else {
                throw AgentBenchmarkError("step s\(index) or the one before it has no start or end, or its model call no answer")
            }
            guard previous <= start, timings[index].requested >= start, answered <= end else {
                throw AgentBenchmarkError("the events or the model call of step s\(index) are out of order")
            }
            let model = answered - timings[index].requested
            samples.overhead.append((end - previous) - model)
            samples.untilStarted.append(start - previous)
            samples.afterStarted.append((end - start) - model)
        }
        return samples
    }
}

extension AgentStepOverhead {
    /// The agent loop's part of a step: `AgentLoop.run` for a one-turn answer (a run of its own,
    /// with the step's default tools offered, in `sandbox`), minus the model time. What a step
    /// costs beyond it is the engine's.
    public static func loopAlone(sandbox: any SandboxInstance, models: AgentBenchmarkModels, iterations: Int, warmup: Int) async throws
        -> [Duration]
    {
        let router = try models.conversation([.reply("ok")], repeats: true)
        let loop = AgentLoop(
            provider: router, configuration: AgentConfiguration(model: AgentBenchmarkModels.model, maxTurns: 1),
            tools: try ToolSet.standard(network: false), sandbox: sandbox)
        var samples: [Duration] = []
        for index in 0..<(warmup + iterations) {
            _ = models.timeline.take()
            let start = ContinuousClock.now
            let result = await loop.run(prompt: "Answer in one word.")
            let elapsed = ContinuousClock.now - start
            let calls = models.timeline.take()
            guard case .success = result.outcome, calls.count == 1, let model = calls[0].modelTime else {
                throw AgentBenchmarkError(.runFailed, "a one-turn agent run ended \(result.outcome.terminalReason) after \(calls.count) model calls")
            }
            if index >= warmup { samples.append(elapsed - model) }
        }
        return samples
    }
}

/// The workflows and engine settings the agent benchmarks run.
enum AgentBenchmarkWorkflows {
    static func load(_ yaml: String) throws -> WorkflowDefinition {
        let loaded = WorkflowLoader().load(text: yaml, file: "<bench agent>")
        guard let workflow = loaded.workflow, loaded.isValid else {
            throw AgentBenchmarkError(.runFailed, "the benchmark workflow is invalid: \(loaded.diagnostics.map(\.description).joined(separator: "; "))")
        }
        return workflow
    }

    /// `value` as a double-quoted YAML scalar.
    static func quoted(_ value: String) -> String {
        "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// What `sandcastle run` gives the engine (`RunService.engine`): a data folder (so artifacts
    /// are collected), one sandbox made ahead per kind, the workspace removed at the end.
    static func configuration(dataDirectory: String, models: ModelAccess) -> EngineConfiguration {
        var configuration = EngineConfiguration(removesWorkspace: true, dataDirectory: dataDirectory)
        configuration.sandboxesAhead = 1
        configuration.models = models
        return configuration
    }
}
