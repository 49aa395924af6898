import Foundation
import Testing

@testable import Dashboard

/// Sign-in, sessions and the forms' protections, against a real server: a browser signs in once
/// with an API key and holds only an HttpOnly, SameSite=Strict cookie; without it every page
/// sends it to sign-in; a wrong key is refused without echoing it; a POST without the session's
/// CSRF token or from another origin is 403; sign-in only returns to a path under /ui; a
/// revoked key's session ends; a tenant key sees its tenant's runs only.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct SignInTests {
    static let hello = """
        name: hello
        steps:
          - {id: greet, run: echo hi}
        """

    @Test func aBrowserSignsInOnceAndHoldsOnlyASessionCookie() async throws {
        try await DashboardServer.with(workflows: ["hello": Self.hello]) { server in
            let browser = try server.browser()
            let away = try await browser.get("/ui/runs?status=failed")
            #expect(away.status == 303 && away.location == "/ui/login?next=/ui/runs%3Fstatus%3Dfailed", "\(away.status) \(away.location ?? "")")
            let form = try await browser.get("/ui/login")
            #expect(form.status == 200 && form.text.contains(#"<form id="login""#) && form.text.contains(#"name="api_key" type="password""#))

            let wrong = try await browser.post("/ui/login", form: ["api_key": "sc_not-a-real-key-at-all"], csrf: false)
            #expect(wrong.status == 401 && wrong.text.contains(#"class="error""#) && !wrong.text.contains("sc_not-a-real-key-at-all"))
            #expect(browser.cookies[Dashboard.sessionCookie] == nil)

            let signed = try await browser.post(
                "/ui/login", form: ["api_key": DashboardServer.adminKey, "next": "/ui/runs?status=failed"], csrf: false)
            #expect(signed.status == 303 && signed.location == "/ui/runs?status=failed")
            let cookie = try #require(signed.headers.values(for: "Set-Cookie").first { $0.hasPrefix("sc_session=") })
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/ui"))
            #expect(!cookie.contains(DashboardServer.adminKey))
            let page = try await browser.get("/ui/runs?status=failed")
            #expect(page.status == 200 && page.text.contains(#"<table id="runs""#))
            #expect(page.headers["Content-Security-Policy"]?.contains("script-src 'self'") == true)
            #expect(!page.text.contains(DashboardServer.adminKey), "the key never reaches a page")
            // `no-referrer` would make a browser send `Origin: null` on these forms; the APIs keep it.
            #expect(page.headers["Referrer-Policy"] == "same-origin")
            #expect(try await browser.get("/api/health").headers["Referrer-Policy"] == "no-referrer")
            #expect(try await browser.post("/ui/logout", form: [:], csrf: false).status == 403, "no sign-out without the token")

            // Signing out ends the session on the server, not only in this browser.
            let stolen = try #require(browser.cookies[Dashboard.sessionCookie])
            #expect(try await browser.post("/ui/logout", form: [:]).status == 303)
            let replayed = try server.browser()
            let withOldCookie = try await replayed.get("/ui", headers: [("Cookie", "sc_session=\(stolen)")])
            #expect(withOldCookie.status == 303, "a signed-out session's cookie opens nothing")
        }
    }

    @Test func signInReturnsOnlyToAPathOfTheDashboard() {
        #expect(SignInController.next("/ui/runs?status=failed") == "/ui/runs?status=failed")
        for hostile in ["https://evil.example/", "//evil.example/ui", "/ui\\@evil", "/api/runs", "/ui/x\r\nSet-Cookie: a=b", nil] {
            #expect(SignInController.next(hostile) == "/ui", "\(hostile ?? "nil")")
        }
    }

    @Test func formsWithoutTheTokenOrFromAnotherOriginAreRefused() async throws {
        try await DashboardServer.with(workflows: ["hello": Self.hello]) { server in
            let runID = try await server.startRun("hello")
            let browser = try await server.signedIn()
            _ = try await browser.get("/ui/runs/\(runID)")
            let noToken = try await browser.post("/ui/runs/\(runID)/cancel", form: [:], csrf: false)
            #expect(noToken.status == 403 && noToken.text.contains("CSRF"))
            let wrongToken = try await browser.post("/ui/runs/\(runID)/cancel", form: ["csrf": "forged"], csrf: false)
            #expect(wrongToken.status == 403)
            let foreign = try await browser.post("/ui/runs/\(runID)/cancel", form: [:], origin: "https://evil.example")
            #expect(foreign.status == 403 && foreign.text.contains("another site"))
            let foreignSignIn = try await server.browser().post(
                "/ui/login", form: ["api_key": DashboardServer.adminKey], csrf: false, origin: "https://evil.example")
            #expect(foreignSignIn.status == 403)
        }
    }

    @Test func aTenantKeySeesItsOwnRunsAndARevokedKeysSessionEnds() async throws {
        try await DashboardServer.with(workflows: ["hello": Self.hello]) { server in
            let made = try await server.api(.post, "/api/api-keys", json: #"{"name":"acme","tenant_id":"acme"}"#)
            let data = try #require(made.body["data"] as? [String: Any])
            let (key, keyID) = (try #require(data["key"] as? String), try #require(data["id"] as? String))
            let adminRun = try await server.startRun("hello")
            let tenantRun = try #require(
                (try await server.api(.post, "/api/workflows/run", json: #"{"workflow_name":"hello"}"#, key: key).body["data"] as? [String: Any])?[
                    "run_id"] as? String)

            let tenant = try await server.signedIn(key)
            let list = try await tenant.get("/ui/runs")
            #expect(list.text.contains("id=\"run-\(tenantRun)\"") && !list.text.contains(adminRun), "a tenant sees only its runs")
            #expect(try await tenant.get("/ui/runs/\(adminRun)").status == 404, "another tenant's run is not found")
            #expect(list.text.contains("tenant acme"))

            #expect(try await server.api(.delete, "/api/api-keys/\(keyID)").status == 200)
            let after = try await tenant.get("/ui/runs")
            #expect(after.status == 303, "the revoked key's session ended")
        }
    }

    @Test func anOpenServerNeedsNoSignInButStillChecksForms() async throws {
        try await DashboardServer.with(workflows: ["hello": Self.hello], open: true) { server in
            let runID = try await server.startRun("hello")
            let browser = try server.browser()
            let overview = try await browser.get("/ui")
            #expect(overview.status == 200 && overview.text.contains("open mode"))
            #expect(try await browser.get("/ui/login").status == 303)
            #expect(try await browser.post("/ui/runs/\(runID)/cancel", form: [:], csrf: false).status == 403)
        }
    }
}
