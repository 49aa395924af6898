import Engine
import EngineService
import Foundation
import Store
import Testing
import Workflow

@Suite struct EngineServiceTests {
    static func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("engine-service-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func settingsDefaultWhenTheEnvironmentSaysNothing() throws {
        let settings = try EngineSettings.load(environment: [:])
        #expect(settings.dataDirectory == "./data")
        #expect(settings.maxSandboxes == 8 && settings.sandboxesAhead == 1 && settings.maxParallelPerRun == 4)
        #expect(settings.workspaceSnapshotMaxBytes == 256 << 20)
        #expect(settings.backendLimits.isEmpty && settings.e2b == nil)
        #expect(
            try EngineSettings.load(environment: ["SANDCASTLE_DATA_DIR": "/env"], dataDirectory: "/flag").dataDirectory == "/flag",
            "a flag wins over the environment")
    }

    @Test func settingsReadEveryVariable() throws {
        let settings = try EngineSettings.load(environment: [
            "SANDCASTLE_DATA_DIR": "/srv/sandcastle", "SANDCASTLE_MAX_SANDBOXES": "3", "SANDCASTLE_SANDBOXES_AHEAD": "0",
            "SANDCASTLE_WORKSPACE_SNAPSHOT_MAX": "1024", "SANDCASTLE_BACKEND_LIMITS": "docker=2, e2b=5",
            "SANDCASTLE_BREAKER_THRESHOLD": "0", "SANDCASTLE_BREAKER_COOLDOWN": "1.5",
        ])
        #expect(settings.dataDirectory == "/srv/sandcastle" && settings.databasePath == "/srv/sandcastle/sandcastle.sqlite")
        #expect(settings.maxSandboxes == 3 && settings.sandboxesAhead == 0 && settings.workspaceSnapshotMaxBytes == 1024)
        #expect(settings.backendLimits == [.docker: 2, .e2b: 5])
        #expect(settings.breaker.failureThreshold == 0 && settings.breaker.cooldown == .milliseconds(1500))
    }

    @Test(arguments: [
        ("SANDCASTLE_MAX_SANDBOXES", "0"), ("SANDCASTLE_SANDBOXES_AHEAD", "17"),
        ("SANDCASTLE_WORKSPACE_SNAPSHOT_MAX", "-1"), ("SANDCASTLE_BACKEND_LIMITS", "docker=0"),
        ("SANDCASTLE_BACKEND_LIMITS", "podman=2"), ("SANDCASTLE_BREAKER_THRESHOLD", "x"),
        ("SANDCASTLE_BREAKER_COOLDOWN", "inf"),
    ])
    func aBadSettingIsNamedWithItsValue(variable: String, value: String) {
        let error = #expect(throws: EngineServiceError.self) { try EngineSettings.load(environment: [variable: value]) }
        #expect(error?.code == .invalidSetting)
        #expect(error?.message.contains(variable) == true && error?.message.contains("'\(value)'") == true, "\(error?.message ?? "")")
    }

    @Test func aMissingDatabaseIsNotAnEmptyOne() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let settings = EngineSettings(dataDirectory: directory)
        let error = await #expect(throws: EngineServiceError.self) { _ = try await RunService.open(settings, sandboxes: .none) }
        #expect(error?.code == .noDatabase && error?.message.contains(settings.databasePath) == true)
        #expect(!FileManager.default.fileExists(atPath: settings.databasePath), "looking did not create it")
        let created = try await RunService.open(settings, sandboxes: .none, creatingStore: true)
        #expect(try created.runs(RunQuery()).isEmpty)
    }

    @Test func cancelRecordsTheRunAndItsChildrenEvenWithoutBackendsAndRefusesAFinishedOne() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let service = try await RunService.open(EngineSettings(dataDirectory: directory), sandboxes: .none, creatingStore: true)
        let repository = service.repository
        try repository.write([
            .createRun(RunRecord(id: "parent", workflowName: "wf")),
            .upsertStep(StepRecord(runID: "parent", stepID: "a", status: .running)),
            .createRun(
                RunRecord(
                    id: "child", workflowName: "sub", parentRunID: "parent", forkedFromStep: "a",
                    lineageKind: "sub_workflow")),
            .upsertStep(StepRecord(runID: "child", stepID: "x", status: .pending)),
            .createRun(RunRecord(id: "done", workflowName: "wf")),
        ])
        try repository.updateRunStatus(id: "parent", to: .running, at: Date(), error: nil)
        try repository.updateRunStatus(id: "child", to: .running, at: Date(), error: nil)
        try repository.updateRunStatus(id: "done", to: .completed, at: Date(), error: nil)

        let cancellation = try await service.cancel(runID: "parent", reason: "stop")
        #expect(cancellation.runs == ["child", "parent"], "children first")
        #expect(cancellation.removedSandboxes == nil && cancellation.problems.count == 1, "no backend: said, not hidden")
        for id in ["parent", "child"] {
            let detail = try service.run(id: id)
            #expect(detail.run.status == .cancelled && detail.run.error == "stop")
            #expect(detail.steps.allSatisfy { $0.status == .cancelled })
        }
        let finished = await #expect(throws: EngineServiceError.self) { _ = try await service.cancel(runID: "done", reason: "x") }
        #expect(finished?.code == .alreadyFinished)
        let unknown = await #expect(throws: EngineServiceError.self) { _ = try await service.cancel(runID: "nope", reason: "x") }
        #expect(unknown?.code == .notFound)
    }

    @Test func followEndsAfterTheRunsLastEvent() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let service = try await RunService.open(EngineSettings(dataDirectory: directory), sandboxes: .none, creatingStore: true)
        try service.repository.write([.createRun(RunRecord(id: "r", workflowName: "wf"))])
        try service.repository.updateRunStatus(id: "r", to: .running, at: Date(), error: nil)
        try service.repository.appendEvent(runID: "r", kind: "run_started", payloadJSON: "{}")
        var seen: [String] = []
        for try await event in service.follow(runID: "r", pollInterval: .milliseconds(10)) {
            seen.append(event.kind)
            if seen.count == 1 {
                // Written by "another process" while the follower waits: it must see both and then stop.
                try service.repository.appendEvent(runID: "r", kind: "run_finished", payloadJSON: "{}")
                try service.repository.updateRunStatus(id: "r", to: .completed, at: Date(), error: nil)
            }
        }
        #expect(seen == ["run_started", "run_finished"])
    }
}

