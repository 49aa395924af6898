import Foundation
import TestSupport
import Testing

/// `sandcastle keys …` and `sandcastle dlq …` against a server's `/api/api-keys` and
/// `/api/dead-letter` (issue 14 §6, §7): a tenant key made, used, rotated, restricted and
/// deactivated; dead letters listed, retried as a new run, resolved. Process-level: the built
/// `sandcastle serve` (an admin key by `--api-key`, stored keys peppered by `API_KEY_PEPPER`;
/// runs on real Docker) and the CLI as child processes.
@Suite(.serialized, .timeLimit(.minutes(6)))
struct RemoteKeysDeadLetterCLITests {
    /// A step that fails after its retries in a workflow that sends such steps to the dead letters.
    static let flaky = """
        name: flaky
        on_failure:
          dead_letter: true
        steps:
          - id: fetch
            run: echo "upstream down" >&2; exit 3
          - id: report
            run: echo reported
        """

    static let adminKey = "sc_admin-key-for-cli-tests-0123456789"

    /// `sandcastle serve` on a free loopback port with these workflows, until `body` returns.
    struct Served {
        let url: String

        func cli(_ arguments: [String], key: String? = RemoteKeysDeadLetterCLITests.adminKey) async throws -> RemoteCLIFixture.Output {
            var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SANDCASTLE_") }
            environment["SANDCASTLE_URL"] = url
            if let key { environment["SANDCASTLE_API_KEY"] = key }
            return try await RemoteCLIFixture.run(arguments, environment: environment)
        }

