import DockerEngine
import Engine
import Foundation
import HTTPTransport
import Sandbox
import Store
import TestSupport
import Testing

/// `sandcastle serve` itself (the built binary) with its dead-letter settings: bad values stop the
/// server before it makes anything, and `--dead-letter-failed-runs` gives every failed run an item.
@Suite(.serialized, .timeLimit(.minutes(4)))
struct DeadLetterServeTests {
    static let check = """
        name: check
        inputs:
          ok: {type: string}
        steps:
          - id: check
            run: test "{input.ok}" = yes
        """

    @Test func badSettingsStopTheServerBeforeItStarts() async throws {
        let data = DockerServerFixture.dataDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let arguments = ["serve", "--open", "--port", "0", "--data-dir", data]
        let flagged = try await runChild(ScheduleServeTests.binary, arguments + ["--dead-letter-max-retries", "5000"])
        #expect(flagged.status == 2)
        #expect(
            flagged.text.contains("--dead-letter-max-retries (SANDCASTLE_DEAD_LETTER_MAX_RETRIES) must be 0 to 1000, not '5000'"), "\(flagged.text)")
        var environment = ProcessInfo.processInfo.environment
        environment["SANDCASTLE_DEAD_LETTER_FAILED_RUNS"] = "maybe"
        let variable = try await runChild(ScheduleServeTests.binary, arguments, environment: environment)
        #expect(variable.status == 2)
        #expect(variable.text.contains("SANDCASTLE_DEAD_LETTER_FAILED_RUNS must be true or false, not 'maybe'"), "\(variable.text)")
        #expect(!FileManager.default.fileExists(atPath: data + "/sandcastle.sqlite"), "refused before anything was made")
    }

    @Test func aServerThatDeadLettersFailedRunsListsThem() async throws {
        let data = DockerServerFixture.dataDirectory()
        let workflows = data + "-workflows"
        try FileManager.default.createDirectory(atPath: workflows, withIntermediateDirectories: true)
        try Self.check.write(toFile: workflows + "/check.yaml", atomically: true, encoding: .utf8)
        defer {
            try? FileManager.default.removeItem(atPath: data)
            try? FileManager.default.removeItem(atPath: workflows)
        }
        let child = try await ServeProcess.start(
            dataDirectory: data, arguments: ["--workflows-dir", workflows, "--dead-letter-failed-runs", "--log-level", "notice"])
        defer { child.process.terminate() }
        let client = try HTTPClient(endpoint: .http(host: "127.0.0.1", port: child.port))
        func call(_ method: HTTPMethod, _ path: String, json: String? = nil) async throws -> (status: Int, body: [String: Any]) {
            let response = try await client.send(
                HTTPRequest(method: method, path: path, body: json.map { .bytes(Array($0.utf8)) } ?? .none, timeout: .seconds(60)))
            return (response.status, (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:])
        }
        let submitted = try await call(.post, "/api/workflows/run", json: #"{"workflow_name":"check","input":{"ok":"no"}}"#)
        let runID = try #require((submitted.body["data"] as? [String: Any])?["run_id"] as? String, "\(submitted.body)")
        let failed = await eventually(.seconds(60)) {
            ((try? await call(.get, "/api/runs/\(runID)"))?.body["data"] as? [String: Any])?["status"] as? String == "failed"
        }
        #expect(failed, "the run did not fail: \(child.log.contents.suffix(2000))")
        let listed = try await call(.get, "/api/dead-letter")
        let items = listed.body["data"] as? [[String: Any]] ?? []
        #expect(items.count == 1, "\(listed.body)")
        #expect(items.first?["run_id"] as? String == runID && items.first?["step_id"] as? String == "check")
        #expect(items.first?["input_data"] as? [String: String] == ["ok": "no"])
        #expect((items.first?["error"] as? String)?.contains("step `check` failed") == true, "\(items)")
        child.process.terminate()
        try await SendableProcess(child.process).waitUntilExit()

        let docker = try await DockerClient.connect()
        let containers = try await docker.listContainers(all: true, filters: .labels(["\(SandcastleLabels.run)=\(runID)"]))
        let volumes = try await docker.listVolumes(filters: DockerFilters(["name": [WorkflowEngine.workspaceName(runID: runID)]]))
        #expect(containers.isEmpty && volumes.isEmpty, "run \(runID) left \(containers.map(\.id)) \(volumes.map(\.name))")
        for container in containers { try? await docker.removeContainer(id: container.id, force: true, removeVolumes: true) }
        for volume in volumes { try? await docker.removeVolume(name: volume.name, force: true) }
    }
}
