import ArgumentParser
import Benchmarks
import DockerEngine
import Engine
import EngineService
import Foundation
import Sandbox
import SandboxDocker
import Store
import Workflow

/// `sandcastle bench engine [--json]`: what the workflow engine costs per step (on sandboxes that
/// do nothing, with real SQLite persistence), and a 100-wide fan-out of `echo` steps on Docker
/// against 100 sequential `docker run --rm` measured in the same run.
struct BenchEngine: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine",
        abstract: "Engine overhead per step (10,000-step DAG, no-op sandboxes, SQLite) and a 100-wide Docker fan-out.")

    @Option(name: .long, help: "Steps in the no-op DAG.")
    var steps = 10_000

    @Option(name: .long, help: "Items in the Docker fan-out.")
    var fanout = 100

    @Option(name: .long, help: "Sandboxes at once in the Docker fan-out (the run's and the global limit).")
    var parallel = 8

    @Option(name: .long, help: "Steps in the Docker chain (each depends on the one before).")
    var chain = 10

    @Option(name: .customLong("chain-work-ms"), help: "How long each chain step works (sleeps) before its echo.")
    var chainWorkMs = 200

    @Option(name: .long, help: "Image for the Docker fan-out and the docker run baseline.")
    var image = "base"

    @Flag(name: .long, help: "Print one JSON object instead of the table.")
    var json = false

    @Flag(name: .customLong("engine-only"), help: "Only the no-op DAG (no Docker): for profiling the engine.")
    var engineOnly = false

    func validate() throws {
        if steps < 1000 { throw ValidationError("--steps must be at least 1000") }
        if fanout < 1 || parallel < 1 { throw ValidationError("--fanout and --parallel must be at least 1") }
        if chain < 2 { throw ValidationError("--chain must be at least 2") }
        if chainWorkMs < 0 { throw ValidationError("--chain-work-ms must not be negative") }
    }

    func run() async throws {
        let progress: (String) -> Void = { message in if !json { Console.error("… \(message)") } }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sandcastle-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        // 1. The engine alone: every step goes through scheduling, rendering and all its store
        //    writes (WAL, synchronous=NORMAL, the CLI's settings), on sandboxes that answer at once.
        let database = directory.appendingPathComponent("bench.sqlite").path
        let repository = try SQLiteRunRepository(path: database)
        progress("warming up (1,000 steps)")
        _ = try await EngineBenchmark.measure(EngineBenchmark.workflow(steps: 1_000), repository: repository)
        progress("\(steps)-step DAG on no-op sandboxes, persisted in \(database)")
        let dag = EngineBenchmark.workflow(steps: steps)
        let engineResult = try await EngineBenchmark.measure(dag, repository: repository)
        guard engineResult.status == .completed, engineResult.sandboxes == steps else {
            throw ValidationError("the no-op run ended \(engineResult.status) after \(engineResult.sandboxes) steps")
        }
        let runs = try repository.listRuns(RunQuery(limit: 1))
        let events = try runs.first.map { try repository.events(runID: $0.id).count } ?? 0
        let graph = WorkflowGraph(dag)
        if engineOnly {
            Console.print(
                String(
                    format: "engine overhead %.4f ms/step (%d steps, %.3f s, %d events persisted)",
                    engineResult.overheadMillisecondsPerStep, steps, engineResult.wall.seconds, events))
            return
        }

        // 2. A fan-out of `echo` steps on Docker, each in its own sandbox.
        let backend = try await DockerSandboxBackend.fromEnvironment()
        let imageReference = backend.images.resolve(image)
        let docker = try DockerCLI()
        progress("\(fanout)-wide fan-out of echo steps on Docker, \(parallel) at a time")
        let fanoutRepository = try SQLiteRunRepository(path: directory.appendingPathComponent("fanout.sqlite").path)
        let loaded = WorkflowLoader().load(
            text: """
                name: fanout\(fanout)
                inputs:
                  items: {type: list}
                defaults: {image: \(image), timeout: 2m}
                steps:
                  - id: echo
                    parallel_over: "{input.items}"
                    run: echo {input._item}
                """, file: "<bench>")
        guard let fanWorkflow = loaded.workflow, loaded.isValid else {
            throw ValidationError("bench workflow: \(loaded.diagnostics.map(\.description).joined(separator: "\n"))")
        }
        let engine = WorkflowEngine(
            backend: backend, repository: fanoutRepository,
            configuration: EngineConfiguration(
                maxConcurrentStepsPerRun: parallel,
                removesWorkspace: true,
                sandboxesAhead: EngineSettings.defaultSandboxesAhead),
            globalLimit: AsyncSemaphore(limit: parallel))
        let items = JSONValue.array((0..<fanout).map { JSONValue.integer($0) })
        let clock = ContinuousClock()
        let fanStart = clock.now
        let outcome = try await engine.run(fanWorkflow, inputs: ["items": .value(items)])
        let fanWall = clock.now - fanStart
        guard outcome.status == .completed, outcome.steps["echo"]?.output == items else {
            throw ValidationError("the fan-out run ended \(outcome.status): \(outcome.error ?? "wrong outputs")")
        }
        var stepSum = 0.0
        for index in 0..<fanout {
            let attempts = try fanoutRepository.attempts(runID: outcome.runID, stepID: "echo", fanoutIndex: index)
            stepSum += attempts.compactMap(\.durationMs).map(Double.init).reduce(0, +) / 1000
        }
        var leftovers = try await backend.docker.listContainers(all: true, filters: .label(SandcastleLabels.run, outcome.runID))

        // 3. A chain of `echo` steps, each waiting for the one before: its wall time is step after
        //    step of sandbox creation unless the next sandbox is made while the current step runs.
        progress("\(chain)-step chain on Docker (\(chainWorkMs) ms of work each), sandboxes made ahead and not, alternately")
        let chainResult = try await Self.measureChain(
            steps: chain, workMs: chainWorkMs, image: image, backend: backend,
            repository: fanoutRepository, rounds: 3)
        leftovers += chainResult.leftovers

        // 4. The baseline: Docker's CLI, one container after the other, same image, same (no) network.
        progress("\(fanout) sequential `docker run --rm --network none` baseline")
        _ = try docker.time([
            "run", "--rm", "--network", "none", "--label", "sandcastle.managed=true",
            "--entrypoint", "echo", imageReference, "warm-up",
        ])
        let baselineStart = clock.now
        for index in 0..<fanout {
            try docker.time([
                "run", "--rm", "--network", "none", "--label", "sandcastle.managed=true",
                "--entrypoint", "echo", imageReference, "\(index)",
            ])
        }
        let baselineWall = clock.now - baselineStart

        let machine = MachineInfo.current(engine: try await backend.docker.version())
        let report = EngineBenchReport(
            steps: steps, engineWall: engineResult.wall.seconds, overheadMs: engineResult.overheadMillisecondsPerStep,
            events: events, widestFanOut: graph.dependents.values.map(\.count).max() ?? 0,
            layers: graph.layers().count, fanout: fanout, parallel: parallel, fanoutWall: fanWall.seconds,
            fanoutStepSum: stepSum, dockerSequential: baselineWall.seconds, chain: chainResult, leftovers: leftovers.count,
            image: imageReference, machine: machine, load: Self.loadAverage())
        Console.print(json ? report.json() : report.table())
    }

    struct ChainResult {
        var steps: Int
        var workMs: Int
        /// Median wall time of the chain with and without sandboxes made ahead.
        var aheadWall: Double
        var coldWall: Double
        /// Steps over all rounds that found their sandbox made ahead, out of `steps * rounds`.
        var aheadHits: Int
        var rounds: Int
        var leftovers: [ContainerSummary]
    }

    /// Runs a `steps`-long chain `rounds` times each way, alternating so drift in the machine's
    /// load colours both alike, and takes the median of each.
    static func measureChain(
        steps: Int, workMs: Int, image: String, backend: DockerSandboxBackend,
        repository: SQLiteRunRepository, rounds: Int
    ) async throws -> ChainResult {
        var yaml = "name: chain\(steps)\ndefaults: {image: \(image), timeout: 2m}\nsteps:\n"
        let work = workMs > 0 ? "sleep \(Double(workMs) / 1000); " : ""
        for index in 0..<steps {
            yaml += "  - {id: s\(index), run: \"\(work)echo \(index)\"\(index > 0 ? ", depends_on: [s\(index - 1)]" : "")}\n"
        }
        let loaded = WorkflowLoader().load(text: yaml, file: "<bench chain>")
        guard let workflow = loaded.workflow, loaded.isValid else {
            throw ValidationError("bench chain: \(loaded.diagnostics.map(\.description).joined(separator: "\n"))")
        }
        var ahead: [Double] = []
        var cold: [Double] = []
        var hits = 0
        var leftovers: [ContainerSummary] = []
        let clock = ContinuousClock()
        for round in 0..<(rounds * 2) {
            let makesAhead = round % 2 == 0
            let engine = WorkflowEngine(
                backend: backend, repository: repository,
                configuration: EngineConfiguration(
                    removesWorkspace: true,
                    sandboxesAhead: makesAhead ? 1 : 0))
            let start = clock.now
            let outcome = try await engine.run(workflow)
            let wall = (clock.now - start).seconds
            guard outcome.status == .completed else {
                throw ValidationError("the chain run ended \(outcome.status): \(outcome.error ?? "")")
            }
            if makesAhead {
                ahead.append(wall)
                hits += try repository.events(runID: outcome.runID)
                    .filter { $0.kind == "attempt_finished" && $0.payloadJSON.contains("\"sandbox_made_ahead\":true") }.count
            } else {
                cold.append(wall)
            }
            leftovers += try await backend.docker.listContainers(all: true, filters: .label(SandcastleLabels.run, outcome.runID))
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        return ChainResult(
            steps: steps, workMs: workMs, aheadWall: median(ahead), coldWall: median(cold), aheadHits: hits, rounds: rounds,
            leftovers: leftovers)
    }

    /// The 1-minute load average, since the other work on the machine colours every figure.
    static func loadAverage() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8),
            let first = text.split(separator: " ").first
        else { return nil }
        return Double(first)
    }
}

