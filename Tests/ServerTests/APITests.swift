import Foundation
import HTTPTransport
import Store
import TestSupport
import Testing

@testable import Server
@testable import ServerCompat
@testable import ServerCore

/// The HTTP surface on an in-memory backend: auth, errors and their codes, limits, paging, TTL.
@Suite(.timeLimit(.minutes(1)))
struct APITests {
    let key = ServerFixture.key

    @Test func healthAnswersWithoutAKeyButTheAPIRequiresOne() async throws {
        try await ServerFixture.with(ServerFixture.configuration(), ServerFixture.fake()) { s in
            for path in ["/health", "/healthz", "/metrics", "/openapi.json"] {
                #expect(try await s.call(.get, path).status == 200, "\(path)")
            }
            let missing = try await s.call(.get, "/v1/sandboxes")
            #expect(missing.status == 401)
            #expect(s.errorCode(missing.body) == "unauthorized")
            let wrong = try await s.call(.get, "/v1/sandboxes", key: "not-a-key")
            #expect(wrong.status == 401)
            #expect(try await s.call(.get, "/v1/sandboxes", key: key).status == 200)
            #expect(try await s.call(.get, "/v1/sandboxes", headers: [("X-API-Key", key)]).status == 200)
        }
    }

    @Test func createGetExecDeleteAndGoneAfterwards() async throws {
        try await ServerFixture.with(ServerFixture.configuration(), ServerFixture.fake()) { s in
            let created = try await s.call(
                .post, "/v1/sandboxes", json: #"{"image":"base","env":{"SECRET":"x"},"ttl_seconds":60}"#,
                key: key)
            #expect(created.status == 201)
            let id = try #require(created.body["id"] as? String)
            #expect(created.body["status"] as? String == "running")
            #expect(created.body["env_keys"] as? [String] == ["SECRET"])
            #expect(!created.text.contains("\"x\""), "environment values are never echoed")
            let exec = try await s.call(.post, "/v1/sandboxes/\(id)/exec", json: #"{"command":"echo hi"}"#, key: key)
            #expect(exec.status == 200)
            #expect(exec.body["stdout"] as? String == "ran: echo hi\n")
            #expect(exec.body["exit_code"] as? Int == 0)
            #expect(exec.body["timed_out"] as? Bool == false)
            #expect(try await s.call(.delete, "/v1/sandboxes/\(id)", key: key).status == 200)
            let after = try await s.call(.get, "/v1/sandboxes/\(id)", key: key)
            #expect(after.status == 200)
            #expect(after.body["status"] as? String == "deleted")
            let gone = try await s.call(.post, "/v1/sandboxes/\(id)/exec", json: #"{"command":"true"}"#, key: key)
            #expect(gone.status == 410)
            #expect(s.errorCode(gone.body) == "sandbox_gone")
        }
    }

    @Test func userMistakesGetStableCodesNeverA500() async throws {
        try await ServerFixture.with(ServerFixture.configuration { $0.maxBodyBytes = 1024 }, ServerFixture.fake()) { s in
            let cases: [(HTTPMethod, String, String?, Int, String)] = [
                (.post, "/v1/sandboxes", "{not json", 400, "invalid_input"),
                (.post, "/v1/sandboxes", #"{"image":5}"#, 400, "invalid_input"),
                (.post, "/v1/sandboxes", #"{"ttl_seconds":-1}"#, 400, "invalid_input"),
                (.post, "/v1/sandboxes", #"{"memory_mb":1}"#, 400, "invalid_input"),
                (.post, "/v1/sandboxes", #"{"workspace":"../etc"}"#, 400, "invalid_input"),
                (.post, "/v1/sandboxes", #"{"image":"missing"}"#, 400, "image_not_found"),
                (.post, "/v1/sandboxes", #"{"image":"library/debian:12"}"#, 400, "invalid_input"),
                (.post, "/v1/sandboxes", #"{"image":"\#(String(repeating: "a", count: 2000))"}"#, 413, "body_too_large"),
                (.get, "/v1/sandboxes/unknown", nil, 404, "not_found"),
                (.post, "/v1/sandboxes/unknown/exec", #"{"command":"x"}"#, 404, "not_found"),
                (.get, "/v1/nothing-here", nil, 404, "route_not_found"),
                (.get, "/v1/sandboxes?limit=0", nil, 400, "invalid_input"),
                (.get, "/v1/sandboxes?cursor=zzz", nil, 400, "invalid_input"),
            ]
            for (method, path, json, status, code) in cases {
                let response = try await s.call(method, path, json: json, key: key)
                #expect(response.status == status, "\(method) \(path.prefix(60)) → \(response.text.prefix(200))")
                #expect(s.errorCode(response.body) == code, "\(method) \(path.prefix(60)) → \(response.text.prefix(200))")
            }
            let created = try await s.call(.post, "/v1/sandboxes", json: "{}", key: key)
            let id = try #require(created.body["id"] as? String)
            for json in [#"{}"#, #"{"command":"a","argv":["b"]}"#, #"{"command":"x","timeout_ms":0}"#, #"{"argv":[]}"#] {
                let response = try await s.call(.post, "/v1/sandboxes/\(id)/exec", json: json, key: key)
                #expect(response.status == 400, "\(json) → \(response.text)")
                #expect(s.errorCode(response.body) == "invalid_input")
            }
            #expect(s.server.metrics.errorCount(.internal) == 0)
        }
    }

    @Test func aCommandPastItsTimeoutIs504() async throws {
        let backend = FakeBackend { _ in FakeReply(chunks: [(.zero, "partial\n")], tail: .seconds(120)) }
        try await ServerFixture.with(ServerFixture.configuration(), ServerFixture.fake(backend)) { s in
            let id = try #require(try await s.call(.post, "/v1/sandboxes", json: "{}", key: key).body["id"] as? String)
            let start = ContinuousClock.now
            let response = try await s.call(.post, "/v1/sandboxes/\(id)/exec", json: #"{"command":"sleep 120","timeout_ms":100}"#, key: key)
            #expect(response.status == 504)
            #expect(s.errorCode(response.body) == "command_timeout")
            #expect(ContinuousClock.now - start < .seconds(60), "answered at the timeout, not after the 120 s command")
        }
    }

    @Test func limitsGlobalAndPerKeyAre429() async throws {
        let configuration = ServerFixture.configuration {
            $0.maxSandboxes = 3
            $0.maxSandboxesPerKey = 2
        }
        try await ServerFixture.with(configuration, ServerFixture.fake()) { s in
            #expect(try await s.call(.post, "/v1/sandboxes", json: "{}", key: key).status == 201)
            #expect(try await s.call(.post, "/v1/sandboxes", json: "{}", key: key).status == 201)
            let perKey = try await s.call(.post, "/v1/sandboxes", json: "{}", key: key)
            #expect(perKey.status == 429)
            #expect(s.errorCode(perKey.body) == "at_capacity")
            let other = ServerFixture.otherKey
            #expect(try await s.call(.post, "/v1/sandboxes", json: "{}", key: other).status == 201)
            let global = try await s.call(.post, "/v1/sandboxes", json: "{}", key: other)
            #expect(global.status == 429)
            #expect((global.body["error"] as? [String: Any])?["message"] as? String ?? "" != "")
            // Deleting one frees a slot.
            let mine = try await s.call(.get, "/v1/sandboxes", key: key)
            let first = try #require((mine.body["sandboxes"] as? [[String: Any]])?.first?["id"] as? String)
            #expect(try await s.call(.delete, "/v1/sandboxes/\(first)", key: key).status == 200)
            #expect(try await s.call(.post, "/v1/sandboxes", json: "{}", key: key).status == 201)
        }
    }

    @Test func concurrentCreatesNeverOvershootTheLimit() async throws {
        // Slow creates, so every request is in flight at once and only the reservations stop them.
        let backend = SlowBackend(base: FakeBackend(), delay: .milliseconds(200))
        let dependencies = ServerDependencies(
            provisioner: DirectProvisioner(backend: backend), host: nil,
            repository: InMemorySandboxRepository(), serverID: "test-concurrency")
        try await ServerFixture.with(ServerFixture.configuration(open: true) { $0.maxSandboxes = 5 }, dependencies) { s in
            let client = s.client
            let statuses = await withTaskGroup(of: Int.self) { group in
                for _ in 0..<12 {
                    group.addTask {
                        let request = HTTPRequest(method: .post, path: "/v1/sandboxes", body: .bytes(Array("{}".utf8)))
                        return (try? await client.send(request).status) ?? 0
                    }
                }
                return await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 201 }.count == 5, "\(statuses)")
            #expect(statuses.filter { $0 == 429 }.count == 7, "\(statuses)")
        }
    }

    @Test func aKeySeesOnlyItsOwnSandboxes() async throws {
        try await ServerFixture.with(ServerFixture.configuration(), ServerFixture.fake()) { s in
            let id = try #require(try await s.call(.post, "/v1/sandboxes", json: "{}", key: key).body["id"] as? String)
            let other = ServerFixture.otherKey
            #expect(try await s.call(.get, "/v1/sandboxes/\(id)", key: other).status == 404)
            #expect(try await s.call(.delete, "/v1/sandboxes/\(id)", key: other).status == 404)
            let list = try await s.call(.get, "/v1/sandboxes", key: other)
            #expect((list.body["sandboxes"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func listFiltersAndPagesWithACursor() async throws {
        try await ServerFixture.with(ServerFixture.configuration(), ServerFixture.fake()) { s in
            var ids: [String] = []
            for image in ["base", "python", "base", "base", "python"] {
                let created = try await s.call(.post, "/v1/sandboxes", json: #"{"image":"\#(image)"}"#, key: key)
                ids.append(try #require(created.body["id"] as? String))
            }
            var seen: [String] = []
            var cursor: String?
            repeat {
                let path = "/v1/sandboxes?limit=2" + (cursor.map { "&cursor=\($0)" } ?? "")
                let page = try await s.call(.get, path, key: key)
                #expect(page.status == 200)
                let rows = try #require(page.body["sandboxes"] as? [[String: Any]])
                #expect(rows.count <= 2)
                seen += rows.compactMap { $0["id"] as? String }
                cursor = page.body["next_cursor"] as? String
            } while cursor != nil
            #expect(seen == ids, "every sandbox once, in creation order")
            let python = try await s.call(.get, "/v1/sandboxes?image=python", key: key)
            #expect((python.body["sandboxes"] as? [[String: Any]])?.count == 2)
            _ = try await s.call(.delete, "/v1/sandboxes/\(ids[0])", key: key)
            let deleted = try await s.call(.get, "/v1/sandboxes?status=deleted", key: key)
            #expect((deleted.body["sandboxes"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [ids[0]])
        }
    }

    @Test func anExpiredSandboxIsReapedAnd410() async throws {
        let backend = FakeBackend()
        try await ServerFixture.with(ServerFixture.configuration(), ServerFixture.fake(backend)) { s in
            // Created with room to spare so a loaded machine cannot expire it before the extend.
            let id = try #require(try await s.call(.post, "/v1/sandboxes", json: #"{"ttl_seconds":60}"#, key: key).body["id"] as? String)
            // Extending works while it lives, and moves the deadline.
            let extended = try await s.call(.post, "/v1/sandboxes/\(id)/extend", json: #"{"ttl_seconds":1}"#, key: key)
            #expect(extended.status == 200)
            #expect(extended.body["ttl_seconds"] as? Int == 1)
            var record = try await s.call(.get, "/v1/sandboxes/\(id)", key: key)
            #expect(
                try await eventually {
                    record = try await s.call(.get, "/v1/sandboxes/\(id)", key: key)
                    return record.body["status"] as? String == "expired"
                }, "\(record.text)")
            #expect((record.body["status_reason"] as? String)?.contains("TTL") == true)
            let exec = try await s.call(.post, "/v1/sandboxes/\(id)/exec", json: #"{"command":"true"}"#, key: key)
            #expect(exec.status == 410)
            #expect(s.errorCode(exec.body) == "sandbox_expired")
            #expect(backend.destroyed.contains(id))
            #expect(try await s.call(.post, "/v1/sandboxes/\(id)/extend", json: #"{"ttl_seconds":60}"#, key: key).status == 410)
        }
    }

    @Test func theFirstStreamedChunkArrivesBeforeTheCommandEnds() async throws {
        let backend = FakeBackend { _ in
            FakeReply(chunks: [(.zero, "first\n"), (.seconds(3), "second\n")], exitCode: 3)
        }
        try await ServerFixture.with(ServerFixture.configuration(open: true), ServerFixture.fake(backend)) { s in
            let id = try #require(try await s.call(.post, "/v1/sandboxes", json: "{}").body["id"] as? String)
            let events = try await SSE.collect(s, sandboxID: id, json: #"{"command":"slow"}"#)
            #expect(events.map(\.name) == ["stdout", "stdout", "exit"])
            #expect(events.first?.data.contains("first") == true)
            #expect(events.last?.data.contains(#""exit_code":3"#) == true)
            let firstAt = try #require(events.first?.at)
            let exitAt = try #require(events.last?.at)
            // Half the gap is slack for a loaded machine; a buffered stream would show none of it.
            #expect(exitAt - firstAt > .milliseconds(1500), "the first chunk came long before the exit")
        }
    }

    @Test func uploadOverTheLimitIs413() async throws {
        try await ServerFixture.with(ServerFixture.configuration { $0.maxUploadBytes = 1000 }, ServerFixture.fake()) { s in
            let id = try #require(try await s.call(.post, "/v1/sandboxes", json: "{}", key: key).body["id"] as? String)
            let ok = try await s.client.send(
                HTTPRequest(
                    method: .put, path: "/v1/sandboxes/\(id)/files/content?path=a",
                    headers: ["Authorization": "Bearer \(key)"], body: .bytes([1, 2, 3])))
            #expect(ok.status == 201)
            let big = try await s.client.send(
                HTTPRequest(
                    method: .put, path: "/v1/sandboxes/\(id)/files/content?path=b",
                    headers: ["Authorization": "Bearer \(key)"],
                    body: .bytes([UInt8](repeating: 7, count: 5000))))
            #expect(big.status == 413)
            #expect(big.bodyText.contains("body_too_large"))
        }
    }
}

/// Reads a server-sent event stream, stamping each event with its arrival time.
enum SSE {
    struct Event {
        var name: String
        var data: String
        var at: ContinuousClock.Instant
    }

    static func collect(_ s: LiveServer, sandboxID: String, json: String, key: String? = nil) async throws -> [Event] {
        var headers = HTTPHeaders()
        headers.add("Content-Type", "application/json")
        if let key { headers.add("Authorization", "Bearer \(key)") }
        let response = try await s.client.stream(
            HTTPRequest(
                method: .post, path: "/v1/sandboxes/\(sandboxID)/exec/stream",
                headers: headers, body: .bytes(Array(json.utf8))))
        #expect(response.status == 200)
        var buffer = ""
        var events: [Event] = []
        for try await chunk in response.body {
            buffer += String(decoding: chunk, as: UTF8.self)
            while let end = buffer.range(of: "\n\n") {
                let block = String(buffer[..<end.lowerBound])
                buffer.removeSubrange(..<end.upperBound)
                var name = "message"
                var data = ""
                for line in block.split(separator: "\n") {
                    if line.hasPrefix("event: ") { name = String(line.dropFirst(7)) }
                    if line.hasPrefix("data: ") { data = String(line.dropFirst(6)) }
                }
                // A block of comment lines (the server's keep-alive) dispatches no event.
                if block.split(separator: "\n").allSatisfy({ $0.hasPrefix(":") }) { continue }
                events.append(Event(name: name, data: data, at: .now))
            }
        }
        return events
    }
}
