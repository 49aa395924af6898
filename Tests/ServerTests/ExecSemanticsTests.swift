import Foundation
import HTTPTransport
import TestSupport
import Testing

@testable import Server
@testable import ServerCore

/// Exec semantics a hostile client found wanting (issue 12, items 3 and 11), against the real
/// engine: the timeout covers the wait for the shell, a client that leaves has its command
/// interrupted, an OOM kill is the command's fate, and a TTL cut answers as `GET` does.
@Suite(.timeLimit(.minutes(5)))
struct ExecSemanticsTests {
    @Test func anExecTimeoutCountsTheWaitForTheShellAndATimedOutExecNeverRunsLater() async throws {
        try await DockerServerFixture.with { s in
            let id = try #require(try await s.call(.post, "/v1/sandboxes", json: "{}").body["id"] as? String)
            let client = s.client
            let busy = Task {
                try await client.send(
                    HTTPRequest(
                        method: .post, path: "/v1/sandboxes/\(id)/exec",
                        body: .bytes(Array(#"{"command":"touch /workspace/busy; sleep 31; echo busy-done","timeout_ms":120000}"#.utf8)),
                        timeout: .seconds(120))
                ).status
            }
            #expect(try await Self.waitForFile("/workspace/busy", in: id, s), "the long command started")

            // Queued behind `sleep 31`: both must answer as timed out after their own timeout, not after
            // the long command (they used to answer after it with timed_out false, and then ran).
            let start = ContinuousClock.now
            let json = try await s.call(
                .post, "/v1/sandboxes/\(id)/exec", json: #"{"command":"touch /workspace/json-ran","timeout_ms":2000}"#)
            #expect(json.status == 504, "\(json.text)")
            #expect(s.errorCode(json.body) == "command_timeout")
            #expect(ContinuousClock.now - start < .seconds(20), "answered at its timeout, not when the shell was free")
            let events = try await SSE.collect(s, sandboxID: id, json: #"{"command":"touch /workspace/stream-ran","timeout_ms":1000}"#)
            let exit = try #require(events.last)
            #expect(exit.name == "exit" && exit.data.contains(#""timed_out":true"#) && exit.data.contains(#""exit_code":124"#), "\(events)")

            // End the long command; the two timed-out ones must not run after it.
            let killed = try await s.call(.post, "/v1/sandboxes/\(id)/exec", json: #"{"argv":["pkill","-INT","-x","sleep"]}"#)
            #expect(killed.status == 200, "\(killed.text)")
            #expect(try await busy.value == 200)
            let listing = try await s.call(.post, "/v1/sandboxes/\(id)/exec", json: #"{"command":"ls -1 /workspace"}"#)
            #expect(listing.body["stdout"] as? String == "busy\n", "only the long command's file: \(listing.text)")
            _ = try await s.call(.delete, "/v1/sandboxes/\(id)")
        }
    }

    @Test func aClientThatLeavesAJSONExecHasItsCommandInterrupted() async throws {
        try await DockerServerFixture.with { s in
            let id = try #require(try await s.call(.post, "/v1/sandboxes", json: "{}").body["id"] as? String)
            let client = s.client
            let abandoned = Task {
                try await client.send(
                    HTTPRequest(
                        method: .post, path: "/v1/sandboxes/\(id)/exec",
                        headers: HTTPHeaders([("Content-Type", "application/json")]),
                        body: .bytes(Array(#"{"command":"touch /workspace/started; sleep 300; touch /workspace/finished","timeout_ms":600000}"#.utf8)),
                        timeout: .seconds(600)))
            }
            #expect(try await Self.waitForFile("/workspace/started", in: id, s), "the command started")
            // The client goes away: its transfer is aborted and the connection closed.
            abandoned.cancel()
            _ = await abandoned.result
            // The shell must be free at once: the abandoned `sleep 300` was interrupted, not left to
            // hold every later exec (which would then time out in the queue).
            let next = try await s.call(.post, "/v1/sandboxes/\(id)/exec", json: #"{"command":"echo free","timeout_ms":10000}"#)
            #expect(next.status == 200 && next.body["stdout"] as? String == "free\n", "\(next.text)")
            let left = try await s.call(.post, "/v1/sandboxes/\(id)/exec", json: #"{"command":"ls -1 /workspace"}"#)
            #expect(left.body["stdout"] as? String == "started\n", "the rest of the abandoned line never ran: \(left.text)")
            _ = try await s.call(.delete, "/v1/sandboxes/\(id)")
        }
    }

    @Test func anOOMKillIsTheCommandsFateWithExitCode137() async throws {
        try await DockerServerFixture.with { s in
            let id = try #require(try await s.call(.post, "/v1/sandboxes", json: #"{"memory_mb":64}"#).body["id"] as? String)
            // A command that outgrows the limit is killed by the kernel; the shell lives on.
            let command = try await s.call(
                .post, "/v1/sandboxes/\(id)/exec", json: #"{"command":"head -c 500m /dev/zero | tail","timeout_ms":60000}"#)
            #expect(command.status == 200, "\(command.text)")
            #expect(command.body["exit_code"] as? Int == 137)
            #expect(command.body["oom_killed"] as? Bool == true, "\(command.text)")
            // A command that grows the shell itself gets the shell killed: still the command's fate
            // (it used to be a 400 invalid_input "the shell was killed by signal 9").
            let shell = try await s.call(
                .post, "/v1/sandboxes/\(id)/exec", json: #"{"command":"x=$(head -c 500m /dev/zero | tr '\\0' a)","timeout_ms":60000}"#)
            #expect(shell.status == 200, "\(shell.text)")
            #expect(shell.body["exit_code"] as? Int == 137)
            #expect(shell.body["oom_killed"] as? Bool == true, "\(shell.text)")
            // An argv process too, and the streamed exit event says it as well.
            let argv = try await s.call(
                .post, "/v1/sandboxes/\(id)/exec", json: #"{"argv":["tail","/dev/zero"],"timeout_ms":60000}"#)
            #expect(argv.body["exit_code"] as? Int == 137 && argv.body["oom_killed"] as? Bool == true, "\(argv.text)")
            let events = try await SSE.collect(s, sandboxID: id, json: #"{"command":"tail /dev/zero","timeout_ms":60000}"#)
            #expect(events.last?.data.contains(#""oom_killed":true"#) == true, "\(events)")
            // The sandbox is fine afterwards, and an ordinary command is not marked.
            let after = try await s.call(.post, "/v1/sandboxes/\(id)/exec", json: #"{"command":"echo fine"}"#)
            #expect(after.body["stdout"] as? String == "fine\n" && after.body["oom_killed"] as? Bool == false, "\(after.text)")
            _ = try await s.call(.delete, "/v1/sandboxes/\(id)")
        }
    }

    @Test func anExecCutByTheTTLAnswersExpiredAsGetDoes() async throws {
        try await DockerServerFixture.with { s in
            let id = try #require(try await s.call(.post, "/v1/sandboxes", json: #"{"ttl_seconds":3}"#).body["id"] as? String)
            // Runs past the TTL: the reaper retires the sandbox while the command runs.
            let cut = try await s.call(.post, "/v1/sandboxes/\(id)/exec", json: #"{"command":"sleep 60","timeout_ms":120000}"#)
            let record = try await s.call(.get, "/v1/sandboxes/\(id)")
            #expect(record.body["status"] as? String == "expired")
            #expect(cut.status == 410, "\(cut.text)")
            #expect(s.errorCode(cut.body) == "sandbox_expired", "the exec says what GET says: \(cut.text)")
            let later = try await s.call(.post, "/v1/sandboxes/\(id)/exec", json: #"{"command":"true"}"#)
            #expect(s.errorCode(later.body) == "sandbox_expired")
        }
    }

    /// Polls with argv execs (which do not queue behind the shell) until `path` exists.
    static func waitForFile(_ path: String, in id: String, _ s: LiveServer) async throws -> Bool {
        try await eventually {
            let probe = try await s.call(.post, "/v1/sandboxes/\(id)/exec", json: #"{"argv":["test","-e","\#(path)"]}"#)
            return probe.body["exit_code"] as? Int == 0
        }
    }
}
