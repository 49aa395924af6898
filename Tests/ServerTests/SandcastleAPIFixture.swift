import DockerEngine
import Engine
import EngineService
import Foundation
import Logging
import Orchestrator
import Sandbox
import Schedules
import Store
import TestSupport
import Testing

@testable import Server
@testable import ServerCore

/// A live server in this process serving Sandcastle's `/api` over a real ``Orchestrator`` (SQLite,
/// runs on real Docker: no skip path) and a ``Scheduler`` on a hand-moved clock; sandboxes of
/// the native API come from the in-memory fake.
struct SandcastleAPIFixture {
    let live: LiveServer
    let orchestrator: Orchestrator
    let scheduler: Scheduler
    let clock: ManualClock

    /// Runs `body` against the server; afterwards waits for every run to end, checks that none
    /// left a container or workspace volume behind (removing any it finds), and removes the folders.
    static func with<T>(
        workflows: [String: String], now: Date, catchUp: CatchUp = .once,
        configure: (inout ServerConfiguration) -> Void = { _ in }, _ body: (SandcastleAPIFixture) async throws -> T
    ) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sc-api-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let folder = directory + "/workflows"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (name, yaml) in workflows { try yaml.write(toFile: "\(folder)/\(name).yaml", atomically: true, encoding: .utf8) }
        let runs = try await RunService.open(EngineSettings(dataDirectory: directory + "/data"), sandboxes: .required, creatingStore: true)
        let orchestrator = Orchestrator(runs: runs, workflowsFolder: folder, maxConcurrentRuns: 2, logger: Logger(label: "test.runs"))
        try await orchestrator.start()
        let clock = ManualClock(now)
        let scheduler = Scheduler(
            orchestrator: orchestrator, defaultCatchUp: catchUp,
            clock: SchedulerClock(now: { clock.now }, sleep: { try await clock.sleep(until: $0) }), logger: Logger(label: "test.schedules"))
        var dependencies = ServerFixture.fake()
        dependencies.orchestrator = orchestrator
        dependencies.scheduler = scheduler
        await scheduler.start()
        let result: Result<T, any Error>
        do {
            result = .success(
                try await ServerFixture.with(ServerFixture.configuration(open: true, configure), dependencies) { live in
                    try await body(SandcastleAPIFixture(live: live, orchestrator: orchestrator, scheduler: scheduler, clock: clock))
                })
        } catch {
            result = .failure(error)
        }
        // Also after a failure: its runs must not outlive the test.
        await scheduler.stop()
        try await expectNoLeftovers(orchestrator)
        return try result.get()
    }

    static func expectNoLeftovers(_ orchestrator: Orchestrator) async throws {
        let runs = try orchestrator.runs.repository.listRuns(RunQuery(limit: 1000))
        for run in runs { _ = await orchestrator.queue.waitForTurnEnd(runID: run.id) }
        let docker = try await DockerClient.connect()
        for run in runs {
            let clean = try await eventually(.seconds(60)) {
                let containers = try await docker.listContainers(
                    all: true, filters: .labels(["\(SandcastleLabels.managed)=true", "\(SandcastleLabels.run)=\(run.id)"]))
                let volumes = try await docker.listVolumes(filters: DockerFilters(["name": [WorkflowEngine.workspaceName(runID: run.id)]]))
                return containers.isEmpty && volumes.isEmpty
            }
            #expect(clean, "run \(run.id) left containers or its workspace behind")
            if !clean {
                let containers = try await docker.listContainers(all: true, filters: .labels(["\(SandcastleLabels.run)=\(run.id)"]))
                for container in containers { try? await docker.removeContainer(id: container.id, force: true, removeVolumes: true) }
                try? await docker.removeVolume(name: WorkflowEngine.workspaceName(runID: run.id), force: true)
            }
        }
    }

    /// Sandcastle's error code and details from a `{"detail": {"error": …}}` answer.
    static func error(_ body: [String: Any]) -> (code: String?, message: String?, details: [String: Any]?) {
        let error = (body["detail"] as? [String: Any])?["error"] as? [String: Any]
        return (error?["code"] as? String, error?["message"] as? String, error?["details"] as? [String: Any])
    }
}
