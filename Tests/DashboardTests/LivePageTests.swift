import DockerEngine
import Foundation
import HTTPTransport
import Sandbox
import TestSupport
import Testing

/// The run page and its live stream against a real server and real runs on Docker: a run paused
/// at a gate is drawn waiting, approved from the page, and the stream pushes the page's parts
/// as HTML fragments until the run completes; a stream resumed from an older position
/// (`Last-Event-ID`) gets what changed at once; the runs stream inserts a new run's row. Hostile
/// text from a step renders as text.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct LivePageTests {
    static let gated = """
        name: gated
        steps:
          - id: build
            run: echo 'kept' > "$SANDCASTLE_OUTPUTS/report.txt"; echo '<img src=x onerror=alert(1)>'
          - id: gate
            type: approval
            depends_on: [build]
            approval_config: {message: "Ship it?"}
          - id: ship
            depends_on: [gate]
            run: echo shipping
          - id: broken
            depends_on: [build]
            on_failure: continue
            run: echo 'bad <b>thing</b>' >&2; exit 7
        """

    /// Reads the stream until `done` says the accumulated text is enough (or 60 s pass).
    static func read(_ stream: HTTPStreamingResponse, until done: (String) -> Bool) async throws -> String {
        var text = ""
        let deadline = ContinuousClock.now + .seconds(60)
        for try await chunk in stream.body {
            text += String(decoding: chunk, as: UTF8.self)
            if done(text) || ContinuousClock.now > deadline { break }
        }
        stream.cancel()
        return text
    }

    func open(_ server: DashboardServer, _ browser: DashboardClient, _ path: String, lastEventID: Int? = nil) async throws -> HTTPStreamingResponse {
        var headers = [("Cookie", "sc_session=\(browser.cookies["sc_session"] ?? "")"), ("Accept", "text/event-stream")]
        if let lastEventID { headers.append(("Last-Event-ID", String(lastEventID))) }
        let stream = try await browser.client.stream(HTTPRequest(method: .get, path: path, headers: HTTPHeaders(headers), timeout: .seconds(120)))
        #expect(stream.status == 200 && stream.headers["Content-Type"] == "text/event-stream")
        return stream
    }

    @Test func theRunPageFollowsARunFromItsGateToTheEnd() async throws {
        try await DashboardServer.with(workflows: ["gated": Self.gated]) { server in
            let runID = try await server.startRun("gated")
            let browser = try await server.signedIn()
            let waited = try await eventually(.seconds(60)) {
                let text = try await browser.get("/ui/runs/\(runID)").text
                return text.contains(#"status-waiting_approval" data-status="waiting_approval""#) && text.contains(#"id="step-broken" data-status="failed""#)
            }
            #expect(waited, "the run never waited at its gate")
            let page = try await browser.get("/ui/runs/\(runID)")
            #expect(page.text.matches(of: /<tr class="step[^"]*" id="step-/).count == 4, "one row per workflow step")
            #expect(page.text.contains(#"<article class="approval" data-run="\#(runID)" data-step="gate">"#))
            #expect(page.text.contains(#"<pre class="step-error">"#) && page.text.contains("exited with status 7"))
            #expect(!page.text.contains("<b>thing</b>") && !page.text.contains("<img src=x"), "step text is escaped")
            let built = try await browser.get("/ui/runs/\(runID)?step=build")
            #expect(built.text.contains("&lt;img src=x onerror=alert(1)&gt;"), "the output shows as text")
            #expect(DashboardClient.count("<script", in: built.text) == 1 && built.text.contains(#"<script src="/ui/static/app.js" defer>"#))

            // The page's stream starts where the page was drawn; approving from the page moves the run on.
            let streamPath = try #require(page.text.firstMatch(of: /data-stream="([^"]+)"/).map { String($0.1) }).replacingOccurrences(of: "&amp;", with: "&")
            #expect(streamPath.hasPrefix("/ui/stream?run=\(runID)&after="))
            let stream = try await open(server, browser, streamPath)
            let decided = try await browser.post(
                "/ui/runs/\(runID)/approvals/gate", form: ["decision": "approve", "comment": "fine", "back": "/ui/runs/\(runID)"])
            #expect(decided.status == 303 && decided.location == "/ui/runs/\(runID)", "\(decided.status) \(decided.text)")
            let pushed = try await Self.read(stream) { $0.contains(#"id=\"run-status\" class=\"status status-completed\""#) }
            #expect(pushed.contains("event: replace"))
            #expect(pushed.contains(#""target":"run-header""#) && pushed.contains(#""target":"steps-body""#))
            #expect(pushed.contains(#"id=\"run-status\" class=\"status status-completed\" data-status=\"completed\""#), "\(pushed.suffix(2000))")
            let ids = pushed.matches(of: /\nid: (\d+)\n/).compactMap { Int($0.1) }
            #expect(!ids.isEmpty, "every fragment carries the store position")

            // The files the run kept are downloads; a path the run did not keep is not served.
            let finished = try await browser.get("/ui/runs/\(runID)")
            let link = "/ui/runs/\(runID)/artifacts?path=build/report.txt"
            #expect(finished.text.contains(#"<a href="\#(link)" download>build/report.txt</a>"#), "\(finished.text.suffix(1500))")
            let file = try await browser.get(link)
            #expect(file.status == 200 && file.text == "kept\n" && file.headers["Content-Disposition"] == #"attachment; filename="report.txt""#)
            #expect(try await browser.get("/ui/runs/\(runID)/artifacts?path=../../sandcastle.sqlite").status == 404)

            // A browser reconnecting from an old position is brought up to date at once.
            let resumed = try await open(server, browser, "/ui/stream?run=\(runID)", lastEventID: 1)
            let caughtUp = try await Self.read(resumed) { $0.contains(#"id=\"run-status\" class=\"status status-completed\""#) }
            #expect(caughtUp.contains(#"id=\"run-status\" class=\"status status-completed\""#))

            let audit = try await server.api(.get, "/api/runs/\(runID)/audit?limit=100")
            let decision = (audit.body["data"] as? [[String: Any]])?.first { $0["event_type"] as? String == "approval.decided" }
            #expect(decision?["actor_id"] as? String != nil && decision?["actor_id"] as? String != "engine", "the decision is the signed-in key's")
        }
    }

    static let chatty = """
        name: chatty
        steps:
          - id: talk
            run: |
              echo first-line
              printf 'token ghp_abcdefghij'; sleep 0.3; printf 'klmnopqrstuvwxyz0123456789 end\\n'
              while [ ! -e /workspace/go ]; do sleep 0.05; done
              echo last-line
        """

    /// A running step's output reaches its page's log as it is printed — scrubbed a line at a
    /// time, so a token printed in two chunks never shows, not even half of it.
    @Test func aRunningStepsLogFollowsItsOutputScrubbed() async throws {
        try await DashboardServer.with(workflows: ["chatty": Self.chatty]) { server in
            let runID = try await server.startRun("chatty")
            let browser = try await server.signedIn()
            let page = try await browser.get("/ui/runs/\(runID)?step=talk")
            let streamPath = try #require(page.text.firstMatch(of: /data-stream="([^"]+)"/).map { String($0.1) }).replacingOccurrences(of: "&amp;", with: "&")
            let stream = try await open(server, browser, streamPath + "&step=talk")
            var seen = ""
            let deadline = ContinuousClock.now + .seconds(60)
            var iterator = stream.body.makeAsyncIterator()
            while !(seen.contains("first-line") && seen.contains(" end")), ContinuousClock.now < deadline, let chunk = try await iterator.next() {
                seen += String(decoding: chunk, as: UTF8.self)
            }
            #expect(seen.contains(#""target":"step-log""#) && seen.contains("first-line"), "the log showed the output while the step ran")
            #expect(seen.contains(" end") && !seen.contains("abcdefghij") && !seen.contains("klmnopqrstuvwxyz"), "\(seen.suffix(1500))")
            #expect(!seen.contains("last-line"), "the step is still waiting for its file")

            // Let the step finish: it waits for a file in its workspace.
            let docker = try await DockerClient.connect()
            let container = try #require(try await docker.listContainers(all: false, filters: .label(SandcastleLabels.run, runID)).first)
            let touch = Process()
            touch.executableURL = URL(fileURLWithPath: "/usr/bin/docker")
            touch.arguments = ["exec", container.id, "touch", "/workspace/go"]
            try touch.run()
            touch.waitUntilExit()
            #expect(touch.terminationStatus == 0)
            while !seen.contains("status-completed\\\" data-status"), ContinuousClock.now < deadline, let chunk = try await iterator.next() {
                seen += String(decoding: chunk, as: UTF8.self)
            }
            stream.cancel()
            let done = try await browser.get("/ui/runs/\(runID)?step=talk")
            #expect(done.text.contains("last-line") && !done.text.contains("abcdefghij"), "the recorded log, scrubbed")
        }
    }

    @Test func theRunsStreamInsertsANewRunsRow() async throws {
        try await DashboardServer.with(workflows: ["gated": Self.gated]) { server in
            let browser = try await server.signedIn()
            let list = try await browser.get("/ui/runs")
            let streamPath = try #require(list.text.firstMatch(of: /data-stream="([^"]+)"/).map { String($0.1) }).replacingOccurrences(of: "&amp;", with: "&")
            let stream = try await open(server, browser, streamPath)
            let runID = try await server.startRun("gated")
            let pushed = try await Self.read(stream) { $0.contains("run-\(runID)") }
            #expect(pushed.contains(#""insert":"runs-body""#) && pushed.contains(#""target":"run-\#(runID)""#))
            #expect(pushed.contains(#"<tr class=\"run\" id=\"run-\#(runID)\""#))
            #expect(pushed.contains(#""target":"dlq-count""#) && pushed.contains(#""target":"approvals-count""#), "the sidebar's counts follow")
            // The list's day filters (UTC days, both ends included) live in the address.
            let today = String(ISO8601DateFormatter().string(from: Date()).prefix(10))
            #expect(try await browser.get("/ui/runs?from=\(today)&to=\(today)").text.contains("id=\"run-\(runID)\""))
            #expect(!(try await browser.get("/ui/runs?from=2001-01-01&to=2001-01-02").text.contains("id=\"run-\(runID)\"")))
            #expect(try await browser.get("/ui/runs?from=yesterday").status == 400)
            _ = try await server.api(.post, "/api/runs/\(runID)/cancel")
        }
    }
}
