import EngineService
import Foundation
import Logging
import Orchestrator
import Schedules
import TestSupport
import Testing

@testable import Server
@testable import ServerCore

/// The `sandcastle` CLI as a child process against a live server in this process: Sandcastle's
/// `/api` over a real ``Orchestrator`` (runs on real Docker), a ``Scheduler`` on a hand-moved
/// clock (slots fire only when a test moves it), and API keys required (``ServerFixture/key``).
struct RemoteCLIFixture {
    let live: LiveServer
    let orchestrator: Orchestrator
    let clock: ManualClock

    var url: String { "http://127.0.0.1:\(live.port)" }

    /// 2030-01-01T00:00:30Z.
    static let now = Date(timeIntervalSince1970: 1_893_456_030)

    static func with(workflows: [String: String], _ body: (RemoteCLIFixture) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sc-remote-cli-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let folder = directory + "/workflows"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (name, yaml) in workflows { try yaml.write(toFile: "\(folder)/\(name).yaml", atomically: true, encoding: .utf8) }
        let runs = try await RunService.open(EngineSettings(dataDirectory: directory + "/data"), sandboxes: .required, creatingStore: true)
        let orchestrator = Orchestrator(runs: runs, workflowsFolder: folder, maxConcurrentRuns: 4, logger: Logger(label: "test.runs"))
        try await orchestrator.start()
        let clock = ManualClock(now)
        let scheduler = Scheduler(
            orchestrator: orchestrator, defaultCatchUp: .once,
            clock: SchedulerClock(now: { clock.now }, sleep: { try await clock.sleep(until: $0) }), logger: Logger(label: "test.schedules"))
        var dependencies = ServerFixture.fake()
        dependencies.orchestrator = orchestrator
        dependencies.scheduler = scheduler
        await scheduler.start()
        let result: Result<Void, any Error>
        do {
            result = .success(
                try await ServerFixture.with(ServerFixture.configuration(open: false), dependencies) { live in
                    try await body(RemoteCLIFixture(live: live, orchestrator: orchestrator, clock: clock))
                })
        } catch {
            result = .failure(error)
        }
        await scheduler.stop()
        try await SandcastleAPIFixture.expectNoLeftovers(orchestrator)
        try result.get()
    }

    /// The debug CLI built next to the tests (`swift build --build-tests` builds it).
    static let executable: String = {
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent(".build/debug/sandcastle")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate.path }
            directory.deleteLastPathComponent()
        }
        return "/missing/.build/debug/sandcastle (run swift build)"
    }()

    /// What one CLI command printed: stdout and stderr apart.
    struct Output {
        let status: Int32
        let stdout: String
        let stderr: String
        var all: String { stdout + stderr }
    }

    /// Runs the CLI to its end with the server named by `SANDCASTLE_URL` and the key by
    /// `SANDCASTLE_API_KEY` (unless `environment` says otherwise), in a scratch directory.
    func cli(_ arguments: [String], key: String? = ServerFixture.key, environment extra: [String: String] = [:]) async throws -> Output {
        try await Self.run(arguments, environment: environment(key: key, extra))
    }

    /// The child's environment: ours without any `SANDCASTLE_` setting, then the server's URL and key.
    func environment(key: String? = ServerFixture.key, _ extra: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SANDCASTLE_") }
        environment["SANDCASTLE_URL"] = url
        if let key { environment["SANDCASTLE_API_KEY"] = key }
        for (name, value) in extra { environment[name] = value }
        return environment
    }

    static func run(_ arguments: [String], environment: [String: String]) async throws -> Output {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("sc-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let errors = scratch.appendingPathComponent("stderr")
        // stderr goes to a file through a shell redirect; stdout comes back through runChild.
        let quoted = ([executable] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let result = try await runChild(
            "/bin/sh", ["-c", "exec \(quoted) 2>'\(errors.path)'"], directory: scratch, environment: environment, includeStandardError: false)
        let stderr = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
        return Output(status: result.status, stdout: result.text, stderr: stderr)
    }

    /// The run id a `runs submit`, `replay` or `fork` printed first: `run ID: …`.
    static func runID(_ output: Output) -> String? {
        for line in output.stdout.split(separator: "\n") where line.hasPrefix("run ") {
            let rest = line.dropFirst(4)
            if let colon = rest.firstIndex(of: ":") { return String(rest[..<colon]) }
        }
        return nil
    }

    /// The run's status as the API answers it.
    func status(_ runID: String) async throws -> String? {
        let answer = try await live.call(.get, "/api/runs/\(runID)", key: ServerFixture.key)
        return (answer.body["data"] as? [String: Any])?["status"] as? String
    }
}
