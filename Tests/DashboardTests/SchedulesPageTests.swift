import Foundation
import Orchestrator
import Store
import TestSupport
import Testing

@testable import Dashboard

/// `/ui/schedules` over a real server: create, enable/disable, trigger now (a real run on
/// Docker), edit, delete; an invalid expression or zone comes back on its form with the values
/// as typed; the expression in words; tenants see and change only their own; CSRF; escaping.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct SchedulesPageTests {
    static let chain = """
        name: chain
        inputs:
          who: {type: string, default: world}
        steps:
          - id: one
            run: echo "hello {input.who}"
        """

    /// The `tr.schedule` row of the only schedule of `workflow` on the page.
    static func row(_ html: String, workflow: String) -> String? {
        html.components(separatedBy: #"<tr class="schedule""#).dropFirst().first { $0.contains(#"<a href="/ui/workflows/\#(workflow)">"#) }
            .map { #"<tr class="schedule""# + ($0.components(separatedBy: "</tr>").first ?? "") }
    }

    static func attribute(_ name: String, in html: String) -> String? {
        guard let range = html.range(of: " \(name)=\"") else { return nil }
        let rest = html[range.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }

    @Test func aScheduleIsCreatedToggledTriggeredEditedAndDeleted() async throws {
        try await DashboardServer.with(workflows: ["chain": Self.chain], scheduling: false) { server in
            let browser = try await server.browser(DashboardServer.adminKey)
            let empty = try await browser.get("/ui/schedules")
            #expect(empty.status == 200 && empty.html.contains(#"<form id="new-schedule" method="post" action="/ui/schedules""#))
            for field in ["workflow_name", "cron_expression", "timezone", "input_data", "enabled"] {
                #expect(empty.html.contains(#"name="\#(field)""#), "the new-schedule form has \(field)")
            }
            #expect(empty.html.contains(#"<option value="chain">"#), "workflow names are suggested")

            let created = try await browser.submit(
                ["workflow_name": "chain", "cron_expression": "*/5 * * * *", "timezone": "Europe/Paris", "input_data": #"{"who":"Ada"}"#, "enabled": "true"],
                to: "/ui/schedules", from: "/ui/schedules")
            #expect(created.status == 303 && created.location == "/ui/schedules", "\(created.status) \(created.html.prefix(500))")
            var page = try await browser.get("/ui/schedules")
            var row = try #require(Self.row(page.html, workflow: "chain"), "no row: \(page.html)")
            let id = try #require(Self.attribute("data-id", in: row))
            #expect(row.contains(#"id="schedule-\#(id)""#) && row.contains(#"data-enabled="true""#))
            #expect(row.contains(#"<span class="cron-text">Every 5 minutes</span>"#) && row.contains(#"<code class="cron">*/5 * * * *</code>"#))
            #expect(row.contains(#"<td class="timezone">Europe/Paris</td>"#))
            #expect(!row.contains(#"<td class="next">—</td>"#), "an enabled schedule shows its next fire")
            #expect(row.contains(#"data-confirm="Delete the schedule of chain"#), "delete asks first")
            let stored = try await server.scheduler.schedule(id: id)
            #expect(stored.inputs == ["who": "Ada"] && stored.record.tenant == nil)

            // Disable, enable.
            let csrf = try DashboardClient.token(page.html)
            #expect(try await browser.post("/ui/schedules/\(id)/enabled", ["enabled": "false"], csrf: csrf).status == 303)
            page = try await browser.get("/ui/schedules")
            row = try #require(Self.row(page.html, workflow: "chain"))
            #expect(row.contains(#"data-enabled="false""#) && row.contains(#"<td class="next">—</td>"#) && row.contains(">Enable</button>"))
            #expect(!row.contains("Trigger now"), "a disabled schedule cannot be triggered")
            #expect(try await browser.post("/ui/schedules/\(id)/enabled", ["enabled": "true"], csrf: csrf).status == 303)
            #expect(try await server.scheduler.schedule(id: id).record.enabled)

            // Trigger now: a run with the schedule's inputs, linked from the page and recorded on the schedule.
            let triggered = try await browser.post("/ui/schedules/\(id)/trigger", [:], csrf: csrf)
            #expect(triggered.status == 303)
            let location = try #require(triggered.location)
            #expect(location.hasPrefix("/ui/schedules?triggered="))
            let runID = String(location.dropFirst("/ui/schedules?triggered=".count))
            let after = try await browser.get(location)
            #expect(after.html.contains(#"<p class="notice" id="triggered" role="status">Triggered run <a href="/ui/runs/\#(runID)">"#))
            _ = await server.orchestrator.queue.waitForTurnEnd(runID: runID)
            let run = try server.orchestrator.run(id: runID).detail.run
            #expect(run.workflowName == "chain" && run.status == .completed && run.inputsJSON.contains("Ada"))
            page = try await browser.get("/ui/schedules")
            row = try #require(Self.row(page.html, workflow: "chain"))
            #expect(row.contains(#"<a href="/ui/runs/\#(runID)">"#), "the last fire links to its run")

            // Edit: expression, zone and inputs; the words follow.
            let edited = try await browser.post(
                "/ui/schedules/\(id)/edit", ["cron_expression": "0 9 * * 1-5", "timezone": "UTC", "input_data": #"{"who":"Grace"}"#], csrf: csrf)
            #expect(edited.status == 303)
            page = try await browser.get("/ui/schedules")
            row = try #require(Self.row(page.html, workflow: "chain"))
            #expect(row.contains(#"<span class="cron-text">At 09:00 on Monday through Friday</span>"#), "\(row)")
            #expect(try await server.scheduler.schedule(id: id).inputs == ["who": "Grace"])

            // Delete.
            #expect(try await browser.post("/ui/schedules/\(id)/delete", [:], csrf: csrf).status == 303)
            page = try await browser.get("/ui/schedules")
            #expect(Self.row(page.html, workflow: "chain") == nil && page.html.contains("No schedules yet."))
            #expect(try await browser.post("/ui/schedules/\(id)/delete", [:], csrf: csrf).status == 404)
        }
    }

    @Test func anInvalidExpressionOrZoneComesBackOnItsForm() async throws {
        try await DashboardServer.with(workflows: ["chain": Self.chain], scheduling: false) { server in
            let browser = try await server.browser(DashboardServer.adminKey)
            let refused = try await browser.submit(
                ["workflow_name": "chain", "cron_expression": "61 * * * *", "input_data": #"{"who":"<script>alert(1)</script>"}"#],
                to: "/ui/schedules", from: "/ui/schedules")
            #expect(refused.status == 400)
            #expect(refused.html.contains(#"<p class="error" id="new-schedule-error" role="alert">Invalid cron expression: minute"#), "\(refused.html)")
            #expect(refused.html.contains(#"name="cron_expression" value="61 * * * *""#), "the expression as typed")
            #expect(
                refused.html.contains("{&quot;who&quot;:&quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot;}</textarea>")
                    && !refused.html.contains("<script>alert(1)"))
            #expect(!refused.html.contains(#"name="enabled" value="true" checked"#), "an unticked box stays unticked")

            let zone = try await browser.submit(
                ["workflow_name": "chain", "cron_expression": "@daily", "timezone": "Mars/Olympus"], to: "/ui/schedules", from: "/ui/schedules")
            #expect(zone.status == 400 && zone.html.contains(#"id="new-schedule-error""#) && zone.html.contains("Mars/Olympus"), "\(zone.html)")
            let notJSON = try await browser.submit(
                ["workflow_name": "chain", "cron_expression": "@daily", "input_data": "[1]"], to: "/ui/schedules", from: "/ui/schedules")
            #expect(notJSON.status == 400 && notJSON.html.contains("the inputs must be a JSON object"))
            let unknown = try await browser.submit(
                ["workflow_name": "nope", "cron_expression": "@daily"], to: "/ui/schedules", from: "/ui/schedules")
            #expect(unknown.status == 404 && unknown.html.contains(#"id="new-schedule-error""#))
            let badInputs = try await browser.submit(
                ["workflow_name": "chain", "cron_expression": "@daily", "input_data": #"{"whom":"x"}"#], to: "/ui/schedules", from: "/ui/schedules")
            #expect(badInputs.status == 400 && badInputs.html.contains("whom"), "inputs are checked against the workflow")
            #expect(try await server.scheduler.list(limit: 10, offset: 0).total == 0, "nothing was created")

            // An edit refused: the row's form stays open with the values and the reason.
            let created = try await server.scheduler.create(NewSchedule(workflowName: "chain", cronExpression: "@hourly"))
            let page = try await browser.get("/ui/schedules")
            let edit = try await browser.post(
                "/ui/schedules/\(created.record.id)/edit", ["cron_expression": "* * * * 8"],
                csrf: try DashboardClient.token(page.html))
            #expect(edit.status == 400)
            let row = try #require(Self.row(edit.html, workflow: "chain"))
            #expect(row.contains(#"<details class="edit" open>"#) && row.contains(#"value="* * * * 8""#))
            #expect(row.contains(#"<p class="error edit-error" role="alert">Invalid cron expression: day_of_week"#), "\(row)")
            #expect(try await server.scheduler.schedule(id: created.record.id).record.cronExpression == "@hourly")
            #expect(row.contains(#"<span class="cron-text">"#) && !row.contains(#"<span class="cron-text"></span>"#))
        }
    }

    @Test func withoutTheCSRFTokenNothingChanges() async throws {
        try await DashboardServer.with(workflows: ["chain": Self.chain], scheduling: false) { server in
            let created = try await server.scheduler.create(NewSchedule(workflowName: "chain", cronExpression: "@hourly"))
            let id = created.record.id
            let browser = try await server.browser(DashboardServer.adminKey)
            for (path, form) in [
                ("/ui/schedules", ["workflow_name": "chain", "cron_expression": "@daily"]), ("/ui/schedules/\(id)/enabled", ["enabled": "false"]),
                ("/ui/schedules/\(id)/trigger", [:]), ("/ui/schedules/\(id)/edit", ["cron_expression": "@daily"]),
                ("/ui/schedules/\(id)/delete", [:]),
            ] {
                #expect(try await browser.post(path, form, csrf: nil).status == 403, "\(path)")
                #expect(try await browser.post(path, form, csrf: "forged").status == 403, "\(path)")
            }
            let after = try await server.scheduler.schedule(id: id)
            #expect(after.record.enabled && after.record.cronExpression == "@hourly" && after.record.lastRunID == nil)
            #expect(try await server.scheduler.list(limit: 10, offset: 0).total == 1)
        }
    }

    @Test func tenantsSeeAndChangeOnlyTheirOwnSchedules() async throws {
        try await DashboardServer.with(
            workflows: ["chain": Self.chain, "other": Self.chain.replacingOccurrences(of: "name: chain", with: "name: other")], scheduling: false
        ) {
            server in
            let acme = try await server.makeKey(#"{"name":"acme","tenant_id":"acme","allowed_workflows":["chain"]}"#)
            let globex = try await server.makeKey(#"{"name":"globex","tenant_id":"globex"}"#)
            let acmeBrowser = try await server.browser(acme)
            let made = try await acmeBrowser.submit(
                ["workflow_name": "chain", "cron_expression": "0 * * * *", "enabled": "true"], to: "/ui/schedules", from: "/ui/schedules")
            #expect(made.status == 303)
            let acmePage = try await acmeBrowser.get("/ui/schedules")
            let row = try #require(Self.row(acmePage.html, workflow: "chain"))
            let id = try #require(Self.attribute("data-id", in: row))
            #expect(try await server.scheduler.schedule(id: id).record.tenant == "acme")
            #expect(row.contains(#"<span class="cron-text">Every hour</span>"#))
            #expect(!row.contains("Trigger now"), "a manual trigger is an admin's, as the API")
            let acmeCSRF = try DashboardClient.token(acmePage.html)
            #expect(try await acmeBrowser.post("/ui/schedules/\(id)/trigger", [:], csrf: acmeCSRF).status == 403)
            let notAllowed = try await acmeBrowser.post("/ui/schedules", ["workflow_name": "other", "cron_expression": "@daily"], csrf: acmeCSRF)
            #expect(notAllowed.status == 403 && notAllowed.html.contains("may not run workflow other"))
            #expect(!acmePage.html.contains(#"<option value="other">"#), "only workflows the key may run are suggested")

            let globexBrowser = try await server.browser(globex)
            let globexPage = try await globexBrowser.get("/ui/schedules")
            #expect(Self.row(globexPage.html, workflow: "chain") == nil && !globexPage.html.contains(id))
            let globexCSRF = try DashboardClient.token(globexPage.html)
            for (path, form) in [
                ("/ui/schedules/\(id)/enabled", ["enabled": "false"]), ("/ui/schedules/\(id)/edit", ["cron_expression": "@daily"]),
                ("/ui/schedules/\(id)/delete", [:]),
            ] {
                #expect(try await globexBrowser.post(path, form, csrf: globexCSRF).status == 404, "\(path)")
            }
            #expect(try await server.scheduler.schedule(id: id).record.enabled)

            let admin = try await server.browser(DashboardServer.adminKey)
            let adminPage = try await admin.get("/ui/schedules")
            #expect(Self.row(adminPage.html, workflow: "chain")?.contains("Trigger now") == true, "an admin sees every tenant's")
            #expect(try await acmeBrowser.post("/ui/schedules/\(id)/delete", [:], csrf: acmeCSRF).status == 303)
        }
    }
}
