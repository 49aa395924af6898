import Foundation
import JSONValues
import Orchestrator
import Store
import TestSupport
import Testing

@testable import Dashboard

/// `/ui/workflows` and `/ui/workflows/<name>` over a real server with runs on real Docker: the
/// cards, a version's text and the versions, the run form submitting a run exactly as
/// `POST /api/workflows/run` would (typed inputs, budget, the key's tenant and allowed
/// workflows, compliance refusals), bad values shown again on the form, CSRF, escaping.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct WorkflowsPageTests {
    static let hostile = "<img src=x onerror=alert(1)>"

    static let typed = """
        name: typed
        description: "Typed inputs \(hostile)"
        inputs:
          count: {type: integer, default: 2}
          who: {type: string, description: "whom to greet <script>alert(1)</script>"}
          loud: {type: boolean, default: true}
          tags: {type: list, default: ["a", "b"]}
          mode: {type: string, default: fast, enum: [fast, slow]}
        steps:
          - id: greet
            run: echo "{input.who} {input.count}"
          - id: after
            depends_on: [greet]
            run: echo done
        """

    static let chain = """
        name: chain
        steps:
          - id: one
            run: echo one
        """

    /// The run id of a 303 to `/ui/runs/<id>`.
    static func runID(_ page: DashboardClient.Page) throws -> String {
        let location = try #require(page.location, "no Location: \(page.status) \(page.html.prefix(400))")
        #expect(location.hasPrefix("/ui/runs/"), "\(location)")
        return String(location.dropFirst("/ui/runs/".count))
    }

    @Test func cardsListEveryWorkflowWithItsStepsAndVersions() async throws {
        try await DashboardServer.with(workflows: ["typed": Self.typed, "chain": Self.chain], scheduling: false) { server in
            let twoSteps = #"name: chain\nsteps:\n  - id: one\n    run: echo one\n  - id: two\n    depends_on: [one]\n    run: echo two\n"#
            let saved = try await server.call(.post, "/api/workflows", json: #"{"name":"chain","content":""# + twoSteps + #""}"#)
            #expect(saved.status == 201, "\(saved.text)")
            let browser = try await server.browser(DashboardServer.adminKey)
            let page = try await browser.get("/ui/workflows")
            #expect(page.status == 200)
            #expect(page.html.contains(#"data-nav="workflows" aria-current="page""#))
            let chain = try #require(Self.section(page.html, from: #"data-workflow="chain""#, to: "</article>"))
            #expect(chain.contains(#"<span class="steps-count">2</span>"#) && chain.contains(#"<span class="latest-version">2</span>"#))
            #expect(chain.contains(#"<span class="versions-count">2</span> versions"#))
            #expect(chain.contains(#"data-step="one""#) && chain.contains(#"data-step="two""#), "the preview names every step")
            let typed = try #require(Self.section(page.html, from: #"data-workflow="typed""#, to: "</article>"))
            #expect(typed.contains(#"<span class="steps-count">2</span> steps"#) && typed.contains("1</span> version"))
            // Text from the workflow is text: the description's markup is escaped.
            #expect(!page.html.contains(Self.hostile))
            #expect(page.html.contains("&lt;img src=x onerror=alert(1)&gt;"))
        }
    }

    @Test func theRunFormSubmitsARunWithTypedInputsAndABudget() async throws {
        try await DashboardServer.with(workflows: ["typed": Self.typed], scheduling: false) { server in
            let browser = try await server.browser(DashboardServer.adminKey)
            let page = try await browser.get("/ui/workflows/typed")
            #expect(page.status == 200)
            #expect(page.html.contains(#"<form id="run-workflow" method="post" action="/ui/workflows/typed/run""#))
            #expect(page.html.contains(#"name="input.count" type="number" step="1" value="2""#), "integer: a number field with its default")
            #expect(page.html.contains(#"name="input.who" type="text" value="" required"#), "a required string")
            #expect(page.html.contains(#"name="input.loud" type="checkbox" value="true" checked"#))
            #expect(page.html.contains(#"<textarea id="input-tags" name="input.tags""#))
            #expect(page.html.contains(#"<option value="fast" selected>fast</option>"#))
            #expect(page.html.contains(#"id="max_cost_usd" name="max_cost_usd" type="number""#))
            #expect(page.html.contains("whom to greet &lt;script&gt;alert(1)&lt;/script&gt;"), "input descriptions are escaped")
            #expect(page.html.contains(#"<pre id="workflow-yaml">"#) && page.html.contains("echo &quot;{input.who} {input.count}&quot;"))
            #expect(page.html.contains(#"<li class="version" data-version="1" aria-current="true">"#))

            let csrf = try DashboardClient.token(page.html)
            let posted = try await browser.post(
                "/ui/workflows/typed/run",
                ["version": "1", "input.count": "5", "input.who": "Ada", "input.tags": #"["x"]"#, "input.mode": "slow", "max_cost_usd": "0.75"],
                csrf: csrf)
            #expect(posted.status == 303)
            let runID = try Self.runID(posted)
            let run = try server.orchestrator.run(id: runID).detail.run
            #expect(run.workflowName == "typed" && run.maxCostUSD == 0.75)
            let inputs = JSONValue.parse(json: run.inputsJSON)
            #expect(inputs == .object(["count": 5, "who": "Ada", "loud": false, "tags": ["x"], "mode": "slow"]), "\(run.inputsJSON)")
            let runPage = try await browser.get("/ui/runs/\(runID)")
            #expect(runPage.status == 200 && runPage.html.contains(runID))
            _ = await server.orchestrator.queue.waitForTurnEnd(runID: runID)
            #expect(try server.orchestrator.run(id: runID).detail.run.status == .completed)
            let listed = try await browser.get("/ui/runs?workflow=typed")
            #expect(listed.html.contains(#"id="run-\#(runID)""#), "the run appears in the runs list")
        }
    }

    @Test func badValuesComeBackOnTheFormWithWhatWasTyped() async throws {
        try await DashboardServer.with(workflows: ["typed": Self.typed], scheduling: false) { server in
            let browser = try await server.browser(DashboardServer.adminKey)
            let csrf = try DashboardClient.token(try await browser.get("/ui/workflows/typed").html)
            let runsBefore = try server.orchestrator.runs.repository.listRuns(RunQuery(limit: 100)).count

            let notNumber = try await browser.post(
                "/ui/workflows/typed/run", ["input.count": "twelve", "input.who": "Ada \(Self.hostile)", "input.tags": "[oops"], csrf: csrf)
            #expect(notNumber.status == 400)
            #expect(notNumber.html.contains(#"<p class="error" id="run-error""#))
            #expect(notNumber.html.contains("count must be a whole number"), "\(notNumber.html)")
            #expect(notNumber.html.contains("tags must be a JSON list"))
            #expect(notNumber.html.contains(#"name="input.count" type="number" step="1" value="twelve""#), "the value as typed")
            #expect(notNumber.html.contains(#"value="Ada &lt;img src=x onerror=alert(1)&gt;""#), "kept, and escaped")
            #expect(!notNumber.html.contains(Self.hostile))
            #expect(notNumber.html.contains(">[oops</textarea>"))

            // The workflow's own rules are the orchestrator's: a required input left empty.
            let missing = try await browser.post("/ui/workflows/typed/run", ["input.count": "3"], csrf: csrf)
            #expect(missing.status == 400)
            #expect(missing.html.contains(#"id="run-error""#) && missing.html.contains("who"), "\(missing.html)")
            #expect(missing.html.contains(#"value="3""#))

            let badBudget = try await browser.post("/ui/workflows/typed/run", ["input.who": "Ada", "max_cost_usd": "lots"], csrf: csrf)
            #expect(badBudget.status == 400 && badBudget.html.contains("the budget must be a number"))
            #expect(try server.orchestrator.runs.repository.listRuns(RunQuery(limit: 100)).count == runsBefore, "nothing was run")
        }
    }

    @Test func withoutTheCSRFTokenNothingRuns() async throws {
        try await DashboardServer.with(workflows: ["typed": Self.typed], scheduling: false) { server in
            let browser = try await server.browser(DashboardServer.adminKey)
            let none = try await browser.post("/ui/workflows/typed/run", ["input.who": "Ada"], csrf: nil)
            #expect(none.status == 403)
            let wrong = try await browser.post("/ui/workflows/typed/run", ["input.who": "Ada"], csrf: "not-the-token")
            #expect(wrong.status == 403)
            let csrf = try DashboardClient.token(try await browser.get("/ui/workflows").html)
            let foreign = try await browser.post(
                "/ui/workflows/typed/run", ["input.who": "Ada"], csrf: csrf, extraHeaders: [("Origin", "http://evil.example")])
            #expect(foreign.status == 403)
            let anonymous = try DashboardClient(port: server.port)
            let redirected = try await anonymous.get("/ui/workflows/typed")
            #expect(redirected.status == 303 && redirected.location?.hasPrefix("/ui/login?next=") == true)
            #expect(try server.orchestrator.runs.repository.listRuns(RunQuery(limit: 100)).isEmpty)
        }
    }

    @Test func versionsAreListedAndEachCanBeShownAndRun() async throws {
        try await DashboardServer.with(workflows: [:], scheduling: false) { server in
            for body in [
                #"{"name":"evolving","content":"name: evolving\nsteps:\n  - id: first\n    run: echo v1\n"}"#,
                #"{"name":"evolving","content":"name: evolving\ninputs:\n  n: {type: number, default: 1.5}\nsteps:\n  - id: second\n    run: echo v2\n"}"#,
            ] {
                #expect(try await server.call(.post, "/api/workflows", json: body).status == 201)
            }
            let browser = try await server.browser(DashboardServer.adminKey)
            let newest = try await browser.get("/ui/workflows/evolving")
            #expect(newest.html.contains(#"data-version="2""#) && newest.html.contains(#"name="input.n""#))
            #expect(newest.html.contains(#"<li class="version" data-version="2" aria-current="true">"#))
            #expect(newest.html.contains(#"<a href="/ui/workflows/evolving?version=1">version 1</a>"#))
            let first = try await browser.get("/ui/workflows/evolving?version=1")
            #expect(first.status == 200 && first.html.contains("(not the newest)") && first.html.contains("echo v1"))
            #expect(!first.html.contains(#"name="input.n""#) && first.html.contains("This workflow takes no inputs."))
            #expect(try await browser.get("/ui/workflows/evolving?version=9").status == 404)
            #expect(try await browser.get("/ui/workflows/evolving?version=zero").status == 400)
            #expect(try await browser.get("/ui/workflows/nothing-here").status == 404)

            let csrf = try DashboardClient.token(first.html)
            let runID = try Self.runID(try await browser.post("/ui/workflows/evolving/run", ["version": "1"], csrf: csrf))
            let submission = try #require(try server.orchestrator.runs.repository.submission(runID: runID))
            #expect(submission.workflowVersion == 1, "the version shown is the version run")
        }
    }

    @Test func complianceRefusalsAreShownOnTheForm() async throws {
        try await DashboardServer.with(workflows: [:], scheduling: false) { server in
            // Saved before the rules refused it (as an older server would have): listed, but never run.
            let risky = "name: risky\nrisk_level: unacceptable\nsteps:\n  - id: go\n    run: echo no\n"
            _ = try server.orchestrator.runs.repository.saveWorkflowVersion(name: "risky", yaml: risky, source: .api)
            let browser = try await server.browser(DashboardServer.adminKey)
            let page = try await browser.get("/ui/workflows/risky")
            #expect(page.status == 200)
            let refused = try await browser.post("/ui/workflows/risky/run", [:], csrf: try DashboardClient.token(page.html))
            #expect(refused.status == 400)
            #expect(refused.html.contains("compliance rules refuse this workflow"), "\(refused.html)")
            #expect(try server.orchestrator.runs.repository.listRuns(RunQuery(limit: 10)).isEmpty)
        }
    }

    @Test func aTenantSeesItsOwnAndSharedWorkflowsAndRunsAsItsTenant() async throws {
        try await DashboardServer.with(workflows: ["typed": Self.typed, "chain": Self.chain], scheduling: false) { server in
            let acme = try await server.makeKey(#"{"name":"acme","tenant_id":"acme","max_cost_per_run_usd":2.5}"#)
            let globex = try await server.makeKey(#"{"name":"globex","tenant_id":"globex"}"#)
            let limited = try await server.makeKey(#"{"name":"limited","tenant_id":"acme","allowed_workflows":["chain"]}"#)
            let own = #"{"name":"acme-only","content":"name: acme-only\nsteps:\n  - id: secret\n    run: echo acme\n"}"#
            #expect(try await server.call(.post, "/api/workflows", json: own, key: acme).status == 201)

            let acmeBrowser = try await server.browser(acme)
            let acmeList = try await acmeBrowser.get("/ui/workflows")
            #expect(acmeList.html.contains(#"data-workflow="acme-only""#) && acmeList.html.contains(#"data-workflow="typed""#))
            let ownPage = try await acmeBrowser.get("/ui/workflows/acme-only")
            #expect(ownPage.html.contains(#"<pre id="workflow-yaml">"#), "a tenant reads its own workflow's text")
            let shared = try await acmeBrowser.get("/ui/workflows/chain")
            #expect(shared.html.contains(#"id="workflow-yaml-hidden""#) && !shared.html.contains("echo one"), "a shared text is an admin's, as the API")

            let runID = try Self.runID(
                try await acmeBrowser.post("/ui/workflows/acme-only/run", [:], csrf: try DashboardClient.token(ownPage.html)))
            let run = try server.orchestrator.run(id: runID).detail.run
            #expect(run.maxCostUSD == 2.5, "the key's budget when the form names none")
            #expect(try server.orchestrator.runs.repository.submission(runID: runID)?.tenant == "acme")

            let globexBrowser = try await server.browser(globex)
            let globexList = try await globexBrowser.get("/ui/workflows")
            #expect(!globexList.html.contains("acme-only"))
            #expect(try await globexBrowser.get("/ui/workflows/acme-only").status == 404)
            let globexCSRF = try DashboardClient.token(globexList.html)
            #expect(try await globexBrowser.post("/ui/workflows/acme-only/run", [:], csrf: globexCSRF).status == 404)
            #expect(try await globexBrowser.get("/ui/runs/\(runID)").status == 404)

            let limitedBrowser = try await server.browser(limited)
            let notAllowed = try await limitedBrowser.get("/ui/workflows/typed")
            #expect(notAllowed.html.contains("This API key may not run workflow typed.") && notAllowed.html.contains("disabled>Run version"))
            let refused = try await limitedBrowser.post(
                "/ui/workflows/typed/run", ["input.who": "Ada"], csrf: try DashboardClient.token(notAllowed.html))
            #expect(refused.status == 403 && refused.html.contains(#"id="run-error""#))
            #expect(try server.orchestrator.runs.repository.listRuns(RunQuery(limit: 10)).count == 1, "only acme's run")
        }
    }

    /// The text from the first `start` to the next `end` after it.
    static func section(_ html: String, from start: String, to end: String) -> String? {
        guard let begin = html.range(of: start), let finish = html.range(of: end, range: begin.upperBound..<html.endIndex) else { return nil }
        return String(html[begin.lowerBound..<finish.upperBound])
    }
}
