import Foundation
import HTTPTransport
import JSONValues
import Logging
import ModelProviders
import ProviderDouble
import Synchronization
import TestSupport
import Testing

@testable import Server
@testable import ServerCompat
@testable import ServerCore

/// Sandstorm's `POST /query` in process: auth and FastAPI's 422s before any sandbox, the SSE
/// framing and keep-alives, the per-request key used and never logged, a client that leaves.
/// The sandboxes are the fake backend's (the real-Docker run is `SandstormClientTests`, with
/// Sandstorm's own Python client); the model is the provider double behind the real router.
@Suite(.serialized, .timeLimit(.minutes(2))) struct SandstormQueryTests {
    /// Every line the server logged, metadata included.
    final class LogLines: Sendable {
        let lines = Mutex<[String]>([])
        var all: [String] { lines.withLock { $0 } }
    }

    struct CapturingLogHandler: LogHandler {
        let sink: LogLines
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
            sink.lines.withLock { $0.append("\(event.level) \(event.message) \(merged)") }
        }
    }

    static func requestKey() -> String { "sk-ant-request-\(UUID().uuidString.lowercased())" }

    /// A server with API keys, the fake backend, and model access through the double with no key
    /// of its own: only a body's `anthropic_api_key` configures Anthropic.
    static func with<T>(
        _ double: RunningProviderDouble?, backend: FakeBackend = FakeBackend(), logs: LogLines = LogLines(), models: Bool = true,
        _ body: (LiveServer) async throws -> T
    ) async throws -> T {
        var dependencies = ServerFixture.fake(backend)
        dependencies.logger = Logger(label: "test") { _ in CapturingLogHandler(sink: logs) }
        if models {
            dependencies.modelRouter = try ModelRouter.fromEnvironment(double.map { ["ANTHROPIC_BASE_URL": $0.anthropicBaseURL] } ?? [:])
        }
        dependencies.queryKeepAlive = .milliseconds(50)
        return try await ServerFixture.with(ServerFixture.configuration(), dependencies, body)
    }

    static func query(_ server: LiveServer, _ body: String, key: String? = ServerFixture.key) async throws -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.add("Content-Type", "application/json")
        if let key { headers.add("Authorization", "Bearer \(key)") }
        return try await server.client.send(
            HTTPRequest(method: .post, path: "/query", headers: headers, body: .bytes(Array(body.utf8)), timeout: .seconds(60)))
    }

    /// The `detail` list of a 422.
    static func details(_ response: HTTPResponse) -> [JSONValue] {
        guard case .array(let details)? = JSONValue.parse(json: response.bodyText)?.child("detail") else { return [] }
        return details
    }

    /// The `data:` records of an SSE body, parsed; comment records are returned apart.
    static func records(_ text: String) -> (messages: [JSONValue], comments: [String], malformed: [String]) {
        var messages: [JSONValue] = []
        var comments: [String] = []
        var malformed: [String] = []
        for record in text.components(separatedBy: "\r\n\r\n") where !record.isEmpty {
            if record.hasPrefix(": ") {
                comments.append(record)
            } else if record.hasPrefix("data: "), !record.contains("\n"), let value = JSONValue.parse(json: String(record.dropFirst(6))) {
                messages.append(value)
            } else {
                malformed.append(record)
            }
        }
        return (messages, comments, malformed)
    }

    @Test func withoutAValidKeyItIs401InFastAPIsWordsAndNoSandboxIsMade() async throws {
        let backend = FakeBackend()
        try await Self.with(nil, backend: backend) { server in
            let none = try await Self.query(server, #"{"prompt": "hi"}"#, key: nil)
            #expect(none.status == 401)
            #expect(JSONValue.parse(json: none.bodyText) == ["detail": "Not authenticated"])
            #expect(none.headers["WWW-Authenticate"] == "Bearer")
            let wrong = try await Self.query(server, #"{"prompt": "hi"}"#, key: "not-a-key-of-this-server")
            #expect(wrong.status == 401 && JSONValue.parse(json: wrong.bodyText) == ["detail": "Invalid authentication credentials"])
            #expect(wrong.headers["WWW-Authenticate"] == "Bearer")
        }
        #expect(backend.created == 0)
    }

    @Test func badBodiesAreFastAPIs422sAndNeverEchoAKey() async throws {
        let backend = FakeBackend()
        let key = Self.requestKey()
        try await Self.with(nil, backend: backend) { server in
            func first(_ body: String) async throws -> (status: Int, detail: JSONValue?, text: String) {
                let response = try await Self.query(server, body)
                return (response.status, Self.details(response).first, response.bodyText)
            }
            let missing = try await first("{}")
            #expect(missing.status == 422 && missing.detail == ["type": "missing", "loc": ["body", "prompt"], "msg": "Field required"])
            let empty = try await first(#"{"prompt": ""}"#)
            #expect(empty.detail?.child("type") == "string_too_short" && empty.detail?.child("ctx") == ["min_length": 1])
            #expect(empty.detail?.child("msg") == "String should have at least 1 character")
            #expect(try await first(#"{"prompt": 5}"#).detail?.child("type") == "string_type")
            #expect(try await first("not json").detail?.child("type") == "json_invalid")
            #expect(try await first("[1]").detail?.child("type") == "model_attributes_type")
            let timeout = try await first(#"{"prompt": "x", "timeout": 1}"#)
            #expect(timeout.detail?.child("type") == "greater_than_equal" && timeout.detail?.child("loc") == ["body", "timeout"])
            let both = try await Self.query(server, #"{"prompt": "", "max_turns": 0, "unknown_field": 1}"#)
            #expect(Self.details(both).count == 2, "pydantic reports every field; unknown fields are ignored")

            let traversal = try await first(#"{"prompt": "x", "files": {"../etc/passwd": "x"}, "anthropic_api_key": "\#(key)"}"#)
            #expect(traversal.detail?.child("type") == "value_error" && traversal.detail?.child("loc") == ["body", "files"])
            #expect(traversal.detail?.child("msg") == "Value error, Path traversal not allowed: ../etc/passwd")
            #expect(!traversal.text.contains(key), "the body's key is never sent back")
            let absolute = try await first(#"{"prompt": "x", "files": {"C:\\boot.ini": "x"}}"#)
            #expect(absolute.detail?.child("msg") == #"Value error, Absolute paths are not allowed: C:\boot.ini"#)
            let files = (0...20).map { "\"f\($0).txt\": \"x\"" }.joined(separator: ", ")
            #expect(try await first(#"{"prompt": "x", "files": {\#(files)}}"#).detail?.child("msg") == "Value error, Too many files: 21 (max 20)")
            let big = String(repeating: "x", count: 10_000_001)
            #expect(
                try await first(#"{"prompt": "x", "files": {"big.txt": "\#(big)"}}"#).detail?.child("msg")
                    == "Value error, Total file size 10,000,001 bytes exceeds 10MB limit")
            let agentName = try await first(#"{"prompt": "x", "extra_agents": {"bad name": {}}}"#)
            #expect(agentName.detail?.child("msg") == "Value error, Invalid agent name 'bad name': must match [a-zA-Z0-9_-]+")
            #expect(try await first(#"{"prompt": "x", "resume": "abc"}"#).detail?.child("loc") == ["body", "resume"])

            // The checks that need the models file: the model, and a key for its provider.
            let model = try await first(#"{"prompt": "x", "model": "sonet", "anthropic_api_key": "\#(key)"}"#)
            #expect(model.detail?.child("loc") == ["body", "model"] && "\(model.detail ?? .null)".contains("sonnet"))
            let noKey = try await first(#"{"prompt": "x"}"#)
            #expect(
                noKey.detail?.child("msg")
                    == "Value error, anthropic_api_key is required — pass it in the request body or set ANTHROPIC_API_KEY in the environment")
            #expect(noKey.detail?.child("loc") == ["body"])
        }
        #expect(backend.created == 0, "no sandbox for a request that cannot run")
    }

    @Test func aQueryStreamsSandstormsMessagesWithTheRequestsOwnKeyAndLogsNoKey() async throws {
        let double = try await ProviderDouble.start()
        defer { Task { await double.stop() } }
        let key = Self.requestKey()
        // Slow enough for keep-alives (every 50 ms here) to go out between the words.
        double.setScript(key: key, turns: [ScriptedTurn(text: "one two three four five", tokenDelayMs: 40)])
        let backend = FakeBackend()
        let logs = LogLines()
        try await Self.with(double, backend: backend, logs: logs) { server in
            let response = try await Self.query(
                server, #"{"prompt": "Count", "anthropic_api_key": "\#(key)", "e2b_api_key": "ignored", "files": {"a/b.txt": "beta"}}"#)
            #expect(response.status == 200, "\(response.bodyText)")
            #expect(response.headers["Content-Type"] == "text/event-stream; charset=utf-8")
            #expect(response.headers["Cache-Control"] == "no-store" && response.headers["X-Accel-Buffering"] == "no")
            let records = Self.records(response.bodyText)
            #expect(records.malformed.isEmpty, "every record is `data: <json>` or a comment: \(records.malformed)")
            #expect(!response.bodyText.contains("event:"), "no event names, as sse-starlette sends them")
            #expect(records.messages.map { $0.child("type") } == ["system", "assistant", "result"])
            #expect(records.messages.last?.child("result") == "one two three four five")
            #expect(!records.comments.isEmpty, "keep-alives went out while the model was slow")
            let ping = #/^: ping - \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}\+00:00$/#
            #expect(records.comments.allSatisfy { $0.wholeMatch(of: ping) != nil }, "\(records.comments)")
            #expect(!response.bodyText.contains(key))
            #expect(await eventually(.seconds(10)) { backend.destroyed.count == 1 }, "the session's sandbox is deleted")
        }
        #expect(double.requests(key: key).count == 1, "the double was called with the request's own key")
        #expect(double.requests(key: key).first?.credentialScheme == "x-api-key")
        #expect(backend.created == 1)
        let lines = logs.all
        #expect(lines.contains { $0.contains("agent session started") } && lines.contains { $0.contains("agent session finished") })
        #expect(!lines.contains { $0.contains(key) }, "the key is in no log line")
    }

    @Test func aClientThatLeavesCancelsTheSessionAndItsSandboxIsDeleted() async throws {
        let double = try await ProviderDouble.start()
        defer { Task { await double.stop() } }
        let key = Self.requestKey()
        double.setScript(key: key, turns: [.calls([ScriptedToolCall(name: "Bash", input: ["command": "sleep 600"])])])
        // The fake runs `sleep 600` for ten minutes unless cancelled.
        let backend = FakeBackend { command in command.contains("sleep 600") ? FakeReply(tail: .seconds(600)) : FakeReply() }
        try await Self.with(double, backend: backend) { server in
            var headers = HTTPHeaders()
            headers.add("Content-Type", "application/json")
            headers.add("Authorization", "Bearer \(ServerFixture.key)")
            let response = try await server.client.stream(
                HTTPRequest(
                    method: .post, path: "/query", headers: headers,
                    body: .bytes(Array(#"{"prompt": "Wait", "anthropic_api_key": "\#(key)"}"#.utf8))))
            #expect(response.status == 200)
            var seen = ""
            for try await chunk in response.body {
                seen += String(decoding: chunk, as: UTF8.self)
                if seen.contains("\"tool_use\"") { break }
            }
            #expect(seen.contains("\"tool_use\""))
            #expect(backend.created == 1 && backend.destroyed.isEmpty, "the tool is running")
            let left = ContinuousClock.now
            response.cancel()
            #expect(await eventually(.seconds(10)) { backend.destroyed.count == 1 }, "the sandbox is deleted once the client left")
            #expect(ContinuousClock.now - left < .seconds(5))
        }
    }

    @Test func withoutModelAccessQueryIs503() async throws {
        try await Self.with(nil, models: false) { server in
            let response = try await Self.query(server, #"{"prompt": "x"}"#)
            #expect(response.status == 503)
            #expect(JSONValue.parse(json: response.bodyText)?.child("detail").map { "\($0)".contains("unavailable") } == true)
        }
    }
}
