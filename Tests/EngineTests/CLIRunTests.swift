import DockerEngine
import Foundation
import Sandbox
import Store
import TestSupport
import Testing
import Workflow

@testable import Engine

/// The `sandcastle` executable driving real runs on Docker: killed with SIGKILL mid-run and
/// resumed, and an approval decided by a second process.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct CLIRunTests {
    /// The debug CLI built next to the tests (`swift build --build-tests` builds it).
    static func executable() throws -> URL {
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent(".build/debug/sandcastle")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory.deleteLastPathComponent()
        }
        throw EngineError(.internal, "build the sandcastle CLI first (swift build)")
    }

    /// A child process whose output goes to a file (a pipe nobody drains could block it).
    struct Child {
        let process: Process
        let log: URL

        var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

        /// Waits without blocking a cooperative thread.
        func exit(within limit: Duration) async throws -> Int32 {
            let deadline = ContinuousClock.now + limit
            while process.isRunning {
                guard ContinuousClock.now < deadline else {
                    process.terminate()
                    throw EngineError(.internal, "sandcastle \(process.arguments ?? []) did not exit in time:\n\(output)")
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            return process.terminationStatus
        }
    }

    static func launch(_ arguments: [String], in directory: URL) throws -> Child {
        let log = directory.appendingPathComponent("cli-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        let process = Process()
        process.executableURL = try executable()
        process.arguments = arguments
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        try handle.close()
        return Child(process: process, log: log)
    }

    static func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cli-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    /// Polls `body` until it returns a value, failing after `limit`.
    static func eventually<T>(
        _ what: String, within limit: Duration = .seconds(90),
        _ body: () async throws -> T?
    ) async throws -> T {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if let value = try await body() { return value }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw EngineError(.internal, "timed out waiting for \(what)")
    }

    /// Every step records its start and its end in a ledger in the run's workspace volume; the
    /// last one prints the ledger, so the run's own output tells how often each step ran.
    static let crashWorkflow = """
        name: crash-test
        defaults: {image: base, timeout: 2m}
        steps:
          - id: s1
            run: &work |
              echo "start $SANDCASTLE_STEP_ID" >> ledger.txt
              sleep 2
              echo "done $SANDCASTLE_STEP_ID" >> ledger.txt
          - {id: s2a, depends_on: [s1], run: *work}
          - {id: s2b, depends_on: [s1], run: *work}
          - id: s3
            depends_on: [s2a, s2b]
            run: |
              echo "start $SANDCASTLE_STEP_ID" >> ledger.txt
              sleep 5
              echo "done $SANDCASTLE_STEP_ID" >> ledger.txt
          - id: report
            depends_on: [s3]
            run: |
              echo "start $SANDCASTLE_STEP_ID" >> ledger.txt
              echo "done $SANDCASTLE_STEP_ID" >> ledger.txt
              cat ledger.txt
        """

    /// Runs Docker's own CLI (a view from outside our client) and returns its stdout.
    static func dockerCLI(_ arguments: [String]) async throws -> String {
        try await runChild("docker", arguments, includeStandardError: false).text
    }

    @Test(arguments: [
        ("SANDCASTLE_SANDBOXES_AHEAD", "many"), ("SANDCASTLE_SANDBOXES_AHEAD", "17"),
        ("SANDCASTLE_MAX_SANDBOXES", "0"), ("SANDCASTLE_WORKSPACE_SNAPSHOT_MAX", "lots"),
    ])
    func aBadSettingInTheEnvironmentIsNamedAndNothingRuns(variable: String, value: String) async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("one.yaml")
        try "name: one\nsteps:\n  - {id: a, run: echo a}\n".write(to: file, atomically: true, encoding: .utf8)
        var environment = ProcessInfo.processInfo.environment
        environment[variable] = value
        let data = directory.appendingPathComponent("data")
        let run = try await runChild(
            try Self.executable().path, ["run", file.path, "--data-dir", data.path],
            directory: directory, environment: environment)
        #expect(run.status == 1, "\(run.text)")
        #expect(run.text.contains(variable) && run.text.contains(value), "\(run.text)")
        let runs =
            FileManager.default.fileExists(atPath: data.appendingPathComponent("sandcastle.sqlite").path)
            ? try SQLiteRunRepository(path: data.appendingPathComponent("sandcastle.sqlite").path).listRuns(RunQuery()) : []
        #expect(runs.isEmpty, "no run was started")
    }

    @Test func killedMidRunThenResumedCompletesEachStepOnceAndLeaksNothing() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("crash.yaml")
        try Self.crashWorkflow.write(to: file, atomically: true, encoding: .utf8)
        let data = directory.appendingPathComponent("data")
        let docker = try await DockerClient.connect(to: try DockerHost.fromEnvironment())

        let first = try Self.launch(["run", file.path, "--data-dir", data.path], in: directory)
        let repository = try await Self.eventually("the state database") {
            FileManager.default.fileExists(atPath: data.appendingPathComponent("sandcastle.sqlite").path)
                ? try SQLiteRunRepository(path: data.appendingPathComponent("sandcastle.sqlite").path) : nil
        }
        let runID = try await Self.eventually("the run") { try repository.listRuns(RunQuery()).first?.id }
        let runLabel = DockerFilters.labels(["\(SandcastleLabels.managed)=true", "\(SandcastleLabels.run)=\(runID)"])
        // Kill while s3's command is under way (it has written its start line and sleeps): two
        // levels of the DAG are done, one is half done. Every sandbox of the run mounts the ledger's
        // volume (the one made ahead for `report` too), so any running one can read it.
        _ = try await Self.eventually("s3's start line") { () -> Bool? in
            for container in try await docker.listContainers(all: false, filters: runLabel) {
                if try await Self.dockerCLI(["exec", container.id, "cat", "/workspace/ledger.txt"]).contains("start s3") { return true }
            }
            return nil
        }
        kill(first.process.processIdentifier, SIGKILL)
        #expect(try await first.exit(within: .seconds(10)) == 9 || first.process.terminationReason == .uncaughtSignal)

        let atCrash = try #require(try repository.run(id: runID))
        #expect(atCrash.run.status == .running)
        let doneBeforeCrash = Set(atCrash.steps.filter { $0.status == .completed }.map(\.stepID))
        #expect(doneBeforeCrash == ["s1", "s2a", "s2b"], "\(atCrash.steps.map { "\($0.stepID)=\($0.status)" })")
        let orphans = try await docker.listContainers(all: true, filters: runLabel)
        #expect(!orphans.isEmpty, "the killed process left s3's sandbox behind, for resume to remove")

        let resumed = try Self.launch(["runs", "resume", runID, "--data-dir", data.path], in: directory)
        let status = try await resumed.exit(within: .seconds(120))
        #expect(status == 0, "\(resumed.output)")

        let final = try #require(try repository.run(id: runID))
        #expect(final.run.status == .completed, "\(final.run.error ?? "")")
        #expect(final.steps.allSatisfy { $0.status == .completed })
        let ledger = try #require(final.steps.first { $0.stepID == "report" }?.outputText)
        let lines = ledger.split(separator: "\n").map(String.init)
        func count(_ line: String) -> Int { lines.filter { $0 == line }.count }
        for step in doneBeforeCrash.sorted() {
            #expect(count("start \(step)") == 1 && count("done \(step)") == 1, "\(step) ran again after resume:\n\(ledger)")
        }
        // s3 was interrupted: it starts again, and its killed first attempt must not finish behind
        // the resumed run's back (resume removes the orphan before its `sleep` ends).
        #expect(count("start s3") == 2, "\(ledger)")
        #expect(count("done s3") == 1, "\(ledger)")
        #expect(count("start report") == 1 && count("done report") == 1, "\(ledger)")
        let s3Attempts = try repository.attempts(runID: runID, stepID: "s3", fanoutIndex: nil)
        #expect(s3Attempts.count >= 1 && s3Attempts.last?.exitCode == 0)
        #expect(try repository.events(runID: runID).contains { $0.kind == "run_resumed" })

        let left = try await docker.listContainers(all: true, filters: runLabel)
        #expect(left.isEmpty, "containers left: \(left.map(\.id))")
        let volumes = try await docker.listVolumes(filters: DockerFilters(["name": [WorkflowEngine.workspaceName(runID: runID)]]))
        #expect(volumes.isEmpty, "volumes left: \(volumes.map(\.name))")
    }

    /// Killed while a fan-out is half done (items 0 and 1 completed, item 2 waiting for a file
    /// this test creates only after the kill): resume must not run the completed items again, and
    /// attempts are history (the interrupted item's first attempt stays, the new one is attempt 2).
    @Test func resumingAHalfDoneFanOutRunsOnlyTheItemsThatDidNotComplete() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("fan.yaml")
        try """
        name: fan-crash
        defaults: {image: base, timeout: 2m}
        inputs:
          items: {type: list, default: [a, b, c]}
        steps:
          - id: fan
            parallel_over: "{input.items}"
            max_concurrency: 3
            run: |
              echo "start {input._index}" >> ledger.txt
              if [ "{input._index}" = 2 ]; then
                while [ ! -f released ]; do sleep 0.1; done
              fi
              echo "done {input._index}" >> ledger.txt
              echo "{input._item}"
          - id: report
            depends_on: [fan]
            run: cat ledger.txt
        """.write(to: file, atomically: true, encoding: .utf8)
        let data = directory.appendingPathComponent("data")
        let database = data.appendingPathComponent("sandcastle.sqlite").path
        let docker = try await DockerClient.connect(to: try DockerHost.fromEnvironment())

        let first = try Self.launch(["run", file.path, "--data-dir", data.path], in: directory)
        let repository = try await Self.eventually("the state database") {
            FileManager.default.fileExists(atPath: database) ? try SQLiteRunRepository(path: database) : nil
        }
        let runID = try await Self.eventually("the run") { try repository.listRuns(RunQuery()).first?.id }
        // The kill point, chosen mechanically: items 0 and 1 recorded as completed, and item 2's
        // command under way (its start line written; it waits for `released`, which does not exist yet).
        let runLabel = DockerFilters.labels(["\(SandcastleLabels.managed)=true", "\(SandcastleLabels.run)=\(runID)"])
        _ = try await Self.eventually("items 0 and 1 done, item 2 waiting") { () -> Bool? in
            let items = try repository.run(id: runID)?.steps.filter { $0.stepID == "fan" && $0.fanoutIndex != nil } ?? []
            let done = Set(items.filter { $0.status == .completed }.compactMap(\.fanoutIndex))
            guard done == [0, 1] else { return nil }
            for container in try await docker.listContainers(all: false, filters: runLabel) {
                if try await Self.dockerCLI(["exec", container.id, "cat", "/workspace/ledger.txt"]).contains("start 2") { return true }
            }
            return nil
        }
        let attemptsBefore = try [0, 1].map { try repository.attempts(runID: runID, stepID: "fan", fanoutIndex: $0) }
        kill(first.process.processIdentifier, SIGKILL)
        _ = try await first.exit(within: .seconds(10))

        // The dead process's sandboxes still run (the process died, not its containers): item 2's,
        // and any made ahead for `report`. They are stopped first, so item 2's first attempt can
        // never finish; `released` then goes into the run's workspace through one of them, and
        // resume removes them and runs item 2 again, which now finishes.
        let orphans = try await docker.listContainers(all: false, filters: runLabel)
        #expect(!orphans.isEmpty)
        for orphan in orphans { _ = try await Self.dockerCLI(["kill", orphan.id]) }
        let marker = directory.appendingPathComponent("released")
        #expect(FileManager.default.createFile(atPath: marker.path, contents: Data()))
        // Into whichever of them still exists (one being removed by the dead process's last
        // request may be gone already); every one of them mounts the run's workspace.
        var released = false
        for orphan in orphans where !released {
            released = try await runChild("docker", ["cp", marker.path, "\(orphan.id):/workspace/released"]).status == 0
        }
        try #require(released, "released reached the run's workspace")

        let resumed = try Self.launch(["runs", "resume", runID, "--data-dir", data.path], in: directory)
        #expect(try await resumed.exit(within: .seconds(120)) == 0, "\(resumed.output)")

        let final = try #require(try repository.run(id: runID))
        #expect(final.run.status == .completed, "\(final.run.error ?? "")")
        #expect(final.steps.first { $0.stepID == "fan" && $0.fanoutIndex == nil }?.outputJSON == #"["a","b","c"]"#)
        let ledger = try #require(final.steps.first { $0.stepID == "report" }?.outputText)
        let lines = ledger.split(separator: "\n").map(String.init)
        for index in [0, 1] {
            #expect(lines.filter { $0 == "start \(index)" }.count == 1, "item \(index) ran again after resume:\n\(ledger)")
        }
        #expect(lines.filter { $0 == "start 2" }.count == 2 && lines.filter { $0 == "done 2" }.count == 1, "\(ledger)")
        // Attempts are append-only: the completed items' records are untouched, item 2 has both.
        for index in [0, 1] {
            let after = try repository.attempts(runID: runID, stepID: "fan", fanoutIndex: index)
            #expect(after.map(\.attempt) == attemptsBefore[index].map(\.attempt))
            #expect(after.map(\.startedAt) == attemptsBefore[index].map(\.startedAt), "item \(index)'s attempt was overwritten")
            #expect(after.map(\.durationMs) == attemptsBefore[index].map(\.durationMs))
        }
        let third = try repository.attempts(runID: runID, stepID: "fan", fanoutIndex: 2)
        #expect(third.map(\.attempt) == [1, 2], "\(third)")
        #expect(third.last?.exitCode == 0)
        let started = try repository.events(runID: runID).filter { $0.kind == "step_started" }.map { RunEvent($0) }
        let starts = started.compactMap { event -> String? in
            if case .stepStarted(let s) = event, s.step == "fan" { return "\(s.index ?? -1)/\(s.attempt)" }
            return nil
        }
        #expect(starts.sorted() == ["0/1", "1/1", "2/1", "2/2"], "one start per attempt: \(starts)")
        let left = try await docker.listContainers(all: true, filters: runLabel)
        #expect(left.isEmpty, "containers left: \(left.map(\.id))")
    }

    /// The service resumes on its own what a killed `sandcastle run` left in its data folder.
    @Test func serveResumesARunAKilledProcessLeft() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("resume.yaml")
        try """
        name: serve-resume
        defaults: {image: base, timeout: 2m}
        steps:
          - {id: first, run: 'echo "ran first" >> ledger.txt'}
          - {id: slow, depends_on: [first], run: 'echo "start slow" >> ledger.txt; sleep 4; echo "done slow" >> ledger.txt'}
          - {id: last, depends_on: [slow], run: cat ledger.txt}
        """.write(to: file, atomically: true, encoding: .utf8)
        let data = directory.appendingPathComponent("data")
        let database = data.appendingPathComponent("sandcastle.sqlite").path

        let killed = try Self.launch(["run", file.path, "--data-dir", data.path], in: directory)
        let repository = try await Self.eventually("the state database") {
            FileManager.default.fileExists(atPath: database) ? try SQLiteRunRepository(path: database) : nil
        }
        let runID = try await Self.eventually("the slow step to start") {
            try repository.listRuns(RunQuery()).first.flatMap { run in
                try repository.run(id: run.id)?.steps.contains { $0.stepID == "slow" && $0.status == .running } == true ? run.id : nil
            }
        }
        kill(killed.process.processIdentifier, SIGKILL)
        _ = try await killed.exit(within: .seconds(10))

        let server = try Self.launch(["serve", "--open", "--port", "0", "--data-dir", data.path], in: directory)
        defer { server.process.terminate() }
        let detail = try await Self.eventually("the run to complete under serve", within: .seconds(120)) {
            try repository.run(id: runID).flatMap { $0.run.status == .completed ? $0 : nil }
        }
        #expect(server.process.isRunning, "the server keeps serving while and after it resumes")
        #expect(server.output.contains("workflow run \(runID) completed"), "\(server.output)")
        let ledger = try #require(detail.steps.first { $0.stepID == "last" }.map { ($0.outputText ?? "") + ($0.outputJSON ?? "") })
        #expect(ledger.components(separatedBy: "ran first").count - 1 == 1, "first ran once: \(ledger)")
        #expect(ledger.contains("done slow"), "\(ledger)")
        server.process.terminate()
        _ = try await server.exit(within: .seconds(20))
        let docker = try await DockerClient.connect(to: try DockerHost.fromEnvironment())
        #expect(try await docker.listContainers(all: true, filters: .label(SandcastleLabels.run, runID)).isEmpty)
        // The server recorded the settings it started with on the global audit chain.
        let recorded = try repository.audit.entries(AuditQuery(chain: .global, eventType: "settings.changed")).entries
        #expect(recorded.count == 1)
        let settings = try #require(recorded.first.flatMap { JSONValue.parse(json: $0.payloadJSON) }?.child("settings"))
        #expect(settings.child("auth") == "open" && settings.child("host") == "127.0.0.1" && settings.child("compliance_mode") == .null)
    }

    @Test func aWaitingRunGoesOnWhenASecondProcessApproves() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = directory.appendingPathComponent("data")
        let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples/approval-gated.yaml")
        let waiting = try Self.launch(["run", example.path, "--data-dir", data.path, "-i", "version=2.0.0"], in: directory)
        let database = data.appendingPathComponent("sandcastle.sqlite").path
        let repository = try await Self.eventually("the state database") {
            FileManager.default.fileExists(atPath: database) ? try SQLiteRunRepository(path: database) : nil
        }
        let approval = try await Self.eventually("the approval request") {
            try repository.approvals(runID: nil, statuses: [.pending]).first
        }
        // The request is stored before the line is printed: wait for the line, not a fixed time.
        _ = try await Self.eventually("the gate's line on the waiting run's output") {
            waiting.output.contains("waits for approval: Deploy 2.0.0") ? true : nil
        }
        #expect(waiting.process.isRunning, "`sandcastle run` waits at the gate")

        let approver = try Self.launch(
            [
                "runs", "approve", approval.runID, "--data-dir", data.path,
                "--comment", "ship it", "--by", "reviewer",
            ], in: directory)
        #expect(try await approver.exit(within: .seconds(30)) == 0, "\(approver.output)")
        #expect(try await waiting.exit(within: .seconds(60)) == 0, "\(waiting.output)")
        #expect(waiting.output.contains("run \(approval.runID) completed"))
        #expect(waiting.output.contains("releases/staging/app-2.0.0.txt"))
        let stored = try #require(try repository.approval(runID: approval.runID, stepID: "approve"))
        #expect(stored.status == .approved && stored.decidedBy == "reviewer" && stored.comment == "ship it")

        let docker = try await DockerClient.connect(to: try DockerHost.fromEnvironment())
        let left = try await docker.listContainers(all: true, filters: .label(SandcastleLabels.run, approval.runID))
        #expect(left.isEmpty)
    }

    @Test func detachReturnsAtOnceAndTheRunGoesOnInItsOwnSession() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("bg.yaml")
        try """
        name: background
        steps:
          - {id: slow, run: sleep 5; echo slow}
          - {id: after, depends_on: [slow], run: echo after}
        """.write(to: file, atomically: true, encoding: .utf8)
        let data = directory.appendingPathComponent("data")
        let detached = try Self.launch(["run", file.path, "--data-dir", data.path, "--detach"], in: directory)
        #expect(try await detached.exit(within: .seconds(30)) == 0, "\(detached.output)")
        let words = detached.output.split(separator: " ")
        let runID = try #require(words.dropFirst().first.map(String.init), "\(detached.output)")
        #expect(detached.output.contains("started in the background"))
        let pid = try #require(
            detached.output.range(of: #"pid (\d+)"#, options: .regularExpression)
                .map { detached.output[$0].dropFirst(4) }.flatMap { Int32($0) })
        // Its own session: a Ctrl-C or hang-up in the terminal that started it does not reach it.
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        let fields = stat[stat.index(after: try #require(stat.lastIndex(of: ")")))...].split(separator: " ")
        #expect(fields.count > 4 && Int32(fields[3]) == pid, "session id is the child's own pid: \(stat)")

        let repository = try SQLiteRunRepository(path: data.appendingPathComponent("sandcastle.sqlite").path)
        #expect(try repository.run(id: runID)?.run.status.isTerminal == false, "--detach returned before the run ended")
        // While its process lives, nobody else may resume the run.
        let resume = try Self.launch(["runs", "resume", runID, "--data-dir", data.path], in: directory)
        #expect(try await resume.exit(within: .seconds(30)) == 1)
        #expect(resume.output.contains("is being executed by process \(pid)"), "\(resume.output)")
        let final = try await Self.eventually("the background run to finish", within: .seconds(90)) { () -> RunRecord? in
            guard let run = try repository.run(id: runID)?.run, run.status.isTerminal else { return nil }
            return run
        }
        #expect(final.status == .completed, "\(final.error ?? "")")
        let log = try String(contentsOfFile: RunFiles(dataDirectory: data.path).runDirectory(runID) + "/run.log", encoding: .utf8)
        #expect(log.contains("run \(runID) completed"))
    }

    @Test func runsShowSaysWhichBackendEachStepRanOn() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("routed.yaml")
        try """
        name: routed
        steps:
          - {id: pinned, run: echo pinned, backend: docker}
          - {id: chosen, run: echo chosen, backend: auto, depends_on: [pinned]}
        """.write(to: file, atomically: true, encoding: .utf8)
        let data = directory.appendingPathComponent("data")
        let run = try Self.launch(["run", file.path, "--data-dir", data.path], in: directory)
        #expect(try await run.exit(within: .seconds(120)) == 0, "\(run.output)")
        let repository = try SQLiteRunRepository(path: data.appendingPathComponent("sandcastle.sqlite").path)
        let runID = try #require(try repository.listRuns(RunQuery()).first?.id)
        let show = try Self.launch(["runs", "show", runID, "--data-dir", data.path], in: directory)
        #expect(try await show.exit(within: .seconds(30)) == 0, "\(show.output)")
        let lines = show.output.split(separator: "\n")
        for step in ["pinned", "chosen"] {
            let line = lines.first { $0.hasPrefix("  \(step): ") }
            #expect(line?.hasSuffix(", on docker") == true, "\(show.output)")
        }
    }

    @Test func maxParallelBoundsTheRunsSandboxes() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("fan.yaml")
        try """
        name: bounded
        inputs:
          items: {type: list, default: [1, 2, 3]}
        steps:
          - id: each
            parallel_over: "{input.items}"
            run: sleep 1; echo {input._item}
        """.write(to: file, atomically: true, encoding: .utf8)
        let data = directory.appendingPathComponent("data")
        let run = try Self.launch(["run", file.path, "--data-dir", data.path, "--max-parallel", "1"], in: directory)
        #expect(try await run.exit(within: .seconds(120)) == 0, "\(run.output)")
        let repository = try SQLiteRunRepository(path: data.appendingPathComponent("sandcastle.sqlite").path)
        let runID = try #require(try repository.listRuns(RunQuery()).first?.id)
        let attempts = try (0..<3).flatMap { try repository.attempts(runID: runID, stepID: "each", fanoutIndex: $0) }
            .sorted { $0.startedAt < $1.startedAt }
        #expect(attempts.count == 3)
        for (earlier, later) in zip(attempts, attempts.dropFirst()) {
            #expect((earlier.finishedAt ?? .distantFuture) <= later.startedAt, "items overlapped under --max-parallel 1")
        }
    }

    @Test func resumeAllContinuesEveryOrphanedRunAndNothingElse() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("wf.yaml")
        try """
        name: orphan
        steps:
          - {id: a, run: echo a}
          - {id: b, depends_on: [a], run: "echo b {steps.a.output}"}
        """.write(to: file, atomically: true, encoding: .utf8)
        let data = directory.appendingPathComponent("data")
        let repository = try SQLiteRunRepository(path: data.appendingPathComponent("sandcastle.sqlite").path)
        let hash = WorkflowEngine.contentHash(ofFile: file.path)
        // Two runs a dead process left behind, a finished one and a sub-workflow child.
        for (id, status, kind) in [
            ("orphan1", RunStatus.running, nil), ("orphan2", .pending, nil),
            ("done1", .completed, nil), ("child1", .running, "sub_workflow"),
        ] as [(String, RunStatus, String?)] {
            try repository.createRun(
                RunRecord(
                    id: id, workflowName: "orphan", workflowPath: file.path, workflowHash: hash,
                    status: status, parentRunID: kind == nil ? nil : "orphan1",
                    lineageKind: kind, owner: "\(ProcessInfo.processInfo.hostName) 999999 1"))
        }
        let resume = try Self.launch(["runs", "resume", "--all", "--data-dir", data.path], in: directory)
        #expect(try await resume.exit(within: .seconds(120)) == 0, "\(resume.output)")
        #expect(try repository.run(id: "orphan1")?.run.status == .completed)
        #expect(try repository.run(id: "orphan2")?.run.status == .completed)
        #expect(try repository.run(id: "orphan1")?.steps.first { $0.stepID == "b" }?.outputText == "b a")
        #expect(try repository.run(id: "child1")?.run.status == .running, "a child run is its parent's to restart")
        #expect(try repository.run(id: "done1")?.run.status == .completed)
    }

    @Test func cancellingAParentCancelsItsSubWorkflowRunAndItsSandboxes() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try """
        name: slow-child
        steps:
          - {id: wait, run: sleep 60}
        """.write(to: directory.appendingPathComponent("child.yaml"), atomically: true, encoding: .utf8)
        let parent = directory.appendingPathComponent("parent.yaml")
        try """
        name: parent
        steps:
          - {id: sub, type: sub_workflow, sub_workflow: {workflow: child.yaml}}
        """.write(to: parent, atomically: true, encoding: .utf8)
        let data = directory.appendingPathComponent("data")
        let detached = try Self.launch(["run", parent.path, "--data-dir", data.path, "--detach"], in: directory)
        #expect(try await detached.exit(within: .seconds(30)) == 0, "\(detached.output)")
        let repository = try SQLiteRunRepository(path: data.appendingPathComponent("sandcastle.sqlite").path)
        let docker = try await DockerClient.connect(to: try DockerHost.fromEnvironment())
        let child = try await Self.eventually("the child run's sandbox") { () -> RunRecord? in
            guard let child = try repository.listRuns(RunQuery()).first(where: { $0.lineageKind == "sub_workflow" }) else { return nil }
            return try await docker.listContainers(all: true, filters: .label(SandcastleLabels.run, child.id)).isEmpty ? nil : child
        }
        let parentID = try #require(child.parentRunID)
        let cancel = try Self.launch(["runs", "cancel", parentID, "--data-dir", data.path], in: directory)
        #expect(try await cancel.exit(within: .seconds(60)) == 0, "\(cancel.output)")
        #expect(try repository.run(id: child.id)?.run.status == .cancelled)
        #expect(try await docker.listContainers(all: true, filters: .label(SandcastleLabels.run, child.id)).isEmpty)
        // The parent's process notices and ends the run as cancelled, not failed.
        let final = try await Self.eventually("the parent's process to finish", within: .seconds(60)) { () -> RunRecord? in
            guard let run = try repository.run(id: parentID)?.run,
                let owner = run.owner, !ProcessOwner.isAlive(owner)
            else { return nil }
            return run
        }
        #expect(final.status == .cancelled, "\(final.error ?? "")")
    }
}
