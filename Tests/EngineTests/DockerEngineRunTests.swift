import DockerEngine
import Foundation
import Sandbox
import SandboxDocker
import Store
import Testing
import Workflow

@testable import Engine

/// The engine on real Docker sandboxes and SQLite. No skip path: without an engine this fails.
@Suite struct DockerWorkflowRunTests {
    /// A fresh folder with a SQLite run repository in it; the caller removes the folder.
    static func scratchRepository() throws -> (URL, SQLiteRunRepository) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("engine-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return (directory, try SQLiteRunRepository(path: directory.appendingPathComponent("sandcastle.sqlite").path))
    }

    /// What a run left in Docker: containers with its label and its workspace volume (by name, not
    /// only by label: the volume must be gone whatever labels it had).
    static func leftovers(of runID: String, in backend: DockerSandboxBackend) async throws -> (containers: [String], volumes: [String]) {
        let containers = try await backend.docker.listContainers(
            all: true, filters: .labels(["\(SandcastleLabels.managed)=true", "\(SandcastleLabels.run)=\(runID)"]))
        let volumes = try await backend.docker.listVolumes(filters: DockerFilters(["name": [WorkflowEngine.workspaceName(runID: runID)]]))
        return (containers.map(\.id), volumes.map(\.name))
    }

    /// An engine on the real backend that makes each step's sandbox ahead, as the CLI's does.
    static func engineMakingSandboxesAhead(_ backend: DockerSandboxBackend, _ repository: SQLiteRunRepository) -> WorkflowEngine {
        WorkflowEngine(
            backend: backend, repository: repository,
            configuration: EngineConfiguration(
                removesWorkspace: true,
                sandboxesAhead: 1))
    }

    @Test func threeStepsShareTheWorkspaceAndLeaveNothingBehind() async throws {
        let backend = try await DockerSandboxBackend.fromEnvironment()
        let (directory, repository) = try Self.scratchRepository()
        defer { try? FileManager.default.removeItem(at: directory) }
        let wf = try workflow(
            """
            name: shared-workspace
            defaults: {image: base, timeout: 60s}
            steps:
              - id: a
                run: echo "written by a" > shared.txt && echo 'from-a $(touch /tmp/pwned)'
              - id: b
                depends_on: [a]
                run: cat shared.txt
              - id: c
                depends_on: [a]
                run: echo "c got {steps.a.output}" && test ! -e /tmp/pwned
            """)
        let engine = WorkflowEngine(
            backend: backend, repository: repository,
            configuration: EngineConfiguration(removesWorkspace: true))
        let outcome = try await engine.run(wf)

        #expect(outcome.status == .completed, "\(outcome.error ?? "")")
        #expect(outcome.steps["a"]?.output == "from-a $(touch /tmp/pwned)")
        #expect(outcome.steps["b"]?.output == "written by a")
        #expect(outcome.steps["c"]?.output == "c got from-a $(touch /tmp/pwned)")

        let detail = try #require(try repository.run(id: outcome.runID))
        #expect(detail.run.status == .completed)
        #expect(detail.steps.map(\.status) == [.completed, .completed, .completed])

        let left = try await Self.leftovers(of: outcome.runID, in: backend)
        #expect(left.containers.isEmpty && left.volumes.isEmpty, "left behind: \(left)")
    }

