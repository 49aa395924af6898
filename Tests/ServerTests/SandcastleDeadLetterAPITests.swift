import EngineService
import Foundation
import HTTPTransport
import Logging
import Orchestrator
import TestSupport
import Testing

@testable import Server
@testable import ServerCompat
@testable import ServerCore

/// `/api/dead-letter` over real HTTP on loopback, in Sandcastle's shapes, on the real engine
/// (SQLite, Docker): a dead-lettered step's item, `dlq.new` on `/api/events`, retry (a new run
/// with its parent; refused once resolved or past the retry limit), resolve (once), and clear 4xx
/// answers to bad ids, queries and bodies.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct SandcastleDeadLetterAPITests {
    static let flaky = """
        name: flaky
        inputs:
          who: {type: string, default: world}
        on_failure: {dead_letter: true}
        steps:
          - id: fails
            run: exit 3
            retry: {max_attempts: 2, backoff: fixed, initial_delay: 10ms, jitter: false}
          - id: after
            depends_on: [fails]
            run: echo after
        """

    /// Sandcastle's `DeadLetterItemResponse` fields, and what a resolution records.
    static let itemKeys: Set<String> = [
        "id", "run_id", "step_id", "parallel_index", "error", "input_data", "attempts", "created_at", "resolved_at", "resolved_by",
        "resolve_reason", "retry_run_id",
    ]

    /// A server (API key required) whose orchestrator allows one retry per failure.
    static func with(_ body: (LiveServer) async throws -> Void) async throws {
        let data = DockerServerFixture.dataDirectory()
        let folder = data + "-workflows"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try flaky.write(toFile: folder + "/flaky.yaml", atomically: true, encoding: .utf8)
        defer {
            try? FileManager.default.removeItem(atPath: data)
            try? FileManager.default.removeItem(atPath: folder)
        }
        let configuration = DockerServerFixture.configuration(dataDirectory: data, open: false)
        var dependencies = try await ServerDependencies.production(configuration, logger: Logger(label: "test"))
        let runs = try await RunService.open(try EngineSettings.load(dataDirectory: data), sandboxes: .required, creatingStore: true)
        let orchestrator = Orchestrator(
            runs: runs, workflowsFolder: folder, maxConcurrentRuns: 2, deadLetters: DeadLetterSettings(maxRetries: 1), logger: Logger(label: "test"))
        try await orchestrator.start()
        dependencies.orchestrator = orchestrator
        try await ServerFixture.with(configuration, dependencies) { server in try await body(server) }
        let leaked = try await DockerServerFixture.sweep(serverID: dependencies.serverID)
        #expect(leaked.isEmpty, "containers left behind: \(leaked)")
    }

    static func data(_ body: [String: Any]) -> [String: Any] { body["data"] as? [String: Any] ?? [:] }
    static func items(_ body: [String: Any]) -> [[String: Any]] { body["data"] as? [[String: Any]] ?? [] }

    @Test func itemsAreListedRetriedAndResolvedInSandcastlesShapes() async throws {
        try await Self.with { server in
            let key = ServerFixture.key
            let feed = try await server.client.stream(
                HTTPRequest(method: .get, path: "/api/events", headers: ["X-API-Key": key], timeout: .seconds(60)))
            #expect(feed.status == 200)
            let submitted = try await server.call(.post, "/api/workflows/run", json: #"{"workflow_name":"flaky","input":{"who":"ada"}}"#, key: key)
            let runID = try #require(Self.data(submitted.body)["run_id"] as? String, "\(submitted.text)")

            // `dlq.new` on the global feed, as Sandcastle's executor publishes it.
            var announced: [String: Any] = [:]
            var buffer = ""
            reading: for try await chunk in feed.body {
                buffer += String(decoding: chunk, as: UTF8.self)
                while let end = buffer.range(of: "\n\n") {
                    let block = buffer[..<end.lowerBound]
                    buffer.removeSubrange(..<end.upperBound)
                    let lines = block.split(separator: "\n")
                    guard lines.contains("event: dlq.new"), let line = lines.first(where: { $0.hasPrefix("data: ") }) else { continue }
                    announced = (try? JSONSerialization.jsonObject(with: Data(line.dropFirst(6).utf8))) as? [String: Any] ?? [:]
                    break reading
                }
            }
            feed.cancel()
            #expect(announced["run_id"] as? String == runID && announced["step_name"] as? String == "fails")
            #expect((announced["error"] as? String)?.contains("3") == true, "\(announced)")
            let itemID = try #require(announced["dlq_item_id"] as? String)
            #expect(try await Self.status(of: runID, server) == "completed", "the run went on past the dead-lettered step")

            let listed = try await server.call(.get, "/api/dead-letter", key: key)
            #expect(listed.status == 200, "\(listed.text)")
            #expect(listed.body["meta"] as? [String: Int] == ["total": 1, "limit": 50, "offset": 0])
            let item = try #require(Self.items(listed.body).first)
            #expect(Set(item.keys) == Self.itemKeys)
            #expect(item["id"] as? String == itemID && item["run_id"] as? String == runID && item["step_id"] as? String == "fails")
            #expect(item["parallel_index"] is NSNull && item["error"] as? String == announced["error"] as? String && item["attempts"] as? Int == 2)
            #expect(item["input_data"] as? [String: String] == ["who": "ada"])
            #expect((item["created_at"] as? String)?.hasSuffix("Z") == true)
            for field in ["resolved_at", "resolved_by", "resolve_reason", "retry_run_id"] { #expect(item[field] is NSNull, "\(field)") }
            let one = try await server.call(.get, "/api/dead-letter/\(itemID)", key: key)
            #expect(one.status == 200 && Self.data(one.body)["id"] as? String == itemID, "\(one.text)")

            // Retry: a new run with its parent; the item is resolved by it, so a second retry is refused.
            let retried = try await server.call(.post, "/api/dead-letter/\(itemID)/retry", key: key)
            #expect(retried.status == 200, "\(retried.text)")
            let answer = Self.data(retried.body)
            #expect(answer["retried"] as? Bool == true && answer["dlq_item_id"] as? String == itemID)
            let newRunID = try #require(answer["new_run_id"] as? String)
            let child = Self.data(try await server.call(.get, "/api/runs/\(newRunID)", key: key).body)
            #expect(child["parent_run_id"] as? String == runID && child["input_data"] as? [String: String] == ["who": "ada"])
            let again = try await server.call(.post, "/api/dead-letter/\(itemID)/retry", key: key)
            #expect(again.status == 409 && SandcastleAPIFixture.error(again.body).code == "ALREADY_RESOLVED", "\(again.text)")
            let resolvedByRetry = Self.data(try await server.call(.get, "/api/dead-letter/\(itemID)", key: key).body)
            #expect(resolvedByRetry["resolved_by"] as? String == "retry" && resolvedByRetry["retry_run_id"] as? String == newRunID)

            // The retry fails the same way: a new open item, whose retry would pass the limit of one.
            #expect(try await Self.status(of: newRunID, server) == "completed")
            let open = Self.items(try await server.call(.get, "/api/dead-letter", key: key).body)
            #expect(open.count == 1 && open.first?["run_id"] as? String == newRunID)
            let secondID = try #require(open.first?["id"] as? String)
            let all = try await server.call(.get, "/api/dead-letter?resolved=true&limit=1&offset=1", key: key)
            #expect(all.body["meta"] as? [String: Int] == ["total": 2, "limit": 1, "offset": 1], "\(all.text)")
            #expect(Self.items(all.body).first?["id"] as? String == itemID, "newest first")
            let tooMany = try await server.call(.post, "/api/dead-letter/\(secondID)/retry", key: key)
            #expect(tooMany.status == 400 && SandcastleAPIFixture.error(tooMany.body).code == "MAX_RETRIES_EXCEEDED", "\(tooMany.text)")

            // Resolve without a body (as Sandcastle's CLI sends it), then once more: 409.
            let resolved = try await server.call(.post, "/api/dead-letter/\(secondID)/resolve", key: key)
            #expect(resolved.status == 200, "\(resolved.text)")
            let resolvedItem = Self.data(resolved.body)
            #expect(resolvedItem["resolved_by"] as? String == "manual" && resolvedItem["resolved_at"] is String)
            let twice = try await server.call(.post, "/api/dead-letter/\(secondID)/resolve", json: #"{"reason":"again"}"#, key: key)
            #expect(twice.status == 409 && SandcastleAPIFixture.error(twice.body).code == "ALREADY_RESOLVED", "\(twice.text)")
            #expect(Self.items(try await server.call(.get, "/api/dead-letter", key: key).body).isEmpty)
        }
    }

    @Test func badIdsQueriesAndBodiesGetClearAnswers() async throws {
        try await Self.with { server in
            let key = ServerFixture.key
            let anonymous = try await server.call(.get, "/api/dead-letter")
            #expect(anonymous.status == 401 && server.errorCode(anonymous.body) == "UNAUTHORIZED", "\(anonymous.text)")
            for path in ["/api/dead-letter/bad%20id", "/api/dead-letter/" + String(repeating: "a", count: 65), "/api/dead-letter/%3Cscript%3E"] {
                let refused = try await server.call(.get, path, key: key)
                #expect(refused.status == 400 && SandcastleAPIFixture.error(refused.body).code == "INVALID_ID", "\(path): \(refused.text)")
            }
            let missing = try await server.call(.get, "/api/dead-letter/0123456789abcdef", key: key)
            #expect(missing.status == 404 && SandcastleAPIFixture.error(missing.body).code == "NOT_FOUND", "\(missing.text)")
            for verb in ["retry", "resolve"] {
                let absent = try await server.call(.post, "/api/dead-letter/0123456789abcdef/\(verb)", key: key)
                #expect(absent.status == 404 && SandcastleAPIFixture.error(absent.body).code == "NOT_FOUND", "\(verb): \(absent.text)")
            }
            for query in ["resolved=maybe", "limit=0", "limit=201", "offset=-1"] {
                let refused = try await server.call(.get, "/api/dead-letter?\(query)", key: key)
                #expect(refused.status == 422 && SandcastleAPIFixture.error(refused.body).code == "VALIDATION_ERROR", "\(query): \(refused.text)")
            }
            let long = String(repeating: "x", count: SandcastleAPIController.maxResolveReasonCharacters + 1)
            for body in ["not json", "[1]", #"{"reason":5}"#, #"{"reason":"a\u0000b"}"#, #"{"reason":"\#(long)"}"#] {
                let refused = try await server.call(.post, "/api/dead-letter/0123456789abcdef/resolve", json: body, key: key)
                #expect(refused.status == 422 && SandcastleAPIFixture.error(refused.body).code == "VALIDATION_ERROR", "\(body.prefix(40)): \(refused.text)")
            }
            let empty = try await server.call(.get, "/api/dead-letter?resolved=true", key: key)
            #expect(empty.status == 200 && Self.items(empty.body).isEmpty)
            #expect(empty.body["meta"] as? [String: Int] == ["total": 0, "limit": 50, "offset": 0])
        }
    }

    /// The run's status once it ended.
    static func status(of runID: String, _ server: LiveServer) async throws -> String? {
        let ended = await eventually(.seconds(60)) {
            let status = data((try? await server.call(.get, "/api/runs/\(runID)", key: ServerFixture.key))?.body ?? [:])["status"] as? String
            return ["completed", "failed", "cancelled"].contains(status ?? "")
        }
        #expect(ended, "run \(runID) did not end")
        return data(try await server.call(.get, "/api/runs/\(runID)", key: ServerFixture.key).body)["status"] as? String
    }
}
