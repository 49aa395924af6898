import Foundation
import Guardrails
import JSONValues
import ModelProviders
import ProviderDouble
import SandboxDocker
import Store
import TestSupport
import Testing
import Workflow

@testable import Engine
@testable import EngineService

/// A JSON string's text; nil for anything else.
private func text(_ value: JSONValue?) -> String? {
    if case .string(let text)? = value { text } else { nil }
}

/// The privacy router's proof (issue 15 §3): a real run on Docker whose agent step's prompt and
/// tool result (a file in the sandbox) hold an email, a phone number and a card number. With
/// `prompts` on, the provider double never receives the originals, only placeholders; with
/// privacy off it does (so the check is not vacuous). Both wire protocols.
@Suite(.serialized, .timeLimit(.minutes(5))) struct PrivacyRouterRunTests {
    static let email = "jane.doe@example.com"
    static let phone = "+1 (555) 123-4567"
    static let card = "4111 1111 1111 1111"

    enum Wire: String, CaseIterable, Sendable {
        case anthropic, openAI
    }

    struct Observed {
        var outcome: RunOutcome
        var requests: [RecordedRequest]
        var calls: [ModelCallRecord]
        var turns: [RunEvent.ModelTurn]
    }

    /// One run of the PII workflow on `wire`, the `privacy:` block given as YAML (or none).
    static func run(wire: Wire, privacy: String) async throws -> Observed {
        let double = try await ProviderDouble.start()
        defer { Task { await double.stop() } }
        let key = wire == .anthropic ? AgentStepRunTests.key() : "sk-openai-test-\(UUID().uuidString.lowercased())"
        double.setScript(
            key: key,
            turns: [
                .calls([ScriptedToolCall(name: "Bash", input: ["command": "cat /workspace/customer.txt"])]),
                .reply("Done: I wrote to the customer."),
            ])
        let environment =
            wire == .anthropic
            ? ["ANTHROPIC_API_KEY": key, "ANTHROPIC_BASE_URL": double.anthropicBaseURL]
            : ["OPENAI_API_KEY": key, "OPENAI_BASE_URL": double.openAIBaseURL]
        let models = try EngineSettings(environment: environment).modelAccess()
        let backend = try await DockerSandboxBackend.fromEnvironment()
        let (directory, repository) = try DockerWorkflowRunTests.scratchRepository()
        defer { try? FileManager.default.removeItem(at: directory) }
        let wf = try workflow(
            """
            name: pii-\(wire.rawValue)
            default_model: \(wire == .anthropic ? "sonnet" : "openai/gpt-4o")
            \(privacy)
            steps:
              - id: seed
                run: |
                  printf 'customer %s, phone %s, card %s\\n' '\(email)' '\(phone)' '\(card)' > /workspace/customer.txt
                  cat /workspace/customer.txt
              - id: agent
                depends_on: [seed]
                prompt: "Read customer.txt, then write to \(email) or call \(phone)."
                tools: [Bash]
            """)
        let outcome = try await AgentStepRunTests.engine(backend, repository, models: models).run(wf)
        let events = try repository.events(runID: outcome.runID).map(RunEvent.init)
        let left = try await DockerWorkflowRunTests.leftovers(of: outcome.runID, in: backend)
        #expect(left.containers.isEmpty && left.volumes.isEmpty, "left behind: \(left)")
        return Observed(
            outcome: outcome, requests: double.requests(key: key), calls: try repository.modelCalls(runID: outcome.runID),
            turns: events.compactMap { if case .modelTurn(let turn) = $0 { turn } else { nil } })
    }

    @Test(arguments: Wire.allCases)
    func withPromptsOnTheProviderSeesOnlyPlaceholders(wire: Wire) async throws {
        let observed = try await Self.run(
            wire: wire, privacy: "privacy: {enabled: true, entities: [email, phone, credit_card], apply_to: [prompts, outputs]}")
        #expect(observed.outcome.status == .completed, "\(observed.outcome.error ?? "")")
        #expect(observed.requests.count == 2)
        for (index, request) in observed.requests.enumerated() {
            let body = request.bodyText
            #expect(!body.contains(Self.email) && !body.contains("123-4567") && !body.contains("4111"), "request \(index): \(body.prefix(2000))")
            #expect(body.contains("[EMAIL]") && body.contains("[PHONE]"), "the prompt went with placeholders: \(body.prefix(2000))")
        }
        let toolTurn = try #require(observed.requests.last?.bodyText)
        #expect(toolTurn.contains("[CREDIT_CARD]"), "the tool result (the file's text) went with placeholders")
        // Counted per call (never the originals): the prompt's 2, then the prompt's and the tool result's 2 + 3.
        #expect(observed.calls.map(\.piiRedacted) == [2, 5])
        #expect(observed.turns.map(\.piiRedacted) == [2, 5])
        // `outputs`: the seed step's output was redacted before it was stored.
        let seed = try #require(text(observed.outcome.steps["seed"]?.output))
        #expect(seed.contains("[EMAIL]") && seed.contains("[CREDIT_CARD]") && !seed.contains(Self.email), "\(seed)")
    }

    @Test(arguments: Wire.allCases)
    func withPrivacyOffTheOriginalsReachTheProvider(wire: Wire) async throws {
        let observed = try await Self.run(wire: wire, privacy: "")
        #expect(observed.outcome.status == .completed, "\(observed.outcome.error ?? "")")
        #expect(observed.requests.count == 2)
        let first = try #require(observed.requests.first?.bodyText)
        #expect(first.contains(Self.email) && first.contains("123-4567"), "\(first.prefix(2000))")
        #expect(observed.requests.last?.bodyText.contains(Self.card) == true, "the tool result went as it was")
        #expect(observed.calls.map(\.piiRedacted) == [0, 0])
        #expect(text(observed.outcome.steps["seed"]?.output)?.contains(Self.email) == true)
    }

    @Test func theServersSettingsApplyWhenTheWorkflowSaysNothing() async throws {
        var settings = try EngineSettings.load(environment: [
            "PRIVACY_ENABLED": "true", "PRIVACY_ENTITIES": "email", "PRIVACY_APPLY_TO": "outputs",
        ])
        #expect(settings.privacy == PrivacySettings(enabled: true, entities: [.email], applyTo: [.outputs]))
        settings.dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("privacy-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: settings.dataDirectory) }
        let service = try await RunService.open(settings, sandboxes: .required, creatingStore: true)
        let wf = try workflow(
            """
            name: server-privacy
            steps:
              - {id: say, run: "echo 'write to \(Self.email) or \(Self.phone)'"}
            """)
        let outcome = try await service.start(wf)
        #expect(outcome.status == .completed, "\(outcome.error ?? "")")
        #expect(outcome.steps["say"]?.output == .string("write to [EMAIL] or \(Self.phone)"), "only the server's entities")
        let stored = try service.report(id: outcome.runID).detail.steps.first?.outputText
        #expect(stored == "write to [EMAIL] or \(Self.phone)", "stored redacted")
    }
}

/// `DATA_RESIDENCY` on a real agent run (issue 15 §6): the step's model fails, the first model of
/// its failover chain is outside the residency and skipped, the allowed one answers, and the
/// call records its region.
@Suite(.serialized, .timeLimit(.minutes(5))) struct DataResidencyRunTests {
    static let modelsFile = """
        models:
          eu-first: {provider: anthropic, model: claude-eu-first, region: eu}
          us-middle: {provider: anthropic, model: claude-us-middle, region: us}
          local-last: {provider: anthropic, model: claude-local-last, region: local}
        failover:
          eu-first: [us-middle, local-last]
        """

    static func models(_ double: RunningProviderDouble, key: String, directory: URL) throws -> ModelAccess {
        let file = directory.appendingPathComponent("models.yaml")
        try Self.modelsFile.write(to: file, atomically: true, encoding: .utf8)
        var settings = EngineSettings(environment: ["ANTHROPIC_API_KEY": key, "ANTHROPIC_BASE_URL": double.anthropicBaseURL])
        settings.modelsFile = file.path
        settings.dataResidency = .eu
        return try settings.modelAccess()
    }

    @Test func failoverSkipsTheDisallowedModelAndTheAllowedOneAnswers() async throws {
        let double = try await ProviderDouble.start()
        defer { Task { await double.stop() } }
        let key = AgentStepRunTests.key()
        // A rate limit asking for an hour: no retry, the model cools down and the call fails over.
        double.setScript(key: key, turns: [.failure(status: 429, retryAfter: "3600"), .reply("answered locally")])
        let backend = try await DockerSandboxBackend.fromEnvironment()
        let (directory, repository) = try DockerWorkflowRunTests.scratchRepository()
        defer { try? FileManager.default.removeItem(at: directory) }
        let wf = try workflow(
            """
            name: resident
            steps:
              - id: agent
                prompt: Say where you run.
                model: eu-first
                tools: [Bash]
            """)
        let models = try Self.models(double, key: key, directory: directory)
        let outcome = try await AgentStepRunTests.engine(backend, repository, models: models).run(wf)
        #expect(outcome.status == .completed, "\(outcome.error ?? "")")
        #expect(outcome.steps["agent"]?.output == "answered locally")
        let asked = double.requests(key: key).compactMap { text($0.body?.child("model")) }
        #expect(asked == ["claude-eu-first", "claude-local-last"], "the US model was never sent anything")
        let calls = try repository.modelCalls(runID: outcome.runID)
        #expect(calls.map(\.model) == ["local-last"])
        #expect(calls.map(\.region) == ["local"])
        #expect(calls.map(\.provider) == ["anthropic"])
        let events = try repository.events(runID: outcome.runID).map(RunEvent.init)
        #expect(events.contains { if case .modelTurn(let turn) = $0 { turn.region == "local" } else { false } })
        let left = try await DockerWorkflowRunTests.leftovers(of: outcome.runID, in: backend)
        #expect(left.containers.isEmpty && left.volumes.isEmpty, "left behind: \(left)")
    }

    @Test func aStepNamingADisallowedModelFailsBeforeAnyCall() async throws {
        let double = try await ProviderDouble.start()
        defer { Task { await double.stop() } }
        let key = AgentStepRunTests.key()
        double.setScript(key: key, turns: [.reply("never")])
        let backend = try await DockerSandboxBackend.fromEnvironment()
        let (directory, repository) = try DockerWorkflowRunTests.scratchRepository()
        defer { try? FileManager.default.removeItem(at: directory) }
        let wf = try workflow(
            """
            name: refused
            steps:
              - {id: ask, type: llm, prompt: Hello., model: us-middle}
            """)
        let models = try Self.models(double, key: key, directory: directory)
        let outcome = try await AgentStepRunTests.engine(backend, repository, models: models).run(wf)
        #expect(outcome.status == .failed)
        let error = outcome.steps["ask"]?.error ?? outcome.error ?? ""
        #expect(error.contains("DATA_RESIDENCY=eu") && error.contains("us-middle"), "\(error)")
        #expect(double.requests(key: key).isEmpty, "nothing left for the provider")
    }
}
