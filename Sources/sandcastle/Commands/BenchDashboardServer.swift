import ArgumentParser
import Dashboard
import Engine
import EngineService
import Foundation
import HTTPTransport
import Logging
import Orchestrator
import Server
import ServerCore
import Store

/// What `sandcastle bench dashboard` measures against: `sandcastle serve` in this process (open
/// mode, on a free loopback port, Docker behind it) over a scratch data folder, with a recorded
/// run of a wide workflow for the run page, and a small workflow for live runs.
struct BenchDashboardServer {
    let port: Int
    let orchestrator: Orchestrator
    let client: HTTPClient
    let folder: String
    private let running: Task<Void, any Error>
    private let server: SandcastleServer

    /// `live`: three quick steps, for runs that progress while a page follows them.
    static let liveWorkflow = """
        name: live
        steps:
          - {id: one, run: echo one}
          - {id: two, depends_on: [one], run: echo two}
          - {id: three, depends_on: [two], run: echo three}
        """

    static func start(maxConcurrentRuns: Int) async throws -> BenchDashboardServer {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sandcastle-bench-dashboard-\(UUID().uuidString)").path
        let workflows = folder + "/workflows"
        try FileManager.default.createDirectory(atPath: workflows, withIntermediateDirectories: true)
        try liveWorkflow.write(toFile: workflows + "/live.yaml", atomically: true, encoding: .utf8)
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.openMode = true
        configuration.dataDirectory = folder + "/data"
        configuration.rateLimitRuns = .off
        let logger = Logger(label: "bench.dashboard") { _ in SwiftLogNoOpLogHandler() }
        var dependencies = try await ServerDependencies.production(configuration, logger: logger)
        dependencies.logger = logger
        let runs = try await RunService.open(
            try EngineSettings.load(dataDirectory: configuration.dataDirectory), sandboxes: .required, creatingStore: true)
        let orchestrator = Orchestrator(runs: runs, workflowsFolder: workflows, maxConcurrentRuns: maxConcurrentRuns, logger: logger)
        try await orchestrator.start()
        dependencies.orchestrator = orchestrator
        let server = try SandcastleServer(configuration: configuration, dependencies: dependencies)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = server.application { port in continuation.yield(port) }
        let running = Task { try await app.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw ValidationError("the server did not start") }
        return BenchDashboardServer(
            port: port, orchestrator: orchestrator, client: try HTTPClient(endpoint: .http(host: "127.0.0.1", port: port)),
            folder: folder, running: running, server: server)
    }

    func stop() async {
        running.cancel()
        _ = await running.result
        await orchestrator.stop()
        await server.service.shutdown()
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// Records a finished run of a workflow of `steps` steps in layers of ten, each step after
    /// two of the layer before (the drawing benchmark's graph), every step completed with one
    /// attempt and an output: the run page's worst ordinary case. Returns the run's id.
    func seedWideRun(steps: Int) throws -> String {
        let width = 10
        var yaml = "name: wide\nsteps:\n"
        for index in 0..<steps {
            let layer = index / width
            var line = "  - {id: s\(index), run: echo \(index)"
            if layer > 0 {
                let previous = (layer - 1) * width
                let parents = Set([previous + index % width, previous + (index + 1) % width]).sorted()
                line += ", depends_on: [\(parents.map { "s\($0)" }.joined(separator: ", "))]"
            }
            yaml += line + "}\n"
        }
        let path = folder + "/wide.yaml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        let runID = WorkflowEngine.makeRunID()
        let start = Date().addingTimeInterval(-600)
        let repository = orchestrator.runs.repository
        try repository.createRun(
            RunRecord(id: runID, workflowName: "wide", workflowPath: path, status: .completed, createdAt: start, startedAt: start, finishedAt: Date()))
        var changes: [RunChange] = []
        for index in 0..<steps {
            let began = start.addingTimeInterval(Double(index / width))
            changes.append(
                .upsertStep(
                    StepRecord(
                        runID: runID, stepID: "s\(index)", status: .completed, attempt: 1, backend: "docker", exitCode: 0,
                        outputText: "output of step \(index)", startedAt: began, finishedAt: began.addingTimeInterval(0.8))))
            // The events a real run records for a step: its page reads them for the selected step.
            for (kind, payload) in [
                ("step_started", #"{"attempt":1,"backend":"docker","step":"s\#(index)"}"#),
                ("attempt_finished", #"{"attempt":1,"output_tail":"output of step \#(index)\n","status":"completed","step":"s\#(index)"}"#),
                ("step_finished", #"{"duration_ms":800,"output":"output of step \#(index)","status":"completed","step":"s\#(index)"}"#),
            ] {
                changes.append(.appendEvent(runID: runID, kind: kind, payloadJSON: payload, time: began))
            }
            changes.append(
                .recordAttempt(
                    StepAttemptRecord(
                        runID: runID, stepID: "s\(index)", attempt: 1, backend: "docker", exitCode: 0, startedAt: began,
                        finishedAt: began.addingTimeInterval(0.8), durationMs: 800)))
        }
        try repository.write(changes)
        return runID
    }

    /// One GET's wall time on loopback, failing on anything but 200.
    func time(_ path: String) async throws -> (Duration, Int) {
        let clock = ContinuousClock()
        let start = clock.now
        let response = try await client.send(HTTPRequest(method: .get, path: path, timeout: .seconds(60)))
        let took = clock.now - start
        guard response.status == 200 else { throw ValidationError("GET \(path) answered \(response.status): \(response.bodyText.prefix(300))") }
        return (took, response.body.count)
    }
}
