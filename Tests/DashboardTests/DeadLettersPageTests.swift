import Foundation
import Testing

/// `/ui/dead-letters` over a live server with real runs on Docker: a failed run's item is listed
/// with its run, step, error (hostile text escaped), attempts and input; Retry makes a new run
/// (linked from the page); Resolve closes an item with its reason; the sidebar counts the open
/// ones; another tenant sees none and cannot act on them; a POST without the token does nothing.
@Suite(.serialized, .timeLimit(.minutes(6)))
struct DeadLettersPageTests {
    static let hostile = "<img src=x onerror=alert(1)>"

    /// Fails on every run; the engine leaves a dead letter (`on_failure: {dead_letter: true}`).
    static let failing = """
        name: gives-up
        on_failure: {dead_letter: true}
        inputs:
          note: {type: string}
        steps:
          - id: flaky
            run: echo "no luck" >&2; exit 3
        """

    @Test func retryAndResolveFromThePage() async throws {
        try await DashboardServer.with { server in
            let a = try await server.makeKey(name: "a", tenant: "tenant-a").key
            let first = try await server.runToEnd(Self.failing, input: ["note": Self.hostile], key: a)
            let second = try await server.runToEnd(Self.failing, input: ["note": Self.hostile], key: a)
            let browser = try await server.signedIn(a)
            let page = try await browser.get("/ui/dead-letters")
            #expect(page.status == 200, "\(page.text.prefix(500))")
            #expect(HTML.count(page.text, class: "dead-letter") == 2, "\(page.text.prefix(2000))")
            #expect(HTML.text(page.text, id: "dlq-count") == "2", "the sidebar badge counts the open items")
            #expect(!page.text.contains(Self.hostile) && page.text.contains("&lt;img src=x onerror=alert(1)&gt;"), "the input is text")
            let item = try #require(Self.itemID(page.text, run: first), "the first run's item")
            let other = try #require(Self.itemID(page.text, run: second))
            let row = try #require(HTML.element(page.text, id: "dl-\(item)"))
            #expect(row.contains(#"<pre class="dl-error">"#) && row.contains("status 3"), "the step's error is shown")
            #expect(row.contains(#"href="/ui/runs/\#(first)?step=flaky""#) && row.contains(#"data-step="flaky""#))

            // Without the token nothing happens.
            let forged = try await browser.post("/ui/dead-letters/\(item)/retry", form: [:], csrf: false)
            #expect(forged.status == 403)
            #expect(try server.orchestrator.deadLetter(id: item, tenant: nil).isResolved == false)

            let retried = try await browser.post("/ui/dead-letters/\(item)/retry", form: ["csrf": try #require(DashboardClient.csrf(in: page.text))])
            #expect(retried.status == 303 && retried.location == "/ui/dead-letters?done=\(item)", "\(retried.status) \(retried.text.prefix(300))")
            let notice = try await browser.get(try #require(retried.location))
            let link = try #require(HTML.attribute(notice.text, id: "retry-run", "href"), "the new run's link: \(notice.text.prefix(1500))")
            let newRun = String(link.dropFirst("/ui/runs/".count))
            let record = try #require(try server.orchestrator.runs.repository.run(id: newRun), "the retry made run \(newRun)")
            #expect(record.run.parentRunID == first, "the retry's parent is the failed run")
            #expect(try await browser.get(link).status == 200, "the retry belongs to the same tenant")
            _ = await server.orchestrator.queue.waitForTurnEnd(runID: newRun)

            let resolved = try await browser.post(
                "/ui/dead-letters/\(other)/resolve", form: ["csrf": try #require(DashboardClient.csrf(in: page.text)), "reason": "known flake \(Self.hostile)"])
            #expect(resolved.status == 303)
            let resolvedList = try await browser.get("/ui/dead-letters?resolved=yes")
            let resolvedRow = try #require(HTML.element(resolvedList.text, id: "dl-\(other)"), "\(resolvedList.text.prefix(1500))")
            #expect(resolvedRow.contains(#"data-resolved="true""#) && resolvedRow.contains("known flake &lt;img"))
            let retriedRow = try #require(HTML.element(resolvedList.text, id: "dl-\(item)"))
            #expect(retriedRow.contains(#"href="/ui/runs/\#(newRun)""#), "a retried item links its new run")
            let again = try await browser.post("/ui/dead-letters/\(other)/resolve", form: ["csrf": try #require(DashboardClient.csrf(in: page.text))])
            #expect(again.status == 409, "resolved already")
            let bad = try await browser.get("/ui/dead-letters?resolved=maybe")
            #expect(bad.status == 400)
        }
    }

    @Test func anotherTenantSeesNoneAndCannotAct() async throws {
        try await DashboardServer.with { server in
            let a = try await server.makeKey(name: "a", tenant: "tenant-a").key
            let b = try await server.makeKey(name: "b", tenant: "tenant-b").key
            let run = try await server.runToEnd(Self.failing, input: ["note": Self.hostile], key: a)
            let item = try #require(try server.orchestrator.deadLetters(resolved: false, tenant: "tenant-a", limit: 10, offset: 0).items.first)
            #expect(item.runID == run)

            let intruder = try await server.signedIn(b)
            let page = try await intruder.get("/ui/dead-letters")
            #expect(page.status == 200 && HTML.count(page.text, class: "dead-letter") == 0 && !page.text.contains(item.id))
            #expect(HTML.attribute(page.text, id: "dlq-count", "hidden") != nil || HTML.text(page.text, id: "dlq-count") == "0")
            let token = try #require(DashboardClient.csrf(in: page.text))
            let retry = try await intruder.post("/ui/dead-letters/\(item.id)/retry", form: ["csrf": token])
            #expect(retry.status == 404, "\(retry.text.prefix(300))")
            let resolve = try await intruder.post("/ui/dead-letters/\(item.id)/resolve", form: ["csrf": token, "reason": "mine now"])
            #expect(resolve.status == 404)
            #expect(try server.orchestrator.deadLetter(id: item.id, tenant: nil).isResolved == false)

            let admin = try await server.signedIn()
            let all = try await admin.get("/ui/dead-letters")
            #expect(HTML.element(all.text, id: "dl-\(item.id)") != nil, "the admin sees every tenant's items")
        }
    }

    /// The id of the listed item of run `run`.
    static func itemID(_ html: String, run: String) -> String? {
        HTML.firstMatch(html, #"<tr class="dead-letter" id="dl-[^"]+" data-id="([^"]+)" data-run="\#(run)""#)
    }
}
