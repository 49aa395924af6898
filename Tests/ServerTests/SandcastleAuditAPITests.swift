import Foundation
import TestSupport
import Testing

@testable import Server
@testable import ServerCompat
@testable import ServerCore

/// The audit chain over real HTTP on loopback and through the `sandcastle` CLI as a child process,
/// with a run on real Docker: a tenant verifies and lists its run's chain (attributed to its
/// key), another tenant gets 404, the admin reads the global chain (keys made, emergency stop),
/// bad filters answer 4xx, and after a hand edit of the SQLite file the API and the CLI (remote
/// and local) name the broken entry and the CLI exits 1.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct SandcastleAuditAPITests {
    static let runEvents = [
        "run.created", "run.started", "step.started", "step.completed", "step.started", "step.completed", "run.completed",
    ]

    @Test func chainsAreServedVerifiedAndTamperingIsNamed() async throws {
        try await TenantIsolationTests.with { server in
            let admin = TenantIsolationTests.adminKey
            let acme = try await server.makeKey(#"{"name":"acme","tenant_id":"acme"}"#)
            let other = try await server.makeKey(#"{"name":"other","tenant_id":"other"}"#)

            let submitted = try await server.call(.post, "/api/workflows/run", json: #"{"workflow_name":"chain"}"#, key: acme.key)
            #expect(submitted.status == 202, "\(submitted.text)")
            let runID = try #require(TenantIsolationTests.data(submitted.body)["run_id"] as? String)
            let ended = await eventually(.seconds(90)) {
                let run = try? await server.call(.get, "/api/runs/\(runID)", key: acme.key)
                return TenantIsolationTests.data(run?.body ?? [:])["status"] as? String == "completed"
            }
            #expect(ended, "run \(runID) did not complete")

            // The tenant verifies and reads its run's chain; the run's creation is its key's doing.
            let verified = try await server.call(.get, "/api/audit/verify/\(runID)", key: acme.key)
            #expect(verified.status == 200, "\(verified.text)")
            let verification = TenantIsolationTests.data(verified.body)
            #expect(verification["valid"] as? Bool == true && verification["run_id"] as? String == runID, "\(verified.text)")
            #expect(verification["chain_length"] as? Int == Self.runEvents.count && verification["broken_at"] is NSNull, "\(verified.text)")
            let listed = try await server.call(.get, "/api/runs/\(runID)/audit?limit=500", key: acme.key)
            #expect(listed.status == 200, "\(listed.text)")
            let entries = TenantIsolationTests.list(listed.body)
            #expect(entries.compactMap { $0["event_type"] as? String } == Self.runEvents, "\(listed.text)")
            #expect((listed.body["meta"] as? [String: Any])?["total"] as? Int == Self.runEvents.count)
            let created = try #require(entries.first)
            #expect(created["actor_id"] as? String == acme.id && created["actor_key_prefix"] as? String == String(acme.key.prefix(8)))
            #expect(created["source_ip"] as? String == "127.0.0.1" && created["prev_hash"] as? String == "genesis")
            #expect(entries.dropFirst().allSatisfy { $0["actor_id"] as? String == "engine" })
            #expect(!listed.text.contains(acme.key) && !listed.text.contains(admin))

            // Another tenant does not see it; the admin-only endpoints refuse tenants.
            let foreign = try await server.call(.get, "/api/audit/verify/\(runID)", key: other.key)
            #expect(foreign.status == 404 && TenantIsolationTests.code(foreign.body) == "RUN_NOT_FOUND", "\(foreign.text)")
            #expect(try await server.call(.get, "/api/runs/\(runID)/audit", key: other.key).status == 404)
            #expect(try await server.call(.get, "/api/audit", key: acme.key).status == 403)
            #expect(try await server.call(.get, "/api/audit/verify/global", key: acme.key).status == 403)

            // The admin's log: the keys it made, the emergency stop, each by the admin's key.
            #expect(try await server.call(.post, "/api/admin/emergency-stop", key: admin).status == 200)
            #expect(try await server.call(.post, "/api/admin/emergency-stop/reset", key: admin).status == 200)
            let made = try await server.call(.get, "/api/audit?event_type=api_key.created", key: admin)
            #expect(made.status == 200, "\(made.text)")
            // Newest first: the two made through the API by the admin's key, then ADMIN_API_KEY stored at start by the server.
            let keyEntries = TenantIsolationTests.list(made.body)
            #expect(keyEntries.compactMap { ($0["payload"] as? [String: Any])?["id"] as? String }.prefix(2) == [other.id, acme.id], "\(made.text)")
            #expect(keyEntries.allSatisfy { $0["run_id"] is NSNull && $0["chain"] as? String == "global" })
            let bootstrap = try #require(keyEntries.last)
            #expect((bootstrap["payload"] as? [String: Any])?["name"] as? String == "admin (ADMIN_API_KEY)" && bootstrap["actor_id"] as? String == "engine")
            let adminID = try #require((bootstrap["payload"] as? [String: Any])?["id"] as? String)
            #expect(keyEntries.prefix(2).allSatisfy { $0["actor_id"] as? String == adminID && $0["source_ip"] as? String == "127.0.0.1" })
            let global = try await server.call(.get, "/api/audit?run_id=&actor_id=\(adminID)&limit=500", key: admin)
            let globalTypes = TenantIsolationTests.list(global.body).compactMap { $0["event_type"] as? String }
            #expect(globalTypes.prefix(2) == ["emergency.reset", "emergency.stopped"], "\(global.text)")
            let globalVerified = try await server.call(.get, "/api/audit/verify/global", key: admin)
            #expect(TenantIsolationTests.data(globalVerified.body)["valid"] as? Bool == true, "\(globalVerified.text)")
            #expect(TenantIsolationTests.data(globalVerified.body)["run_id"] is NSNull)
            let ofRun = try await server.call(.get, "/api/audit?run_id=\(runID)", key: admin)
            #expect((ofRun.body["meta"] as? [String: Any])?["total"] as? Int == Self.runEvents.count, "\(ofRun.text)")

            // Bad input: a clear 4xx, never a 5xx.
            for (path, status) in [
                ("/api/audit?limit=501", 422), ("/api/audit?limit=abc", 422), ("/api/audit?since=yesterday", 422),
                ("/api/audit?run_id=..%2F..%2Fetc", 400), ("/api/audit?actor_id=%00x", 422), ("/api/audit/verify/%3Cscript%3E", 400),
                ("/api/audit/verify/no-such-run", 404), ("/api/runs/no-such-run/audit", 404),
            ] {
                let answer = try await server.call(.get, path, key: admin)
                #expect(answer.status == status, "\(path): \(answer.status) \(answer.text)")
            }

            // The CLI against the server, as the tenant and as the admin.
            let url = "http://127.0.0.1:\(server.live.port)"
            func cli(_ arguments: [String], key: String) async throws -> RemoteCLIFixture.Output {
                var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SANDCASTLE_") }
                environment["SANDCASTLE_URL"] = url
                environment["SANDCASTLE_API_KEY"] = key
                return try await RemoteCLIFixture.run(arguments, environment: environment)
            }
            let intact = try await cli(["audit", "verify", runID], key: acme.key)
            #expect(intact.status == 0 && intact.stdout.contains("run \(runID): valid, \(Self.runEvents.count) entries"), "\(intact.all)")
            let listing = try await cli(["audit", "list", runID], key: acme.key)
            #expect(listing.status == 0 && listing.stdout.contains("step.completed"), "\(listing.all)")
            #expect(try await cli(["audit", "verify", "--global"], key: admin).status == 0)

            // By hand, in the SQLite file: the run's end is rewritten as a failure.
            let database = server.orchestrator.runs.settings.databasePath
            let edit = try await runChild(
                "sqlite3",
                [database, #"UPDATE audit_entries SET payload_json = '{"status":"failed"}' WHERE chain = 'run:\#(runID)' AND event_type = 'run.completed'"#])
            #expect(edit.status == 0, "\(edit.text)")
            let broken = TenantIsolationTests.data(try await server.call(.get, "/api/audit/verify/\(runID)", key: acme.key).body)
            #expect(broken["valid"] as? Bool == false && broken["broken_at"] as? Int == Self.runEvents.count, "\(broken)")
            #expect(broken["reason"] as? String == "hash_mismatch" && broken["broken_entry_id"] is Int)
            let remote = try await cli(["audit", "verify", runID], key: acme.key)
            #expect(remote.status == 1 && remote.stdout.contains("BROKEN at entry \(Self.runEvents.count)"), "\(remote.all)")
            var local = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SANDCASTLE_") }
            local["SANDCASTLE_DATA_DIR"] = server.data
            let offline = try await RemoteCLIFixture.run(["audit", "verify", runID, "--json"], environment: local)
            #expect(offline.status == 1 && offline.stdout.contains(#""reason":"hash_mismatch""#), "\(offline.all)")
            #expect(try await RemoteCLIFixture.run(["audit", "verify", "--global"], environment: local).status == 0)
            let neither = try await RemoteCLIFixture.run(["audit", "verify"], environment: local)
            #expect(neither.status != 0 && neither.stderr.contains("give a run id or --global"), "\(neither.all)")
        }
    }
}
