import DockerEngine
import Foundation
import HTTPTransport
import Sandbox
import TestSupport
import Testing

@testable import Server
@testable import ServerCompat
@testable import ServerCore

/// The native API against the real Docker engine and runner.
@Suite(.timeLimit(.minutes(3)))
struct DockerAPITests {
    @Test func execFilesAndStatsOnTheRealEngine() async throws {
        try await DockerServerFixture.with { s in
            let created = try await s.call(.post, "/v1/sandboxes", json: #"{"image":"base","env":{"GREETING":"hello"},"memory_mb":256}"#)
            #expect(created.status == 201, "\(created.text)")
            let id = try #require(created.body["id"] as? String)
            #expect(created.body["memory_mb"] as? Int == 256)

            let shell = try await s.call(.post, "/v1/sandboxes/\(id)/exec", json: #"{"command":"echo $GREETING; cd /tmp"}"#)
            #expect(shell.body["stdout"] as? String == "hello\n")
            #expect(shell.body["cwd"] as? String == "/tmp")
            let argv = try await s.call(
                .post, "/v1/sandboxes/\(id)/exec",
                json: #"{"argv":["sh","-c","echo out; echo err >&2; exit 4"]}"#)
            #expect(argv.body["stdout"] as? String == "out\n")
            #expect(argv.body["stderr"] as? String == "err\n")
            #expect(argv.body["exit_code"] as? Int == 4)
            let timeout = try await s.call(.post, "/v1/sandboxes/\(id)/exec", json: #"{"command":"sleep 10","timeout_ms":300}"#)
            #expect(timeout.status == 504)
            #expect(s.errorCode(timeout.body) == "command_timeout")
            let capped = try await s.call(
                .post, "/v1/sandboxes/\(id)/exec",
                json: #"{"command":"head -c 100000 /dev/zero | tr '\\0' x","max_output_bytes":1000}"#)
            #expect(capped.body["truncated"] as? Bool == true)
            #expect((capped.body["stdout"] as? String)?.utf8.count ?? 0 <= 1000)

            // Binary upload and download, streamed both ways.
            var payload = [UInt8](repeating: 0, count: 3 << 20)
            for index in payload.indices { payload[index] = UInt8(truncatingIfNeeded: index &* 2654435761 >> 13) }
            let put = try await s.client.send(
                HTTPRequest(
                    method: .put, path: "/v1/sandboxes/\(id)/files/content?path=/workspace/data.bin&mode=600",
                    body: .bytes(payload)))
            #expect(put.status == 201, "\(put.bodyText)")
            let get = try await s.client.send(HTTPRequest(method: .get, path: "/v1/sandboxes/\(id)/files/content?path=/workspace/data.bin"))
            #expect(get.status == 200)
            #expect(get.body == payload)
            let stat = try await s.call(.get, "/v1/sandboxes/\(id)/files/stat?path=/workspace/data.bin")
            #expect(stat.body["size"] as? Int == payload.count)
            #expect(stat.body["mode"] as? String == "600")
            #expect(try await s.call(.post, "/v1/sandboxes/\(id)/files/mkdir", json: #"{"path":"/workspace/a/b"}"#).status == 201)
            #expect(
                try await s.call(
                    .post, "/v1/sandboxes/\(id)/files/move",
                    json: #"{"from":"/workspace/data.bin","to":"/workspace/a/b/moved.bin"}"#
                ).status == 200)
            let listing = try await s.call(.get, "/v1/sandboxes/\(id)/files?path=/workspace/a/b")
            #expect((listing.body["entries"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["moved.bin"])
            let missing = try await s.call(.get, "/v1/sandboxes/\(id)/files/stat?path=/workspace/nope")
            #expect(missing.status == 404)
            let readOnly = try await s.client.send(
                HTTPRequest(
                    method: .put, path: "/v1/sandboxes/\(id)/files/content?path=/etc/x",
                    body: .bytes([1])))
            #expect(readOnly.status == 403, "\(readOnly.bodyText)")
            #expect(try await s.call(.delete, "/v1/sandboxes/\(id)/files?path=/workspace/a&recursive=true").status == 200)

            _ = try await s.call(
                .post, "/v1/sandboxes/\(id)/exec",
                json: #"{"command":"(timeout 6 sh -c 'while :; do :; done' &); true"}"#)
            // How much of a CPU the loop gets depends on what else the machine runs (CI shares two cores with
            // the whole suite), so the figure asserted is the loop's CPU time growing, not a percentage.
            let first = try await s.call(.get, "/v1/sandboxes/\(id)/stats")
            try await Task.sleep(for: .seconds(1))
            let stats = try await s.call(.get, "/v1/sandboxes/\(id)/stats")
            let burnt = (stats.body["cpu_total_ns"] as? Int ?? 0) - (first.body["cpu_total_ns"] as? Int ?? 0)
            #expect(burnt > 50_000_000, "a busy loop shows in the CPU time: \(first.text) then \(stats.text)")
            #expect((stats.body["cpu_percent"] as? Double ?? 0) > 0, "and in the CPU figure: \(stats.text)")
            #expect(stats.status == 200)
            #expect((stats.body["memory_bytes"] as? Int ?? 0) > 0)
            #expect(stats.body["memory_limit_bytes"] as? Int == 256 << 20)

            #expect(try await s.call(.delete, "/v1/sandboxes/\(id)").status == 200)
            let after = try await s.call(.post, "/v1/sandboxes/\(id)/exec", json: #"{"command":"true"}"#)
            #expect(after.status == 410)
        }
    }

    /// A NUL byte would be cut where the runner hands the string to the kernel (`a%00b` written
    /// as `/workspace/a`): every such input is refused with 400 and nothing is written.
    @Test func nulBytesAreRefusedNotCut() async throws {
        try await DockerServerFixture.with { s in
            let created = try await s.call(.post, "/v1/sandboxes", json: #"{"image":"base"}"#)
            let id = try #require(created.body["id"] as? String)
            let put = try await s.client.send(
                HTTPRequest(method: .put, path: "/v1/sandboxes/\(id)/files/content?path=a%00b", body: .bytes([1, 2, 3])))
            #expect(put.status == 400, "\(put.bodyText)")
            let putBody = (try? JSONSerialization.jsonObject(with: Data(put.body))) as? [String: Any] ?? [:]
            #expect(s.errorCode(putBody) == "invalid_input", "\(put.bodyText)")
            let listing = try await s.call(.get, "/v1/sandboxes/\(id)/files?path=/workspace")
            #expect((listing.body["entries"] as? [[String: Any]])?.contains { $0["name"] as? String == "a" } == false, "nothing was written")
            for (method, path, json) in [
                (HTTPMethod.get, "/v1/sandboxes/\(id)/files/stat?path=/workspace/a%00b", nil),
                (.post, "/v1/sandboxes/\(id)/files/mkdir", #"{"path":"/workspace/x\u0000y"}"#),
                (.post, "/v1/sandboxes/\(id)/exec", #"{"argv":["echo","a\u0000b"]}"#),
                (.post, "/v1/sandboxes/\(id)/exec", #"{"argv":["pwd"],"cwd":"/tmp\u0000/x"}"#),
                (.post, "/v1/sandboxes/\(id)/exec", #"{"argv":["env"],"env":{"A":"1\u00002"}}"#),
                (.post, "/v1/sandboxes/\(id)/exec", #"{"command":"echo a\u0000b"}"#),
                (.post, "/v1/sandboxes", #"{"image":"base","env":{"SECRET":"x\u0000y"}}"#),
            ] as [(HTTPMethod, String, String?)] {
                let answer = try await s.call(method, path, json: json)
                #expect(answer.status == 400, "\(method) \(path) \(json ?? ""): \(answer.text)")
            }
            #expect(try await s.call(.delete, "/v1/sandboxes/\(id)").status == 200)
            await s.service.awaitPendingRemovals()
        }
    }

    @Test func streamedExecDeliversTheFirstChunkBeforeTheCommandEnds() async throws {
        try await DockerServerFixture.with { s in
            let id = try #require(try await s.call(.post, "/v1/sandboxes", json: "{}").body["id"] as? String)
            let events = try await SSE.collect(s, sandboxID: id, json: #"{"command":"echo first; sleep 3; echo second; (exit 7)"}"#)
            let names = events.map(\.name)
            #expect(names.first == "stdout" && names.last == "exit")
            #expect(events.first?.data.contains("first") == true)
            #expect(events.last?.data.contains(#""exit_code":7"#) == true)
            let first = try #require(events.first?.at)
            let exit = try #require(events.last?.at)
            #expect(exit - first > .milliseconds(1500), "first chunk streamed before the command ended")
            _ = try await s.call(.delete, "/v1/sandboxes/\(id)")
        }
    }

    @Test func aClientThatLeavesAStreamCancelsItsCommand() async throws {
        try await DockerServerFixture.with { s in
            let id = try #require(try await s.call(.post, "/v1/sandboxes", json: "{}").body["id"] as? String)
            let response = try await s.client.stream(
                HTTPRequest(
                    method: .post, path: "/v1/sandboxes/\(id)/exec/stream",
                    body: .bytes(Array(#"{"command":"echo go; sleep 300","timeout_ms":600000}"#.utf8))))
            var body = response.body.makeAsyncIterator()
            _ = try await body.next()
            response.cancel()
            // The persistent shell runs one command at a time: it answers only once `sleep 300` is gone.
            let start = ContinuousClock.now
            let next = try await s.call(.post, "/v1/sandboxes/\(id)/exec", json: #"{"command":"echo free","timeout_ms":120000}"#)
            #expect(next.body["stdout"] as? String == "free\n", "\(next.text)")
            #expect(ContinuousClock.now - start < .seconds(100), "the abandoned command was cancelled")
            _ = try await s.call(.delete, "/v1/sandboxes/\(id)")
        }
    }

    @Test func terminalOverWebSocketCarriesPTYBytesAndResizes() async throws {
        try await DockerServerFixture.with { s in
            let id = try #require(try await s.call(.post, "/v1/sandboxes", json: "{}").body["id"] as? String)
            let plain = try await s.call(.get, "/v1/sandboxes/\(id)/terminal")
            #expect(plain.status == 400, "no upgrade: a JSON error, not a hang")
            let socket = try await WebSocketTestClient(client: s.client, path: "/v1/sandboxes/\(id)/terminal?rows=30&cols=100")
            #expect(socket.stream.status == 101)
            try await socket.send(text: #"{"type":"resize","rows":40,"cols":132}"#)
            try await socket.send(binary: Array("stty size; echo marker-$((6*7))\n".utf8))
            let seen = try await socket.read { messages in
                Self.text(messages).contains("marker-42")
            }
            let output = Self.text(seen)
            #expect(output.contains("40 132"), "resize reached the PTY: \(output)")
            try await socket.send(binary: Array("exit 3\n".utf8))
            let end = try await socket.read { messages in
                messages.contains { if case .text(let t) = $0 { t.contains("exit") } else { false } }
            }
            #expect(end.contains(.text(#"{"type":"exit","exit_code":3}"#)), "\(end)")
            socket.close()
            // A refused upgrade is an empty 400 (hummingbird-websocket writes it; no body can be added there).
            // A fresh connection: an Upgrade on a reused keep-alive connection is redirected (307) to a new one.
            let fresh = try HTTPClient(endpoint: .http(host: "127.0.0.1", port: s.port))
            let unknown = try await fresh.send(
                HTTPRequest(
                    method: .get, path: "/v1/sandboxes/nope/terminal",
                    headers: [
                        "Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
                        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
                    ]))
            #expect(unknown.status == 400)
            _ = try await s.call(.delete, "/v1/sandboxes/\(id)")
        }
    }

    @Test func aSandboxKilledBehindTheServersBackIsReportedGoneNotBroken() async throws {
        try await DockerServerFixture.with { s in
            let id = try #require(try await s.call(.post, "/v1/sandboxes", json: "{}").body["id"] as? String)
            let docker = try await DockerClient.connect()
            let container = try #require(try await docker.listContainers(all: true, filters: .label(SandcastleLabels.sandbox, id)).first)
            try await docker.killContainer(id: container.id)
            let exec = try await s.call(.post, "/v1/sandboxes/\(id)/exec", json: #"{"command":"true"}"#)
            #expect(exec.status == 410, "\(exec.text)")
            #expect(s.errorCode(exec.body) == "sandbox_gone")
            let record = try await s.call(.get, "/v1/sandboxes/\(id)")
            #expect(record.body["status"] as? String == "gone")
            #expect((record.body["status_reason"] as? String)?.contains("stopped") == true, "\(record.text)")
            #expect(try await s.call(.post, "/v1/sandboxes/\(id)/exec", json: #"{"command":"true"}"#).status == 410)
        }
    }

    static func text(_ messages: [WebSocketTestClient.Message]) -> String {
        messages.map { message in
            if case .binary(let bytes) = message { return String(decoding: bytes, as: UTF8.self) }
            return ""
        }.joined()
    }

    @Test func workspacesOutliveSandboxesAndCanBeBrowsed() async throws {
        let name = "sc-test-ws-\(UUID().uuidString.prefix(8).lowercased())"
        try await DockerServerFixture.with { s in
            #expect(try await s.call(.post, "/v1/workspaces", json: #"{"name":"\#(name)"}"#).status == 201)
            #expect(try await s.call(.post, "/v1/workspaces", json: #"{"name":"\#(name)"}"#).status == 409)
            #expect(try await s.call(.post, "/v1/workspaces", json: #"{"name":"bad/name"}"#).status == 400)
            let id = try #require(try await s.call(.post, "/v1/sandboxes", json: #"{"workspace":"\#(name)"}"#).body["id"] as? String)
            _ = try await s.call(.post, "/v1/sandboxes/\(id)/exec", json: #"{"command":"mkdir -p sub && echo kept > sub/note.txt"}"#)
            let busy = try await s.call(.delete, "/v1/workspaces/\(name)")
            #expect(busy.status == 409, "in use by a sandbox: \(busy.text)")
            #expect(try await s.call(.delete, "/v1/sandboxes/\(id)").status == 200)
            let listed = try await s.call(.get, "/v1/workspaces")
            #expect((listed.body["workspaces"] as? [[String: Any]])?.contains { $0["name"] as? String == name } == true)
            let browse = try await s.call(.get, "/v1/workspaces/\(name)/files?path=sub")
            #expect(browse.status == 200, "\(browse.text)")
            let entries = try #require(browse.body["entries"] as? [[String: Any]])
            #expect(entries.compactMap { $0["name"] as? String } == ["note.txt"])
            #expect(entries.first?["path"] as? String == "/sub/note.txt")
            #expect(try await s.call(.get, "/v1/workspaces/\(name)/files?path=../..").status == 400)
            // A second sandbox sees what the first left.
            let again = try #require(try await s.call(.post, "/v1/sandboxes", json: #"{"workspace":"\#(name)"}"#).body["id"] as? String)
            let read = try await s.call(.post, "/v1/sandboxes/\(again)/exec", json: #"{"command":"cat sub/note.txt"}"#)
            #expect(read.body["stdout"] as? String == "kept\n")
            _ = try await s.call(.delete, "/v1/sandboxes/\(again)")
            #expect(try await s.call(.delete, "/v1/workspaces/\(name)").status == 200)
            #expect(try await s.call(.get, "/v1/workspaces/\(name)/files").status == 404)
        }
        let docker = try await DockerClient.connect()
        #expect(try await docker.listVolumes(filters: .label(SandcastleLabels.workspace, name)).isEmpty)
    }
}
