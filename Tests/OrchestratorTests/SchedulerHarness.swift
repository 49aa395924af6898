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

/// A data folder with a workflows folder, an ``Orchestrator`` over a real `RunService` (SQLite,
/// runs on real Docker: no skip path) and a hand-moved clock for the schedulers made over it.
struct SchedulerHarness {
    /// 2030-01-01T00:00:00Z: slots of an every-minute schedule are this plus whole minutes.
    static let t0 = Date(timeIntervalSince1970: 1_893_456_000)

    /// One quick shell step that prints its input.
    static let hello = """
        name: hello
        inputs:
          who: {type: string, default: world}
        steps:
          - id: greet
            run: echo hi {input.who}
        """

    /// Completes when `ok` is `yes`, fails otherwise.
    static let check = """
        name: check
        inputs:
          ok: {type: string}
        steps:
          - id: check
            run: test "{input.ok}" = yes
        """

    let directory: String
    let orchestrator: Orchestrator
    let clock: ManualClock
    var repository: SQLiteRunRepository { orchestrator.runs.repository }

    init(
        start: Date = t0.addingTimeInterval(30), workflows: [String: String] = ["hello": hello],
        deadLetters: DeadLetterSettings = DeadLetterSettings()
    ) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sc-scheduler-\(UUID().uuidString)").path
        let folder = directory + "/workflows"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (name, yaml) in workflows { try yaml.write(toFile: "\(folder)/\(name).yaml", atomically: true, encoding: .utf8) }
        let runs = try await RunService.open(EngineSettings(dataDirectory: directory + "/data"), sandboxes: .required, creatingStore: true)
        orchestrator = Orchestrator(
            runs: runs, workflowsFolder: folder, maxConcurrentRuns: 2, deadLetters: deadLetters, logger: Logger(label: "test.runs"))
        try await orchestrator.start()
        clock = ManualClock(start)
    }

    /// A scheduler on this harness's store and clock (several may share them, as two servers would).
    func scheduler(catchUp: CatchUp = .once) -> Scheduler {
        let clock = self.clock
        return Scheduler(
            orchestrator: orchestrator, defaultCatchUp: catchUp,
            clock: SchedulerClock(now: { clock.now }, sleep: { try await clock.sleep(until: $0) }), logger: Logger(label: "test.schedules"))
    }

    /// Waits until the clock's only sleeper sleeps until `deadline`: the scheduler has looked and
    /// gone back to sleep (`distantFuture`: no enabled schedule has a next slot).
    func asleep(until deadline: Date) async -> Bool {
        await eventually(.seconds(30)) { clock.deadlines == [deadline] }
    }

    /// Waits until the schedule has `count` finished fires, and returns its fires.
    func fires(of scheduleID: String, finished count: Int) async throws -> [ScheduleFireRecord] {
        let done = try await eventually(.seconds(30)) {
            try repository.scheduleFires(scheduleID: scheduleID).filter(\.isFinished).count >= count
        }
        #expect(done, "the schedule's fires did not finish")
        return try repository.scheduleFires(scheduleID: scheduleID)
    }

    func runs() throws -> [RunRecord] {
        try repository.listRuns(RunQuery(limit: 1000))
    }

    /// The run's status once its turn ended.
    func finished(_ runID: String) async -> RunStatus {
        await orchestrator.queue.waitForTurnEnd(runID: runID)
    }

    /// Waits for every run to end, checks that none left a container or its workspace volume
    /// behind (removing any it finds), and removes the folders.
    func finish() async throws {
        let runs = try runs()
        for run in runs { _ = await finished(run.id) }
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
        try? FileManager.default.removeItem(atPath: directory)
    }
}
