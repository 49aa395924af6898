import Foundation
import HTTPTransport
import TestSupport
import Testing

/// Dead letters follow their run's tenant: tenant B cannot list, read, retry or resolve tenant
/// A's item even with its id; A can, and the retry belongs to A.
@Suite struct TenantDeadLetterTests {
    static let failing = """
        name: gives-up
        on_failure: {dead_letter: true}
        steps:
          - id: flaky
            run: echo "no luck" >&2; exit 3
          - id: after
            depends_on: [flaky]
            run: echo after
        """

    @Test func tenantBCannotReachTenantADeadLetters() async throws {
        try await TenantIsolationTests.with { server in
            let a = try await server.makeKey(#"{"name":"a","tenant_id":"tenant-a"}"#).key
            let b = try await server.makeKey(#"{"name":"b","tenant_id":"tenant-b"}"#).key
            let submitted = try await server.call(
                .post, "/api/workflows/run", json: #"{"workflow":\#(SandcastleAPITests.jsonString(Self.failing))}"#, key: a)
            let runID = try #require(TenantIsolationTests.data(submitted.body)["run_id"] as? String, "\(submitted.text)")
            _ = await server.orchestrator.queue.waitForTurnEnd(runID: runID)
            let listed = try await server.call(.get, "/api/dead-letter", key: a)
            let item = try #require(TenantIsolationTests.list(listed.body).first { $0["run_id"] as? String == runID }, "\(listed.text)")
            let id = try #require(item["id"] as? String)

            let seenByB = try await server.call(.get, "/api/dead-letter", key: b)
            #expect(TenantIsolationTests.list(seenByB.body).isEmpty && (seenByB.body["meta"] as? [String: Any])?["total"] as? Int == 0, "\(seenByB.text)")
            for (method, path) in [
                (HTTPMethod.get, "/api/dead-letter/\(id)"), (.post, "/api/dead-letter/\(id)/retry"), (.post, "/api/dead-letter/\(id)/resolve"),
            ] {
                let refused = try await server.call(method, path, key: b)
                #expect(refused.status == 404 && TenantIsolationTests.code(refused.body) == "NOT_FOUND", "B \(method) \(path): \(refused.text)")
            }
            let admin = try await server.call(.get, "/api/dead-letter/\(id)", key: TenantIsolationTests.adminKey)
            #expect(admin.status == 200, "the admin sees every tenant's items: \(admin.text)")

            let retried = try await server.call(.post, "/api/dead-letter/\(id)/retry", key: a)
            let child = try #require(TenantIsolationTests.data(retried.body)["new_run_id"] as? String, "\(retried.text)")
            #expect(try await server.call(.get, "/api/runs/\(child)", key: b).status == 404, "the retry belongs to A")
            #expect(try await server.call(.get, "/api/runs/\(child)", key: a).status == 200)
            _ = await server.orchestrator.queue.waitForTurnEnd(runID: child)
        }
    }
}