@Suite struct EngineSettingsFileTests {
    static func write(_ text: String, as name: String = "sandcastle.yaml") throws -> String {
        let directory = try EngineServiceTests.temporaryDirectory()
        let path = (directory as NSString).appendingPathComponent(name)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func theConfigFileSetsTheEngineAndTheEnvironmentWins() throws {
        let file = try Self.write(
            """
            port: 9000   # the server's keys beside the engine's section are not the engine's business
            engine:
              max_sandboxes: 3
              sandboxes_ahead: 0
              workspace_snapshot_max: 4096
              backend_limits: {docker: 2, e2b: 6}
              breaker_threshold: 5
              breaker_cooldown: 2.5
            """)
        let fromFile = try EngineSettings.load(environment: [:], configFile: file)
        #expect(fromFile.maxSandboxes == 3 && fromFile.sandboxesAhead == 0 && fromFile.workspaceSnapshotMaxBytes == 4096)
        #expect(fromFile.backendLimits == [.docker: 2, .e2b: 6])
        #expect(fromFile.breaker.failureThreshold == 5 && fromFile.breaker.cooldown == .milliseconds(2500))

        let overridden = try EngineSettings.load(environment: ["SANDCASTLE_CONFIG": file, "SANDCASTLE_MAX_SANDBOXES": "7"])
        #expect(overridden.maxSandboxes == 7, "the environment is laid over the file")
        #expect(overridden.sandboxesAhead == 0, "the file, found through SANDCASTLE_CONFIG")
    }

    @Test func aJSONFileAndAFileWithoutAnEngineSectionWork() throws {
        let json = try Self.write(#"{"engine": {"sandboxes_ahead": 2}}"#, as: "sandcastle.json")
        #expect(try EngineSettings.load(environment: [:], configFile: json).sandboxesAhead == 2)
        let serverOnly = try Self.write("port: 8080\n")
        #expect(try EngineSettings.load(environment: [:], configFile: serverOnly).sandboxesAhead == EngineSettings.defaultSandboxesAhead)
    }

    @Test(arguments: [
        ("engine:\n  sandboxes_ahead: 17\n", "engine.sandboxes_ahead", "'17'"),
        ("engine:\n  backend_limits: {podman: 2}\n", "engine.backend_limits", "'podman=2'"),
        ("engine:\n  max_sandbox: 3\n", "engine.max_sandbox", "is not a setting"),
        ("engine: 3\n", "engine in", "must be a mapping"),
        ("engine: [unclosed\n", "not valid YAML", ""),
    ])
    func aBadFileIsNamedWithTheKeyAndTheFile(text: String, names: String, says: String) throws {
        let file = try Self.write(text)
        let error = #expect(throws: EngineServiceError.self) { try EngineSettings.load(environment: [:], configFile: file) }
        #expect(error?.code == .invalidSetting)
        #expect(error?.message.contains(names) == true && error?.message.contains(file) == true, "\(error?.message ?? "")")
        #expect(says.isEmpty || error?.message.contains(says) == true, "\(error?.message ?? "")")
    }

    @Test func aMissingConfigFileIsAnError() {
        let error = #expect(throws: EngineServiceError.self) {
            try EngineSettings.load(environment: [:], configFile: "/nonexistent/sandcastle.yaml")
        }
        #expect(error?.message.contains("cannot read the config file /nonexistent/sandcastle.yaml") == true)
    }
}