        static func with(workflows: [String: String], _ body: (Served) async throws -> Void) async throws {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sc-remote-served-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: directory) }
            let folder = directory.appendingPathComponent("workflows")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for (name, yaml) in workflows { try yaml.write(to: folder.appendingPathComponent("\(name).yaml"), atomically: true, encoding: .utf8) }
            let log = directory.appendingPathComponent("serve.log")
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            let handle = try FileHandle(forWritingTo: log)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: RemoteCLIFixture.executable)
            process.arguments = [
                "serve", "--port", "0", "--data-dir", directory.appendingPathComponent("data").path, "--workflows-dir", folder.path,
                "--api-key", RemoteKeysDeadLetterCLITests.adminKey,
            ]
            // A configured key is an admin key; keys made through the API are stored with the pepper.
            var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SANDCASTLE_") }
            environment["API_KEY_PEPPER"] = "pepper-for-cli-tests-0123456789abcdef"
            process.environment = environment
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
            try handle.close()
            defer {
                if process.isRunning { process.terminate() }
                process.waitUntilExit()
            }
            var url: String?
            let started = await eventually(.seconds(60)) {
                let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                if let range = text.range(of: "listening on http://") {
                    url = "http://" + text[range.upperBound...].prefix { !$0.isWhitespace }
                }
                return url != nil || !process.isRunning
            }
            let served = try #require(
                url.map(Served.init), "serve did not start (\(started)): \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
            try await body(served)
        }
    }

    @Test func keysAreCreatedUsedRotatedRestrictedAndDeleted() async throws {
        try await Served.with(workflows: RemoteCLITests.workflows) { fixture in
            let created = try await fixture.cli(["keys", "create", "ci", "--tenant", "acme", "--workflow", "hello"])
            #expect(created.status == 0, "\(created.all)")
            let key = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(key.hasPrefix("sc_") && !key.contains("\n"), "stdout holds the key alone: \(created.stdout)")
            #expect(created.stderr.contains("shown once"), "\(created.stderr)")
            #expect(created.stderr.contains("for tenant acme"), "\(created.stderr)")

            let listed = try await fixture.cli(["keys", "list"])
            #expect(listed.status == 0 && listed.stdout.contains("ci") && listed.stdout.contains("acme"), "\(listed.all)")
            #expect(!listed.stdout.contains(key), "a listing never shows a key")
            let row = try #require(listed.stdout.split(separator: "\n").first { $0.contains("acme") })
            let id = String(row.prefix { $0 != " " })

            // The new key works, for its tenant.
            let asTenant = try await fixture.cli(["runs", "ls"], key: key)
            #expect(asTenant.status == 0 && asTenant.stdout.contains("no runs on"), "\(asTenant.all)")
            // A tenant key is no admin.
            let tenantCreates = try await fixture.cli(["keys", "create", "sneaky"], key: key)
            #expect(tenantCreates.status == 1 && tenantCreates.stderr.contains("answered 403 FORBIDDEN"), "\(tenantCreates.all)")

            // Allowed only from a network loopback is not in: refused by address.
            let restricted = try await fixture.cli(["keys", "allowlist", id, "10.0.0.0/8", "2001:db8::/32"])
            #expect(restricted.status == 0 && restricted.stdout.contains("accepted from 10.0.0.0/8, 2001:db8:"), "\(restricted.all)")
            let blocked = try await fixture.cli(["runs", "ls"], key: key)
            #expect(blocked.status == 1 && blocked.stderr.contains("answered 403 IP_BLOCKED"), "\(blocked.all)")
            let cleared = try await fixture.cli(["keys", "allowlist", id, "--clear"])
            #expect(cleared.status == 0 && cleared.stdout.contains("any network"), "\(cleared.all)")

            // Rotation: a new key at once, the old one until the grace period ends (here: none).
            let rotated = try await fixture.cli(["keys", "rotate", id, "--grace-hours", "0"])
            #expect(rotated.status == 0, "\(rotated.all)")
            let newKey = rotated.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(newKey.hasPrefix("sc_") && newKey != key && rotated.stderr.contains("shown once"), "\(rotated.all)")
            let withNew = try await fixture.cli(["runs", "ls"], key: newKey)
            #expect(withNew.status == 0, "\(withNew.all)")
            let withOld = try await fixture.cli(["runs", "ls"], key: key)
            #expect(withOld.status == 1 && withOld.stderr.contains("answered 401"), "\(withOld.all)")
            #expect(!withOld.all.contains(key))

            // Deleted: the key stops working.
            // The list shows each key's prefix: the new key's row is the one with its first characters.
            let newRow = try #require(try await fixture.cli(["keys", "list"]).stdout.split(separator: "\n").first { $0.contains(newKey.prefix(8)) })
            let newID = String(newRow.prefix { $0 != " " })
            let deleted = try await fixture.cli(["keys", "delete", newID])
            #expect(deleted.status == 0 && deleted.stdout.contains("key \(newID) deactivated"), "\(deleted.all)")
            let afterDelete = try await fixture.cli(["runs", "ls"], key: newKey)
            #expect(afterDelete.status == 1 && afterDelete.stderr.contains("answered 401"), "\(afterDelete.all)")
            let unknown = try await fixture.cli(["keys", "delete", "no-such-key"])
            #expect(unknown.status == 1 && unknown.stderr.contains("answered 404"), "\(unknown.all)")
        }
    }

    @Test func deadLettersAreListedRetriedAndResolved() async throws {
        try await Served.with(workflows: ["flaky": Self.flaky]) { fixture in
            let first = try await fixture.cli(["runs", "submit", "flaky", "--wait"])
            let second = try await fixture.cli(["runs", "submit", "flaky", "--wait"])
            let firstRun = try #require(RemoteCLIFixture.runID(first), "\(first.all)")
            let secondRun = try #require(RemoteCLIFixture.runID(second), "\(second.all)")

            let listed = try await fixture.cli(["dlq", "list"])
            #expect(listed.status == 0, "\(listed.all)")
            let header = try #require(listed.stdout.split(separator: "\n").first)
            #expect(header.split(separator: " ").first == "ID", "\(listed.stdout)")
            let rows = listed.stdout.split(separator: "\n").dropFirst()
            #expect(rows.count == 2, "\(listed.stdout)")
            let firstRow = try #require(rows.first { $0.contains(firstRun) })
            let secondRow = try #require(rows.first { $0.contains(secondRun) })
            #expect(firstRow.contains("fetch") && firstRow.contains("exit"), "\(firstRow)")
            let firstItem = String(firstRow.prefix { $0 != " " })
            let secondItem = String(secondRow.prefix { $0 != " " })

            let retried = try await fixture.cli(["dlq", "retry", firstItem, "--follow"])
            let retryRun = try #require(RemoteCLIFixture.runID(retried), "\(retried.all)")
            #expect(retried.stdout.contains("retry of dead letter \(firstItem)"), "\(retried.all)")
            let retryShown = try await fixture.cli(["runs", "show", retryRun])
            #expect(retryShown.stdout.contains("parent:    \(firstRun)"), "\(retryShown.all)")

            let resolved = try await fixture.cli(["dlq", "resolve", secondItem, "--reason", "fixed upstream"])
            #expect(resolved.status == 0 && resolved.stdout.contains("dead letter \(secondItem) resolved (fixed upstream)"), "\(resolved.all)")
            let again = try await fixture.cli(["dlq", "resolve", secondItem])
            #expect(again.status == 1 && again.stderr.contains("answered 409 ALREADY_RESOLVED"), "\(again.all)")

            let resolvedList = try await fixture.cli(["dlq", "list", "--resolved"])
            #expect(resolvedList.stdout.contains(secondItem) && resolvedList.stdout.contains("manual"), "\(resolvedList.all)")
            let json = try await fixture.cli(["dlq", "list", "--resolved", "--json"])
            let items = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]], "\(json.all)")
            #expect(items.contains { $0["run_id"] as? String == secondRun && $0["resolved_by"] as? String == "manual" })
            let unknown = try await fixture.cli(["dlq", "retry", "no-such-item"])
            #expect(unknown.status == 1 && unknown.stderr.contains("answered 4"), "\(unknown.all)")
        }
    }
}
