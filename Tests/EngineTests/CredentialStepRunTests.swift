import DockerEngine
import Engine
import EngineService
import Foundation
import Sandbox
import Store
import Synchronization
import TestSupport
import Testing
import Workflow

/// A declared credential on real Docker (issue 15 §5): the declaring step's command sees it
/// (and prints only its hash), the other step's sandbox has it nowhere — not in its shell's
/// environment, not in any process's `/proc/*/environ` — and nothing the run leaves (the
/// database file, its events, the live events, the data folder's files) holds the value.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct CredentialStepRunTests {
    static let token = "ghp_CredentialTest_\(UUID().uuidString.replacingOccurrences(of: "-", with: ""))"

    static let workflow = """
        name: credentials
        steps:
          - id: with
            run: printf %s "$GITHUB_TOKEN" | sha256sum | cut -c1-64
            credentials: [{name: github:default, env: GITHUB_TOKEN}]
          - id: without
            depends_on: [with]
            run: |
              { env; for f in /proc/[0-9]*/environ; do tr '\\0' '\\n' < "$f" 2>/dev/null; done; } | sort -u
              echo "shell: ${GITHUB_TOKEN:-unset} ${GITHUB_DEFAULT:-unset}"
        """

    /// Events seen live, as text.
    final class Seen: Sendable {
        let lines = Mutex<[String]>([])
        func add(_ event: EngineEvent) { lines.withLock { $0.append("\(event)") } }
        var all: String { lines.withLock { $0.joined(separator: "\n") } }
    }

    static func service(_ directory: String, ahead: Int) async throws -> RunService {
        var settings = EngineSettings(dataDirectory: directory)
        settings.sandboxesAhead = ahead
        return try await RunService.open(settings, sandboxes: .required, creatingStore: true)
    }

    static func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cred-run-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Every file under `directory`, as text.
    static func everyFile(under directory: String) -> String {
        let files = FileManager.default.enumerator(atPath: directory)?.compactMap { $0 as? String } ?? []
        return files.compactMap { FileManager.default.contents(atPath: directory + "/" + $0) }
            .map { String(decoding: $0, as: UTF8.self) }.joined(separator: "\n")
    }

    /// Both ways a step gets its sandbox: made for it (the variables on the container) and made
    /// ahead (the variables exported into its shell at hand-out).
    @Test(arguments: [0, 1])
    func onlyTheDeclaringStepSeesTheValueAndNothingKeepsIt(ahead: Int) async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let service = try await Self.service(directory, ahead: ahead)
        try service.credentials.set("github:default", value: Self.token)
        let definition = try #require(WorkflowLoader().load(text: Self.workflow, file: "credentials.yaml").workflow)
        let seen = Seen()
        let outcome = try await service.start(definition, options: RunService.RunOptions(onEvent: { seen.add($0) }))
        #expect(outcome.status == .completed, "\(outcome.error ?? "")")

        let expectedHash = String(try await runChild("sha256sum", input: Data(Self.token.utf8)).text.prefix(64))
        #expect(outcome.steps["with"]?.output == .string(expectedHash), "the declaring step's command saw the value")
        guard case .string(let environ)? = outcome.steps["without"]?.output else {
            Issue.record("the other step printed nothing: \(String(describing: outcome.steps["without"]))")
            return
        }
        // `env` (started after a made-ahead sandbox's hand-out exports) always shows the step's
        // own variables; the /proc listing adds every process's, whichever happen to be running.
        #expect(environ.contains("SANDCASTLE_STEP_ID=without"), "the other step did read its environment:\n\(environ)")
        #expect(environ.contains("shell: unset unset"))
        #expect(!environ.contains(Self.token) && !environ.contains("GITHUB_TOKEN="), "the other step's sandbox has no trace of it")

        let events = try service.repository.events(runID: outcome.runID)
        #expect(!events.isEmpty)
        #expect(!events.contains { $0.payloadJSON.contains(Self.token) }, "no stored event holds the value")
        #expect(!seen.all.isEmpty && !seen.all.contains(Self.token), "no live event holds the value")
        try service.repository.database.read { _ = try $0.query("PRAGMA wal_checkpoint(TRUNCATE)") }
        let files = Self.everyFile(under: directory)
        #expect(files.contains("sandcastle") || !files.isEmpty)
        #expect(!files.contains(Self.token), "no file of the data folder (database, WAL, outputs) holds the value")
        #expect(try service.credentials.record("github:default")?.lastUsedAt != nil)

        let docker = try await DockerClient.connect()
        let left = try await eventually(.seconds(60)) {
            try await docker.listContainers(all: true, filters: .label(SandcastleLabels.run, outcome.runID)).isEmpty
        }
        #expect(left, "the run's sandboxes were removed")
    }

    @Test func aMissingCredentialFailsTheStepAtOnceNamingIt() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let service = try await Self.service(directory, ahead: 0)
        let text = """
            name: missing
            steps:
              - id: deploy
                run: echo never
                retry: {max_attempts: 3, initial_delay: 0s}
                credentials: [aws:prod]
            """
        let definition = try #require(WorkflowLoader().load(text: text, file: "missing.yaml").workflow)
        let outcome = try await service.start(definition)
        #expect(outcome.status == .failed)
        let error = outcome.steps["deploy"]?.error ?? ""
        #expect(error.contains("aws:prod") && error.contains("sandcastle credentials set aws:prod"), "\(error)")
        let kinds = try service.repository.events(runID: outcome.runID).map(\.kind)
        #expect(!kinds.contains("retry_scheduled") && !kinds.contains("step_started"), "no attempt, no retry: \(kinds)")
    }
}
