import Foundation
import Guardrails
import HTTPTransport
import Logging
import Synchronization
import TestSupport
import Testing

@testable import ServerCore

/// The scrubber at every door (issue 15 §2), on a real run: a step prints secrets of several
/// formats and one value the server holds, another fails quoting one; none of them reaches the
/// store's file, the run's API answers, its event stream or its webhook — each is replaced.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct SecretScrubbingTests {
    /// The secrets the step prints; the workflow builds each from two halves so the workflow's
    /// own text (which the catalog stores) never holds one whole.
    static let secrets: [(String, String)] = [
        ("AKIA", "Q7J3ZQ2XK5M4TTPL"), // an AWS access key id
        ("ghp_", "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"), // a GitHub token
        ("sk_live_", "51HqZ2bC3dE4fG5hI6jK7lM8n"), // a Stripe live key
        ("xoxb-", "123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"), // a Slack bot token
    ]
    /// A value the server holds (like a credential), in two halves for the same reason.
    static let heldHalves = ("held-value-", UUID().uuidString)
    static var held: String { heldHalves.0 + heldHalves.1 }

    static var workflow: String {
        let prints = secrets.map { "printf '%s%s\\n' '\($0.0)' '\($0.1)'" }.joined(separator: "\n      ")
        return """
            name: leaky
            steps:
              - id: leak
                run: |
                  \(prints)
                  printf '{"password": "%s%s"}\\n' 'hunter2-' 'correct-horse'
                  printf 'exact %s%s\\n' '\(heldHalves.0)' '\(heldHalves.1)'
              - id: fail
                depends_on: [leak]
                run: printf 'boom %s%s\\n' 'sk_live_' '51HqZ2bC3dE4fG5hI6jK7lM8n' >&2; exit 3
            """
    }

    static var whole: [String] {
        secrets.map { $0.0 + $0.1 } + ["hunter2-correct-horse", held]
    }

    @Test func aRunsSecretsNeverReachTheStoreTheAPIItsStreamOrItsWebhook() async throws {
        ScrubbingSystem.register(exactValues: [Self.held])
        let receiver = try await WebhookReceiver.start()
        defer { receiver.stop() }
        try await SandcastleAPITests.with(workflows: ["leaky": Self.workflow]) { server, orchestrator, data in
            let submitted = try await server.call(
                .post, "/api/workflows/run",
                json: #"{"workflow_name":"leaky","callback_url":"\#(receiver.url)"}"#,
                key: ServerFixture.key)
            let id = try #require(SandcastleAPITests.data(submitted.body)["run_id"] as? String, "\(submitted.text)")
            let run = try await SandcastleAPITests.waitForEnd(server, id)
            #expect(run["status"] as? String == "failed", "\(run)")

            var seen: [String: String] = [:]
            seen["run"] = try await server.call(.get, "/api/runs/\(id)", key: ServerFixture.key).text
            seen["stream"] = try await server.client.send(
                HTTPRequest(method: .get, path: "/api/runs/\(id)/stream", headers: ["X-API-Key": ServerFixture.key])
            ).bodyText
            let delivered = await eventually(.seconds(30)) { !receiver.received.isEmpty }
            #expect(delivered, "the callback got nothing")
            seen["webhook"] = receiver.received.map { String(decoding: $0.body, as: UTF8.self) }.joined()
            // Everything SQLite has written, WAL included.
            let files = ["sandcastle.sqlite", "sandcastle.sqlite-wal"].map { data + "/" + $0 }
            seen["store"] = files.compactMap { FileManager.default.contents(atPath: $0) }.map { String(decoding: $0, as: UTF8.self) }
                .joined()

            #expect(seen["run"]?.contains("[REDACTED:") == true, "the output shows where secrets were: \(seen["run"] ?? "")")
            for (place, text) in seen {
                for secret in Self.whole {
                    #expect(!text.contains(secret), "\(secret.prefix(8))… reached \(place)")
                }
            }
        }
    }

    /// A credential pasted into a workflow's text does not leave with the exported workflow
    /// (`yaml_content`), nor does anything of a secret's shape (issue 15 §5).
    @Test func anExportedWorkflowCarriesNoCredentialValue() async throws {
        let value = "pasted-credential-" + UUID().uuidString
        let pasted = """
            name: pasted
            steps:
              - id: use
                run: echo using
                env:
                  TOKEN: "\(value)"
                  OTHER: "\(Self.secrets[1].0)\(Self.secrets[1].1)"
            """
        try await SandcastleAPITests.with(workflows: ["pasted": pasted]) { server, orchestrator, _ in
            // Stored like any credential: from now on its value is scrubbed by exact value.
            try orchestrator.runs.credentials.set("github:pasted", value: value)
            let listed = try await server.call(.get, "/api/workflows", key: ServerFixture.key)
            #expect(listed.status == 200, "\(listed.text)")
            #expect(listed.text.contains("[REDACTED:"), "the export shows where the secrets were: \(listed.text)")
            #expect(!listed.text.contains(value), "the credential's value left with the workflow")
            #expect(!listed.text.contains(Self.secrets[1].0 + Self.secrets[1].1), "the token left with the workflow")
        }
    }

    @Test func logLinesAreScrubbedWhateverLogsThem() throws {
        let value = "log-held-" + UUID().uuidString
        ScrubbingSystem.register(exactValues: [value])
        let lines = CapturedLines()
        var logger = Logger(label: "test") { _ in ScrubbingLogHandler(CapturingLogHandler(lines: lines)) }
        logger[metadataKey: "key"] = "\(value)"
        logger.info("starting with \(value)", metadata: ["token": "\(value)"])
        let captured = lines.all.withLock { $0 }
        #expect(captured.count == 1)
        #expect(captured.allSatisfy { !$0.contains(value) && $0.contains("[REDACTED:") }, "\(captured)")
    }

    @Test func serverErrorsAreScrubbedWhereTheyAreMade() {
        let value = "error-held-" + UUID().uuidString
        ScrubbingSystem.register(exactValues: [value])
        let error = ServerError(.invalidInput, "the value \(value) is not accepted")
        #expect(!error.message.contains(value) && error.message.contains("[REDACTED:"), "\(error.message)")
    }
}

private final class CapturedLines: Sendable {
    let all = Mutex<[String]>([])
}

/// Keeps each line (message and metadata) a logger writes.
private struct CapturingLogHandler: LogHandler {
    let lines: CapturedLines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let fields = metadata.merging(event.metadata ?? [:]) { $1 }.map { "\($0)=\($1)" }.sorted()
        lines.all.withLock { $0.append(([event.message.description] + fields).joined(separator: " ")) }
    }
}
