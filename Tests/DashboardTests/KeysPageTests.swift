import Foundation
import Testing

/// `/ui/keys` over a live server: a new key is shown once (in the POST's own answer, `no-store`,
/// never in an address, never again on reload or a repeated post), rotation shows the new key
/// and the grace, deactivation ends the key's sessions at once; tenant keys get 403; a form
/// without the CSRF token or from another site makes nothing; hostile text stays text.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct KeysPageTests {
    static let hostile = "<img src=x onerror=alert(1)>"
    static let hostileEscaped = "&lt;img src=x onerror=alert(1)&gt;"

    @Test func aNewKeyIsShownOnceAndNeverAgain() async throws {
        try await DashboardServer.with { server in
            let admin = try await server.signedIn()
            let list = try await admin.get("/ui/keys")
            #expect(list.status == 200, "\(list.text.prefix(400))")
            let form = try #require(HTML.element(list.text, id: "new-key"), "form#new-key")
            #expect(form.hasPrefix("<form") && form.contains(#"name="name""#) && form.contains(#"name="tenant_id""#))
            let once = try #require(HTML.inputValue(list.text, name: "once", within: "new-key"))
            let fields = [
                "csrf": try #require(DashboardClient.csrf(in: list.text)), "once": once, "name": "ci \(Self.hostile)", "tenant_id": "acme",
                "expires_in_days": "30",
                "allowed_workflows": "chain, \(Self.hostile)",
            ]
            let made = try await admin.post("/ui/keys", form: fields)
            #expect(made.status == 200, "\(made.text.prefix(600))")
            #expect(made.headers["Cache-Control"] == "no-store")
            #expect(made.location == nil, "the key is the POST's own answer, not a redirect")
            let key = try #require(HTML.text(made.text, id: "new-key-value"), "#new-key-value")
            #expect(key.hasPrefix("sc_") && key.count == 46, "\(key)")
            #expect(HTML.attribute(made.text, id: "copy-key", "data-copy") == "new-key-value")
            #expect(made.text.contains(Self.hostileEscaped) && !made.text.contains(Self.hostile), "the name and workflow are text")

            // The key works, for its tenant, with its restrictions.
            #expect(try await server.api(.get, "/api/runs", key: key).status == 200)
            let listed = try await server.api(.get, "/api/api-keys")
            let record = try #require((listed.body["data"] as? [[String: Any]])?.first { ($0["name"] as? String)?.hasPrefix("ci ") == true })
            #expect(record["tenant_id"] as? String == "acme" && record["expires_at"] is String)
            #expect(record["allowed_workflows"] as? [String] == ["chain", Self.hostile])
            let id = try #require(record["id"] as? String)

            // Never again: not on the list page, not when the same form is posted again.
            let again = try await admin.get("/ui/keys")
            #expect(!again.text.contains(key) && HTML.element(again.text, id: "new-key-value") == nil)
            #expect(HTML.attribute(again.text, id: "key-\(id)", "data-state") == "active", "30 days away is not expiring yet")
            let repeated = try await admin.post("/ui/keys", form: fields)
            #expect(repeated.status == 409 && !repeated.text.contains(key) && repeated.text.contains(id), "\(repeated.text.prefix(600))")
            let count = try await server.api(.get, "/api/api-keys")
            #expect(DashboardServer.total(count.body) == 2, "the admin's and one new key: \(count.body)")

            // The audit chain names the signed-in admin key as the actor of the creation.
            let adminID = try #require(
                (listed.body["data"] as? [[String: Any]])?.first { ($0["name"] as? String)?.contains("ADMIN_API_KEY") == true }?["id"] as? String)
            let audit = try await admin.get("/ui/audit?event=api_key.created")
            #expect(audit.status == 200, "\(audit.text.prefix(400))")
            let entry = try #require(audit.text.components(separatedBy: "<tr class=\"audit-entry").first { $0.contains(id) }, "the creation's entry")
            #expect(entry.contains("<td>\(adminID)"), "actor: \(entry.prefix(400))")
        }
    }

    @Test func aTenantKeyIsRefusedAndSoIsAFormWithoutItsToken() async throws {
        try await DashboardServer.with { server in
            let tenantKey = try await server.makeKey(name: "tenant", tenant: "acme").key
            let tenant = try await server.signedIn(tenantKey)
            let refused = try await tenant.get("/ui/keys")
            #expect(refused.status == 403, "\(refused.text.prefix(300))")
            let tenantToken = try #require(DashboardClient.csrf(in: try await tenant.get("/ui").text))
            let posted = try await tenant.post("/ui/keys", form: ["csrf": tenantToken, "once": "x", "name": "mine"])
            #expect(posted.status == 403)

            let admin = try await server.signedIn()
            let page = try await admin.get("/ui/keys")
            let once = try #require(HTML.inputValue(page.text, name: "once", within: "new-key"))
            let noToken = try await admin.post("/ui/keys", form: ["once": once, "name": "sneaky"], csrf: false)
            #expect(noToken.status == 403, "\(noToken.text.prefix(300))")
            let wrongToken = try await admin.post("/ui/keys", form: ["csrf": "forged", "once": once, "name": "sneaky"])
            #expect(wrongToken.status == 403)
            let otherSite = try await admin.post(
                "/ui/keys", form: ["csrf": try #require(DashboardClient.csrf(in: page.text)), "once": once, "name": "sneaky"], origin: "https://evil.example")
            #expect(otherSite.status == 403)
            let target = try await server.makeKey(name: "target", tenant: nil)
            for path in ["/ui/keys/\(target.id)/rotate", "/ui/keys/\(target.id)/deactivate"] {
                let refused = try await admin.post(path, form: ["once": "any", "grace_period_hours": "0"], csrf: false)
                #expect(refused.status == 403, "\(path) without the token: \(refused.status)")
            }
            #expect(try await server.api(.get, "/api/runs", key: target.key).status == 200, "neither rotated away nor deactivated")
            let keys = try await server.api(.get, "/api/api-keys")
            let names = (keys.body["data"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            #expect(!names.contains("sneaky") && !names.contains("mine") && names.count == 3, "nothing was made: \(names)")
            // A refused post did not use up the form: it still makes the key.
            let made = try await admin.post("/ui/keys", form: ["csrf": try #require(DashboardClient.csrf(in: page.text)), "once": once, "name": "fine"])
            #expect(made.status == 200 && HTML.text(made.text, id: "new-key-value")?.hasPrefix("sc_") == true)
        }
    }

    @Test func rotationShowsTheNewKeyOnceAndTheGrace() async throws {
        try await DashboardServer.with { server in
            let old = try await server.makeKey(name: "deploy", tenant: "acme")
            let admin = try await server.signedIn()
            let page = try await admin.get("/ui/keys")
            let row = try #require(HTML.element(page.text, id: "key-\(old.id)"), "row of \(old.id)")
            let once = try #require(HTML.inputValue(row, name: "once"))
            let rotated = try await admin.post(
                "/ui/keys/\(old.id)/rotate", form: ["csrf": try #require(DashboardClient.csrf(in: page.text)), "once": once, "grace_period_hours": "2"])
            #expect(rotated.status == 200 && rotated.headers["Cache-Control"] == "no-store", "\(rotated.text.prefix(500))")
            let key = try #require(HTML.text(rotated.text, id: "new-key-value"))
            #expect(key.hasPrefix("sc_") && key != old.key)
            #expect(HTML.attribute(rotated.text, id: "rotation-grace", "data-grace-hours") == "2")
            // Both work during the grace; the old one is marked as expiring.
            #expect(try await server.api(.get, "/api/runs", key: key).status == 200)
            #expect(try await server.api(.get, "/api/runs", key: old.key).status == 200)
            let after = try await admin.get("/ui/keys")
            #expect(HTML.attribute(after.text, id: "key-\(old.id)", "data-state") == "expiring" && !after.text.contains(key))
            let repeated = try await admin.post(
                "/ui/keys/\(old.id)/rotate", form: ["csrf": try #require(DashboardClient.csrf(in: page.text)), "once": once, "grace_period_hours": "2"])
            #expect(repeated.status == 409 && !repeated.text.contains(key))
            let bad = try await admin.post(
                "/ui/keys/\(old.id)/rotate", form: ["csrf": try #require(DashboardClient.csrf(in: page.text)), "once": "fresh", "grace_period_hours": "-1"])
            #expect(bad.status == 400, "\(bad.text.prefix(300))")
        }
    }

    @Test func deactivatingAKeyEndsItsSessionsAtOnce() async throws {
        try await DashboardServer.with { server in
            let other = try await server.makeKey(name: "colleague", tenant: nil)
            let colleague = try await server.signedIn(other.key)
            #expect(try await colleague.get("/ui/keys").status == 200, "an admin key may manage keys")
            let admin = try await server.signedIn()
            let page = try await admin.get("/ui/keys")
            let done = try await admin.post("/ui/keys/\(other.id)/deactivate", form: ["csrf": try #require(DashboardClient.csrf(in: page.text))])
            #expect(done.status == 303 && done.location == "/ui/keys?done=deactivated", "\(done.status) \(done.location ?? "")")
            let notice = try await admin.get(try #require(done.location))
            #expect(HTML.element(notice.text, id: "keys-notice") != nil && HTML.element(notice.text, id: "key-\(other.id)") == nil)
            let signedOut = try await colleague.get("/ui/keys")
            #expect(signedOut.status == 303 && signedOut.location?.hasPrefix("/ui/login") == true, "\(signedOut.status)")
            #expect(try await server.api(.get, "/api/runs", key: other.key).status == 401)
            let missing = try await admin.post("/ui/keys/\(other.id)/deactivate", form: ["csrf": try #require(DashboardClient.csrf(in: page.text))])
            #expect(missing.status == 404, "an inactive key is not found again")
        }
    }
}
