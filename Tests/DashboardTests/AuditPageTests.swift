import Foundation
import Store
import Testing

/// `/ui/audit` over a live server with a real run: a run's chain and its verification (intact,
/// then broken at the entry edited in the database file), the admin's global log filtered by
/// event type and its verification, tenants limited to their own runs, hostile text as text.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct AuditPageTests {
    static let hostile = "<img src=x onerror=alert(1)>"
    static let workflow = """
        name: "\(hostile)"
        steps:
          - {id: hello, run: "echo hi"}
        """

    @Test func aRunsChainIsVerifiedAndABreakIsNamed() async throws {
        try await DashboardServer.with { server in
            let a = try await server.makeKey(name: "a", tenant: "tenant-a").key
            let b = try await server.makeKey(name: "b", tenant: "tenant-b").key
            let run = try await server.runToEnd(Self.workflow, key: a)
            let owner = try await server.signedIn(a)

            let intact = try await owner.get("/ui/audit?run=\(run)")
            #expect(intact.status == 200, "\(intact.text.prefix(500))")
            #expect(HTML.attribute(intact.text, id: "audit-verification", "data-valid") == "true", "\(intact.text.prefix(3000))")
            let length = try #require(HTML.attribute(intact.text, id: "audit-verification", "data-length").flatMap(Int.init))
            #expect(length >= 4, "run.created, started, the step, completed")
            #expect(HTML.count(intact.text, class: "audit-entry") == length)
            #expect(intact.text.contains(#"data-event="run.created""#) && intact.text.contains(#"data-seq="1""#))
            #expect(!intact.text.contains(Self.hostile) && intact.text.contains("&lt;img src=x onerror=alert(1)&gt;"), "the payload is text")

            // An entry edited in the database: the page names where the chain breaks.
            let audit = server.orchestrator.runs.repository.audit
            let changed = try audit.database.execute(
                #"UPDATE audit_entries SET payload_json = '{"forged":true}' WHERE chain = ? AND seq = 2"#, ["run:\(run)"])
            #expect(changed == 1)
            let broken = try await owner.get("/ui/audit?run=\(run)")
            #expect(HTML.attribute(broken.text, id: "audit-verification", "data-valid") == "false")
            #expect(HTML.attribute(broken.text, id: "audit-verification", "data-broken-at") == "2", "\(broken.text.prefix(2000))")
            #expect(broken.text.contains("hash_mismatch") && HTML.count(broken.text, class: "broken") == 1)

            // A tenant: its own runs to pick from, no global log, another's run not found.
            let picker = try await owner.get("/ui/audit")
            #expect(HTML.element(picker.text, id: "audit-runs")?.contains(#"href="/ui/audit?run=\#(run)""#) == true)
            #expect(HTML.element(picker.text, id: "audit-entries") == nil && HTML.element(picker.text, id: "audit-filters") == nil)
            #expect(!picker.text.contains(Self.hostile), "the workflow name is text")
            let intruder = try await server.signedIn(b)
            #expect(try await intruder.get("/ui/audit?run=\(run)").status == 404)
            #expect(try await intruder.get("/ui/audit?verify=global").text.contains("audit-verification") == false, "only an admin verifies the global chain")
            #expect(try await owner.get("/ui/audit?run=\(DashboardClient.encode("../x"))").status == 404)
        }
    }

    @Test func theAdminReadsAndVerifiesTheGlobalChain() async throws {
        try await DashboardServer.with { server in
            _ = try await server.makeKey(name: "first", tenant: "acme")
            _ = try await server.makeKey(name: "second", tenant: nil)
            let admin = try await server.signedIn()
            let log = try await admin.get("/ui/audit")
            #expect(log.status == 200 && HTML.element(log.text, id: "audit-filters") != nil)
            let seqs = log.text.components(separatedBy: #"data-seq=""#).dropFirst().compactMap { Int($0.prefix { $0.isNumber }) }
            #expect(seqs.count >= 3 && seqs == seqs.sorted(by: >), "the global chain, newest first: \(seqs)")
            let created = try await admin.get("/ui/audit?event=api_key.created")
            let events = Set(created.text.components(separatedBy: #"data-event=""#).dropFirst().map { String($0.prefix { $0 != "\"" }) })
            #expect(events == ["api_key.created"] && HTML.count(created.text, class: "audit-entry") == 3, "bootstrap admin + two: \(events)")
            let verified = try await admin.get("/ui/audit?verify=global")
            #expect(HTML.attribute(verified.text, id: "audit-verification", "data-valid") == "true")
            #expect(HTML.attribute(verified.text, id: "audit-verification", "data-chain") == "global")
            #expect(try await admin.get("/ui/audit?event=\(DashboardClient.encode("a\u{1}b"))").status == 400)
        }
    }
}
