import ArgumentParser
import Benchmarks
import DockerEngine
import Foundation
import Sandbox
import SandboxDocker
import Store

/// `sandcastle bench agent [--json]`: our overhead around a model, measured against the provider
/// double with zero model latency (its HTTP exchange is the only model time): the tool round trip
/// and an agent step's overhead, with one `docker exec` per tool call (the way Sandkasten and
/// llm-sandbox run tools) as the baseline in the same run.
struct BenchAgent: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Agent tool round trip and step overhead against a zero-latency provider double, with docker exec as the baseline.",
        discussion: """
            Starts the provider double in this process on a free loopback port and reaches it through the real \
            model stack (router, Anthropic client, HTTP). agent_tool_roundtrip_ms: a Bash call of `true`, from the \
            model's tool call fully received by our client to our next request handed to it, through the agent loop \
            in a sandbox of IMAGE (and again through an agent step of a workflow run by the engine). \
            agent_step_overhead_ms: a chain of one-turn agent steps sharing one sandbox, each step's time minus its \
            model call. query_first_event_ms: POST /query of a sandcastle serve in this process, from the client \
            handing out the answer's first text delta to the stream_event carrying it read by an HTTP client. Baseline: the same loop with each Bash call run by `docker exec` (the CLI, and the Engine \
            API's exec create + start).
            """)

    @Option(name: .long, help: "Samples per figure (5-450).")
    var iterations = 200

    @Option(name: .long, help: "Samples dropped before each figure.")
    var warmup = 20

    @Option(name: .customLong("baseline-iterations"), help: "Samples of each docker exec baseline (at least 5).")
    var baselineIterations = 50

    @Option(name: .customLong("query-iterations"), help: "POST /query sessions timed for query_first_event_ms (5-450; each makes a sandbox).")
    var queryIterations = 50

    @Option(name: .long, help: "Image the agent's sandbox runs (the agent steps' default).")
    var image = "agent"

    @Flag(name: .long, help: "Print one JSON object instead of the table.")
    var json = false

    func validate() throws {
        if !(5...450).contains(iterations) { throw ValidationError("--iterations must be between 5 and 450") }
        if !(1...200).contains(warmup) { throw ValidationError("--warmup must be between 1 and 200") }
        if !(5...450).contains(baselineIterations) { throw ValidationError("--baseline-iterations must be between 5 and 450") }
        if !(5...450).contains(queryIterations) { throw ValidationError("--query-iterations must be between 5 and 450") }
    }

    func run() async throws {
        let progress: (String) -> Void = { [json] message in if !json { Console.error("… \(message)") } }
        let backend = try await DockerSandboxBackend.fromEnvironment()
        let imageReference = backend.images.resolve(image)
        let docker = try DockerCLI()
        let models = try await AgentBenchmarkModels.start()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sandcastle-bench-agent-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var report = AgentBenchReport(
            image: imageReference, iterations: iterations, warmup: warmup,
            machine: MachineInfo.current(engine: try await backend.docker.version()), loadBefore: LoadAverage.current())
        do {
            try await measureOurs(into: &report, backend: backend, models: models, directory: directory, progress: progress)
            try await measureBaselines(
                into: &report, backend: backend, docker: docker, imageReference: imageReference, models: models, progress: progress)
        } catch {
            await models.stop()
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
        await models.stop()
        try? FileManager.default.removeItem(at: directory)
        report.loadAfter = LoadAverage.current()
        Console.print(json ? report.json() : report.table())
    }

    private func measureOurs(
        into report: inout AgentBenchReport, backend: DockerSandboxBackend, models: AgentBenchmarkModels, directory: URL,
        progress: (String) -> Void
    ) async throws {
        progress("tool round trip through the agent loop: \(warmup) + \(iterations) Bash calls of `true` in a sandbox of \(image)")
        let sandbox = try await backend.createSandbox(SandboxSpec(image: image))
        do {
            let ours = try await AgentRoundTrip.throughLoop(sandbox: sandbox, models: models, iterations: iterations, warmup: warmup)
            report.roundTrip = LatencySummary(ours.roundTrips)
            report.bashToolCall = LatencySummary(ours.toolCalls)
            progress("the same without the router, and with an in-process model instead of the client and the double")
            report.roundTripWithoutRouter = LatencySummary(
                try await AgentRoundTrip.throughLoop(
                    sandbox: sandbox, models: models, iterations: iterations, warmup: warmup, withoutRouter: true
                ).roundTrips)
            report.roundTripInProcessModel = LatencySummary(
                try await AgentRoundTrip.withInProcessModel(sandbox: sandbox, iterations: iterations, warmup: warmup))
            progress("the agent loop alone for a one-turn answer (\(iterations) runs)")
            report.loopOneTurn = LatencySummary(
                try await AgentStepOverhead.loopAlone(sandbox: sandbox, models: models, iterations: iterations, warmup: warmup))
            try await sandbox.destroy()
        } catch {
            try? await sandbox.destroy()
            throw error
        }

        let repository = try SQLiteRunRepository(path: directory.appendingPathComponent("bench.sqlite").path)
        progress("tool round trip through an agent step run by the engine (\(warmup) + \(iterations) calls)")
        report.roundTripEngine = LatencySummary(
            try await AgentRoundTrip.throughEngine(
                backend: backend, repository: repository, dataDirectory: directory.path, image: image, models: models,
                iterations: iterations, warmup: warmup))
        progress("step overhead: a chain of \(warmup) + \(iterations) one-turn agent steps in one session")
        let steps = try await AgentStepOverhead.measure(
            backend: backend, repository: repository, dataDirectory: directory.path, image: image, models: models,
            iterations: iterations, warmup: warmup)
        report.stepOverhead = LatencySummary(steps.overhead)
        report.stepUntilStarted = LatencySummary(steps.untilStarted)
        report.stepAfterStarted = LatencySummary(steps.afterStarted)
        let queryWarmup = min(warmup, 5)
        progress("first event of POST /query: \(queryWarmup) + \(queryIterations) sessions of a sandcastle serve in this process")
        report.queryFirstEvent = LatencySummary(try await QueryFirstEvent.measure(models: models, iterations: queryIterations, warmup: queryWarmup))
    }

    private func measureBaselines(
        into report: inout AgentBenchReport, backend: DockerSandboxBackend, docker: DockerCLI, imageReference: String,
        models: AgentBenchmarkModels, progress: (String) -> Void
    ) async throws {
        // The baselines' own container: the same image, no network, idling until it is removed.
        let container = try docker.output([
            "run", "-d", "--label", "sandcastle.managed=true", "--network", "none", "--entrypoint", "sleep", imageReference, "infinity",
        ])
        .trimmingCharacters(in: .whitespacesAndNewlines)
        // Only the loop needs a sandbox for its context: the relayed tool never touches it.
        let sandbox = try await backend.createSandbox(SandboxSpec(image: image))
        do {
            let warmup = min(self.warmup, 5)
            progress("baseline: the same loop, each Bash call a `docker exec` through the CLI (\(baselineIterations) calls)")
            let cli = RelayedBashTool { command in try await DockerExecRelay.cli(docker, container: container, command: command) }
            let viaCLI = try await AgentRoundTrip.throughLoop(
                sandbox: sandbox, models: models, iterations: baselineIterations, warmup: warmup, bash: cli)
            report.baselineCLI = LatencySummary(viaCLI.roundTrips)
            report.baselineCLIToolCall = LatencySummary(viaCLI.toolCalls)
            progress("baseline: each Bash call an Engine API exec create + start + inspect (\(baselineIterations) calls)")
            let client = backend.docker
            let api = RelayedBashTool { command in
                let output = try await client.exec(container: container, command: DockerExecRelay.arguments(command))
                return (output.stdout + output.stderr, output.exitCode)
            }
            let viaAPI = try await AgentRoundTrip.throughLoop(
                sandbox: sandbox, models: models, iterations: baselineIterations, warmup: warmup, bash: api)
            report.baselineAPI = LatencySummary(viaAPI.roundTrips)
            report.baselineAPIToolCall = LatencySummary(viaAPI.toolCalls)
        } catch {
            try? await sandbox.destroy()
            _ = try? docker.output(["rm", "-f", container])
            throw error
        }
        try? await sandbox.destroy()
        _ = try? docker.output(["rm", "-f", container])
    }
}

/// A tool call run the way Sandkasten and llm-sandbox run one: a `docker exec` of its own.
enum DockerExecRelay {
    /// The command split on white space into an argv, as llm-sandbox's `exec_run` splits a string
    /// command: `true` runs with no shell, the baseline's cheapest case.
    static func arguments(_ command: String) -> [String] {
        command.split(whereSeparator: \.isWhitespace).map(String.init)
    }

    /// `docker exec CONTAINER ARGV…` through Docker's CLI, on a thread of its own (the CLI blocks
    /// while it runs, and the loop's tasks must not wait behind it).
    static func cli(_ docker: DockerCLI, container: String, command: String) async throws -> (output: [UInt8], exitCode: Int32) {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                do {
                    let output = try docker.output(["exec", container] + arguments(command))
                    continuation.resume(returning: (Array(output.utf8), 0))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }
}
