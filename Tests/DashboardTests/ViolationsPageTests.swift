import Foundation
import Testing

/// `/ui/violations` over a live server with a real run whose policies fire on Docker: the
/// 30-day counts by severity, action and policy, the list filtered by severity, policy and run
/// in the address with links to run and step, masked matches, a hostile filter echoed as text,
/// and another tenant seeing none of it.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct ViolationsPageTests {
    static let email = "bob.jones@example.org"
    static let hostile = "<img src=x onerror=alert(1)>"

    /// Step a's output holds an email (redacted, high) and an address (alert, low); b sees the
    /// address passed on (alert again): 3 violations.
    static let leaky = """
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

    @Test func statsListFiltersAndTenancy() async throws {
        try await DashboardServer.with { server in
            let a = try await server.makeKey(name: "a", tenant: "tenant-a").key
            let b = try await server.makeKey(name: "b", tenant: "tenant-b").key
            let run = try await server.runToEnd(Self.leaky, key: a)
            let browser = try await server.signedIn(a)
            let page = try await browser.get("/ui/violations")
            #expect(page.status == 200, "\(page.text.prefix(500))")
            #expect(HTML.text(page.text, id: "violations-total") == "3", "\(page.text.prefix(3000))")
            func count(_ table: String, _ key: String) -> String? {
                HTML.element(page.text, id: table).flatMap { HTML.firstMatch($0, #"<tr data-key="\#(key)">.*?<td class="num">(\d+)</td>"#) }
            }
            #expect(count("stats-severity", "high") == "1" && count("stats-severity", "low") == "2")
            #expect(count("stats-action", "redact") == "1" && count("stats-action", "alert") == "2")
            #expect(count("stats-policy", "no-email") == "1" && count("stats-policy", "ip-alert") == "2")
            #expect(HTML.element(page.text, id: "stats-severity")?.contains(#"<meter min="0" max="2" value="1">"#) == true, "bars scale to the largest")
            #expect(HTML.count(page.text, class: "violation") == 3)
            #expect(page.text.contains(#"href="/ui/runs/\#(run)?step=b""#) && page.text.contains(#"href="/ui/runs/\#(run)""#))
            #expect(!page.text.contains(Self.email), "matches are masked")

            let high = try await browser.get("/ui/violations?severity=high")
            #expect(HTML.count(high.text, class: "violation") == 1 && high.text.contains(#"data-policy="no-email""#))
            #expect(high.text.contains(#"<option value="high" selected>"#), "the filter shows what is applied")
            let byPolicy = try await browser.get("/ui/violations?policy=ip-alert&run=\(run)")
            #expect(HTML.count(byPolicy.text, class: "violation") == 2 && !byPolicy.text.contains(#"data-policy="no-email""#))
            #expect(HTML.text(byPolicy.text, id: "violations-matching") == "2")

            let hostile = try await browser.get("/ui/violations?policy=\(DashboardClient.encode(Self.hostile))")
            #expect(hostile.status == 200 && HTML.count(hostile.text, class: "violation") == 0)
            #expect(!hostile.text.contains(Self.hostile) && hostile.text.contains(#"value="&lt;img src=x onerror=alert(1)&gt;""#))
            #expect(try await browser.get("/ui/violations?severity=urgent").status == 400)

            let intruder = try await server.signedIn(b)
            let none = try await intruder.get("/ui/violations")
            #expect(HTML.text(none.text, id: "violations-total") == "0" && HTML.count(none.text, class: "violation") == 0)
            #expect(try await intruder.get("/ui/violations?run=\(run)").status == 404, "another tenant's run is not found")
            let admin = try await server.signedIn()
            #expect(HTML.count(try await admin.get("/ui/violations").text, class: "violation") == 3, "the admin sees every tenant's")
        }
    }
}
