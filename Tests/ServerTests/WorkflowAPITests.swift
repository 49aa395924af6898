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

/// Workflows as APIs (issue 14 §8) through real HTTP on loopback, with runs of shell-step
/// workflows on real Docker: publishing (admin), `POST /api/v1/{name}` sync and
/// `Prefer: respond-async`, only published versions served (a later save waits for its own
/// publishing), input validation, `X-Callback-URL` checked, `allowed_workflows` and tenants
/// enforced, the key's budget applied, the public spec (no key, no YAML), the admin's usage,
/// and the rate limit of the run-starting endpoints.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct WorkflowAPITests {
    static let greet = """
        name: greet
        description: Says hello
        inputs:
          who: {type: string, description: Who is greeted}
          times: {type: integer, default: 2}
          tone: {type: string, default: warm, enum: [warm, dry]}
        steps:
          - id: hi
            run: echo "VERSION {input.who} {input.times} {input.tone}"
        """

    static func saveGreet(_ server: TenantIsolationTests.Server, version: String, key: String = TenantIsolationTests.adminKey) async throws {
        let yaml = greet.replacingOccurrences(of: "VERSION", with: version)
        let body = String(decoding: try JSONSerialization.data(withJSONObject: ["name": "greet", "content": yaml]), as: UTF8.self)
        let saved = try await server.call(.post, "/api/workflows", json: body, key: key)
        #expect(saved.status == 201, "\(saved.text)")
    }

    static func data(_ body: [String: Any]) -> [String: Any] { TenantIsolationTests.data(body) }
    static func code(_ body: [String: Any]) -> String? { TenantIsolationTests.code(body) }
    static func message(_ body: [String: Any]) -> String {
        ((body["detail"] as? [String: Any])?["error"] as? [String: Any])?["message"] as? String ?? ""
    }

    @Test func aPublishedWorkflowIsCalledSyncAndAsyncWithItsSpecAndUsage() async throws {
        try await TenantIsolationTests.with(rateLimit: .off) { server in
            let admin = TenantIsolationTests.adminKey
            try await Self.saveGreet(server, version: "v1")
            let unpublished = try await server.call(.post, "/api/v1/greet", json: #"{"who":"ann"}"#, key: admin)
            #expect(unpublished.status == 404 && Self.code(unpublished.body) == "WORKFLOW_NOT_FOUND", "\(unpublished.text)")
            #expect(Self.message(unpublished.body).contains("not published"), "\(unpublished.text)")
            let unknown = try await server.call(.post, "/api/v1/nope", json: "{}", key: admin)
            #expect(unknown.status == 404 && Self.message(unknown.body).contains("no workflow named nope"), "\(unknown.text)")
            #expect(try await server.call(.get, "/api/v1/greet/spec", key: nil).status == 404, "no spec before publishing")

            let published = try await server.call(.post, "/api/workflows/greet/publish", key: admin)
            #expect(published.status == 200, "\(published.text)")
            let info = Self.data(published.body)
            #expect(info["workflow_name"] as? String == "greet" && info["version"] as? Int == 1 && info["is_public"] as? Bool == true)
            #expect((info["endpoint_url"] as? String)?.hasSuffix("/api/v1/greet") == true, "\(info)")
            #expect((info["spec_url"] as? String)?.hasSuffix("/api/v1/greet/spec") == true)
            #expect((info["example_curl"] as? String)?.contains("X-API-Key: YOUR_KEY") == true)
            let sdk = info["example_sdk"] as? String ?? ""
            #expect(sdk.contains(#"client.call_api("greet", {"#) && sdk.contains(#""tone": "warm""#) && sdk.contains(#""times": 2"#), "\(sdk)")
            #expect(sdk.contains(#"base_url="http://127.0.0.1:"#), "the server the request reached: \(sdk)")
            #expect(!published.text.contains(admin), "no key in the answer")

            // Public: no key; what a caller sends, never the workflow's text.
            let spec = try await server.call(.get, "/api/v1/greet/spec", key: nil)
            #expect(spec.status == 200, "\(spec.text)")
            let described = Self.data(spec.body)
            #expect(described["method"] as? String == "POST" && described["endpoint"] as? String == "/api/v1/greet")
            #expect(described["description"] as? String == "Says hello" && described["version"] as? Int == 1)
            let schema = try #require(described["input_schema"] as? [String: Any])
            let properties = try #require(schema["properties"] as? [String: [String: Any]])
            #expect(properties["who"]?["type"] as? String == "string" && properties["who"]?["description"] as? String == "Who is greeted")
            #expect(properties["times"]?["type"] as? String == "integer" && properties["times"]?["default"] as? Int == 2)
            #expect(properties["tone"]?["enum"] as? [String] == ["warm", "dry"])
            #expect(schema["required"] as? [String] == ["who"])
            #expect(!spec.text.contains("echo") && !spec.text.contains("yaml"), "no workflow text: \(spec.text)")

            let sync = try await server.call(.post, "/api/v1/greet", json: #"{"who":"ann"}"#, key: admin)
            #expect(sync.status == 200 && Self.data(sync.body)["status"] as? String == "completed", "\(sync.text)")
            #expect((Self.data(sync.body)["outputs"] as? [String: Any])?["hi"] as? String == "v1 ann 2 warm", "\(sync.text)")
            #expect(Self.data(sync.body)["workflow_version"] as? Int == 1)

            // A later save is not served until it is published in its turn.
            try await Self.saveGreet(server, version: "v2")
            let stillOne = try await server.call(.post, "/api/v1/greet", json: #"{"who":"bo","times":"3"}"#, key: admin)
            #expect((Self.data(stillOne.body)["outputs"] as? [String: Any])?["hi"] as? String == "v1 bo 3 warm", "\(stillOne.text)")
            #expect(Self.data(try await server.call(.get, "/api/v1/greet/spec", key: nil).body)["version"] as? Int == 1)
            #expect(Self.data(try await server.call(.post, "/api/workflows/greet/publish", key: admin).body)["version"] as? Int == 2)
            let two = try await server.call(.post, "/api/v1/greet", json: #"{"who":"cy","tone":"dry"}"#, key: admin)
            #expect((Self.data(two.body)["outputs"] as? [String: Any])?["hi"] as? String == "v2 cy 2 dry", "\(two.text)")

            let queued = try await server.live.call(
                .post, "/api/v1/greet", json: #"{"who":"di"}"#, key: admin, headers: [("Prefer", "respond-async")])
            #expect(queued.status == 202 && Self.data(queued.body)["status"] as? String == "queued", "\(queued.text)")
            let runID = try #require(Self.data(queued.body)["run_id"] as? String)
            let ended = await eventually(.seconds(60)) {
                Self.data((try? await server.call(.get, "/api/runs/\(runID)", key: admin))?.body ?? [:])["status"] as? String == "completed"
            }
            #expect(ended, "the async run completes")

            // Bad input is a clear 4xx and starts nothing.
            for (json, status, code) in [
                ("not json", 422, "VALIDATION_ERROR"), ("[1]", 422, "VALIDATION_ERROR"), (#"{"times":1}"#, 400, "INVALID_INPUT"),
                (#"{"who":"x","times":"many"}"#, 400, "INVALID_INPUT"), (#"{"who":"x","tone":"loud"}"#, 400, "INVALID_INPUT"),
            ] {
                let refused = try await server.call(.post, "/api/v1/greet", json: json, key: admin)
                #expect(refused.status == status && Self.code(refused.body) == code, "\(json): \(refused.text)")
            }
            let deep = String(repeating: #"{"a":"#, count: 21) + "1" + String(repeating: "}", count: 21)
            let tooDeep = try await server.call(.post, "/api/v1/greet", json: deep, key: admin)
            #expect(tooDeep.status == 422, "\(tooDeep.text)")
            let huge = try await server.call(.post, "/api/v1/greet", json: #"{"who":""# + String(repeating: "x", count: 5 << 20) + #""}"#, key: admin)
            #expect(huge.status == 413, "\(huge.status)")
            for name in ["..%2F..%2Fetc", "a%3Cscript%3E", String(repeating: "n", count: 201)] {
                let hostile = try await server.call(.post, "/api/v1/\(name)", json: "{}", key: admin)
                #expect([400, 404].contains(hostile.status) && Self.code(hostile.body) != nil, "\(name): \(hostile.text)")
                #expect(!hostile.text.contains("<script>"))
            }
            let badCallback = try await server.live.call(
                .post, "/api/v1/greet", json: #"{"who":"x"}"#, key: admin, headers: [("X-Callback-URL", "file:///etc/passwd")])
            #expect(badCallback.status == 400 && Self.code(badCallback.body) == "INVALID_CALLBACK_URL", "\(badCallback.text)")

            // Only runs through the endpoint count.
            let direct = try await server.call(.post, "/api/workflows/run/sync", json: #"{"workflow_name":"greet","input":{"who":"z"}}"#, key: admin)
            #expect(direct.status == 200, "\(direct.text)")
            let usage = try await server.call(.get, "/api/v1/greet/usage?days=7", key: admin)
            #expect(usage.status == 200, "\(usage.text)")
            let figures = Self.data(usage.body)
            #expect(figures["total_calls"] as? Int == 4 && figures["completed"] as? Int == 4 && figures["failed"] as? Int == 0, "\(figures)")
            #expect(figures["days"] as? Int == 7 && figures["workflow_name"] as? String == "greet")
            #expect((figures["avg_duration_seconds"] as? Double ?? 0) > 0 && figures["total_cost_usd"] as? Double == 0)
            let byDay = figures["by_day"] as? [[String: Any]] ?? []
            #expect(byDay.count == 1 && byDay.first?["calls"] as? Int == 4, "\(byDay)")
            #expect(Self.data(try await server.call(.get, "/api/v1/greet/usage", key: admin).body)["days"] as? Int == 30)
            for days in ["0", "366", "x"] {
                let refused = try await server.call(.get, "/api/v1/greet/usage?days=\(days)", key: admin)
                #expect(refused.status == 422 && Self.code(refused.body) == "VALIDATION_ERROR", "\(days): \(refused.text)")
            }
            #expect(try await server.call(.get, "/api/v1/greet/usage", key: nil).status == 401, "usage needs a key")
        }
    }

    @Test func tenantsKeysAndBudgetsRuleWhoMayCall() async throws {
        try await TenantIsolationTests.with(rateLimit: .off) { server in
            let admin = TenantIsolationTests.adminKey
            let acme = try await server.makeKey(#"{"name":"acme","tenant_id":"acme","max_cost_per_run_usd":1.5}"#)
            let beta = try await server.makeKey(#"{"name":"beta","tenant_id":"beta"}"#)
            let chainOnly = try await server.makeKey(#"{"name":"only","allowed_workflows":["chain"]}"#)
            try await Self.saveGreet(server, version: "acme", key: acme.key)

            let tenantPublish = try await server.call(.post, "/api/workflows/greet/publish", key: acme.key)
            #expect(tenantPublish.status == 403 && Self.code(tenantPublish.body) == "FORBIDDEN", "admin only: \(tenantPublish.text)")
            #expect(try await server.call(.post, "/api/workflows/nope/publish", key: admin).status == 404)
            #expect(try await server.call(.post, "/api/workflows/greet/publish", key: admin).status == 200, "an admin sees every tenant's")

            // The tenant's own workflow is published for that tenant; another tenant does not find it.
            let own = try await server.call(.post, "/api/v1/greet", json: #"{"who":"ann"}"#, key: acme.key)
            #expect(Self.data(own.body)["status"] as? String == "completed", "\(own.text)")
            #expect(Self.data(own.body)["max_cost_usd"] as? Double == 1.5, "the key's budget applies: \(own.text)")
            let foreign = try await server.call(.post, "/api/v1/greet", json: #"{"who":"ann"}"#, key: beta.key)
            #expect(foreign.status == 404 && Self.message(foreign.body).contains("no workflow named greet"), "\(foreign.text)")
            // The spec of a published tenant workflow is public, and holds no text.
            let spec = try await server.call(.get, "/api/v1/greet/spec", key: nil)
            #expect(spec.status == 200 && !spec.text.contains("echo"), "\(spec.text)")

            let restricted = try await server.call(.post, "/api/v1/greet", json: #"{"who":"ann"}"#, key: chainOnly.key)
            #expect(restricted.status == 403 && Self.code(restricted.body) == "FORBIDDEN", "allowed_workflows: \(restricted.text)")
            let tenantUsage = try await server.call(.get, "/api/v1/greet/usage", key: acme.key)
            #expect(tenantUsage.status == 403 && Self.code(tenantUsage.body) == "FORBIDDEN", "\(tenantUsage.text)")
            #expect(Self.data(try await server.call(.get, "/api/v1/greet/usage", key: admin).body)["total_calls"] as? Int == 1)
            #expect(try await server.call(.post, "/api/v1/greet", json: #"{"who":"ann"}"#, key: nil).status == 401)
            for key in [admin, acme.key, beta.key, chainOnly.key] {
                #expect(!server.logs.all.contains { $0.contains(key) }, "a key in the log")
            }
        }
    }

    @Test func theEndpointIsRateLimitedLikeTheRunEndpoints() async throws {
        #expect(SandcastleRateLimitMiddleware.isLimited(method: .post, path: "/api/v1/greet"))
        #expect(!SandcastleRateLimitMiddleware.isLimited(method: .get, path: "/api/v1/greet/spec"))
        #expect(!SandcastleRateLimitMiddleware.isLimited(method: .post, path: "/v1/sandboxes"), "the native API is not Sandcastle's")
        #expect(AuthMiddleware.isPublic(method: .get, path: "/api/v1/greet/spec"))
        #expect(!AuthMiddleware.isPublic(method: .get, path: "/api/v1/greet/usage"))
        #expect(!AuthMiddleware.isPublic(method: .post, path: "/api/v1/greet/spec"))
        #expect(!AuthMiddleware.isPublic(method: .get, path: "/api/v1/a/b/spec"))
        try await TenantIsolationTests.with(rateLimit: RateLimit(limit: 2, windowSeconds: 600)) { server in
            let admin = TenantIsolationTests.adminKey
            for _ in 0..<2 {
                let allowed = try await server.call(.post, "/api/v1/nope", json: "{}", key: admin)
                #expect(allowed.status == 404, "\(allowed.text)")
            }
            let limited = try await server.call(.post, "/api/v1/nope", json: "{}", key: admin)
            #expect(limited.status == 429, "\(limited.text)")
        }
    }
}
