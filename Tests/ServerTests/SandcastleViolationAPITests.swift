import Foundation
import HTTPTransport
import SandcastleClient
import TestSupport
import Testing

/// Policy violations over `/api` (issue 15 §1) on a live server with real Docker runs: the
/// filters, `meta`, the stats, the alert's webhook and event-feed entry, bad filters as 4xx, and
/// tenant isolation.
@Suite struct SandcastleViolationAPITests {
    static let email = "bob.jones@example.org"

    static func workflow(callback: String? = nil) -> String {
        """
        name: leaky
        policies:
          - id: no-email
            severity: high
            trigger: {type: pattern, patterns: [email]}
            action: {type: redact}
          - id: ip-alert
            severity: low
            trigger: {type: pattern, patterns: [ip_address]}
            action: {type: alert, message: an address}
        steps:
          - {id: a, run: "echo '\(email) from 10.0.0.7'"}
          - {id: b, depends_on: [a], run: "echo 'b saw {steps.a.output}'", policies: [ip-alert]}
        """
    }

    static func submit(_ server: LiveServer, _ yaml: String, key: String, callback: String? = nil) async throws -> String {
        let callbackField = callback.map { #","callback_url":"\#($0)""# } ?? ""
        let run = try await server.call(
            .post, "/api/workflows/run", json: #"{"workflow":\#(SandcastleAPITests.jsonString(yaml))\#(callbackField)}"#, key: key)
        return try #require(SandcastleAPITests.data(run.body)["run_id"] as? String, "\(run.text)")
    }

    @Test func filtersStatsAlertWebhookAndBadInput() async throws {
        let receiver = try await WebhookReceiver.start()
        defer { receiver.stop() }
        try await SandcastleAPITests.with { server, _ in
            let key = ServerFixture.key
            let runID = try await Self.submit(server, Self.workflow(), key: key, callback: receiver.url)
            #expect(try await SandcastleAPITests.waitForEnd(server, runID)["status"] as? String == "completed")

            let all = try await server.call(.get, "/api/runs/\(runID)/violations", key: key)
            #expect(all.status == 200, "\(all.text)")
            let items = TenantIsolationTests.list(all.body)
            // a: no-email (redact) and ip-alert; b: ip-alert on what it saw (the address passed on).
            #expect(items.count == 3, "\(all.text)")
            #expect((all.body["meta"] as? [String: Any])?["total"] as? Int == 3)
            #expect(!all.text.contains(Self.email), "matches are masked")
            let redaction = try #require(items.first { $0["policy_id"] as? String == "no-email" })
            #expect(redaction["action_taken"] as? String == "redact" && redaction["output_modified"] as? Bool == true)
            #expect((redaction["trigger_details"] as? [String: Any])?["trigger"] as? String == "email")

            let high = try await server.call(.get, "/api/violations?severity=high&run_id=\(runID)", key: key)
            #expect(TenantIsolationTests.list(high.body).map { $0["policy_id"] as? String } == ["no-email"], "\(high.text)")
            let byStep = try await server.call(.get, "/api/violations?step_id=b&policy_id=ip-alert", key: key)
            #expect(TenantIsolationTests.list(byStep.body).count == 1, "\(byStep.text)")
            let paged = try await server.call(.get, "/api/violations?run_id=\(runID)&limit=2&offset=2", key: key)
            #expect(TenantIsolationTests.list(paged.body).count == 1)
            #expect((paged.body["meta"] as? [String: Any])?["limit"] as? Int == 2 && (paged.body["meta"] as? [String: Any])?["total"] as? Int == 3)
            let future = try await server.call(.get, "/api/violations?since=2999-01-01T00:00:00Z", key: key)
            #expect(TenantIsolationTests.list(future.body).isEmpty, "\(future.text)")

            let stats = try await server.call(.get, "/api/violations/stats", key: key)
            let counts = SandcastleAPITests.data(stats.body)
            #expect(counts["total"] as? Int == 3, "\(stats.text)")
            func ints(_ key: String) -> [String: Int] {
                (counts[key] as? [String: Any] ?? [:]).compactMapValues { ($0 as? NSNumber)?.intValue }
            }
            #expect(ints("by_severity") == ["high": 1, "low": 2], "\(stats.text)")
            #expect(ints("by_policy") == ["no-email": 1, "ip-alert": 2])
            #expect(ints("by_action") == ["redact": 1, "alert": 2])

            // The alerts reached the callback as `policy.alert`, the match masked.
            let alerted = await eventually(.seconds(30)) {
                receiver.received.filter { String(decoding: $0.body, as: UTF8.self).contains("\"policy.alert\"") }.count == 2
            }
            #expect(alerted, "\(receiver.received.map { String(decoding: $0.body, as: UTF8.self) })")
            let bodies = receiver.received.map { String(decoding: $0.body, as: UTF8.self) }
            let alerts = bodies.filter { $0.contains("\"policy.alert\"") }
            #expect(!alerts.joined().contains("10.0.0.7") && alerts.allSatisfy { $0.contains("ip-alert") }, "alerts carry masked matches only")
            #expect(!bodies.joined().contains(Self.email), "the run's webhook body carries the redacted output")

            // The SandcastleClient module (the CLI's --url) reads the same.
            let client = try SandcastleAPIClient(server: try RemoteServer(url: "http://127.0.0.1:\(server.port)", apiKey: key))
            let remote = try await client.runViolations(runID: runID)
            #expect(remote.items.count == 3 && remote.items.allSatisfy { $0.runID == runID && $0.createdAt != nil })
            #expect(try await client.violations(severity: "high").items.map(\.policyID) == ["no-email"])
            #expect(try await client.violationStats().byAction == ["redact": 1, "alert": 2])

            for (path, status, code) in [
                ("/api/violations?severity=urgent", 422, "VALIDATION_ERROR"), ("/api/violations?since=yesterday", 422, "VALIDATION_ERROR"),
                ("/api/violations?limit=0", 422, "VALIDATION_ERROR"), ("/api/violations?run_id=..%2F..%2Fetc", 400, "INVALID_ID"),
                ("/api/violations?policy_id=%3Cscript%3E", 400, "INVALID_ID"), ("/api/runs/nosuchrun/violations", 404, "RUN_NOT_FOUND"),
                ("/api/violations?run_id=nosuchrun", 404, "RUN_NOT_FOUND"),
            ] {
                let refused = try await server.call(.get, path, key: key)
                #expect(refused.status == status && SandcastleAPITests.code(refused.body) == code, "\(path): \(refused.text)")
            }
        }
    }

    @Test func aTenantSeesOnlyItsRunsViolations() async throws {
        try await TenantIsolationTests.with { server in
            let a = try await server.makeKey(#"{"name":"a","tenant_id":"tenant-a"}"#).key
            let b = try await server.makeKey(#"{"name":"b","tenant_id":"tenant-b"}"#).key
            let runID = try await Self.submit(server.live, Self.workflow(), key: a)
            _ = await server.orchestrator.queue.waitForTurnEnd(runID: runID)

            let mine = try await server.call(.get, "/api/runs/\(runID)/violations", key: a)
            #expect(mine.status == 200 && TenantIsolationTests.list(mine.body).count == 3, "\(mine.text)")
            let foreign = try await server.call(.get, "/api/runs/\(runID)/violations", key: b)
            #expect(foreign.status == 404 && TenantIsolationTests.code(foreign.body) == "RUN_NOT_FOUND", "\(foreign.text)")
            let filtered = try await server.call(.get, "/api/violations?run_id=\(runID)", key: b)
            #expect(filtered.status == 404, "\(filtered.text)")
            let listed = try await server.call(.get, "/api/violations", key: b)
            #expect(TenantIsolationTests.list(listed.body).isEmpty && (listed.body["meta"] as? [String: Any])?["total"] as? Int == 0)
            let stats = try await server.call(.get, "/api/violations/stats", key: b)
            #expect(TenantIsolationTests.data(stats.body)["total"] as? Int == 0, "\(stats.text)")
            let admin = try await server.call(.get, "/api/violations/stats", key: TenantIsolationTests.adminKey)
            #expect(TenantIsolationTests.data(admin.body)["total"] as? Int == 3, "\(admin.text)")
        }
    }
}
