import Foundation
import Guardrails
import JSONValues
import Store
import TestSupport
import Testing

@testable import Engine

/// `sandcastle runs violations RUN [--json]` on a run the CLI made on Docker (process level).
@Suite(.timeLimit(.minutes(5)))
struct PolicyCLITests {
    @Test func runsViolationsListsARunsViolationsMasked() async throws {
        let directory = try CLIRunTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let email = "carol.white@example.net"
        let file = directory.appendingPathComponent("guarded.yaml")
        try """
        name: guarded
        defaults: {image: base, timeout: 60s}
        policies:
          - {id: no-email, severity: high, trigger: {type: pattern, patterns: [email]}, action: {type: redact}}
        steps:
          - {id: leak, run: "echo 'mail \(email)'"}
        """.write(to: file, atomically: true, encoding: .utf8)
        let data = directory.appendingPathComponent("data")
        let cli = try CLIRunTests.executable().path
        let run = try await runChild(cli, ["run", file.path, "--data-dir", data.path], directory: directory)
        #expect(run.status == 0, "\(run.text)")
        #expect(!run.text.contains(email), "the CLI's own output records the redacted result: \(run.text)")
        let repository = try SQLiteRunRepository(path: data.appendingPathComponent("sandcastle.sqlite").path)
        let runID = try #require(try repository.listRuns(RunQuery()).first?.id)

        let listed = try await runChild(cli, ["runs", "violations", runID, "--data-dir", data.path], directory: directory)
        #expect(listed.status == 0, "\(listed.text)")
        #expect(listed.text.contains("leak  no-email  high  redact (output changed)  email: \(maskedSecret(email))"), "\(listed.text)")
        #expect(!listed.text.contains(email))

        let json = try await runChild(
            cli, ["runs", "violations", runID, "--json", "--data-dir", data.path], directory: directory, includeStandardError: false)
        guard case .array(let items)? = JSONValue.parse(json: json.text) else {
            Issue.record("not a JSON array: \(json.text)")
            return
        }
        #expect(items.count == 1 && items.first?.child("policy_id") == "no-email" && items.first?.child("action_taken") == "redact")

        let unknown = try await runChild(cli, ["runs", "violations", "nosuchrun", "--data-dir", data.path], directory: directory)
        #expect(unknown.status != 0 && unknown.text.contains("no run nosuchrun"), "\(unknown.text)")
    }
}
