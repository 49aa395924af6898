import DockerEngine
import Foundation
import Sandbox
import Store
import TestSupport
import Testing

@testable import Engine

/// What a `sandcastle run` killed with SIGKILL leaves, seen and cleaned from outside: `runs ls`
/// says orphaned, `doctor` reports it, and the next `run` (or `doctor --clean`) removes the
/// sandboxes while the run stays resumable.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct OrphanedRunTests {
    /// The step's first attempt marks the run's workspace and then blocks for ever; a resumed
    /// attempt finds the mark and finishes. The mark is the kill point: the step's command is
    /// under way, so its sandbox is live when the process dies.
    static let blockingWorkflow = """
        name: orphan
        defaults: {image: base, timeout: 2m}
        steps:
          - id: block
            run: |
              if [ -f seen ]; then echo resumed
              else touch seen; while true; do sleep 0.2; done
              fi
        """

    struct KilledRun {
        let runID: String
        let pid: Int32
        let runLabel: DockerFilters
    }

    /// Starts the blocking workflow, waits until its step's command has marked the workspace, and
    /// kills the process with SIGKILL.
    static func startAndKill(_ file: URL, data: URL, in directory: URL, docker: DockerClient) async throws -> KilledRun {
        let database = data.appendingPathComponent("sandcastle.sqlite").path
        let known = Set(
            FileManager.default.fileExists(atPath: database)
                ? try SQLiteRunRepository(path: database).listRuns(RunQuery()).map(\.id) : [])
        let child = try CLIRunTests.launch(["run", file.path, "--data-dir", data.path], in: directory)
        let repository = try await CLIRunTests.eventually("the state database") {
            FileManager.default.fileExists(atPath: database) ? try SQLiteRunRepository(path: database) : nil
        }
        let runID = try await CLIRunTests.eventually("the run") {
            try repository.listRuns(RunQuery()).first { !known.contains($0.id) }?.id
        }
        let runLabel = DockerFilters.labels(["\(SandcastleLabels.managed)=true", "\(SandcastleLabels.run)=\(runID)"])
        _ = try await CLIRunTests.eventually("the step's mark in the workspace") { () -> Bool? in
            for container in try await docker.listContainers(all: false, filters: runLabel) {
                let probe = try await runChild("docker", ["exec", container.id, "test", "-f", "/workspace/seen"])
                if probe.status == 0 { return true }
            }
            return nil
        }
        let pid = child.process.processIdentifier
        kill(pid, SIGKILL)
        _ = try await child.exit(within: .seconds(10))
        return KilledRun(runID: runID, pid: pid, runLabel: runLabel)
    }

    @Test func aKilledRunIsShownOrphanedAndItsSandboxesAreRemovedByTheNextRunOrByDoctor() async throws {
        let directory = try CLIRunTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("orphan.yaml")
        try Self.blockingWorkflow.write(to: file, atomically: true, encoding: .utf8)
        let other = directory.appendingPathComponent("other.yaml")
        try "name: other\nsteps:\n  - {id: a, run: echo a}\n".write(to: other, atomically: true, encoding: .utf8)
        let data = directory.appendingPathComponent("data")
        let docker = try await DockerClient.connect(to: try DockerHost.fromEnvironment())
        let executable = try CLIRunTests.executable().path

        let killed = try await Self.startAndKill(file, data: data, in: directory, docker: docker)
        // The dead process's sandbox lives on, and says whose it was.
        let left = try await docker.listContainers(all: true, filters: killed.runLabel)
        #expect(!left.isEmpty)
        #expect(left.allSatisfy { ProcessOwner.pid(of: $0.labels?[SandcastleLabels.process] ?? "") == killed.pid })

        let list = try await runChild(executable, ["runs", "ls", "--data-dir", data.path])
        let row = list.text.split(separator: "\n").first { $0.hasPrefix(killed.runID) } ?? ""
        #expect(row.contains("orphaned") && !row.contains("running"), "\(list.text)")
        #expect(list.text.contains("1 orphaned run"), "\(list.text)")
        let filtered = try await runChild(executable, ["runs", "ls", "--status", "orphaned", "--data-dir", data.path])
        #expect(filtered.text.contains(killed.runID), "\(filtered.text)")
        let show = try await runChild(executable, ["runs", "show", killed.runID, "--data-dir", data.path])
        #expect(show.text.contains("orphaned: process \(killed.pid) is gone"), "\(show.text)")

        let doctor = try await runChild(executable, ["doctor", "--data-dir", data.path])
        #expect(doctor.status == 1, "\(doctor.text)")
        #expect(doctor.text.contains("orphaned workflow run(s)") && doctor.text.contains(killed.runID), "\(doctor.text)")
        #expect(doctor.text.contains("left by killed runs") && doctor.text.contains("doctor --clean"), "\(doctor.text)")
        #expect(try await docker.listContainers(all: true, filters: killed.runLabel).count == left.count, "doctor alone removes nothing")

        // The next run on the data folder removes them and says so; the run stays resumable.
        let next = try await runChild(executable, ["run", other.path, "--data-dir", data.path])
        #expect(next.status == 0, "\(next.text)")
        #expect(next.text.contains("left by run \(killed.runID), whose process is gone"), "\(next.text)")
        #expect(try await docker.listContainers(all: true, filters: killed.runLabel).isEmpty)
        let workspace = WorkflowEngine.workspaceName(runID: killed.runID)
        #expect(try await docker.listVolumes(filters: DockerFilters(["name": [workspace]])).map(\.name) == [workspace], "the workspace stays for resume")

        let resumed = try await runChild(executable, ["runs", "resume", killed.runID, "--data-dir", data.path])
        #expect(resumed.status == 0, "\(resumed.text)")
        let repository = try SQLiteRunRepository(path: data.appendingPathComponent("sandcastle.sqlite").path)
        let final = try #require(try repository.run(id: killed.runID))
        #expect(final.run.status == .completed)
        #expect(final.steps.first?.outputText?.contains("resumed") == true)

        // Killed again: `doctor --clean` removes the sandbox without being told which run.
        let second = try await Self.startAndKill(file, data: data, in: directory, docker: docker)
        #expect(!(try await docker.listContainers(all: true, filters: second.runLabel)).isEmpty)
        let clean = try await runChild(executable, ["doctor", "--clean", "--data-dir", data.path])
        #expect(clean.text.contains("removed") && clean.text.contains(second.runID), "\(clean.text)")
        #expect(try await docker.listContainers(all: true, filters: second.runLabel).isEmpty)
        let cancel = try await runChild(executable, ["runs", "cancel", second.runID, "--data-dir", data.path])
        #expect(cancel.status == 0, "\(cancel.text)")
        #expect(try await docker.listVolumes(filters: DockerFilters(["name": [WorkflowEngine.workspaceName(runID: second.runID)]])).isEmpty)
    }
}
