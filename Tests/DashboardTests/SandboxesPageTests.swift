import Foundation
import HTTPTransport
import TestSupport
import Testing

@testable import Dashboard

/// `/ui/sandboxes`, its terminal and its files browser against a real server on loopback with
/// real Docker sandboxes: the live list and its Delete (CSRF and Origin checked), the tenant
/// refusal, the terminal's WebSocket (session cookie and Origin required; a shell that answers),
/// the files listing, downloads as attachments, and path traversal refused.
@Suite(.serialized, .timeLimit(.minutes(10)))
struct SandboxesPageTests {
    @Test func listsSandboxesWithUsageAndDeletesOnlyWithTheFormsToken() async throws {
        try await DashboardServer.with { server in
            let id = try await server.makeSandbox()
            let stranger = try DashboardClient(port: server.port)
            let unsigned = try await stranger.get("/ui/sandboxes")
            #expect(unsigned.status == 303)
            #expect(unsigned.headers["Location"]?.hasPrefix("/ui/login?next=") == true)

            let admin = try await server.signedIn()
            let page = try await admin.get("/ui/sandboxes")
            #expect(page.status == 200, "\(page.bodyText)")
            let row = try #require(Self.row(page.bodyText, id: id), "no tr.sandbox for \(id) in \(page.bodyText)")
            #expect(row.contains(#"class="sandbox""#) && row.contains(#"data-state="running""#))
            #expect(row.contains("<td>base</td>") && row.contains("<td>default</td>"), "image and profile: \(row)")
            #expect(row.contains("/ui/sandboxes/\(id)/terminal") && row.contains("/ui/sandboxes/\(id)/files"))
            #expect(page.bodyText.contains(#"src="/ui/static/sandboxes.js""#))
            #expect(page.bodyText.contains(#"data-poll="/ui/sandboxes/rows?state=live""#))
            // The rows the page's poll swaps in carry the host's figures (Docker samples for ~1 s).
            var usage = ""
            let measured = try await eventually(.seconds(60)) {
                let rows = try await admin.get("/ui/sandboxes/rows?state=live")
                guard rows.bodyText.hasPrefix(#"<tbody id="sandbox-rows">"#), let row = Self.row(rows.bodyText, id: id) else { return false }
                usage = row
                // A figure, not the `—` of one that did not come in time: `0.0 %`, `1.3 MiB / 1.0 GiB`.
                return row.contains(" %</td>") && row.range(of: #"<td class="num memory">[0-9.]+ [KMG]?i?B"#, options: .regularExpression) != nil
            }
            #expect(measured, "CPU and memory never showed: \(usage)")

            let csrf = try #require(DashboardClient.csrf(from: page.bodyText))
            let noToken = try await admin.post("/ui/sandboxes/\(id)/delete", form: [])
            #expect(noToken.status == 403)
            let foreign = try await admin.post("/ui/sandboxes/\(id)/delete", form: [("csrf", csrf)], origin: "http://evil.example")
            #expect(foreign.status == 403)
            #expect(try await server.api(.get, "/v1/sandboxes/\(id)").body["status"] as? String == "running")
            let deleted = try await admin.post("/ui/sandboxes/\(id)/delete", form: [("csrf", csrf)])
            #expect(deleted.status == 303)
            #expect(deleted.headers["Location"] == "/ui/sandboxes")
            #expect(try await server.api(.get, "/v1/sandboxes/\(id)").body["status"] as? String == "deleted")
            #expect(Self.row(try await admin.get("/ui/sandboxes").bodyText, id: id) == nil, "the live list drops it")
            let all = try await admin.get("/ui/sandboxes?state=all")
            #expect(Self.row(all.bodyText, id: id)?.contains(#"data-state="deleted""#) == true)
            let again = try await admin.post("/ui/sandboxes/\(id)/delete", form: [("csrf", csrf)])
            #expect(again.status == 303, "deleting a deleted sandbox changes nothing, as DELETE /v1 answers")
        }
    }

    @Test func aTenantKeyIsRefusedEverySandboxPageAndTheSocket() async throws {
        try await DashboardServer.with { server in
            let id = try await server.makeSandbox()
            let tenant = try await server.signedIn(try await server.makeTenantKey("acme"))
            for path in ["/ui/sandboxes", "/ui/sandboxes/rows", "/ui/sandboxes/\(id)/terminal", "/ui/sandboxes/\(id)/files"] {
                let page = try await tenant.get(path)
                #expect(page.status == 403, "\(path): \(page.status)")
                #expect(page.bodyText.contains("only an admin key sees the server"), "\(path) says why")
            }
            let overview = try await tenant.get("/ui")
            let csrf = try #require(DashboardClient.csrf(from: overview.bodyText))
            #expect(try await tenant.post("/ui/sandboxes/\(id)/delete", form: [("csrf", csrf)]).status == 403)
            #expect(try await tenant.get("/ui/sandboxes/\(id)/files/download?path=/etc/hostname").status == 403)
            await #expect(throws: HTTPTransportError.self) {
                _ = try await Self.socket(server, id: id, headers: Self.browserHeaders(tenant))
            }
            #expect(try await server.api(.get, "/v1/sandboxes/\(id)").body["status"] as? String == "running")
        }
    }

    @Test func theTerminalSocketNeedsTheSessionAndThisOriginAndRunsAShell() async throws {
        try await DashboardServer.with { server in
            let id = try await server.makeSandbox()
            let admin = try await server.signedIn()
            let page = try await admin.get("/ui/sandboxes/\(id)/terminal")
            #expect(page.status == 200)
            #expect(page.bodyText.contains(#"<div id="terminal" data-socket="/ui/sandboxes/\#(id)/terminal/ws""#), "\(page.bodyText)")
            #expect(try await admin.get("/ui/sandboxes/nope/terminal").status == 404)

            // Refused before any shell starts: every refusal is hummingbird-websocket's empty 400.
            let cookie = try #require(admin.cookieHeader)
            let refusals: [(String, [(String, String)])] = [
                ("no session", [("Origin", admin.origin)]),
                ("a foreign Origin", [("Cookie", cookie), ("Origin", "http://evil.example")]),
                ("no Origin", [("Cookie", cookie)]),
                ("a stale session", [("Cookie", "sc_session=forged-token"), ("Origin", admin.origin)]),
            ]
            for (why, headers) in refusals {
                do {
                    let socket = try await Self.socket(server, id: id, headers: headers)
                    socket.close()
                    Issue.record("the socket opened with \(why)")
                } catch let error as HTTPTransportError {
                    #expect(error.code == .upgradeRejected && error.response?.status == 400, "\(why): \(error)")
                }
            }

            let socket = try await Self.socket(server, id: id, headers: Self.browserHeaders(admin), size: "?rows=30&cols=100")
            #expect(socket.stream.status == 101)
            try await socket.send(binary: Array("echo hi\r".utf8))
            // The PTY echoes the typed line too: the shell's answer is a `hi` line apart from it.
            func answered(_ messages: [WebSocketTestClient.Message]) -> Bool {
                Self.text(messages).replacingOccurrences(of: "echo hi", with: "").contains("hi\r\n")
            }
            let seen = try await socket.read(until: answered)
            #expect(answered(seen), "the shell's answer, not just the echo: \(Self.text(seen))")
            try await socket.send(text: #"{"type":"resize","rows":40,"cols":132}"#)
            try await socket.send(binary: Array("stty size\r".utf8))
            let resized = try await socket.read { Self.text($0).contains("40 132") }
            #expect(Self.text(resized).contains("40 132"), "resize reached the PTY")
            try await socket.send(binary: Array("exit 3\r".utf8))
            let end = try await socket.read { messages in messages.contains { if case .text = $0 { true } else { false } } }
            #expect(end.contains(.text(#"{"type":"exit","exit_code":3}"#)), "\(end)")
            socket.close()
        }
    }

    @Test func filesListTheWorkspaceDownloadAsAttachmentsAndRefuseTraversal() async throws {
        try await DashboardServer.with { server in
            let id = try await server.makeSandbox()
            let hostile = "<img src=x onerror=alert(1)>"
            let wrote = try await server.api(
                .post, "/v1/sandboxes/\(id)/exec",
                json: #"{"command":"mkdir -p /workspace/sub && printf hello > /workspace/sub/notes.txt && printf x > '/workspace/\#(hostile)'"}"#)
            #expect(wrote.body["exit_code"] as? Int == 0, "\(wrote.body)")
            let admin = try await server.signedIn()

            let root = try await admin.get("/ui/sandboxes/\(id)/files")
            #expect(root.status == 200, "\(root.bodyText)")
            #expect(root.bodyText.contains(#"data-path="/workspace""#))
            #expect(root.bodyText.contains(#"<a href="/ui/sandboxes/\#(id)/files?path=/workspace/sub">sub/</a>"#), "\(root.bodyText)")
            #expect(root.bodyText.contains("&lt;img src=x onerror=alert(1)&gt;"), "the hostile name is text")
            #expect(!root.bodyText.contains(hostile), "never markup")

            let sub = try await admin.get("/ui/sandboxes/\(id)/files?path=/workspace/sub")
            #expect(sub.bodyText.contains(#"data-name="notes.txt" data-kind="file""#), "\(sub.bodyText)")
            #expect(sub.bodyText.contains("5 B"))
            let link = "/ui/sandboxes/\(id)/files/download?path=/workspace/sub/notes.txt"
            #expect(sub.bodyText.contains(#"<a href="\#(link)" download>notes.txt</a>"#))
            let file = try await admin.get(link)
            #expect(file.status == 200)
            #expect(file.bodyText == "hello")
            #expect(file.headers["Content-Type"] == "application/octet-stream")
            #expect(file.headers["Content-Disposition"]?.hasPrefix(#"attachment; filename="notes.txt""#) == true)
            let encoded = HTTPRequest.percentEncode("/workspace/\(hostile)")
            let odd = try await admin.get("/ui/sandboxes/\(id)/files/download?path=\(encoded)")
            #expect(odd.status == 200 && odd.bodyText == "x")
            #expect(odd.headers["Content-Disposition"]?.hasPrefix("attachment;") == true, "an HTML-looking file is still a download")

            for path in ["/workspace/../etc", "/workspace/sub/../../etc/passwd", "/etc", "/workspace/./sub", "workspace", "/workspacex"] {
                let listing = try await admin.get("/ui/sandboxes/\(id)/files?path=\(HTTPRequest.percentEncode(path))")
                #expect(listing.status == 400, "\(path): \(listing.status)")
                let download = try await admin.get("/ui/sandboxes/\(id)/files/download?path=\(HTTPRequest.percentEncode(path))")
                #expect(download.status == 400, "\(path): \(download.status)")
            }
            #expect(try await admin.get("/ui/sandboxes/\(id)/files/download?path=/workspace/sub").status == 400, "a folder is no download")
            #expect(try await admin.get("/ui/sandboxes/\(id)/files?path=/workspace/missing").status == 404)

            let many = try await server.api(
                .post, "/v1/sandboxes/\(id)/exec", json: #"{"command":"mkdir /workspace/many && cd /workspace/many && seq -w 1 1005 | xargs touch"}"#)
            #expect(many.body["exit_code"] as? Int == 0, "\(many.body)")
            let big = try await admin.get("/ui/sandboxes/\(id)/files?path=/workspace/many")
            #expect(big.bodyText.components(separatedBy: #"<tr class="file""#).count - 1 == SandboxFilesController.maxEntries)
            #expect(big.bodyText.contains(#"id="files-not-shown">5 more entries"#), "a huge folder says what it leaves out")
            #expect(!root.bodyText.contains("files-not-shown"))
        }
    }

    // MARK: helpers

    /// The `<tr …data-id="id"…>…</tr>` of `id`, if the page has one.
    static func row(_ html: String, id: String) -> String? {
        guard let start = html.range(of: #"<tr class="sandbox" id="sandbox-\#(id)""#),
            let end = html.range(of: "</tr>", range: start.upperBound..<html.endIndex)
        else { return nil }
        return String(html[start.lowerBound..<end.upperBound])
    }

    /// What a browser on a page of this server sends with a handshake: its cookies and origin.
    static func browserHeaders(_ browser: DashboardClient) -> [(String, String)] {
        [("Cookie", browser.cookieHeader ?? ""), ("Origin", browser.origin)]
    }

    /// A handshake on a fresh connection (an upgrade on a reused one is redirected).
    static func socket(_ server: DashboardServer, id: String, headers: [(String, String)], size: String = "") async throws
        -> WebSocketTestClient
    {
        let client = try HTTPClient(endpoint: .http(host: "127.0.0.1", port: server.port))
        return try await WebSocketTestClient(client: client, path: "/ui/sandboxes/\(id)/terminal/ws\(size)", headers: headers)
    }

    static func text(_ messages: [WebSocketTestClient.Message]) -> String {
        messages.map { message in
            if case .binary(let bytes) = message { return String(decoding: bytes, as: UTF8.self) }
            return ""
        }.joined()
    }
}
