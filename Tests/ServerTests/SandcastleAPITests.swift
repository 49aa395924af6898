import EngineService
import Foundation
import HTTPTransport
import Logging
import Orchestrator
import Synchronization
import TestSupport
import Testing
import Webhooks

@testable import Server
@testable import ServerCompat
@testable import ServerCore

/// Sandcastle's `/api` on the real engine, in process: the envelope and its errors, workflows
/// with versions, runs through the durable queue (inputs, idempotency, sync), queries, cancel,
/// and the pushed event stream with a gapless `Last-Event-ID` reconnect.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct SandcastleAPITests {
    static let chain = """
        name: chain
        inputs:
          count: {type: integer, default: 1}
        steps:
          - id: one
            run: echo "{input.count}"
          - id: two
            depends_on: [one]
            run: sleep 0.3; echo two
        """

    /// A server with an orchestrator over this data folder, a workflows folder holding `chain`,
    /// and an API key.
    static func with(_ body: (LiveServer, Orchestrator) async throws -> Void) async throws {
        try await with(workflows: ["chain": chain]) { server, orchestrator, _ in try await body(server, orchestrator) }
    }

    /// The same server with these workflows (by name) in its folder; `body` also gets the data folder.
    static func with(
        workflows: [String: String], _ body: (LiveServer, Orchestrator, String) async throws -> Void
    ) async throws {
        let data = DockerServerFixture.dataDirectory()
        let folder = data + "-workflows"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (name, text) in workflows { try text.write(toFile: folder + "/\(name).yaml", atomically: true, encoding: .utf8) }
        defer {
            try? FileManager.default.removeItem(atPath: data)
            try? FileManager.default.removeItem(atPath: folder)
        }
        // These tests submit more runs than the default rate limit allows; RateLimitHTTPTests test the limit.
        let configuration = DockerServerFixture.configuration(dataDirectory: data, open: false) { $0.rateLimitRuns = .off }
        var dependencies = try await ServerDependencies.production(configuration, logger: Logger(label: "test"))
        let runs = try await RunService.open(try EngineSettings.load(dataDirectory: data), sandboxes: .required, creatingStore: true)
        // Callbacks may reach the test's receiver on loopback (a development setting); signed.
        let webhooks = RunWebhooks(sender: WebhookSender(secret: WebhookSecret(Self.webhookSecret), policy: WebhookPolicy(allowPrivateNetworks: true)))
        let orchestrator = Orchestrator(
            runs: runs, workflowsFolder: folder, maxConcurrentRuns: 2, webhooks: webhooks, logger: Logger(label: "test"))
        try await orchestrator.start()
        dependencies.orchestrator = orchestrator
        try await ServerFixture.with(configuration, dependencies) { server in try await body(server, orchestrator, data) }
        let leaked = try await DockerServerFixture.sweep(serverID: dependencies.serverID)
        #expect(leaked.isEmpty, "containers left behind: \(leaked)")
    }

    static let webhookSecret = "whsec-test-0123456789"

    static func data(_ body: [String: Any]) -> [String: Any] { body["data"] as? [String: Any] ?? [:] }

    /// The nested error Sandcastle's handlers answer with: `detail.error.code`.
    static func code(_ body: [String: Any]) -> String? {
        ((body["detail"] as? [String: Any])?["error"] as? [String: Any])?["code"] as? String
    }

    static func waitForEnd(_ server: LiveServer, _ id: String) async throws -> [String: Any] {
        let ended = await eventually(.seconds(60)) {
            let status = data((try? await server.call(.get, "/api/runs/\(id)", key: ServerFixture.key))?.body ?? [:])["status"] as? String
            return ["completed", "failed", "cancelled"].contains(status ?? "")
        }
        #expect(ended, "run \(id) did not end")
        return data(try await server.call(.get, "/api/runs/\(id)", key: ServerFixture.key).body)
    }

    @Test func theEnvelopeAndItsErrorsAreSandcastles() async throws {
        try await Self.with { server, _ in
            let health = try await server.call(.get, "/api/health")
            #expect(health.status == 200 && Self.data(health.body)["status"] as? String == "ok", "public: \(health.text)")
            #expect(health.body.keys.sorted() == ["data", "error", "meta"])
            let anonymous = try await server.call(.get, "/api/runs")
            #expect(anonymous.status == 401)
            #expect((anonymous.body["error"] as? [String: Any])?["code"] as? String == "UNAUTHORIZED", "top level, as its auth answers")
            let runtime = try await server.call(.get, "/api/runtime", headers: [("X-API-Key", ServerFixture.key)])
            #expect(Self.data(runtime.body)["database"] as? String == "sqlite", "X-API-Key works: \(runtime.text)")

            let unknown = try await server.call(.post, "/api/workflows/run", json: #"{"workflow_name":"nope"}"#, key: ServerFixture.key)
            #expect(unknown.status == 404 && Self.code(unknown.body) == "WORKFLOW_NOT_FOUND", "\(unknown.text)")
            let broken = try await server.call(.post, "/api/workflows/run", json: #"{"workflow":"name: [x"}"#, key: ServerFixture.key)
            #expect(broken.status == 400 && Self.code(broken.body) == "INVALID_WORKFLOW", "\(broken.text)")
            let details = ((broken.body["detail"] as? [String: Any])?["error"] as? [String: Any])?["details"] as? [String]
            #expect(details?.first?.hasPrefix("workflow:") == true, "diagnostics name the text, not a server path: \(details ?? [])")
            for (json, expected) in [
                ("{}", 400), ("not json", 422), ("[1]", 422), (#"{"workflow_name":"chain","input":[1]}"#, 422),
                (#"{"workflow_name":"chain","max_cost_usd":-1}"#, 422), (#"{"workflow_name":"chain","input":{"nope":1}}"#, 400),
                (#"{"workflow_name":"ch\u0000ain"}"#, 422),
            ] {
                let refused = try await server.call(.post, "/api/workflows/run", json: json, key: ServerFixture.key)
                #expect(refused.status == expected && Self.code(refused.body) != nil, "\(json): \(refused.text)")
            }
            let badQuery = try await server.call(.get, "/api/runs?status=sideways", key: ServerFixture.key)
            #expect(badQuery.status == 400 && Self.code(badQuery.body) == "INVALID_STATUS")
            let badID = try await server.call(.get, "/api/runs/..%2F..%2Fetc", key: ServerFixture.key)
            #expect([400, 404].contains(badID.status) && Self.code(badID.body) != nil, "\(badID.text)")
        }
    }

    @Test func workflowsHaveVersionsAndRunsRecordTheirs() async throws {
        try await Self.with { server, _ in
            let listed = try await server.call(.get, "/api/workflows", key: ServerFixture.key)
            let names = (listed.body["data"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
            #expect(names == ["chain"], "the folder is imported: \(listed.text)")
            let yaml = "name: greet\\nsteps:\\n  - id: hi\\n    run: echo v"
            let first = try await server.call(.post, "/api/workflows", json: #"{"name":"greet","content":"\#(yaml)1"}"#, key: ServerFixture.key)
            #expect(first.status == 201 && Self.data(first.body)["version"] as? Int == 1, "\(first.text)")
            let second = try await server.call(.post, "/api/workflows", json: #"{"name":"greet","content":"\#(yaml)2"}"#, key: ServerFixture.key)
            #expect(Self.data(second.body)["version"] as? Int == 2 && Self.data(second.body)["total_versions"] as? Int == 2, "\(second.text)")
            let traversal = try await server.call(.post, "/api/workflows", json: #"{"name":"../x","content":"\#(yaml)"}"#, key: ServerFixture.key)
            #expect(traversal.status == 400 && Self.code(traversal.body) == "INVALID_NAME")

            let newest = try await server.call(.post, "/api/workflows/run/sync", json: #"{"workflow_name":"greet"}"#, key: ServerFixture.key)
            #expect(Self.data(newest.body)["status"] as? String == "completed", "\(newest.text)")
            #expect((Self.data(newest.body)["outputs"] as? [String: Any])?["hi"] as? String == "v2")
            #expect(Self.data(newest.body)["workflow_version"] as? Int == 2)
            let pinned = try await server.call(.post, "/api/workflows/run/sync", json: #"{"workflow_name":"greet","version":1}"#, key: ServerFixture.key)
            #expect((Self.data(pinned.body)["outputs"] as? [String: Any])?["hi"] as? String == "v1", "\(pinned.text)")

            let deleted = try await server.call(.delete, "/api/workflows/greet", key: ServerFixture.key)
            #expect(deleted.status == 200 && Self.data(deleted.body)["deleted"] as? Bool == true)
            #expect(try await server.call(.get, "/api/workflows/greet", key: ServerFixture.key).status == 404)
        }
    }

    @Test func runsAreQueuedQueriedCancelledAndIdempotent() async throws {
        try await Self.with { server, _ in
            let submitted = try await server.call(
                .post, "/api/workflows/run", json: #"{"workflow_name":"chain","input":{"count":"3"},"idempotency_key":"k-1"}"#, key: ServerFixture.key)
            #expect(submitted.status == 202 && Self.data(submitted.body)["status"] as? String == "queued", "\(submitted.text)")
            let id = try #require(Self.data(submitted.body)["run_id"] as? String)
            let again = try await server.call(
                .post, "/api/workflows/run", json: #"{"workflow_name":"chain","idempotency_key":"k-1"}"#, key: ServerFixture.key)
            #expect(Self.data(again.body)["run_id"] as? String == id && Self.data(again.body)["status"] as? String == "existing")

            let run = try await Self.waitForEnd(server, id)
            #expect(run["status"] as? String == "completed", "\(run)")
            #expect((run["outputs"] as? [String: Any])?["one"] as? Int == 3, "\"3\" was coerced to the declared integer: \(run)")
            #expect((run["input_data"] as? [String: Any])?["count"] as? Int == 3)
            let steps = run["steps"] as? [[String: Any]] ?? []
            #expect(steps.map { $0["status"] as? String } == ["completed", "completed"])
            #expect((try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(run["started_at"] as? String ?? "")) != nil)

            let long = try await server.call(
                .post, "/api/workflows/run", json: #"{"workflow":"name: long\nsteps:\n  - id: s\n    run: sleep 300\n"}"#, key: ServerFixture.key)
            let longID = try #require(Self.data(long.body)["run_id"] as? String)
            let running = await eventually(.seconds(60)) {
                Self.data((try? await server.call(.get, "/api/runs/\(longID)", key: ServerFixture.key))?.body ?? [:])["status"] as? String == "running"
            }
            #expect(running)
            let cancelled = try await server.call(.post, "/api/runs/\(longID)/cancel", key: ServerFixture.key)
            #expect(cancelled.status == 200 && Self.data(cancelled.body)["cancelled"] as? Bool == true, "\(cancelled.text)")
            #expect(try await Self.waitForEnd(server, longID)["status"] as? String == "cancelled")
            let twice = try await server.call(.post, "/api/runs/\(longID)/cancel", key: ServerFixture.key)
            #expect(twice.status == 400 && Self.code(twice.body) == "INVALID_STATUS", "\(twice.text)")

            let page = try await server.call(.get, "/api/runs?limit=1&offset=0", key: ServerFixture.key)
            #expect((page.body["meta"] as? [String: Any])?["total"] as? Int == 2 && (page.body["data"] as? [Any])?.count == 1, "\(page.text)")
            let filtered = try await server.call(.get, "/api/runs?workflow=chain&status=completed", key: ServerFixture.key)
            #expect((filtered.body["data"] as? [[String: Any]])?.map { $0["run_id"] as? String } == [id], "\(filtered.text)")
            let none = try await server.call(.get, "/api/runs?until=2000-01-01", key: ServerFixture.key)
            #expect((none.body["meta"] as? [String: Any])?["total"] as? Int == 0, "\(none.text)")
        }
    }

    /// Reads an event stream until it ends (or `stopAfter` frames), as `(id, event, data)`.
    static func frames(_ server: LiveServer, _ path: String, lastEventID: Int64? = nil, stopAfter: Int = .max) async throws
        -> [(id: Int64, event: String, data: [String: Any])]
    {
        var headers: HTTPHeaders = ["X-API-Key": ServerFixture.key]
        if let lastEventID { headers.add("Last-Event-ID", "\(lastEventID)") }
        let response = try await server.client.stream(HTTPRequest(method: .get, path: path, headers: headers, timeout: .seconds(60)))
        #expect(response.status == 200 && response.headers["Content-Type"] == "text/event-stream")
        var frames: [(Int64, String, [String: Any])] = []
        var buffer = ""
        for try await chunk in response.body {
            buffer += String(decoding: chunk, as: UTF8.self)
            while let end = buffer.range(of: "\n\n") {
                let block = String(buffer[..<end.lowerBound])
                buffer.removeSubrange(..<end.upperBound)
                var id: Int64 = -1
                var event = ""
                var data: [String: Any] = [:]
                for line in block.split(separator: "\n") {
                    if line.hasPrefix("id: ") { id = Int64(line.dropFirst(4)) ?? -1 }
                    if line.hasPrefix("event: ") { event = String(line.dropFirst(7)) }
                    if line.hasPrefix("data: ") {
                        data = (try? JSONSerialization.jsonObject(with: Data(line.dropFirst(6).utf8))) as? [String: Any] ?? [:]
                    }
                }
                if !event.isEmpty { frames.append((id, event, data)) }
                if frames.count >= stopAfter {
                    response.cancel()
                    return frames
                }
            }
        }
        return frames
    }

    @Test func theStreamIsPushedAndAReconnectMissesNothing() async throws {
        try await Self.with { server, _ in
            let submitted = try await server.call(.post, "/api/workflows/run", json: #"{"workflow_name":"chain"}"#, key: ServerFixture.key)
            let id = try #require(Self.data(submitted.body)["run_id"] as? String)
            let live = try await Self.frames(server, "/api/runs/\(id)/stream")
            #expect(live.first?.event == "status", "the first frame is the status")
            #expect(live.last?.event == "result" && (live.last?.data["outputs"] as? [String: Any])?["two"] as? String == "two", "\(live.map(\.event))")
            let steps = live.filter { $0.event == "step" }.map { "\($0.data["step_id"] ?? "")=\($0.data["status"] ?? "")" }
            #expect(steps.contains("one=completed") && steps.contains("two=running") && steps.contains("two=completed"), "\(steps)")
            let ids = live.map(\.id)
            #expect(ids == ids.sorted(), "ids only grow")

            // A client that read the first frames and reconnects with the last id it saw gets the
            // rest: together the same frames as one uninterrupted read.
            let whole = try await Self.frames(server, "/api/runs/\(id)/stream", lastEventID: 0)
            let head = Array(whole.prefix(3))
            let tail = try await Self.frames(server, "/api/runs/\(id)/stream", lastEventID: head.last?.id ?? 0)
            let joined = head.map { "\($0.id) \($0.event)" } + tail.dropFirst().map { "\($0.id) \($0.event)" }
            #expect(joined == whole.map { "\($0.id) \($0.event)" }, "head \(head.map(\.id)), tail \(tail.map(\.id)), whole \(whole.map(\.id))")

            let token = try await server.client.send(HTTPRequest(method: .get, path: "/api/runs/\(id)/stream?token=\(ServerFixture.key)"))
            #expect(token.status == 200 && token.bodyText.contains("event: result"), "?token= on stream paths")
            let tokenElsewhere = try await server.client.send(HTTPRequest(method: .get, path: "/api/runs/\(id)?token=\(ServerFixture.key)"))
            #expect(tokenElsewhere.status == 401, "?token= only on stream paths")
            let missing = try await server.call(.get, "/api/runs/nope/stream", key: ServerFixture.key)
            #expect(missing.status == 404 && Self.code(missing.body) == "RUN_NOT_FOUND")
        }
    }

    @Test func theGlobalFeedCarriesEveryRunsMilestonesAndResumesAfterLastEventID() async throws {
        try await Self.with { server, _ in
            let response = try await server.client.stream(
                HTTPRequest(method: .get, path: "/api/events", headers: ["X-API-Key": ServerFixture.key], timeout: .seconds(60)))
            #expect(response.status == 200)
            let submitted = try await server.call(.post, "/api/workflows/run", json: #"{"workflow_name":"chain"}"#, key: ServerFixture.key)
            let id = try #require(Self.data(submitted.body)["run_id"] as? String)
            var seen: [(Int64, String)] = []
            var buffer = ""
            reading: for try await chunk in response.body {
                buffer += String(decoding: chunk, as: UTF8.self)
                while let end = buffer.range(of: "\n\n") {
                    let block = buffer[..<end.lowerBound]
                    buffer.removeSubrange(..<end.upperBound)
                    let lines = block.split(separator: "\n")
                    guard let idLine = lines.first(where: { $0.hasPrefix("id: ") }), let type = lines.first(where: { $0.hasPrefix("event: ") })
                    else { continue }
                    seen.append((Int64(idLine.dropFirst(4)) ?? -1, String(type.dropFirst(7))))
                    if type.hasSuffix("run.completed") { break reading }
                }
            }
            response.cancel()
            #expect(
                seen.map(\.1) == ["run.started", "step.started", "step.completed", "step.started", "step.completed", "run.completed"],
                "\(seen)")
            // Resumed after the second event: exactly the rest, same ids.
            let resumed = try await server.client.stream(
                HTTPRequest(
                    method: .get, path: "/api/events",
                    headers: ["X-API-Key": ServerFixture.key, "Last-Event-ID": "\(seen[1].0)"], timeout: .seconds(60)))
            var rest: [Int64] = []
            var more = ""
            resuming: for try await chunk in resumed.body {
                more += String(decoding: chunk, as: UTF8.self)
                for line in more.split(separator: "\n") where line.hasPrefix("id: ") {
                    let value = Int64(line.dropFirst(4)) ?? -1
                    if !rest.contains(value) { rest.append(value) }
                }
                if rest.count >= seen.count - 2 { break resuming }
            }
            resumed.cancel()
            #expect(rest == seen.dropFirst(2).map(\.0), "resumed \(rest) after \(seen[1].0) of \(seen.map(\.0))")
            _ = try await Self.waitForEnd(server, id)
        }
    }

    @Test func aCallbackIsCheckedAtSubmissionAndGetsTheSignedResultRecordedWithTheRun() async throws {
        let receiver = try await WebhookReceiver.start()
        defer { receiver.stop() }
        try await Self.with { server, orchestrator in
            for url in ["http://169.254.169.254/latest/meta-data", "file:///etc/passwd", "http://user:pw@127.0.0.1/x"] {
                let refused = try await server.call(
                    .post, "/api/workflows/run", json: #"{"workflow_name":"chain","callback_url":"\#(url)"}"#, key: ServerFixture.key)
                #expect(refused.status == 400 && Self.code(refused.body) == "INVALID_CALLBACK_URL", "\(url): \(refused.text)")
            }
            let runs = try await server.call(.get, "/api/runs", key: ServerFixture.key)
            #expect((runs.body["meta"] as? [String: Any])?["total"] as? Int == 0, "a refused callback records no run")

            let submitted = try await server.call(
                .post, "/api/workflows/run", json: #"{"workflow_name":"chain","callback_url":"\#(receiver.url)"}"#, key: ServerFixture.key)
            let id = try #require(Self.data(submitted.body)["run_id"] as? String)
            _ = try await Self.waitForEnd(server, id)
            let delivered = await eventually(.seconds(30)) { !receiver.received.isEmpty }
            #expect(delivered, "the callback got nothing")
            let hook = try #require(receiver.received.first)
            #expect(WebhookSigner.verify(body: hook.body, signature: hook.signature ?? "", secret: WebhookSecret(Self.webhookSecret)))
            let body = try #require(try JSONSerialization.jsonObject(with: Data(hook.body)) as? [String: Any])
            #expect(body["event"] as? String == "workflow.completed" && body["run_id"] as? String == id && body["status"] as? String == "completed")
            #expect((body["outputs"] as? [String: Any])?["two"] as? String == "two", "\(body)")
            // The delivery is kept with the run: its outcome and every attempt.
            let recorded = await eventually(.seconds(10)) {
                (try? orchestrator.runs.events(runID: id, afterSeq: 0, limit: 1000))?.contains { $0.kind == RunWebhooks.eventKind } == true
            }
            #expect(recorded, "no webhook_delivered event")
            let record = try orchestrator.runs.events(runID: id, afterSeq: 0, limit: 1000).first { $0.kind == RunWebhooks.eventKind }
            let delivery = try #require(JSONSerialization.jsonObject(with: Data((record?.payloadJSON ?? "{}").utf8)) as? [String: Any])
            #expect(delivery["outcome"] as? String == "delivered" && (delivery["attempts"] as? [Any])?.count == 1, "\(delivery)")
            #expect(receiver.received.count == 1, "delivered once")
        }
    }

    static let gated = """
        name: gated
        steps:
          - id: build
            run: |
              echo '{"sha": "abc"}'
          - id: gate
            type: approval
            depends_on: [build]
            approval_config:
              message: "Ship {steps.build.output.sha}?"
              show_data: "{steps.build.output}"
              allow_edit: true
          - id: ship
            depends_on: [gate]
            run: echo "shipping"
        """

    @Test func approvalsPauseTheRunAndEachDecisionResumesIt() async throws {
        try await Self.with { server, _ in
            var outcomes: [String: [String: Any]] = [:]
            for verb in ["approve", "reject", "skip"] {
                let submitted = try await server.call(
                    .post, "/api/workflows/run", json: #"{"workflow":\#(Self.jsonString(Self.gated))}"#, key: ServerFixture.key)
                let id = try #require(Self.data(submitted.body)["run_id"] as? String, "\(submitted.text)")
                let paused = await eventually(.seconds(60)) {
                    Self.data((try? await server.call(.get, "/api/runs/\(id)", key: ServerFixture.key))?.body ?? [:])["status"] as? String
                        == "awaiting_approval"
                }
                #expect(paused, "\(verb): the run did not pause at its gate")
                let pending = try await server.call(.get, "/api/approvals?status=pending", key: ServerFixture.key)
                let approval = try #require((pending.body["data"] as? [[String: Any]])?.first { $0["run_id"] as? String == id })
                #expect(approval["id"] as? String == "\(id).gate" && approval["message"] as? String == "Ship abc?", "\(approval)")
                #expect((approval["request_data"] as? [String: Any])?["sha"] as? String == "abc" && approval["allow_edit"] as? Bool == true)
                let body = verb == "approve" ? #"{"comment":"ok","edited_data":{"sha":"edited"}}"# : nil
                let decided = try await server.call(.post, "/api/approvals/\(id).gate/\(verb)", json: body, key: ServerFixture.key)
                #expect(decided.status == 200 && Self.data(decided.body)["run_id"] as? String == id, "\(verb): \(decided.text)")
                let again = try await server.call(.post, "/api/approvals/\(id).gate/\(verb)", key: ServerFixture.key)
                #expect(again.status == 409 && Self.code(again.body) == "ALREADY_RESOLVED", "\(again.text)")
                outcomes[verb] = try await Self.waitForEnd(server, id)
            }
            let approved = try #require(outcomes["approve"])
            #expect(approved["status"] as? String == "completed", "\(approved)")
            #expect(((approved["outputs"] as? [String: Any])?["gate"] as? [String: Any])?["sha"] as? String == "edited", "edited data is the gate's output")
            #expect(outcomes["reject"]?["status"] as? String == "failed", "\(outcomes["reject"] ?? [:])")
            let skipped = try #require(outcomes["skip"])
            #expect(skipped["status"] as? String == "completed", "a skipped gate lets its dependents run: \(skipped)")
            let steps = skipped["steps"] as? [[String: Any]] ?? []
            #expect(steps.first { $0["step_id"] as? String == "gate" }?["status"] as? String == "skipped")
            #expect(steps.first { $0["step_id"] as? String == "ship" }?["status"] as? String == "completed")
            let missing = try await server.call(.post, "/api/approvals/nope.gate/approve", key: ServerFixture.key)
            #expect(missing.status == 404, "\(missing.text)")
        }
    }

    static func jsonString(_ text: String) -> String {
        String(decoding: (try? JSONSerialization.data(withJSONObject: [text])) ?? Data(), as: UTF8.self).dropFirst().dropLast().description
    }

    @Test func replayAndForkQueueNewRunsThatReuseTheParentsResults() async throws {
        try await Self.with { server, orchestrator in
            let parent = try await server.call(
                .post, "/api/workflows/run/sync", json: #"{"workflow_name":"chain","input":{"count":7}}"#, key: ServerFixture.key)
            let parentID = try #require(Self.data(parent.body)["run_id"] as? String, "\(parent.text)")

            let replay = try await server.call(.post, "/api/runs/\(parentID)/replay", json: #"{"from_step":"two"}"#, key: ServerFixture.key)
            #expect(replay.status == 202 && Self.data(replay.body)["status"] as? String == "queued", "\(replay.text)")
            let replayID = try #require(Self.data(replay.body)["new_run_id"] as? String)
            let replayed = try await Self.waitForEnd(server, replayID)
            #expect(replayed["status"] as? String == "completed" && replayed["parent_run_id"] as? String == parentID, "\(replayed)")
            #expect(replayed["replay_from_step"] as? String == "two")
            #expect((replayed["outputs"] as? [String: Any])?["one"] as? Int == 7, "the parent's result of `one` is reused")
            #expect(try orchestrator.runs.repository.attempts(runID: replayID, stepID: "one", fanoutIndex: nil).isEmpty, "`one` did not run again")

            let fork = try await server.call(
                .post, "/api/runs/\(parentID)/fork", json: #"{"from_step":"two","changes":{"run":"echo forked","timeout":30}}"#, key: ServerFixture.key)
            let forkID = try #require(Self.data(fork.body)["new_run_id"] as? String, "\(fork.text)")
            #expect(Self.data(fork.body)["fork_from_step"] as? String == "two")
            let forked = try await Self.waitForEnd(server, forkID)
            #expect((forked["outputs"] as? [String: Any])?["two"] as? String == "forked", "\(forked)")
            #expect((forked["fork_changes"] as? [String: Any])?["run"] as? String == "echo forked")

            let unknownStep = try await server.call(.post, "/api/runs/\(parentID)/replay", json: #"{"from_step":"nope"}"#, key: ServerFixture.key)
            #expect(unknownStep.status == 400 && Self.code(unknownStep.body) == "INVALID_STEP", "\(unknownStep.text)")
            let agentChange = try await server.call(
                .post, "/api/runs/\(parentID)/fork", json: #"{"from_step":"two","changes":{"prompt":"x"}}"#, key: ServerFixture.key)
            #expect(agentChange.status == 400 && Self.code(agentChange.body) == "INVALID_INPUT", "\(agentChange.text)")
            // Found by schemathesis: a timeout past any duration was converted and trapped the server.
            for timeout in ["1.7976931348623155e+308", "-1", "0", "86401", #""1e300""#] {
                let refused = try await server.call(
                    .post, "/api/runs/\(parentID)/fork", json: #"{"from_step":"two","changes":{"timeout":\#(timeout)}}"#, key: ServerFixture.key)
                #expect(refused.status == 422 && Self.code(refused.body) == "VALIDATION_ERROR", "timeout \(timeout): \(refused.text)")
            }
            let missing = try await server.call(.post, "/api/runs/0123456789abcdef/replay", json: #"{"from_step":"two"}"#, key: ServerFixture.key)
            #expect(missing.status == 404, "\(missing.text)")
        }
    }

    @Test func statsDeletionAndTheEmergencyStop() async throws {
        try await Self.with { server, _ in
            let done = try await server.call(.post, "/api/workflows/run/sync", json: #"{"workflow_name":"chain"}"#, key: ServerFixture.key)
            let doneID = try #require(Self.data(done.body)["run_id"] as? String)
            let stats = Self.data(try await server.call(.get, "/api/stats", key: ServerFixture.key).body)
            #expect(stats["total_runs_today"] as? Int == 1 && stats["success_rate"] as? Double == 1, "\(stats)")
            #expect((stats["runs_by_day"] as? [[String: Any]])?.last?["count"] as? Int == 1)
            #expect((stats["avg_duration_seconds"] as? Double ?? 0) > 0)

            let long = try await server.call(
                .post, "/api/workflows/run", json: #"{"workflow":"name: long\nsteps:\n  - id: s\n    run: sleep 300\n"}"#, key: ServerFixture.key)
            let longID = try #require(Self.data(long.body)["run_id"] as? String)
            let running = await eventually(.seconds(60)) {
                Self.data((try? await server.call(.get, "/api/runs/\(longID)", key: ServerFixture.key))?.body ?? [:])["status"] as? String == "running"
            }
            #expect(running)
            let busy = try await server.call(.delete, "/api/runs/\(longID)", key: ServerFixture.key)
            #expect(busy.status == 400 && Self.code(busy.body) == "INVALID_STATUS", "\(busy.text)")

            let stop = try await server.call(.post, "/api/admin/emergency-stop", key: ServerFixture.key)
            #expect(Self.data(stop.body)["cancelled_count"] as? Int == 1 && Self.data(stop.body)["active"] as? Bool == true, "\(stop.text)")
            #expect(try await Self.waitForEnd(server, longID)["status"] as? String == "cancelled")
            let refused = try await server.call(.post, "/api/workflows/run", json: #"{"workflow_name":"chain"}"#, key: ServerFixture.key)
            #expect(refused.status == 503 && Self.code(refused.body) == "SERVICE_UNAVAILABLE", "\(refused.text)")
            #expect(Self.data(try await server.call(.get, "/api/runtime", key: ServerFixture.key).body)["emergency_stop"] as? Bool == true)
            let reset = try await server.call(.post, "/api/admin/emergency-stop/reset", key: ServerFixture.key)
            #expect(Self.data(reset.body)["active"] as? Bool == false)
            let accepted = try await server.call(.post, "/api/workflows/run/sync", json: #"{"workflow_name":"chain"}"#, key: ServerFixture.key)
            #expect(Self.data(accepted.body)["status"] as? String == "completed", "\(accepted.text)")

            let deleted = try await server.call(.delete, "/api/runs/\(doneID)", key: ServerFixture.key)
            #expect(deleted.status == 200 && Self.data(deleted.body)["deleted"] as? Bool == true)
            #expect(try await server.call(.get, "/api/runs/\(doneID)", key: ServerFixture.key).status == 404)
        }
    }

    @Test func theWorkflowsOwnWebhooksAreCheckedAndCalled() async throws {
        let receiver = try await WebhookReceiver.start()
        defer { receiver.stop() }
        try await Self.with { server, _ in
            let failing = """
                name: failing
                on_complete: {webhook: "\(receiver.url)"}
                on_failure: {webhook: "\(receiver.url)"}
                steps:
                  - {id: a, run: exit 3}
                """
            let run = try await server.call(.post, "/api/workflows/run", json: #"{"workflow":\#(Self.jsonString(failing))}"#, key: ServerFixture.key)
            let id = try #require(Self.data(run.body)["run_id"] as? String, "\(run.text)")
            #expect(try await Self.waitForEnd(server, id)["status"] as? String == "failed")
            let called = await eventually(.seconds(30)) { !receiver.received.isEmpty }
            #expect(called, "on_failure.webhook got nothing")
            let event = try receiver.received.first.map { try JSONSerialization.jsonObject(with: Data($0.body)) as? [String: Any] }
            #expect(event??["event"] as? String == "workflow.failed" && event??["run_id"] as? String == id)

            let metadata = "name: m\non_complete: {webhook: \"http://169.254.169.254/x\"}\nsteps:\n  - {id: a, run: echo}\n"
            let refused = try await server.call(.post, "/api/workflows/run", json: #"{"workflow":\#(Self.jsonString(metadata))}"#, key: ServerFixture.key)
            #expect(refused.status == 400 && Self.code(refused.body) == "INVALID_CALLBACK_URL", "\(refused.text)")
        }
    }
}
