import DockerEngine
import Foundation
import HTTPTransport
import Sandbox
import Store
import TestSupport
import Testing

@testable import ServerCore

/// The server's run queue survives `kill -9`: runs queued and running when the server dies all
/// finish after a restart, none is lost, and no completed step runs twice. The kill comes at a
/// point the test observes (the long step of the first run is running, the others are queued
/// behind it), not after a sleep.
@Suite(.serialized, .timeLimit(.minutes(6)))
struct RunQueueCrashTests {
    /// `count` appends a line to the run's workspace each time it runs, so a second run of a
    /// completed step shows; in run `a`, `wait` blocks its first attempt (it marks the
    /// workspace, then sleeps) and completes at once when the run is resumed after the kill.
    static let workflow = """
        name: crashy
        inputs:
          tag: {type: string}
        steps:
          - id: count
            run: echo ran >> /workspace/count-ran; echo counted
          - id: wait
            depends_on: [count]
            run: |
              if [ "{input.tag}" != a ] || [ -e /workspace/wait-started ]; then echo resumed; else touch /workspace/wait-started; sleep 600; fi
          - id: report
            depends_on: [wait]
            run: wc -l < /workspace/count-ran
        """

    struct API {
        let client: HTTPClient

        func call(_ method: HTTPTransport.HTTPMethod, _ path: String, json: String? = nil) async throws -> (status: Int, body: [String: Any]) {
            let response = try await client.send(
                HTTPRequest(method: method, path: path, body: json.map { .bytes(Array($0.utf8)) } ?? .none, timeout: .seconds(60)))
            return (response.status, (try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]) ?? [:])
        }

        func run(_ id: String) async throws -> [String: Any] {
            try await call(.get, "/api/runs/\(id)").body["data"] as? [String: Any] ?? [:]
        }
    }

    @Test func killDashNineWithRunsQueuedAndRunningLosesNothingAndRepeatsNoStep() async throws {
        let data = DockerServerFixture.dataDirectory()
        let workflows = data + "-workflows"
        try FileManager.default.createDirectory(atPath: workflows, withIntermediateDirectories: true)
        try Self.workflow.write(toFile: workflows + "/crashy.yaml", atomically: true, encoding: .utf8)
        defer {
            try? FileManager.default.removeItem(atPath: data)
            try? FileManager.default.removeItem(atPath: workflows)
        }
        // At notice, the log holds the queue's decisions, not every poll of the test.
        let arguments = ["--workflows-dir", workflows, "--max-concurrent-runs", "1", "--log-level", "notice"]
        var child = try await ServeProcess.start(dataDirectory: data, arguments: arguments)
        var api = API(client: try HTTPClient(endpoint: .http(host: "127.0.0.1", port: child.port)))

        var ids: [String] = []
        for tag in ["a", "b", "c"] {
            let submitted = try await api.call(.post, "/api/workflows/run", json: #"{"workflow_name":"crashy","input":{"tag":"\#(tag)"}}"#)
            #expect(submitted.status == 202, "\(submitted.body)")
            let data = try #require(submitted.body["data"] as? [String: Any])
            #expect(data["status"] as? String == "queued")
            ids.append(try #require(data["run_id"] as? String))
        }
        // The kill point: the first run's `wait` step has marked its workspace and sleeps (its
        // `count` done), seen in the step's own container; the other two runs are queued.
        let docker = try await DockerClient.connect()
        let atKillPoint = await eventually(.seconds(120)) {
            guard let containers = try? await docker.listContainers(all: false, filters: .labels(["\(SandcastleLabels.run)=\(ids[0])"]))
            else { return false }
            for container in containers {
                if let probe = try? await docker.exec(container: container.id, command: ["test", "-e", "/workspace/wait-started"]),
                    probe.exitCode == 0
                {
                    return true
                }
            }
            return false
        }
        #expect(atKillPoint, "the first run never reached its waiting step")
        for id in ids.dropFirst() {
            #expect(try await api.run(id)["status"] as? String == "queued", "one run at a time: the others wait")
        }
        try await child.kill9()

        child = try await ServeProcess.start(dataDirectory: data, arguments: arguments)
        let restarted = child
        defer { restarted.process.terminate() }
        api = API(client: try HTTPClient(endpoint: .http(host: "127.0.0.1", port: child.port)))
        for id in ids {
            let finished = await eventually(.seconds(180)) {
                ["completed", "failed", "cancelled"].contains((try? await api.run(id))?["status"] as? String ?? "")
            }
            #expect(finished, "run \(id) did not finish after the restart; the server's log:\n\(restarted.log.contents)")
            let run = try await api.run(id)
            #expect(run["status"] as? String == "completed", "\(run)")
            let outputs = run["outputs"] as? [String: Any] ?? [:]
            let report = outputs["report"].map { "\($0)".trimmingCharacters(in: .whitespacesAndNewlines) }
            #expect(report == "1", "count ran once: \(outputs)")
        }
        // The store agrees: one attempt of `count` in every run, two of the first run's `wait`.
        let repository = try SQLiteRunRepository(path: data + "/sandcastle.sqlite")
        for id in ids {
            #expect(try repository.attempts(runID: id, stepID: "count", fanoutIndex: nil).count == 1, "run \(id)")
        }
        #expect(try repository.attempts(runID: ids[0], stepID: "wait", fanoutIndex: nil).count == 2)
        let first = try await api.run(ids[0])
        #expect((first["outputs"] as? [String: Any])?["wait"] as? String == "resumed")
        let listed = try await api.call(.get, "/api/runs?workflow=crashy&status=completed")
        #expect((listed.body["meta"] as? [String: Any])?["total"] as? Int == 3, "\(listed.body)")
    }
}
