import ArgumentParser
import Benchmarks
import Foundation
import ProviderDouble
import SandboxDocker

/// `sandcastle bench api [--json]`: orchestration through `/api` over real HTTP on loopback,
/// against a `sandcastle serve` child process and, in the same run, Sandcastle 0.47's own server
/// (the baseline), both with the provider double answering every model call at once.
struct BenchAPI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "api",
        abstract: "Workflow runs through /api (runs/s, submit → result, step overhead, RSS) against Sandcastle 0.47 as the baseline.",
        discussion: """
            Starts the provider double in this process and `sandcastle serve` of this binary as a child (fresh data \
            folder, the benchmark's workflows, SANDCASTLE_RATE_LIMIT_RUNS=0), then Sandcastle 0.47's server through \
            scripts/bench-peer-sandcastle (its venv made on first use), one after the other. For each: RUNS runs of \
            a one-step `type: llm` workflow submitted CONCURRENCY at a time by POST /api/workflows/run, each awaited \
            through GET /api/runs/{id}/stream to its `result` frame (runs/s, submit → result); STEP-RUNS runs each \
            of a 20-step chain and a 50-wide fan-out of llm steps, one at a time, per step (wall − the double's own \
            time) / steps; the server's VmRSS idle and after the runs. The peer allows 10 submissions per 60 s per \
            client address, so its submissions come from loopback addresses 127.77.x.y, 9 each. Progress on \
            stderr; the table, or JSON with --json, on stdout. See the README (Performance, The orchestrator API).
            """)

    @Option(name: .long, help: "One-step runs for runs/s and submit → result (at least 10).")
    var runs = 100

    @Option(name: .long, help: "Runs in flight at once for runs/s (1-64).")
    var concurrency = 8

    @Option(name: .customLong("step-runs"), help: "Runs of the 20-step chain and of the 50-wide fan-out each (at least 1).")
    var stepRuns = 5

    @Option(name: .customLong("peer-script"), help: "The script that prepares and starts the peer (default: scripts/bench-peer-sandcastle of this checkout).")
    var peerScript: String?

    @Flag(name: .customLong("no-baseline"), help: "Measure our server only.")
    var noBaseline = false

    @Flag(name: .long, help: "Print one JSON object instead of the table.")
    var json = false

    func validate() throws {
        if runs < 10 { throw ValidationError("--runs must be at least 10 so p95 means something") }
        if !(1...64).contains(concurrency) { throw ValidationError("--concurrency must be between 1 and 64") }
        if stepRuns < 1 { throw ValidationError("--step-runs must be at least 1") }
    }

    func run() async throws {
        let progress: @Sendable (String) -> Void = { message in Console.error("… \(message)") }
        let script = try noBaseline ? nil : Self.locatePeerScript(peerScript)
        let engine = try await DockerSandboxBackend.fromEnvironment().docker.version()
        var report = APIBenchReport(
            runs: runs, concurrency: concurrency, stepRuns: stepRuns, machine: MachineInfo.current(engine: engine),
            loadBefore: LoadAverage.current())
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("sandcastle-bench-api-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let double = try await ProviderDouble.start(
            configuration: ProviderDouble.Configuration(
                script: ProviderScriptFile(defaultScript: ProviderScript(turns: [.reply("Hello.")], repeats: true))))
        let doubleKey = "bench-double-" + UUID().uuidString.lowercased()
        do {
            try BenchAPIWorkflows.write(model: "openai/bench-double", into: work.appendingPathComponent("ours-workflows"))
            let apiKey = "sc_bench_" + UUID().uuidString.lowercased()
            progress("starting sandcastle serve (this binary) with the provider double at \(double.baseURL)")
            let ours = try BenchAPIServer.ours(
                work: work, apiKey: apiKey, double: double.baseURL, doubleKey: doubleKey,
                maxConcurrentRuns: max(16, concurrency * 2))
            do {
                let client = try APIBenchClient(name: "sandcastle serve", host: ours.host, port: ours.port, apiKey: apiKey, submissionsPerAddress: nil)
                (report.ours, _) = try await measure(ours, client: client, double: double, progress: progress, tolerateMissing: false)
            } catch {
                ours.stop()
                throw error
            }
            ours.stop()

            if let script {
                progress("starting Sandcastle 0.47 through \(script) (the first start installs it into a venv)")
                let peerWork = work.appendingPathComponent("peer")
                try BenchAPIWorkflows.write(model: "nim/bench-double", into: peerWork.appendingPathComponent("workflows"))
                let peer = try await BenchAPIServer.peer(
                    script: script, work: work, port: try FreePort.loopback(), double: double.baseURL, doubleKey: doubleKey)
                do {
                    // 9 submissions per source address: one under its limit of 10 per 60 s.
                    let client = try APIBenchClient(name: "Sandcastle 0.47", host: peer.host, port: peer.port, apiKey: nil, submissionsPerAddress: 9)
                    (report.baseline, report.baselineMissing) = try await measure(
                        peer, client: client, double: double, progress: progress, tolerateMissing: true)
                } catch {
                    peer.stop()
                    throw error
                }
                peer.stop()
            } else {
                report.baselineMissing["all"] = "--no-baseline"
            }
        } catch {
            await double.stop()
            throw error
        }
        await double.stop()
        report.loadAfter = LoadAverage.current()
        Console.print(json ? report.json() : report.table())
    }

    /// The three workloads and the RSS against one server. With `tolerateMissing`, a workload the
    /// server cannot do is returned with why, by workload (its figure stays nil), instead of
    /// failing the benchmark: the peer's gaps are reported, never made up.
    private func measure(
        _ server: BenchAPIServer, client: APIBenchClient, double: RunningProviderDouble, progress: @escaping @Sendable (String) -> Void,
        tolerateMissing: Bool
    ) async throws -> (APIServerFigures, [String: String]) {
        var figures = APIServerFigures()
        var missing: [String: String] = [:]
        figures.rssIdleMiB = try server.residentMiB()
        let name = server.name
        func attempt(_ workload: String, _ body: () async throws -> Void) async throws {
            do {
                try await body()
            } catch {
                guard tolerateMissing else { throw error }
                missing[workload] = "\(error)"
                progress("\(name) could not do the \(workload) workload: \(error)")
            }
        }
        let runs = self.runs
        try await attempt("runs_per_s") {
            progress("\(name): warming up (\(concurrency) one-step runs)")
            _ = try await client.runMany(BenchAPIWorkflows.oneStep, runs: concurrency, concurrency: concurrency) { _ in }
            progress("\(name): \(runs) one-step llm runs, \(concurrency) at a time")
            let step = max(runs / 10, 1)
            let measured = try await client.runMany(BenchAPIWorkflows.oneStep, runs: runs, concurrency: concurrency) { done in
                if done % step == 0 { progress("\(name): \(done)/\(runs) runs") }
            }
            figures.runsPerSecond = Double(measured.latencies.count) / (measured.wall.milliseconds / 1000)
            figures.submitToResult = LatencySummary(measured.latencies)
        }
        try await attempt("chain") {
            progress("\(name): \(stepRuns) + 1 runs of a \(BenchAPIWorkflows.chainSteps)-step chain, one at a time")
            _ = try await client.stepOverheads(BenchAPIWorkflows.chain, steps: BenchAPIWorkflows.chainSteps, runs: 1, double: double)
            let measured = try await client.stepOverheads(
                BenchAPIWorkflows.chain, steps: BenchAPIWorkflows.chainSteps, runs: stepRuns, double: double)
            figures.chainOverhead = LatencySummary(milliseconds: measured.wall)
            figures.chainRecorded = LatencySummary(milliseconds: measured.recorded)
        }
        try await attempt("fanout") {
            progress("\(name): \(stepRuns) + 1 runs of a \(BenchAPIWorkflows.fanOutWidth)-wide fan-out, one at a time")
            _ = try await client.stepOverheads(BenchAPIWorkflows.fanOut, steps: BenchAPIWorkflows.fanOutWidth, runs: 1, double: double)
            let measured = try await client.stepOverheads(
                BenchAPIWorkflows.fanOut, steps: BenchAPIWorkflows.fanOutWidth, runs: stepRuns, double: double)
            figures.fanOutOverhead = LatencySummary(milliseconds: measured.wall)
            figures.fanOutRecorded = LatencySummary(milliseconds: measured.recorded)
        }
        figures.rssAfterMiB = try server.residentMiB()
        return (figures, missing)
    }

    /// The peer script: the option's path, else scripts/bench-peer-sandcastle found from the
    /// current folder or above this binary (.build/<triple>/<config>/sandcastle in a checkout).
    static func locatePeerScript(_ given: String?) throws -> String {
        let relative = "scripts/bench-peer-sandcastle"
        if let given {
            guard FileManager.default.isReadableFile(atPath: given) else { throw ValidationError("--peer-script \(given) is not a readable file") }
            return given
        }
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var candidates = [URL(fileURLWithPath: FileManager.default.currentDirectoryPath)]
        var folder = URL(fileURLWithPath: executable).deletingLastPathComponent()
        for _ in 0..<5 {
            candidates.append(folder)
            folder = folder.deletingLastPathComponent()
        }
        for candidate in candidates {
            let path = candidate.appendingPathComponent(relative).path
            if FileManager.default.isReadableFile(atPath: path) { return path }
        }
        throw ValidationError(
            "\(relative) was not found from the current folder or above this binary: run from the checkout, pass --peer-script, or --no-baseline")
    }
}
