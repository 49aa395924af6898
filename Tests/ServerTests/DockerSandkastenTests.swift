import DockerEngine
import Foundation
import HTTPTransport
import Sandbox
import Testing

@testable import Server
@testable import ServerCompat
@testable import ServerCore

/// Sandkasten's routes on the real engine, for what the SDK scenario does not reach: workspace
/// browsing and reading without a session, key ownership, raw output, the 5 MiB cap, keep-alive
/// comments and a client that leaves a stream. Fails (never skips) without an engine.
@Suite struct DockerSandkastenTests {
    @Test func workspaceBrowseAndReadWithoutASessionHonourOwnership() async throws {
        let name = "sc-test-ws-\(UUID().uuidString.prefix(8).lowercased())"
        let (a, b) = (ServerFixture.key, ServerFixture.otherKey)
        try await DockerServerFixture.with(open: false) { s in
            let created = try await s.call(.post, "/v1/sessions", json: #"{"image":"base","workspace_id":"\#(name)"}"#, key: a)
            let id = try #require(created.body["id"] as? String, "\(created.text)")
            #expect(created.body["workspace_id"] as? String == name)
            let write = try await s.call(.post, "/v1/sessions/\(id)/fs/write", json: #"{"path":"sub/a.txt","text":"kept\n"}"#, key: a)
            #expect(write.status == 200, "\(write.text)")
            let busy = try await s.call(.delete, "/v1/workspaces/\(name)", key: a)
            #expect(busy.status == 409 && busy.body["error_code"] as? String == "WORKSPACE_IN_USE", "\(busy.text)")
            #expect(s.errorCode(busy.body) == "conflict", "the shared route keeps the native envelope too")
            #expect(try await s.call(.delete, "/v1/sessions/\(id)", key: a).status == 200)

            let listed = try await s.call(.get, "/v1/workspaces", key: a)
            let item = (listed.body["workspaces"] as? [[String: Any]])?.first { $0["id"] as? String == name }
            #expect(item?["name"] as? String == name, "\(listed.text)")
            let browse = try await s.call(.get, "/v1/workspaces/\(name)/fs?path=.", key: a)
            #expect(browse.status == 200, "\(browse.text)")
            let entries = browse.body["entries"] as? [[String: Any]] ?? []
            #expect(entries.contains { $0["name"] as? String == "sub" && $0["is_dir"] as? Bool == true }, "\(browse.text)")
            let read = try await s.call(.get, "/v1/workspaces/\(name)/fs/read?path=sub/a.txt&max_bytes=2", key: a)
            #expect(read.body["content_base64"] as? String == Data("ke".utf8).base64EncodedString(), "\(read.text)")
            #expect(read.body["truncated"] as? Bool == true)
            let missing = try await s.call(.get, "/v1/workspaces/\(name)/fs/read?path=nope.txt", key: a)
            #expect(missing.status == 404 && missing.body["error_code"] as? String == "FILE_NOT_FOUND", "\(missing.text)")

            // Another key sees no such workspace, by any route.
            for path in ["/v1/workspaces/\(name)/fs", "/v1/workspaces/\(name)/fs/read?path=sub/a.txt"] {
                let foreign = try await s.call(.get, path, key: b)
                #expect(foreign.status == 404 && foreign.body["error_code"] as? String == "WORKSPACE_NOT_FOUND", "\(path): \(foreign.text)")
            }
            #expect(try await s.call(.delete, "/v1/workspaces/\(name)", key: b).status == 404)
            #expect(try await s.call(.delete, "/v1/workspaces/\(name)", key: a).status == 200)
            let gone = try await s.call(.delete, "/v1/workspaces/\(name)", key: a)
            #expect(gone.status == 404 && gone.body["error_code"] as? String == "WORKSPACE_NOT_FOUND")
        }
        let docker = try await DockerClient.connect()
        #expect(try await docker.listVolumes(filters: .label(SandcastleLabels.workspace, name)).isEmpty)
    }

    @Test func outputIsRawOnlyWhenAskedAndCappedAtFiveMiB() async throws {
        try await DockerServerFixture.with { s in
            let id = try #require(try await s.call(.post, "/v1/sessions", json: #"{"image":"base"}"#).body["id"] as? String)
            let colour = #"printf '\\033[31mred\\033[0m\\n'"#
            let plain = try await s.call(.post, "/v1/sessions/\(id)/exec", json: #"{"cmd":"\#(colour)"}"#)
            #expect(plain.body["output"] as? String == "red\n", "\(plain.text)")
            let raw = try await s.call(.post, "/v1/sessions/\(id)/exec", json: #"{"cmd":"\#(colour)","raw_output":true}"#)
            #expect(raw.body["output"] as? String == "\u{1B}[31mred\u{1B}[0m\n", "\(raw.text)")
            let large = try await s.call(.post, "/v1/sessions/\(id)/exec", json: #"{"cmd":"head -c 6000000 /dev/zero | tr '\\0' y"}"#)
            #expect((large.body["output"] as? String)?.utf8.count == 5 << 20, "\(large.text.prefix(200))")
            #expect(large.body["truncated"] as? Bool == true)
            let after = try await s.call(.post, "/v1/sessions/\(id)/exec", json: #"{"cmd":"echo next"}"#)
            #expect(after.body["output"] as? String == "next\n", "the dropped rest never reaches the next exec")
            _ = try await s.call(.delete, "/v1/sessions/\(id)")
        }
    }

    @Test func quietStreamsCarryKeepAlivesAndALeavingClientCancelsTheCommand() async throws {
        try await DockerServerFixture.with { s in
            let id = try #require(try await s.call(.post, "/v1/sessions", json: #"{"image":"base"}"#).body["id"] as? String)
            let quiet = try await s.call(.post, "/v1/sessions/\(id)/exec/stream", json: #"{"cmd":"sleep 4; echo woke","timeout_ms":15000}"#)
            #expect(quiet.text.components(separatedBy: ": keep-alive\n\n").count - 1 >= 2, "\(quiet.text)")
            #expect(quiet.text.contains("event: chunk\ndata: {\"chunk\":\"woke\\n\""), "\(quiet.text)")
            #expect(quiet.text.contains("event: done\n"), "\(quiet.text)")

            let response = try await s.client.stream(
                HTTPRequest(
                    method: .post, path: "/v1/sessions/\(id)/exec/stream",
                    body: .bytes(Array(#"{"cmd":"echo go; sleep 300","timeout_ms":600000}"#.utf8))))
            var body = response.body.makeAsyncIterator()
            _ = try await body.next()
            response.cancel()
            // The shell runs one command at a time: it answers only once the abandoned `sleep 300` is gone.
            let start = ContinuousClock.now
            let next = try await s.call(.post, "/v1/sessions/\(id)/exec", json: #"{"cmd":"echo free","timeout_ms":120000}"#)
            #expect(next.body["output"] as? String == "free\n", "\(next.text)")
            #expect(ContinuousClock.now - start < .seconds(100), "the abandoned command was cancelled")
            _ = try await s.call(.delete, "/v1/sessions/\(id)")
        }
    }

    /// The Sandkasten exec shares the native one's semantics: a client that leaves a JSON exec has
    /// its command interrupted, and a queued exec's timeout counts its wait for the shell.
    @Test func aLeavingJSONClientFreesTheShellAndAQueuedExecTimesOutInTheQueue() async throws {
        try await DockerServerFixture.with { s in
            let id = try #require(try await s.call(.post, "/v1/sessions", json: #"{"image":"base"}"#).body["id"] as? String)
            let client = s.client
            let abandoned = Task {
                try await client.send(
                    HTTPRequest(
                        method: .post, path: "/v1/sessions/\(id)/exec",
                        body: .bytes(Array(#"{"cmd":"touch /workspace/started; sleep 300","timeout_ms":120000}"#.utf8)),
                        timeout: .seconds(600)))
            }
            #expect(try await ExecSemanticsTests.waitForFile("/workspace/started", in: id, s), "the command started")
            abandoned.cancel()
            _ = await abandoned.result
            let next = try await s.call(.post, "/v1/sessions/\(id)/exec", json: #"{"cmd":"echo free","timeout_ms":10000}"#)
            #expect(next.body["output"] as? String == "free\n", "the shell is free at once: \(next.text)")

            let busy = Task {
                try await client.send(
                    HTTPRequest(
                        method: .post, path: "/v1/sessions/\(id)/exec",
                        body: .bytes(Array(#"{"cmd":"touch /workspace/busy; sleep 31","timeout_ms":120000}"#.utf8)),
                        timeout: .seconds(120))
                ).status
            }
            #expect(try await ExecSemanticsTests.waitForFile("/workspace/busy", in: id, s), "the long command started")
            let queued = try await s.call(.post, "/v1/sessions/\(id)/exec", json: #"{"cmd":"touch /workspace/queued-ran","timeout_ms":1000}"#)
            #expect(queued.status == 504 && queued.body["error_code"] as? String == "COMMAND_TIMEOUT", "\(queued.text)")
            _ = try await s.call(.post, "/v1/sandboxes/\(id)/exec", json: #"{"argv":["pkill","-INT","-x","sleep"]}"#)
            #expect(try await busy.value == 200)
            let listing = try await s.call(.post, "/v1/sandboxes/\(id)/exec", json: #"{"command":"ls -1 /workspace"}"#)
            #expect(listing.body["stdout"] as? String == "busy\nstarted\n", "the timed-out exec never ran: \(listing.text)")
            _ = try await s.call(.delete, "/v1/sessions/\(id)")
        }
    }
}