struct EngineBenchReport {
    var steps: Int
    var engineWall: Double
    var overheadMs: Double
    var events: Int
    var widestFanOut: Int
    var layers: Int
    var fanout: Int
    var parallel: Int
    var fanoutWall: Double
    var fanoutStepSum: Double
    var dockerSequential: Double
    var chain: BenchEngine.ChainResult
    var leftovers: Int
    var image: String
    var machine: MachineInfo
    var load: Double?

    func json() -> String {
        func r(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }
        var object: [String: Any] = [
            "engine_overhead_ms_per_step": (overheadMs * 10_000).rounded() / 10_000,
            "fanout100_wall_s": r(fanoutWall),
            "fanout100_docker_run_sequential_s": r(dockerSequential),
            "fanout100_step_time_sum_s": r(fanoutStepSum),
            "fanout_items": fanout,
            "fanout_parallel": parallel,
            "chain_wall_s": ["sandboxes_made_ahead": r(chain.aheadWall), "cold": r(chain.coldWall)],
            "chain_steps": chain.steps,
            "chain_step_work_ms": chain.workMs,
            "chain_made_ahead_hits": "\(chain.aheadHits)/\(chain.steps * chain.rounds)",
            "engine_steps": steps,
            "engine_wall_s": r(engineWall),
            "engine_events_persisted": events,
            "engine_dag": ["widest_fan_out": widestFanOut, "layers": layers],
            "engine_store": "SQLite file, WAL, synchronous=NORMAL",
            "containers_left": leftovers,
            "image": image,
            "machine": machine.dictionary,
        ]
        if let load { object["load_average_1m"] = load }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    func table() -> String {
        func f(_ value: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", value) }
        let verdict = overheadMs <= 0.5 ? "meets target" : "MISSES target"
        return """
            Sandcastle engine benchmark — \(machine.summary)\(load.map { ", load \(f($0))" } ?? "")

            | figure | value | compared with | result |
            |---|---|---|---|
            | engine overhead per step (\(steps)-step DAG, no-op sandboxes, SQLite) | \(f(overheadMs, 4)) ms | target ≤ 0.5 ms | \(verdict) |
            | \(fanout)-wide echo fan-out on Docker, \(parallel) at a time: wall | \(f(fanoutWall)) s | sum of its steps \(f(fanoutStepSum)) s | \(f(fanoutStepSum / max(fanoutWall, 0.001), 1))× overlap |
            | the same as \(fanout) sequential `docker run --rm` | \(f(dockerSequential)) s | fan-out wall \(f(fanoutWall)) s | \(f(dockerSequential / max(fanoutWall, 0.001), 1))× slower |
            | \(chain.steps)-step chain on Docker (each \(chain.workMs) ms of work), sandboxes made ahead: wall (median of \(chain.rounds)) | \(f(chain.aheadWall)) s | each made when its step starts \(f(chain.coldWall)) s | \(f(chain.coldWall / max(chain.aheadWall, 0.001), 2))× faster, \(chain.aheadHits)/\(chain.steps * chain.rounds) made ahead |

            DAG: \(steps) steps in \(layers) layers, widest fan-out \(widestFanOut); \(events) events persisted \
            (\(f(engineWall)) s wall). Step time = sandbox (made or taken) + run, from the attempts recorded; removals run after their steps. \
            Containers left by the fan-out: \(leftovers).
            """
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
