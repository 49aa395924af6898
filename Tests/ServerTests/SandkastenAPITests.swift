import Foundation
import HTTPTransport
import Hummingbird
import NIOCore
import Sandbox
import Store
import Synchronization
import Testing

@testable import Server
@testable import ServerCompat
@testable import ServerCore

/// Sandkasten's routes on the in-memory backend: shapes, status codes, the error envelope and
/// the event stream. The real SDK against the real engine is `SandkastenSDKTests`.
@Suite struct SandkastenAPITests {
    let key = ServerFixture.key

    func withServer<T>(_ backend: FakeBackend = FakeBackend(), _ body: (LiveServer) async throws -> T) async throws -> T {
        try await ServerFixture.with(ServerFixture.configuration(), ServerFixture.fake(backend), body)
    }

    func array(_ text: String) -> [[String: Any]] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [[String: Any]] ?? []
    }

    @Test func sessionLifecycleInSandkastenShapes() async throws {
        try await withServer { server in
            let created = try await server.call(.post, "/v1/sessions", json: #"{"image":"python","ttl_seconds":600}"#, key: key)
            #expect(created.status == 201, "\(created.text)")
            let id = try #require(created.body["id"] as? String)
            #expect(created.body["status"] as? String == "running")
            #expect(created.body["cwd"] as? String == "/workspace")
            #expect(created.body["image"] as? String == "python")
            #expect(created.body["acquire_source"] as? String == "cold")
            #expect(created.body["created_at"] is String && created.body["expires_at"] is String)

            let listed = try await server.call(.get, "/v1/sessions", key: key)
            #expect(listed.status == 200)
            #expect(array(listed.text).map { $0["id"] as? String } == [id], "a bare array: \(listed.text)")

            // A session is a sandbox: the native API sees it too.
            #expect(try await server.call(.get, "/v1/sandboxes/\(id)", key: key).status == 200)

            let exec = try await server.call(.post, "/v1/sessions/\(id)/exec", json: #"{"cmd":"echo hi","timeout_ms":30000,"raw_output":false}"#, key: key)
            #expect(exec.status == 200, "\(exec.text)")
            #expect(exec.body["output"] as? String == "ran: echo hi\n")
            #expect(exec.body["exit_code"] as? Int == 0)
            #expect(exec.body["cwd"] as? String == "/workspace")
            #expect(exec.body["truncated"] as? Bool == false)
            #expect(exec.body["duration_ms"] is Int)

            let deleted = try await server.call(.delete, "/v1/sessions/\(id)", key: key)
            #expect(deleted.status == 200 && deleted.body["ok"] as? Bool == true)
            let info = try await server.call(.get, "/v1/sessions/\(id)", key: key)
            #expect(info.body["status"] as? String == "destroyed")
            let again = try await server.call(.delete, "/v1/sessions/\(id)", key: key)
            #expect(again.status == 200, "destroy is idempotent")
            let late = try await server.call(.post, "/v1/sessions/\(id)/exec", json: #"{"cmd":"true"}"#, key: key)
            #expect(late.status == 409 && late.body["error_code"] as? String == "SESSION_NOT_RUNNING", "\(late.text)")
        }
    }

    @Test func errorsUseSandkastenEnvelopeAndStatuses() async throws {
        try await withServer { server in
            for (method, path) in [
                (HTTPMethod.get, "/v1/sessions/00000000-0000"), (.delete, "/v1/sessions/00000000-0000"),
                (.get, "/v1/sessions/00000000-0000/stats"),
            ] {
                let answer = try await server.call(method, path, key: key)
                #expect(answer.status == 404 && answer.body["error_code"] as? String == "SESSION_NOT_FOUND", "\(path): \(answer.text)")
                #expect(answer.body["message"] is String)
            }
            let exec = try await server.call(.post, "/v1/sessions/00000000-0000/exec", json: #"{"cmd":"true"}"#, key: key)
            #expect(exec.status == 404 && exec.body["error_code"] as? String == "SESSION_NOT_FOUND")

            let unauthorized = try await server.call(.get, "/v1/sessions", key: "wrong-key")
            #expect(unauthorized.status == 401 && unauthorized.body["error_code"] as? String == "UNAUTHORIZED", "\(unauthorized.text)")

            let badJSON = try await server.call(.post, "/v1/sessions", json: "{", key: key)
            #expect(badJSON.status == 400 && badJSON.body["error_code"] as? String == "INVALID_REQUEST")
            let badTTL = try await server.call(.post, "/v1/sessions", json: #"{"image":"base","ttl_seconds":90000}"#, key: key)
            #expect(badTTL.status == 400 && badTTL.body["error_code"] as? String == "INVALID_REQUEST")
            let badWorkspace = try await server.call(.post, "/v1/sessions", json: #"{"image":"base","workspace_id":"A"}"#, key: key)
            #expect(badWorkspace.status == 400 && badWorkspace.body["error_code"] as? String == "INVALID_REQUEST")
            let missing = try await server.call(.post, "/v1/sessions", json: #"{"image":"missing"}"#, key: key)
            #expect(missing.status == 400 && missing.body["error_code"] as? String == "INVALID_IMAGE", "\(missing.text)")

            let created = try await server.call(.post, "/v1/sessions", json: #"{"image":"base"}"#, key: key)
            let id = try #require(created.body["id"] as? String)
            let empty = try await server.call(.post, "/v1/sessions/\(id)/exec", json: #"{"cmd":""}"#, key: key)
            #expect(empty.status == 400 && empty.body["error_code"] as? String == "INVALID_REQUEST")
            let outside = try await server.call(.post, "/v1/sessions/\(id)/fs/write", json: #"{"path":"/etc/passwd","text":"x"}"#, key: key)
            #expect(outside.status == 400 && outside.body["error_code"] as? String == "INVALID_REQUEST", "\(outside.text)")
            // Another key's session does not exist for this one.
            let foreign = try await server.call(.get, "/v1/sessions/\(id)", key: ServerFixture.otherKey)
            #expect(foreign.status == 404 && foreign.body["error_code"] as? String == "SESSION_NOT_FOUND")
            // The native routes keep the native envelope.
            let native = try await server.call(.get, "/v1/sandboxes/nope", key: key)
            #expect(native.status == 404 && server.errorCode(native.body) == "not_found" && native.body["error_code"] == nil)
            _ = try await server.call(.delete, "/v1/sessions/\(id)", key: key)
        }
    }

    @Test func timeoutIs504CommandTimeout() async throws {
        let backend = FakeBackend { _ in FakeReply(chunks: [(.zero, "started\n")], tail: .seconds(30)) }
        try await withServer(backend) { server in
            let created = try await server.call(.post, "/v1/sessions", json: #"{"image":"base"}"#, key: key)
            let id = try #require(created.body["id"] as? String)
            let exec = try await server.call(.post, "/v1/sessions/\(id)/exec", json: #"{"cmd":"sleep 30","timeout_ms":200}"#, key: key)
            #expect(exec.status == 504 && exec.body["error_code"] as? String == "COMMAND_TIMEOUT", "\(exec.text)")
            #expect((exec.body["message"] as? String)?.hasPrefix("command timeout:") == true)
            // A longer deadline for the stream: output after the deadline is dropped, and a loaded
            // machine can deliver even the first chunk 200 ms late.
            let stream = try await server.call(.post, "/v1/sessions/\(id)/exec/stream", json: #"{"cmd":"sleep 30","timeout_ms":1500}"#, key: key)
            #expect(stream.status == 200)
            #expect(stream.text.contains("event: chunk\ndata: {\"chunk\":\"started\\n\""), "\(stream.text)")
            #expect(
                stream.text.hasSuffix("event: error\ndata: {\"error\":\"command timeout: command exceeded 1500 ms and was killed\"}\n\n"),
                "\(stream.text)")
            _ = try await server.call(.delete, "/v1/sessions/\(id)", key: key)
        }
    }

    @Test func streamSendsChunksThenDoneAndEnds() async throws {
        let backend = FakeBackend { _ in
            FakeReply(chunks: [(.zero, "1\n"), (.milliseconds(50), "2\n")], exitCode: 3)
        }
        try await withServer(backend) { server in
            let created = try await server.call(.post, "/v1/sessions", json: #"{"image":"base"}"#, key: key)
            let id = try #require(created.body["id"] as? String)
            let stream = try await server.call(.post, "/v1/sessions/\(id)/exec/stream", json: #"{"cmd":"x","timeout_ms":30000}"#, key: key)
            #expect(stream.status == 200)
            // Keep-alive comments come every second; a loaded machine can slip one in.
            let events = stream.text.components(separatedBy: "\n\n").filter { !$0.isEmpty && !$0.hasPrefix(":") }
            #expect(events.count == 3, "\(stream.text)")
            #expect(events.first?.hasPrefix("event: chunk\ndata: {\"chunk\":\"1\\n\",\"timestamp\":") == true)
            #expect(events.last?.hasPrefix("event: done\ndata: {\"cwd\":\"/workspace\",\"duration_ms\":") == true)
            #expect(events.last?.hasSuffix("\"exit_code\":3}") == true, "\(events)")

            let unknown = try await server.call(.post, "/v1/sessions/00000000-0000/exec/stream", json: #"{"cmd":"true"}"#, key: key)
            #expect(unknown.status == 200)
            #expect(unknown.text == "event: error\ndata: {\"error\":\"session not found: 00000000-0000\"}\n\n", "\(unknown.text)")
            _ = try await server.call(.delete, "/v1/sessions/\(id)", key: key)
            let destroyed = try await server.call(.post, "/v1/sessions/\(id)/exec/stream", json: #"{"cmd":"true"}"#, key: key)
            #expect(
                destroyed.text == "event: error\ndata: {\"error\":\"session not running: \(id) (status=destroyed)\"}\n\n",
                "\(destroyed.text)")
        }
    }

    @Test func silentStreamSendsKeepAliveComments() async throws {
        let (events, continuation) = AsyncThrowingStream<ProcessEvent, any Error>.makeStream()
        let process = SandboxProcess(events: ProcessEvents(events), control: InertProcessControl())
        let service = SandboxService(
            limits: ServiceLimits(ServerFixture.configuration()), repository: InMemorySandboxRepository(),
            provisioner: DirectProvisioner(backend: FakeBackend()), host: nil, serverID: "t")
        let response = SandkastenController.eventStream(
            process, shell: .shell("sleep", timeout: .milliseconds(1000)),
            sessionID: "s", service: service, shells: ShellDirectories(),
            keepAlive: .milliseconds(50), client: nil)
        let writer = CollectingWriter()
        let feeding = Task {
            continuation.yield(.started(pid: 1))
            // Quiet until two comments went out (they come every 50 ms); the bound is only there so a
            // stream that never sends one fails the test instead of hanging it.
            let quietUntil = ContinuousClock.now + .seconds(20)
            while writer.text.components(separatedBy: ": keep-alive\n\n").count - 1 < 2, ContinuousClock.now < quietUntil {
                try await Task.sleep(for: .milliseconds(20))
            }
            continuation.yield(.output(.stdout, Array("é".utf8.prefix(1))))
            continuation.yield(.output(.stdout, Array("é".utf8.dropFirst()) + Array("\u{1B}[31mred\u{1B}[0m\n".utf8)))
            continuation.yield(.finished(ProcessResult(exitCode: 0, workingDirectory: "/tmp")))
            continuation.finish()
        }
        try await response.body.write(writer)
        try await feeding.value
        let text = writer.text
        #expect(text.components(separatedBy: ": keep-alive\n\n").count - 1 >= 2, "\(text)")
        // The split UTF-8 character comes out whole, the colour codes are gone.
        #expect(text.contains("data: {\"chunk\":\"éred\\n\""), "\(text)")
        #expect(text.hasSuffix("event: done\ndata: {\"cwd\":\"/tmp\",\"duration_ms\":\(Self.durationIn(text)),\"exit_code\":0}\n\n"), "\(text)")
        #expect(writer.finished)
    }

    static func durationIn(_ text: String) -> String {
        guard let range = text.range(of: "\"duration_ms\":") else { return "?" }
        return String(text[range.upperBound...].prefix { $0.isNumber })
    }

    @Test func terminalTextHoldsBackSplitSequences() {
        var text = TerminalText(stripEscapes: true)
        let bytes = Array("a€b\u{1B}]0;title\u{07}c\u{1B}[1;32md\u{1B}(Be".utf8)
        var output = ""
        for byte in bytes { output += text.feed([byte]) }
        output += text.finish()
        #expect(output == "a€bcde")

        var raw = TerminalText(stripEscapes: false)
        #expect(raw.feed(Array("\u{1B}[31mx".utf8)) == "\u{1B}[31mx")
        // A broken byte becomes U+FFFD at the end, not a stall.
        #expect(raw.feed([0xE2, 0x82]) == "")
        #expect(raw.finish() == "\u{FFFD}")
    }

    @Test func pathsStayInsideWorkspace() throws {
        #expect(try SandkastenPath.resolve("notes/a.txt") == "/workspace/notes/a.txt")
        #expect(try SandkastenPath.resolve("/workspace/./x/../y") == "/workspace/y")
        #expect(try SandkastenPath.resolve("/workspace", allowRoot: true) == "/workspace")
        for bad in ["/workspace", "../etc/passwd", "/etc/passwd", "/workspace/../etc", ""] {
            #expect(throws: ServerError.self) { try SandkastenPath.resolve(bad) }
        }
    }

    @Test func multipartPartsAndFileNames() async throws {
        let boundary = "b0undary"
        let body =
            Array(
                "--b0undary\r\nContent-Disposition: form-data; name=\"path\"\r\n\r\n/workspace/up\r\n--b0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a;b.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                    .utf8)
            + [0, 1, 0x0D, 0x0A, 0xFF] + Array("\r\n--b0undary--\r\n".utf8)
        #expect(MultipartForm.boundary(contentType: "multipart/form-data; boundary=\"b0undary\"") == boundary)
        let form = try MultipartReader(body: StreamingBodyTests.body(body, pieces: 4), boundary: boundary, limit: 1000)
        #expect(try await form.nextPart() == MultipartPartHead(name: "path", filename: nil))
        #expect(try await form.collect(limit: 100) == Array("/workspace/up".utf8))
        #expect(try await form.nextPart() == MultipartPartHead(name: "file", filename: "a;b.bin"))
        #expect(try await form.collect(limit: 100) == [0, 1, 0x0D, 0x0A, 0xFF])
        #expect(try await form.nextPart() == nil)
        let cut = try MultipartReader(body: StreamingBodyTests.body(Array("--b0undary\r\nno end".utf8), pieces: 4), boundary: boundary, limit: 1000)
        await #expect(throws: ServerError.self) { _ = try await cut.nextPart() }
    }
}

/// Collects what a response body writes.
final class CollectingWriter: ResponseBodyWriter, Sendable {
    private let state = Mutex<(bytes: [UInt8], finished: Bool)>(([], false))
    func write(_ buffer: ByteBuffer) async throws { state.withLock { $0.bytes.append(contentsOf: buffer.readableBytesView) } }
    func finish(_ trailingHeaders: HTTPFields?) async throws { state.withLock { $0.finished = true } }
    var text: String { state.withLock { String(decoding: $0.bytes, as: UTF8.self) } }
    var finished: Bool { state.withLock { $0.finished } }
}