    @Test func eachStepAfterTheFirstFindsItsSandboxMadeAheadFreshAndWithItsEnvironment() async throws {
        let backend = try await DockerSandboxBackend.fromEnvironment()
        let (directory, repository) = try Self.scratchRepository()
        defer { try? FileManager.default.removeItem(at: directory) }
        let wf = try workflow(
            """
            name: made-ahead
            defaults: {image: base, timeout: 60s}
            steps:
              - id: a
                run: echo "written by a" > shared.txt && echo "a:$SANDCASTLE_STEP_ID" && echo left-by-a > /tmp/mark
              - id: b
                depends_on: [a]
                env: {GREETING: "hi {steps.a.output}"}
                run: echo "$(cat shared.txt)|$GREETING|$SANDCASTLE_STEP_ID|$(cat /tmp/mark 2>/dev/null || echo fresh)"
              - id: c
                depends_on: [b]
                run: echo "c:$SANDCASTLE_STEP_ID"
            """)
        let engine = Self.engineMakingSandboxesAhead(backend, repository)
        let outcome = try await engine.run(wf)

        #expect(outcome.status == .completed, "\(outcome.error ?? "")")
        #expect(outcome.steps["a"]?.output == "a:a")
        // The workspace is the run's, the environment the step's, and nothing else survives from a.
        #expect(outcome.steps["b"]?.output == "written by a|hi a:a|b|fresh")
        #expect(outcome.steps["c"]?.output == "c:c")
        let madeAhead = try repository.events(runID: outcome.runID)
            .filter { $0.kind == "attempt_finished" && $0.payloadJSON.contains(#""sandbox_made_ahead":true"#) }
            .compactMap { event -> String? in
                guard case .object(let payload)? = JSONValue.parse(json: event.payloadJSON),
                    case .string(let step)? = payload["step"]
                else { return nil }
                return step
            }
        #expect(madeAhead.sorted() == ["b", "c"])
        let sandboxes = try ["a", "b", "c"].flatMap { try repository.attempts(runID: outcome.runID, stepID: $0, fanoutIndex: nil) }
            .compactMap(\.sandboxID)
        #expect(Set(sandboxes).count == 3, "a fresh sandbox per step")

        let left = try await Self.leftovers(of: outcome.runID, in: backend)
        #expect(left.containers.isEmpty && left.volumes.isEmpty, "left behind: \(left)")
    }

    @Test func aSandboxMadeAheadForAStepThatNeverRunsIsRemovedWithTheRun() async throws {
        let backend = try await DockerSandboxBackend.fromEnvironment()
        let (directory, repository) = try Self.scratchRepository()
        defer { try? FileManager.default.removeItem(at: directory) }
        let wf = try workflow(
            """
            name: made-ahead-unused
            defaults: {image: base, timeout: 60s}
            steps:
              - {id: a, run: "sleep 1; exit 3"}
              - {id: b, depends_on: [a], run: echo never}
            """)
        let engine = Self.engineMakingSandboxesAhead(backend, repository)
        let outcome = try await engine.run(wf)
        #expect(outcome.status == .failed)
        let left = try await Self.leftovers(of: outcome.runID, in: backend)
        #expect(left.containers.isEmpty && left.volumes.isEmpty, "left behind: \(left)")
    }

    @Test func aReplayStartsWithTheWorkspaceItsParentLeftAndASnapshotTooLargeIsSaidSo() async throws {
        let backend = try await DockerSandboxBackend.fromEnvironment()
        let (directory, repository) = try Self.scratchRepository()
        defer { try? FileManager.default.removeItem(at: directory) }
        let wf = try workflow(
            """
            name: files-across-replay
            defaults: {image: base, timeout: 60s}
            steps:
              - id: make
                run: mkdir -p data && echo "made $RANDOM$RANDOM" > data/value.txt && cat data/value.txt
              - id: read
                depends_on: [make]
                # Restored files stay the sandbox user's: the step can change them.
                run: cat data/value.txt && echo more >> data/value.txt && touch data/new
            """)
        func engine(maxBytes: Int64) -> WorkflowEngine {
            var configuration = EngineConfiguration(removesWorkspace: true)
            configuration.workspaceSnapshots = WorkspaceSnapshots(
                workspaces: DockerWorkspaces(backend: backend),
                files: RunFiles(dataDirectory: directory.path), maxBytes: maxBytes)
            return WorkflowEngine(backend: backend, repository: repository, configuration: configuration)
        }
        func events(_ runID: String) throws -> [String] { try repository.events(runID: runID).map(\.kind) }

        let parent = try await engine(maxBytes: 1 << 20).run(wf)
        #expect(parent.status == .completed, "\(parent.error ?? "")")
        guard case .string(let made)? = parent.steps["make"]?.output else {
            Issue.record("make's output is not text: \(String(describing: parent.steps["make"]?.output))")
            return
        }
        #expect(try events(parent.runID).contains("workspace_saved"))
        #expect(FileManager.default.fileExists(atPath: RunFiles(dataDirectory: directory.path).workspaceSnapshot(parent.runID)))

        // `make` is reused, not run: `read` finds its file only because the workspace was restored.
        let replay = try await engine(maxBytes: 1 << 20).replay(parentRunID: parent.runID, fromStep: "read", workflow: wf)
        #expect(replay.status == .completed, "\(replay.error ?? "")")
        // The parent's workspace as it *ended*: `read`'s own append in the parent is there too.
        #expect(replay.steps["read"]?.output == .string(made + "\nmore"))
        #expect(try events(replay.runID).contains("workspace_restored"))

        // Over the cap nothing is kept, the events say why, and a replay starts empty (and says so).
        let tooLarge = try await engine(maxBytes: 10).run(wf)
        #expect(tooLarge.status == .completed)
        let notSaved = try repository.events(runID: tooLarge.runID).first { $0.kind == "workspace_not_saved" }
        #expect(notSaved?.payloadJSON.contains("larger than 10 bytes") == true, "\(notSaved?.payloadJSON ?? "no event")")
        let empty = try await engine(maxBytes: 10).replay(parentRunID: tooLarge.runID, fromStep: "read", workflow: wf)
        #expect(empty.status == .failed)
        #expect(try events(empty.runID).contains("workspace_not_restored"))

        for run in [parent.runID, replay.runID, tooLarge.runID, empty.runID] {
            let containers = try await backend.docker.listContainers(all: true, filters: .label(SandcastleLabels.run, run))
            #expect(containers.isEmpty, "containers left by \(run): \(containers.map(\.id))")
            let volumes = try await backend.docker.listVolumes(filters: DockerFilters(["name": [WorkflowEngine.workspaceName(runID: run)]]))
            #expect(volumes.isEmpty, "volumes left by \(run): \(volumes.map(\.name))")
        }
    }

    @Test func aSessionKeepsItsShellAcrossStepsAndIsRemovedAtTheEnd() async throws {
        let backend = try await DockerSandboxBackend.fromEnvironment()
        let wf = try workflow(
            """
            name: session
            defaults: {image: base, timeout: 60s}
            steps:
              - id: a
                session: sh
                run: cd /tmp && export KEEP="kept-$SANDCASTLE_STEP_ID" && echo hi > /tmp/f
              - id: b
                session: sh
                depends_on: [a]
                run: echo "$(pwd) $KEEP $(cat /tmp/f) $SANDCASTLE_STEP_ID {steps.a.status}"
              - id: c
                depends_on: [b]
                run: test ! -e /tmp/f && echo fresh
            """)
        let engine = WorkflowEngine(
            backend: backend, repository: InMemoryRunRepository(),
            configuration: EngineConfiguration(removesWorkspace: true))
        let outcome = try await engine.run(wf)
        #expect(outcome.status == .completed, "\(outcome.error ?? "")")
        #expect(outcome.steps["b"]?.output == "/tmp kept-a hi b completed", "same shell: cwd, variables and /tmp kept")
        #expect(outcome.steps["c"]?.output == "fresh", "a step outside the session gets its own sandbox")
        let containers = try await backend.docker.listContainers(all: true, filters: .label(SandcastleLabels.run, outcome.runID))
        #expect(containers.isEmpty, "containers left: \(containers.map(\.id))")
    }

    /// A process killed mid-create leaves the engine to finish a container after the run's label
    /// was swept; it holds the workspace volume until the run's end removes both.
    @Test func removingTheWorkspaceTakesALateLeftoverContainerWithIt() async throws {
        let backend = try await DockerSandboxBackend.fromEnvironment()
        let docker = backend.docker
        let runID = "late\(UInt32.random(in: 0...UInt32.max))"
        let volume = WorkflowEngine.workspaceName(runID: runID)
        var config = ContainerConfig(image: backend.images.resolve("base"))
        config.cmd = ["true"]
        config.labels = [SandcastleLabels.managed: "true", SandcastleLabels.run: runID]
        var host = HostConfig()
        host.mounts = [
            Mount(
                type: .volume, source: volume, target: "/workspace", readOnly: false,
                volumeOptions: VolumeOptions(noCopy: false, labels: [SandcastleLabels.managed: "true"]))
        ]
        config.hostConfig = host
        let container = try await docker.createContainer(config: config)
        defer { Task.detached { try? await docker.removeContainer(id: container, force: true) } }
        _ = try await docker.inspectVolume(name: volume)

        try await DockerWorkspaces(backend: backend).removeWorkspace(named: volume)

        #expect(try await docker.listContainers(all: true, filters: .label(SandcastleLabels.run, runID)).isEmpty)
        await #expect(throws: DockerError.self) { try await docker.inspectVolume(name: volume) }
    }

}
