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
    public static func measure(
        backend: any SandboxBackend, repository: any RunRepository, dataDirectory: String, image: String,
        models: AgentBenchmarkModels, iterations: Int, warmup: Int
    ) async throws -> [Duration] {
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
        _ = models.timeline.take()
        let engine = WorkflowEngine(
            backend: backend, repository: repository,
            configuration: AgentBenchmarkWorkflows.configuration(dataDirectory: dataDirectory, models: models.access(router)),
            onEvent: { event in
                if case .stepFinished(let step, _, _, _, _) = event {
                    let now = ContinuousClock.now
                    finished.withLock { $0[step] = now }
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
        let ends = finished.withLock { $0 }
        var samples: [Duration] = []
        for index in max(1, warmup)..<steps {
            guard let previous = ends["s\(index - 1)"], let end = ends["s\(index)"], let answered = timings[index].answered else {
                throw AgentBenchmarkError("step s\(index) or the one before it has no end, or its model call no answer")
            }
            guard timings[index].requested >= previous, answered <= end else {
                throw AgentBenchmarkError("the model call of step s\(index) lies outside the step")
            }
            samples.append((end - previous) - (answered - timings[index].requested))
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
