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

/// Keys and tenants through real HTTP on loopback, with runs on real Docker: `/api/api-keys`
/// (create, list, rotate with and without a body, allowlist, deactivate), the one key system on
/// every API (`/api` and the native `/v1`), `KEY_EXPIRED`, `IP_BLOCKED`, and tenant B unable to
/// read, list, cancel, approve, replay, fork, stream or report on tenant A's run even with its id, while
/// an admin sees both. No key ever reaches the server's log or its data folder.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct TenantIsolationTests {
    static let adminKey = "admin-key-for-tests-0123456789"
    static let pepper = "pepper-for-tests-0123456789abcdef"

    struct Server {
        let live: LiveServer
        let orchestrator: Orchestrator
        let data: String
        let logs: SandstormQueryTests.LogLines

        func call(_ method: HTTPMethod, _ path: String, json: String? = nil, key: String?) async throws -> (
            status: Int, body: [String: Any], text: String
        ) {
            try await live.call(method, path, json: json, key: key)
        }

        /// A key made by the admin through the API; returns the plaintext and its id.
        func makeKey(_ body: String) async throws -> (key: String, id: String) {
            let made = try await call(.post, "/api/api-keys", json: body, key: TenantIsolationTests.adminKey)
            #expect(made.status == 201, "\(made.text)")
            let data = made.body["data"] as? [String: Any] ?? [:]
            return (try #require(data["key"] as? String), try #require(data["id"] as? String))
        }
    }

    /// A server whose only keys are `ADMIN_API_KEY` and those stored through the API, with the
    /// orchestrator over its data folder and `chain` in the workflows folder.
    static func with(rateLimit: RateLimit = .sandcastleDefault, _ body: (Server) async throws -> Void) async throws {
        let data = DockerServerFixture.dataDirectory()
        let folder = data + "-workflows"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try SandcastleAPITests.chain.write(toFile: folder + "/chain.yaml", atomically: true, encoding: .utf8)
        defer {
            try? FileManager.default.removeItem(atPath: data)
            try? FileManager.default.removeItem(atPath: folder)
        }
        let configuration = DockerServerFixture.configuration(dataDirectory: data, open: false) {
            $0.apiKeyDigests = []
            $0.adminAPIKey = RedactedSecret(adminKey)
            $0.apiKeyPepper = try? APIKeyPepper(pepper, source: "test")
            $0.rateLimitRuns = rateLimit
        }
        let logs = SandstormQueryTests.LogLines()
        var dependencies = try await ServerDependencies.production(configuration, logger: Logger(label: "test"))
        dependencies.logger = Logger(label: "test") { _ in SandstormQueryTests.CapturingLogHandler(sink: logs) }
        let runs = try await RunService.open(try EngineSettings.load(dataDirectory: data), sandboxes: .required, creatingStore: true)
        let orchestrator = Orchestrator(runs: runs, workflowsFolder: folder, maxConcurrentRuns: 2, logger: Logger(label: "test"))
        try await orchestrator.start()
        dependencies.orchestrator = orchestrator
        let scheduler = Scheduler(orchestrator: orchestrator, defaultCatchUp: .once, logger: Logger(label: "test.schedules"))
        dependencies.scheduler = scheduler
        await scheduler.start()
        let result: Result<Void, any Error>
        do {
            try await ServerFixture.with(configuration, dependencies) { live in
                try await body(Server(live: live, orchestrator: orchestrator, data: data, logs: logs))
            }
            result = .success(())
        } catch {
            result = .failure(error)
        }
        await scheduler.stop()
        try await SandcastleAPIFixture.expectNoLeftovers(orchestrator)
        let leaked = try await DockerServerFixture.sweep(serverID: dependencies.serverID)
        #expect(leaked.isEmpty, "containers left behind: \(leaked)")
        try result.get()
    }

    static func data(_ body: [String: Any]) -> [String: Any] { body["data"] as? [String: Any] ?? [:] }
    static func list(_ body: [String: Any]) -> [[String: Any]] { body["data"] as? [[String: Any]] ?? [] }
    /// Sandcastle's handler errors: `detail.error.code`.
    static func code(_ body: [String: Any]) -> String? { SandcastleAPITests.code(body) }
    /// Its auth middleware's errors, at the top level: `error.code`.
    static func authCode(_ body: [String: Any]) -> String? { (body["error"] as? [String: Any])?["code"] as? String }

    /// Every file of the data folder, to search for secrets.
    static func dataFolderBytes(_ path: String) -> [(String, Data)] {
        let files = FileManager.default.enumerator(atPath: path)?.compactMap { $0 as? String } ?? []
        return files.compactMap { file in
            (try? Data(contentsOf: URL(fileURLWithPath: path + "/" + file))).map { (file, $0) }
        }
    }

    @Test func keysAreManagedThroughTheAPIAndHonouredByEveryAPI() async throws {
        try await Self.with { server in
            let admin = Self.adminKey
            let tenant = try await server.makeKey(#"{"name":"ci","tenant_id":"acme","max_cost_per_run_usd":1.5,"allowed_workflows":["chain"]}"#)
            #expect(tenant.key.hasPrefix("sc_") && tenant.key.count == 46)
            // One key system: the native API takes the same key, as Bearer and as X-API-Key.
            #expect(try await server.call(.get, "/v1/sandboxes", key: tenant.key).status == 200)
            let viaHeader = try await server.live.call(.get, "/api/runs", headers: [("X-API-Key", tenant.key)])
            #expect(viaHeader.status == 200, "\(viaHeader.text)")
            // E2B's control plane, Sandkasten's sessions and Sandstorm's /query take it too (an
            // empty /query body is refused for what it is, not for the key).
            let e2b = try await server.live.call(.get, "/v2/sandboxes", headers: [("X-API-KEY", tenant.key)])
            #expect(e2b.status == 200, "E2B: \(e2b.text)")
            #expect(try await server.call(.get, "/v1/sessions", key: tenant.key).status == 200)
            let query = try await server.call(.post, "/query", json: "{}", key: tenant.key)
            #expect(query.status != 401 && query.status != 403 && query.status < 500, "Sandstorm: \(query.status) \(query.text)")
            #expect(try await server.live.call(.get, "/v2/sandboxes", headers: [("X-API-KEY", "sc_wrong")]).status == 401)

            let forbidden = try await server.call(.post, "/api/api-keys", json: #"{"name":"x"}"#, key: tenant.key)
            #expect(forbidden.status == 403 && Self.code(forbidden.body) == "FORBIDDEN", "\(forbidden.text)")
            #expect(forbidden.text.contains("Admin access required"))
            for path in ["/api/api-keys/\(tenant.id)/rotate", "/api/admin/emergency-stop"] {
                let refused = try await server.call(.post, path, key: tenant.key)
                #expect(refused.status == 403 && Self.code(refused.body) == "FORBIDDEN", "\(path): \(refused.text)")
            }

            // Bad input is a clear 4xx and makes nothing.
            for (json, status) in [
                ("not json", 422), ("[1]", 422), ("{}", 422), (#"{"name":"a\u0000b"}"#, 422), (#"{"name":"x","tenant_id":5}"#, 422),
                (#"{"name":"x","tenant_id":""}"#, 422), (#"{"name":"x","allowed_workflows":"chain"}"#, 422),
                (#"{"name":"x","max_cost_per_run_usd":-1}"#, 422), (#"{"name":"x","allowed_cidrs":["../etc"]}"#, 400),
                ("{\"name\":\"\(String(repeating: "n", count: 201))\"}", 422),
            ] {
                let refused = try await server.call(.post, "/api/api-keys", json: json, key: admin)
                #expect(refused.status == status && Self.code(refused.body) != nil, "\(json.prefix(60)): \(refused.text)")
            }
            let huge = try await server.call(.post, "/api/api-keys", json: #"{"name":""# + String(repeating: "x", count: 5 << 20) + #""}"#, key: admin)
            #expect(huge.status == 413, "\(huge.status)")
            for (method, path, json) in [
                (HTTPMethod.post, "/api/api-keys/\(tenant.id)/rotate", "[1]"), (.post, "/api/api-keys/\(tenant.id)/rotate", #"{"grace_period_hours":"1"}"#),
                (.put, "/api/api-keys/\(tenant.id)/allowlist", #"{"cidrs":"10.0.0.0/8"}"#), (.put, "/api/api-keys/\(tenant.id)/allowlist", "{}"),
                (.delete, "/api/api-keys/key%00x", nil), (.delete, "/api/api-keys/..%2F..%2Fetc", nil), (.post, "/api/api-keys/nope/rotate", nil),
            ] {
                let refused = try await server.call(method, path, json: json, key: admin)
                #expect((400..<500).contains(refused.status) && Self.code(refused.body) != nil, "\(method) \(path): \(refused.text)")
            }

            let listed = try await server.call(.get, "/api/api-keys", key: admin)
            #expect((listed.body["meta"] as? [String: Any])?["total"] as? Int == 2, "the admin key and the tenant's: \(listed.text)")
            let ownView = Self.list(try await server.call(.get, "/api/api-keys", key: tenant.key).body)
            #expect(ownView.count == 1 && ownView.first?["tenant_id"] as? String == "acme" && ownView.first?["key"] == nil)
            #expect(ownView.first?["last_used_at"] is String, "last_used_at recorded: \(ownView)")
            #expect(ownView.first?["allowed_workflows"] as? [String] == ["chain"] && ownView.first?["max_cost_per_run_usd"] as? Double == 1.5)

            // The CIDR allowlist: loopback outside it is refused, inside it passes.
            let narrowed = try await server.call(.put, "/api/api-keys/\(tenant.id)/allowlist", json: #"{"cidrs":["10.0.0.0/8","2001:db8::/32"]}"#, key: admin)
            #expect(narrowed.status == 200 && Self.data(narrowed.body)["allowed_cidrs"] as? [String] == ["10.0.0.0/8", "2001:db8:0:0:0:0:0:0/32"])
            let blocked = try await server.call(.get, "/api/runs", key: tenant.key)
            #expect(blocked.status == 403 && Self.authCode(blocked.body) == "IP_BLOCKED", "\(blocked.text)")
            let blockedNative = try await server.call(.get, "/v1/sandboxes", key: tenant.key)
            #expect(blockedNative.status == 403 && server.live.errorCode(blockedNative.body) == "ip_blocked", "\(blockedNative.text)")
            let blockedSandkasten = try await server.call(.get, "/v1/sessions", key: tenant.key)
            #expect(blockedSandkasten.status == 403 && blockedSandkasten.text.contains("IP_BLOCKED"), "\(blockedSandkasten.text)")
            #expect(try await server.live.call(.get, "/v2/sandboxes", headers: [("X-API-KEY", tenant.key)]).status == 403)
            let badCIDR = try await server.call(.put, "/api/api-keys/\(tenant.id)/allowlist", json: #"{"cidrs":["10.0.0.0/99"]}"#, key: admin)
            #expect(badCIDR.status == 400 && Self.code(badCIDR.body) == "INVALID_INPUT", "\(badCIDR.text)")
            _ = try await server.call(.put, "/api/api-keys/\(tenant.id)/allowlist", json: #"{"cidrs":["127.0.0.0/8","::1"]}"#, key: admin)
            #expect(try await server.call(.get, "/api/runs", key: tenant.key).status == 200)

            // Rotation: Sandcastle's CLI sends no body; the old key works through the grace.
            let rotated = try await server.call(.post, "/api/api-keys/\(tenant.id)/rotate", key: admin)
            #expect(rotated.status == 200 && Self.data(rotated.body)["grace_period_hours"] as? Int == 24, "\(rotated.text)")
            let newKey = try #require(Self.data(rotated.body)["new_key"] as? String)
            let newID = try #require(Self.data(rotated.body)["new_key_id"] as? String)
            #expect(Self.data(rotated.body)["old_key_expires_at"] is String)
            #expect(try await server.call(.get, "/api/runs", key: tenant.key).status == 200, "the old key during its grace")
            #expect(try await server.call(.get, "/api/runs", key: newKey).status == 200)
            let now = try await server.call(.post, "/api/api-keys/\(newID)/rotate", json: #"{"grace_period_hours":0}"#, key: admin)
            #expect(now.status == 200, "\(now.text)")
            let expired = try await server.call(.get, "/api/runs", key: newKey)
            #expect(expired.status == 401 && Self.authCode(expired.body) == "KEY_EXPIRED", "\(expired.text)")
            let expiredNative = try await server.call(.get, "/v1/sandboxes", key: newKey)
            #expect(expiredNative.status == 401 && server.live.errorCode(expiredNative.body) == "key_expired")
            let badGrace = try await server.call(.post, "/api/api-keys/\(newID)/rotate", json: #"{"grace_period_hours":9999}"#, key: admin)
            #expect(badGrace.status == 422, "\(badGrace.text)")
            let newest = try #require(Self.data(now.body)["new_key"] as? String)

            // Deactivation is for good.
            let deleted = try await server.call(.delete, "/api/api-keys/\(tenant.id)", key: admin)
            #expect(deleted.status == 200 && Self.data(deleted.body)["deactivated"] as? Bool == true)
            let gone = try await server.call(.get, "/api/runs", key: tenant.key)
            #expect(gone.status == 401 && Self.authCode(gone.body) == "UNAUTHORIZED")
            #expect(try await server.call(.delete, "/api/api-keys/\(tenant.id)", key: admin).status == 404)
            // A token in the URL is honoured on stream paths only.
            let streamed = try await server.live.call(.get, "/api/runs/nope/stream?token=\(newest)")
            #expect(streamed.status == 404 && Self.code(streamed.body) == "RUN_NOT_FOUND", "\(streamed.text)")
            #expect(try await server.live.call(.get, "/api/runs?token=\(newest)").status == 401)

            // No key, in any form, reaches the log or the data folder.
            for secret in [admin, tenant.key, newKey, newest, Self.pepper] {
                #expect(!server.logs.all.contains { $0.contains(secret) }, "a secret in the log")
                for (file, bytes) in Self.dataFolderBytes(server.data) {
                    #expect(bytes.range(of: Data(secret.utf8)) == nil, "a secret in \(file)")
                }
            }
            #expect(!server.logs.all.isEmpty, "the log was captured")
        }
    }

    @Test func tenantBCannotReachTenantARunsEvenWithTheirIDs() async throws {
        try await Self.with { server in
            let admin = Self.adminKey
            let a = try await server.makeKey(#"{"name":"a","tenant_id":"tenant-a","max_cost_per_run_usd":0.5}"#).key
            let b = try await server.makeKey(#"{"name":"b","tenant_id":"tenant-b"}"#).key
            let chainRun = try await server.call(.post, "/api/workflows/run", json: #"{"workflow_name":"chain"}"#, key: a)
            let finished = try #require(Self.data(chainRun.body)["run_id"] as? String, "\(chainRun.text)")
            let gatedRun = try await server.call(
                .post, "/api/workflows/run", json: #"{"workflow":\#(SandcastleAPITests.jsonString(SandcastleAPITests.gated)),"max_cost_usd":3}"#, key: a)
            let gated = try #require(Self.data(gatedRun.body)["run_id"] as? String, "\(gatedRun.text)")
            let ended = await eventually(.seconds(90)) {
                let one = Self.data((try? await server.call(.get, "/api/runs/\(finished)", key: a))?.body ?? [:])["status"] as? String
                let two = Self.data((try? await server.call(.get, "/api/runs/\(gated)", key: a))?.body ?? [:])["status"] as? String
                return one == "completed" && two == "awaiting_approval"
            }
            #expect(ended, "A's runs did not reach completed and awaiting_approval")
            // Budgets: the key's when the request names none, else the request's.
            #expect(Self.data(try await server.call(.get, "/api/runs/\(finished)", key: a).body)["max_cost_usd"] as? Double == 0.5)
            #expect(Self.data(try await server.call(.get, "/api/runs/\(gated)", key: a).body)["max_cost_usd"] as? Double == 3)

            // B, with A's ids: nothing exists.
            for id in [finished, gated] {
                for (method, path, json) in [
                    (HTTPMethod.get, "/api/runs/\(id)", nil as String?), (.post, "/api/runs/\(id)/cancel", nil),
                    (.post, "/api/runs/\(id)/replay", #"{"from_step":"two"}"#), (.post, "/api/runs/\(id)/fork", #"{"from_step":"two","changes":{}}"#),
                    (.get, "/api/runs/\(id)/stream", nil), (.get, "/api/runs/\(id)/transparency-report", nil),
                    (.delete, "/api/runs/\(id)", nil),
                ] {
                    let refused = try await server.call(method, path, json: json, key: b)
                    #expect(refused.status == 404 && Self.code(refused.body) == "RUN_NOT_FOUND", "B \(method) \(path): \(refused.text)")
                }
            }
            for (method, path) in [
                (HTTPMethod.get, "/api/approvals/\(gated).gate"), (.post, "/api/approvals/\(gated).gate/approve"),
                (.post, "/api/approvals/\(gated).gate/reject"), (.post, "/api/approvals/\(gated).gate/skip"),
            ] {
                let refused = try await server.call(method, path, key: b)
                #expect(refused.status == 404 && Self.code(refused.body) == "NOT_FOUND", "B \(method) \(path): \(refused.text)")
            }
            let bRuns = try await server.call(.get, "/api/runs", key: b)
            #expect(Self.list(bRuns.body).isEmpty && (bRuns.body["meta"] as? [String: Any])?["total"] as? Int == 0, "\(bRuns.text)")
            #expect(Self.list(try await server.call(.get, "/api/approvals", key: b).body).isEmpty)
            #expect(Self.data(try await server.call(.get, "/api/stats", key: b).body)["total_runs_today"] as? Int == 0)
            #expect(Self.data(try await server.call(.get, "/api/runs/\(gated)", key: a).body)["status"] as? String == "awaiting_approval")
            #expect(Self.data(try await server.call(.get, "/api/runs/\(gated)/transparency-report", key: a).body)["run_id"] as? String == gated)

            // B's global feed carries B's run and none of A's, old or new.
            let feed = try await server.live.client.stream(
                HTTPRequest(method: .get, path: "/api/events", headers: ["X-API-Key": b, "Last-Event-ID": "0"], timeout: .seconds(60)))
            #expect(feed.status == 200)
            let bRun = try #require(
                Self.data(try await server.call(.post, "/api/workflows/run", json: #"{"workflow_name":"chain"}"#, key: b).body)["run_id"] as? String)
            var text = ""
            reading: for try await chunk in feed.body {
                text += String(decoding: chunk, as: UTF8.self)
                if text.contains("\"run.completed\"") || text.contains("event: run.completed") { break reading }
            }
            feed.cancel()
            #expect(text.contains(bRun), "B's run is in B's feed")
            #expect(!text.contains(finished) && !text.contains(gated), "A's runs are not in B's feed")

            // A and the admin.
            let approved = try await server.call(.post, "/api/approvals/\(gated).gate/approve", key: a)
            #expect(approved.status == 200, "\(approved.text)")
            let replayed = try await server.call(.post, "/api/runs/\(finished)/replay", json: #"{"from_step":"two"}"#, key: a)
            let replay = try #require(Self.data(replayed.body)["new_run_id"] as? String, "\(replayed.text)")
            #expect(try await server.call(.get, "/api/runs/\(replay)", key: b).status == 404, "a replay belongs to its parent's tenant")
            let aRuns = Set(Self.list(try await server.call(.get, "/api/runs", key: a).body).compactMap { $0["run_id"] as? String })
            #expect(aRuns == [finished, gated, replay])
            let all = Set(Self.list(try await server.call(.get, "/api/runs", key: admin).body).compactMap { $0["run_id"] as? String })
            #expect(all == [finished, gated, replay, bRun], "the admin sees every tenant's runs")
            #expect(try await server.call(.get, "/api/runs/\(bRun)", key: admin).status == 200)
            for id in [gated, replay, bRun] { _ = await server.orchestrator.queue.waitForTurnEnd(runID: id) }
        }
    }

    @Test func workflowsSchedulesAndAllowedWorkflowsFollowTheTenant() async throws {
        try await Self.with { server in
            let admin = Self.adminKey
            let a = try await server.makeKey(#"{"name":"a","tenant_id":"tenant-a"}"#).key
            let b = try await server.makeKey(#"{"name":"b","tenant_id":"tenant-b"}"#).key
            let limited = try await server.makeKey(#"{"name":"c","tenant_id":"tenant-a","allowed_workflows":["chain"]}"#).key
            let content = SandcastleAPITests.jsonString("name: mine\nsteps:\n  - id: hi\n    run: echo mine")
            let saved = try await server.call(.post, "/api/workflows", json: #"{"name":"mine","content":\#(content)}"#, key: a)
            #expect(saved.status == 201, "\(saved.text)")
            let names = { (key: String) in
                Set(Self.list(try await server.call(.get, "/api/workflows", key: key).body).compactMap { $0["name"] as? String })
            }
            let (seenByA, seenByB, seenByAdmin) = (try await names(a), try await names(b), try await names(admin))
            #expect(seenByA == ["chain", "mine"] && seenByB == ["chain"] && seenByAdmin == ["chain", "mine"])
            let foreign = try await server.call(.get, "/api/workflows/mine", key: b)
            #expect(foreign.status == 404 && Self.code(foreign.body) == "WORKFLOW_NOT_FOUND")
            let foreignRun = try await server.call(.post, "/api/workflows/run", json: #"{"workflow_name":"mine"}"#, key: b)
            #expect(foreignRun.status == 404 && Self.code(foreignRun.body) == "WORKFLOW_NOT_FOUND", "\(foreignRun.text)")
            let taken = try await server.call(.post, "/api/workflows", json: #"{"name":"mine","content":\#(content)}"#, key: b)
            #expect(taken.status == 403 && Self.code(taken.body) == "FORBIDDEN", "\(taken.text)")
            let shared = try await server.call(.delete, "/api/workflows/chain", key: a)
            #expect(shared.status == 403 && Self.code(shared.body) == "FORBIDDEN", "a tenant cannot delete a shared workflow: \(shared.text)")
            #expect(try await server.call(.delete, "/api/workflows/mine", key: b).status == 404)

            // allowed_workflows, by name (Sandcastle compares the YAML text: every named run was refused).
            let allowed = try await server.call(.post, "/api/workflows/run", json: #"{"workflow_name":"chain"}"#, key: limited)
            #expect(allowed.status == 202, "\(allowed.text)")
            for json in [#"{"workflow_name":"mine"}"#, #"{"workflow":\#(content)}"#] {
                let refused = try await server.call(.post, "/api/workflows/run", json: json, key: limited)
                #expect(refused.status == 403 && Self.code(refused.body) == "FORBIDDEN", "\(json): \(refused.text)")
            }

            // Schedules.
            let made = try await server.call(
                .post, "/api/schedules", json: #"{"workflow_name":"mine","cron_expression":"0 3 * * *","enabled":false}"#, key: a)
            #expect(made.status == 201, "\(made.text)")
            let scheduleID = try #require(Self.data(made.body)["id"] as? String)
            for (method, path) in [
                (HTTPMethod.get, "/api/schedules/\(scheduleID)"), (.delete, "/api/schedules/\(scheduleID)"), (.patch, "/api/schedules/\(scheduleID)"),
            ] {
                let refused = try await server.call(method, path, json: method == .patch ? #"{"enabled":false}"# : nil, key: b)
                #expect(refused.status == 404, "B \(method) \(path): \(refused.text)")
            }
            #expect(Self.list(try await server.call(.get, "/api/schedules", key: b).body).isEmpty)
            #expect(Self.list(try await server.call(.get, "/api/schedules", key: a).body).count == 1)
            #expect(Self.list(try await server.call(.get, "/api/schedules", key: admin).body).count == 1)
            let trigger = try await server.call(.post, "/api/schedules/\(scheduleID)/trigger", key: a)
            #expect(trigger.status == 403 && Self.code(trigger.body) == "FORBIDDEN", "trigger is admin-only: \(trigger.text)")
            #expect(try await server.call(.delete, "/api/schedules/\(scheduleID)", key: a).status == 200)
            let runID = try #require(Self.data(allowed.body)["run_id"] as? String)
            _ = await server.orchestrator.queue.waitForTurnEnd(runID: runID)
            let deleted = try await server.call(.delete, "/api/workflows/mine", key: a)
            #expect(deleted.status == 200, "a tenant deletes its own: \(deleted.text)")
        }
    }
}
