import Foundation
import TestSupport
import Testing

/// Our CLI against a server (`--url`/`SANDCASTLE_URL`): every `runs` verb on real runs on Docker,
/// `runs submit`, the schedule commands, and the errors a person sees (wrong key, unknown run,
/// bad URL, nothing listening). The CLI runs as a child process; the server is in this process.
@Suite(.serialized, .timeLimit(.minutes(8)))
struct RemoteCLITests {
    static let hello = """
        name: hello
        inputs:
          who: {type: string, default: world}
        steps:
          - id: greet
            run: echo "hi {input.who}"
          - id: after
            depends_on: [greet]
            run: sleep 0.5; echo done
        """

    static let gate = """
        name: gate
        steps:
          - id: build
            run: echo built
          - id: check
            type: approval
            depends_on: [build]
            approval_config:
              message: "Ship it?"
          - id: ship
            depends_on: [check]
            run: echo shipped
        """

    static let slow = """
        name: slow
        steps:
          - id: wait
            run: sleep 60
        """

    static let workflows = ["hello": hello, "gate": gate, "slow": slow]

    @Test func everyRunsVerbWorksOnTheServersRuns() async throws {
        try await RemoteCLIFixture.with(workflows: Self.workflows) { fixture in
            // submit --follow: the steps as they happen, then the outcome, exit 0.
            let submitted = try await fixture.cli(["runs", "submit", "hello", "-i", "who=remote", "--follow"])
            #expect(submitted.status == 0, "\(submitted.all)")
            let id = try #require(RemoteCLIFixture.runID(submitted), "\(submitted.all)")
            for expected in ["▶ greet started", "✔ greet completed in", "▶ after started", "✔ after completed", "run \(id) completed"] {
                #expect(submitted.stdout.contains(expected), "missing \(expected): \(submitted.stdout)")
            }
            #expect(submitted.stdout.contains("hi remote"), "the step's output: \(submitted.stdout)")

            // ls: the table local runs get.
            let listed = try await fixture.cli(["runs", "ls"])
            #expect(listed.status == 0, "\(listed.all)")
            let header = try #require(listed.stdout.split(separator: "\n").first)
            #expect(header.split(separator: " ", omittingEmptySubsequences: true) == ["ID", "WORKFLOW", "STATUS", "CREATED", "DURATION", "COST"])
            #expect(listed.stdout.contains(id) && listed.stdout.contains("hello") && listed.stdout.contains("completed"), "\(listed.stdout)")
            let failedOnly = try await fixture.cli(["runs", "ls", "--status", "failed"])
            #expect(failedOnly.status == 0 && failedOnly.stdout.contains("no runs on \(fixture.url)"), "\(failedOnly.all)")

            // show and show --json, in the local shapes.
            let shown = try await fixture.cli(["runs", "show", id])
            #expect(shown.status == 0, "\(shown.all)")
            #expect(shown.stdout.contains("run \(id): workflow `hello` — completed"), "\(shown.stdout)")
            #expect(shown.stdout.contains("  greet: completed, attempts 1"), "\(shown.stdout)")
            #expect(shown.stdout.contains(#"inputs:    {"who":"remote"}"#), "\(shown.stdout)")
            let json = try await fixture.cli(["runs", "show", id, "--json"])
            #expect(json.status == 0, "\(json.all)")
            let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any], "\(json.all)")
            #expect(document["id"] as? String == id && document["status"] as? String == "completed" && document["workflow"] as? String == "hello")
            let steps = try #require(document["steps"] as? [[String: Any]])
            #expect(steps.map { $0["id"] as? String } == ["greet", "after"])
            #expect((document["outputs"] as? [String: Any])?["greet"] as? String == "hi remote", "\(json.stdout)")
            #expect(document["transcript"] is [Any] && document["usage"] is [String: Any])

            // logs: the run's history, ending with its end.
            let logs = try await fixture.cli(["runs", "logs", id])
            #expect(logs.status == 0, "\(logs.all)")
            let logLines = logs.stdout.split(separator: "\n").map(String.init)
            #expect(logLines.first == "run running", "\(logs.stdout)")
            #expect(logLines.last == "run completed", "\(logs.stdout)")
            #expect(logLines.filter { $0.hasPrefix("▶ greet started") }.count == 1, "each event once: \(logs.stdout)")

