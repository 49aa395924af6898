import DockerEngine
import Engine
import Foundation
import HTTPTransport
import Sandbox
import Store
import TestSupport
import Testing

/// `sandcastle serve` itself (the built binary) with its scheduler: the catch-up setting is
/// checked before anything starts, and a schedule fires on the real clock.
@Suite(.serialized, .timeLimit(.minutes(4)))
struct ScheduleServeTests {
    static var binary: String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return ProcessInfo.processInfo.environment["SANDCASTLE"] ?? root.appendingPathComponent(".build/debug/sandcastle").path
    }

    static let iso = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    @Test func anUnknownCatchUpPolicyStopsTheServerBeforeItStarts() async throws {
        let data = DockerServerFixture.dataDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let arguments = ["serve", "--open", "--port", "0", "--data-dir", data]
        let flagged = try await runChild(Self.binary, arguments + ["--schedule-catch-up", "sometimes"])
        #expect(flagged.status == 2)
        #expect(flagged.text.contains("--schedule-catch-up (SANDCASTLE_SCHEDULE_CATCH_UP) must be once or skip, not 'sometimes'"), "\(flagged.text)")
        var environment = ProcessInfo.processInfo.environment
        environment["SANDCASTLE_SCHEDULE_CATCH_UP"] = "later"
        let variable = try await runChild(Self.binary, arguments, environment: environment)
        #expect(variable.status == 2)
        #expect(variable.text.contains("not 'later'"), "\(variable.text)")
        #expect(!FileManager.default.fileExists(atPath: data + "/sandcastle.sqlite"), "refused before anything was made")
    }

    @Test func aScheduleFiresOnTheRealClockAndItsRunCompletes() async throws {
        let data = DockerServerFixture.dataDirectory()
        let workflows = data + "-workflows"
        try FileManager.default.createDirectory(atPath: workflows, withIntermediateDirectories: true)
        try SandcastleScheduleAPITests.hello.write(toFile: workflows + "/hello.yaml", atomically: true, encoding: .utf8)
        defer {
            try? FileManager.default.removeItem(atPath: data)
            try? FileManager.default.removeItem(atPath: workflows)
        }
        let child = try await ServeProcess.start(
            dataDirectory: data, arguments: ["--workflows-dir", workflows, "--schedule-catch-up", "skip", "--log-level", "notice"])
        defer { child.process.terminate() }
        let client = try HTTPClient(endpoint: .http(host: "127.0.0.1", port: child.port))
        func call(_ method: HTTPMethod, _ path: String, json: String? = nil) async throws -> (status: Int, data: [String: Any]) {
            let response = try await client.send(
                HTTPRequest(method: method, path: path, body: json.map { .bytes(Array($0.utf8)) } ?? .none, timeout: .seconds(60)))
            let body = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
            return (response.status, body?["data"] as? [String: Any] ?? [:])
        }

        let created = try await call(.post, "/api/schedules", json: #"{"workflow_name":"hello","cron_expression":"* * * * *","input_data":{"who":"clock"}}"#)
        #expect(created.status == 201)
        #expect(created.data["catch_up"] as? String == "skip", "the server's setting")
        let id = try #require(created.data["id"] as? String)
        let next = try #require((created.data["next_run_at"] as? String).flatMap { try? Self.iso.parse($0) })
        #expect(next.timeIntervalSinceNow > 0 && next.timeIntervalSinceNow <= 60, "the next whole minute: \(next)")
        #expect(Int(next.timeIntervalSince1970) % 60 == 0)

        // The first slot comes within a minute.
        var runID: String?
        let fired = try await eventually(.seconds(100)) {
            runID = try await call(.get, "/api/schedules/\(id)").data["last_run_id"] as? String
            return runID != nil
        }
        #expect(fired, "no run within 100 s; the server's log:\n\(child.log.contents)")
        let run = try #require(runID)
        // Disabled, it fires no more (so no run is running when the server stops).
        #expect(try await call(.patch, "/api/schedules/\(id)", json: #"{"enabled":false}"#).data["status"] as? String == "paused")
        let completed = try await eventually(.seconds(120)) { try await call(.get, "/api/runs/\(run)").data["status"] as? String == "completed" }
        #expect(completed, "the server's log:\n\(child.log.contents)")
        let schedule = try await call(.get, "/api/schedules/\(id)").data
        #expect(schedule["last_run_status"] as? String == "completed")
        let lastRunAt = try #require((schedule["last_run_at"] as? String).flatMap { try? Self.iso.parse($0) })
        #expect(lastRunAt >= next, "fired at its slot, not before")
        #expect(child.log.contents.contains("schedule fired"))
        #expect(try await call(.delete, "/api/schedules/\(id)").status == 200)
        #expect(try await call(.get, "/api/schedules/\(id)").status == 404)
        child.process.terminate()
        try await SendableProcess(child.process).waitUntilExit()

        let docker = try await DockerClient.connect()
        let runs = try SQLiteRunRepository(path: data + "/sandcastle.sqlite").listRuns(RunQuery(limit: 100))
        for run in runs {
            let containers = try await docker.listContainers(all: true, filters: .labels(["\(SandcastleLabels.run)=\(run.id)"]))
            let volumes = try await docker.listVolumes(filters: DockerFilters(["name": [WorkflowEngine.workspaceName(runID: run.id)]]))
            #expect(containers.isEmpty && volumes.isEmpty, "run \(run.id) left \(containers.map(\.id)) \(volumes.map(\.name))")
            for container in containers { try? await docker.removeContainer(id: container.id, force: true, removeVolumes: true) }
            for volume in volumes { try? await docker.removeVolume(name: volume.name, force: true) }
        }
    }
}