            // replay and fork: a new run on the server, followed to its end.
            let replayed = try await fixture.cli(["runs", "replay", id, "--from", "after"])
            #expect(replayed.status == 0, "\(replayed.all)")
            let replayID = try #require(RemoteCLIFixture.runID(replayed))
            #expect(replayed.stdout.contains("replay of run \(id) from step `after`") && replayed.stdout.contains("run \(replayID) completed"))
            let forked = try await fixture.cli(["runs", "fork", id, "--from", "after", "--set-run", "echo forked"])
            #expect(forked.status == 0, "\(forked.all)")
            let forkID = try #require(RemoteCLIFixture.runID(forked))
            #expect(forked.stdout.contains("output after = \"forked\""), "\(forked.stdout)")
            let forkShown = try await fixture.cli(["runs", "show", forkID])
            // The API names a replay's step, not a fork's: the changes say what the fork did.
            #expect(forkShown.stdout.contains("parent:    \(id)\n  changes:   {\"run\":\"echo forked\"}"), "\(forkShown.stdout)")
            let replayShown = try await fixture.cli(["runs", "show", replayID])
            #expect(replayShown.stdout.contains("parent:    \(id) (replay from step `after`)"), "\(replayShown.stdout)")

            // resume has no remote form: said, not attempted.
            let resumed = try await fixture.cli(["runs", "resume", id])
            #expect(resumed.status == 1 && resumed.stderr.contains("`runs resume` has no remote form"), "\(resumed.all)")
        }
    }

    @Test func approvalsCancelAndALiveFollow() async throws {
        try await RemoteCLIFixture.with(workflows: Self.workflows) { fixture in
            // --wait on a gated run: paused is exit 3 with what to do next.
            let waited = try await fixture.cli(["runs", "submit", "gate", "--wait"])
            #expect(waited.status == 3, "\(waited.all)")
            let id = try #require(RemoteCLIFixture.runID(waited))
            #expect(waited.stdout.contains("run \(id) is paused, waiting for approval"), "\(waited.stdout)")
            let pending = try await fixture.cli(["runs", "show", id])
            #expect(pending.stdout.contains("— waiting_approval") && pending.stdout.contains("check: pending"), "\(pending.stdout)")
            #expect(pending.stdout.contains("asks:    Ship it?"), "\(pending.stdout)")

            // --by has no remote form; approving without STEP picks the only gate.
            let withBy = try await fixture.cli(["runs", "approve", id, "--by", "alice"])
            #expect(withBy.status == 1 && withBy.stderr.contains("--by has no remote form"), "\(withBy.all)")
            let approved = try await fixture.cli(["runs", "approve", id, "--comment", "looks good"])
            #expect(approved.status == 0 && approved.stdout.contains("approved step `check` of run \(id) (looks good)"), "\(approved.all)")
            let again = try await fixture.cli(["runs", "approve", id])
            #expect(again.status == 1 && again.stderr.contains("has no pending approval"), "\(again.all)")
            // The same run goes on; follow it to its end.
            #expect(await eventually(.seconds(60)) { (try? await fixture.status(id)) != "awaiting_approval" })
            let followed = try await fixture.cli(["runs", "logs", id, "--follow"])
            #expect(followed.status == 0 && followed.stdout.hasSuffix("run completed\n"), "\(followed.all)")
            #expect(followed.stdout.contains("✔ ship completed"), "\(followed.stdout)")

            // reject: the run fails with the reviewer's decision.
            let second = try await fixture.cli(["runs", "submit", "gate", "--wait"])
            let secondID = try #require(RemoteCLIFixture.runID(second))
            let rejected = try await fixture.cli(["runs", "reject", secondID, "check", "--comment", "no"])
            #expect(rejected.status == 0 && rejected.stdout.contains("rejected step `check`"), "\(rejected.all)")
            #expect(await eventually(.seconds(60)) { (try? await fixture.status(secondID)) == "failed" })

            // A live follow of a running run, started before its steps, then cancel from another process.
            let slow = try await fixture.cli(["runs", "submit", "slow"])
            let slowID = try #require(RemoteCLIFixture.runID(slow))
            #expect(slow.stdout.contains("run \(slowID): pending on \(fixture.url)"), "\(slow.stdout)")
            let environment = fixture.environment()
            async let following = RemoteCLIFixture.run(["runs", "logs", slowID, "--follow"], environment: environment)
            #expect(await eventually(.seconds(60)) { (try? await fixture.status(slowID)) == "running" })
            let cancelled = try await fixture.cli(["runs", "cancel", slowID])
            #expect(cancelled.status == 0 && cancelled.stdout.contains("run \(slowID) cancelled on \(fixture.url)"), "\(cancelled.all)")
            let followedSlow = try await following
            #expect(followedSlow.status == 0, "\(followedSlow.all)")
            #expect(followedSlow.stdout.contains("▶ wait started") && followedSlow.stdout.contains("\nrun cancelled"), "\(followedSlow.stdout)")
            let cancelledAgain = try await fixture.cli(["runs", "cancel", slowID])
            #expect(cancelledAgain.status == 1 && cancelledAgain.stderr.contains("answered 400 INVALID_STATUS"), "\(cancelledAgain.all)")
        }
    }

    @Test func errorsNameTheServerAndWhatItSaid() async throws {
        try await RemoteCLIFixture.with(workflows: Self.workflows) { fixture in
            let wrongKey = "sc_wrong-key-that-must-not-be-printed"
            let refused = try await fixture.cli(["runs", "ls"], key: wrongKey)
            #expect(refused.status == 1, "\(refused.all)")
            #expect(refused.stderr.contains("the server at \(fixture.url) answered 401 UNAUTHORIZED"), "\(refused.all)")
            #expect(!refused.all.contains(wrongKey), "the key was printed: \(refused.all)")
            let viaFlag = try await fixture.cli(["runs", "ls", "--api-key", wrongKey], key: nil)
            #expect(viaFlag.status == 1 && viaFlag.stderr.contains("401 UNAUTHORIZED") && !viaFlag.all.contains(wrongKey), "\(viaFlag.all)")
            let noKey = try await fixture.cli(["runs", "ls"], key: nil)
            #expect(noKey.status == 1 && noKey.stderr.contains("401 UNAUTHORIZED"), "\(noKey.all)")

            let unknown = try await fixture.cli(["runs", "show", "nosuchrun"])
            #expect(unknown.status == 1 && unknown.stderr.contains("answered 404 RUN_NOT_FOUND"), "\(unknown.all)")
            let unknownFollow = try await fixture.cli(["runs", "logs", "nosuchrun", "--follow"])
            #expect(unknownFollow.status == 1 && unknownFollow.stderr.contains("answered 404 RUN_NOT_FOUND"), "\(unknownFollow.all)")
            let hostile = try await fixture.cli(["runs", "show", "../../etc/passwd\u{1}"])
            #expect(hostile.status == 1 && hostile.stderr.contains("answered 4"), "\(hostile.all)")
            let noWorkflow = try await fixture.cli(["runs", "submit", "nosuch"])
            #expect(noWorkflow.status == 1 && noWorkflow.stderr.contains("answered 404 WORKFLOW_NOT_FOUND"), "\(noWorkflow.all)")

            let badURL = try await fixture.cli(["runs", "ls", "--url", "ftp://example.com"])
            #expect(badURL.status == 1 && badURL.stderr.contains("'ftp://example.com' is not a server URL"), "\(badURL.all)")
            // Nothing listens on port 1 of loopback.
            let nothing = try await fixture.cli(["runs", "ls"], environment: ["SANDCASTLE_URL": "http://127.0.0.1:1"])
            #expect(nothing.status == 1, "\(nothing.all)")
            #expect(nothing.stderr.contains("cannot reach a Sandcastle server at http://127.0.0.1:1"), "\(nothing.all)")
            #expect(nothing.stderr.contains("sandcastle serve"), "\(nothing.all)")
            let both = try await fixture.cli(["runs", "ls", "--url", fixture.url, "--data-dir", "/tmp/x"])
            #expect(both.status == 1 && both.stderr.contains("give --data-dir or --url, not both"), "\(both.all)")

            // The remote-only commands say what they need without a server.
            var local = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SANDCASTLE_") }
            local["HOME"] = FileManager.default.temporaryDirectory.path
            for command in [["schedule", "list"], ["keys", "list"], ["dlq", "list"], ["runs", "submit", "hello"]] {
                let alone = try await RemoteCLIFixture.run(command, environment: local)
                #expect(alone.status == 1 && alone.stderr.contains("works on a server: give --url URL"), "\(command): \(alone.all)")
            }
        }
    }

    @Test func scheduleVerbs() async throws {
        try await RemoteCLIFixture.with(workflows: Self.workflows) { fixture in
            let created = try await fixture.cli(["schedule", "create", "hello", "0 9 * * *", "--timezone", "Asia/Kolkata", "-i", "who=cron"])
            #expect(created.status == 0, "\(created.all)")
            let firstLine = try #require(created.stdout.split(separator: "\n").first)
            #expect(firstLine.hasPrefix("schedule ") && firstLine.hasSuffix("workflow `hello` — active"), "\(created.stdout)")
            let id = String(firstLine.dropFirst("schedule ".count).prefix { $0 != ":" })
            #expect(UUID(uuidString: id) != nil, "\(created.stdout)")
            #expect(created.stdout.contains("cron:      0 9 * * * (Asia/Kolkata) — At 09:00 every day"), "\(created.stdout)")
            #expect(created.stdout.contains(#"inputs:    {"who":"cron"}"#), "\(created.stdout)")

            let listed = try await fixture.cli(["schedule", "list"])
            #expect(listed.status == 0 && listed.stdout.contains(id) && listed.stdout.contains("Asia/Kolkata"), "\(listed.all)")
            let json = try await fixture.cli(["schedule", "list", "--json"])
            let items = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]], "\(json.all)")
            #expect(items.count == 1 && items[0]["id"] as? String == id)

            let updated = try await fixture.cli(["schedule", "update", id, "--cron", "@hourly"])
            #expect(updated.status == 0 && updated.stdout.contains("cron:      @hourly"), "\(updated.all)")
            let invalid = try await fixture.cli(["schedule", "update", id, "--cron", "61 * * * *"])
            #expect(invalid.status == 1 && invalid.stderr.contains("answered 422 INVALID_CRON"), "\(invalid.all)")
            let invalidCreate = try await fixture.cli(["schedule", "create", "hello", "* * *"])
            #expect(invalidCreate.status == 1 && invalidCreate.stderr.contains("answered 422 INVALID_CRON"), "\(invalidCreate.all)")

            let disabled = try await fixture.cli(["schedule", "disable", id])
            #expect(disabled.status == 0 && disabled.stdout.contains("schedule \(id) disabled"), "\(disabled.all)")
            let shown = try await fixture.cli(["schedule", "show", id])
            #expect(shown.stdout.contains("— paused") && shown.stdout.contains("enabled:   no"), "\(shown.all)")
            let enabled = try await fixture.cli(["schedule", "enable", id])
            #expect(enabled.status == 0 && enabled.stdout.contains("schedule \(id) enabled; next run"), "\(enabled.all)")

            let triggered = try await fixture.cli(["schedule", "trigger", id, "--follow"])
            #expect(triggered.status == 0, "\(triggered.all)")
            let runID = try #require(RemoteCLIFixture.runID(triggered))
            #expect(triggered.stdout.contains("run \(runID) completed") && triggered.stdout.contains("hi cron"), "\(triggered.stdout)")

            let deleted = try await fixture.cli(["schedule", "delete", id])
            #expect(deleted.status == 0 && deleted.stdout.contains("schedule \(id) deleted"), "\(deleted.all)")
            let gone = try await fixture.cli(["schedule", "show", id])
            #expect(gone.status == 1 && gone.stderr.contains("answered 404 NOT_FOUND"), "\(gone.all)")
            let empty = try await fixture.cli(["schedule", "list"])
            #expect(empty.stdout.contains("no schedules on \(fixture.url)"), "\(empty.all)")
        }
    }
}
