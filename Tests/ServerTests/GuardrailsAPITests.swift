import EngineService
import Foundation
import Guardrails
import Logging
import ModelProviders
import Orchestrator
import ProviderDouble
import SandcastleClient
import TestSupport
import Testing
import Webhooks
import Workflow

@testable import Server
@testable import ServerCore

/// Issue 15 §6 over real HTTP on loopback: `COMPLIANCE_MODE=eu_ai_act` refuses a high-risk
/// workflow without an approval step (and an unacceptable one always) at submit, save and
/// publish with 422 `COMPLIANCE_VIOLATION`, recording nothing; and the transparency report of a
/// real run (Docker, the provider double as the model) with model calls and a decided gate; and
/// the privacy router's `webhooks` target on a real callback.
@Suite(.serialized, .timeLimit(.minutes(5))) struct GuardrailsAPITests {
    static let unguarded = """
        name: unguarded
        risk_level: high
        steps:
          - {id: score, run: echo scored}
        """

    static let reviewed = """
        name: reviewed
        risk_level: high
        privacy: {entities: [email, phone], apply_to: [prompts, outputs]}
        default_model: sonnet
        policies:
          - id: sent-marker
            severity: low
            trigger: {type: pattern, patterns: [{type: regex, pattern: "sent"}]}
            action: {type: log}
        steps:
          - id: draft
            prompt: Draft a reply to jane.doe@example.com.
            tools: [Bash]
          - id: review
            type: approval
            depends_on: [draft]
            approval_config: {message: "Send the draft?"}
          - id: send
            depends_on: [review]
            run: echo sent
        """

    /// A server over an orchestrator whose settings are `settings` laid over the defaults.
    static func with(
        environment: [String: String] = [:], folderFiles: [String: String] = [:],
        webhooks: RunWebhooks = RunWebhooks(sender: WebhookSender(secret: nil)), configure: (inout EngineSettings) -> Void,
        _ body: (LiveServer, Orchestrator) async throws -> Void
    ) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sc-guardrails-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let folder = directory + "/workflows"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (name, text) in folderFiles { try text.write(toFile: "\(folder)/\(name).yaml", atomically: true, encoding: .utf8) }
        var settings = EngineSettings(dataDirectory: directory + "/data", environment: environment)
        configure(&settings)
        let runs = try await RunService.open(settings, sandboxes: .required, creatingStore: true)
        let orchestrator = Orchestrator(
            runs: runs, workflowsFolder: folder, maxConcurrentRuns: 2, webhooks: webhooks, logger: Logger(label: "test.runs"))
        try await orchestrator.start()
        var dependencies = ServerFixture.fake()
        dependencies.orchestrator = orchestrator
        try await ServerFixture.with(ServerFixture.configuration(open: true), dependencies) { server in
            try await body(server, orchestrator)
        }
        try await SandcastleAPIFixture.expectNoLeftovers(orchestrator)
    }

    @Test func theEUAIActModeRefusesAtSubmitSaveAndPublishAndRecordsNothing() async throws {
        try await Self.with(folderFiles: ["unguarded": Self.unguarded], configure: { $0.complianceMode = .euAIAct }) { server, _ in
            let inline = #"{"workflow":\#(SandcastleAPITests.jsonString(Self.unguarded))}"#
            for path in ["/api/workflows/run", "/api/workflows/run/sync"] {
                let refused = try await server.call(.post, path, json: inline, key: ServerFixture.key)
                #expect(refused.status == 422 && SandcastleAPITests.code(refused.body) == "COMPLIANCE_VIOLATION", "\(path): \(refused.text)")
                #expect(refused.text.contains("has no approval step, which COMPLIANCE_MODE=eu_ai_act requires"), "\(refused.text)")
            }
            let saved = try await server.call(
                .post, "/api/workflows", json: #"{"name":"unguarded","content":\#(SandcastleAPITests.jsonString(Self.unguarded))}"#,
                key: ServerFixture.key)
            #expect(saved.status == 422 && SandcastleAPITests.code(saved.body) == "COMPLIANCE_VIOLATION", "\(saved.text)")
            // The folder's copy was never imported as runnable: by name it is refused the same way.
            let byName = try await server.call(.post, "/api/workflows/run", json: #"{"workflow_name":"unguarded"}"#, key: ServerFixture.key)
            #expect(byName.status == 422 && SandcastleAPITests.code(byName.body) == "COMPLIANCE_VIOLATION", "\(byName.text)")
            let published = try await server.call(.post, "/api/workflows/unguarded/publish", key: ServerFixture.key)
            #expect(published.status == 422 && SandcastleAPITests.code(published.body) == "COMPLIANCE_VIOLATION", "\(published.text)")

            let unacceptable = Self.unguarded.replacingOccurrences(of: "risk_level: high", with: "risk_level: unacceptable")
            let never = try await server.call(
                .post, "/api/workflows/run", json: #"{"workflow":\#(SandcastleAPITests.jsonString(unacceptable))}"#, key: ServerFixture.key)
            #expect(never.status == 422 && never.text.contains("`risk_level: unacceptable`, which is never run"), "\(never.text)")

            let runs = try await server.call(.get, "/api/runs", key: ServerFixture.key)
            #expect((runs.body["meta"] as? [String: Any])?["total"] as? Int == 0, "nothing was half-run: \(runs.text)")
            // A malformed body is still the ordinary 4xx, never a 5xx.
            let garbage = try await server.call(.post, "/api/workflows/run", json: #"{"workflow": "risk_level: [\u0000"}"#, key: ServerFixture.key)
            #expect((400..<500).contains(garbage.status), "\(garbage.text)")
        }
    }

    @Test func theTransparencyReportOfARunWithModelCallsAndADecidedGate() async throws {
        let double = try await ProviderDouble.start()
        defer { Task { await double.stop() } }
        let key = "sk-ant-test-\(UUID().uuidString.lowercased())"
        double.setScript(
            key: key,
            turns: [
                .calls([ScriptedToolCall(name: "Bash", input: ["command": "echo drafted"])], text: nil),
                .reply("Dear [EMAIL], here is the draft.", usage: ScriptedUsage(inputTokens: 2000, outputTokens: 200)),
            ])
        let environment = ["ANTHROPIC_API_KEY": key, "ANTHROPIC_BASE_URL": double.anthropicBaseURL]
        try await Self.with(environment: environment, folderFiles: ["reviewed": Self.reviewed], configure: { $0.complianceMode = .euAIAct }) {
            server, _ in
            let submitted = try await server.call(.post, "/api/workflows/run", json: #"{"workflow_name":"reviewed"}"#, key: ServerFixture.key)
            let id = try #require(SandcastleAPITests.data(submitted.body)["run_id"] as? String, "\(submitted.text)")
            let paused = await eventually(.seconds(120)) {
                SandcastleAPITests.data((try? await server.call(.get, "/api/runs/\(id)", key: ServerFixture.key))?.body ?? [:])["status"]
                    as? String == "awaiting_approval"
            }
            #expect(paused, "the run did not reach its gate")
            let decided = try await server.call(
                .post, "/api/approvals/\(id).review/approve", json: #"{"comment":"checked by legal"}"#, key: ServerFixture.key)
            #expect(decided.status == 200, "\(decided.text)")
            let ended = try await SandcastleAPITests.waitForEnd(server, id)
            #expect(ended["status"] as? String == "completed", "\(ended)")

            let answer = try await server.call(.get, "/api/runs/\(id)/transparency-report", key: ServerFixture.key)
            #expect(answer.status == 200, "\(answer.text)")
            let report = SandcastleAPITests.data(answer.body)
            #expect(report["run_id"] as? String == id && report["workflow"] as? String == "reviewed")
            #expect(report["risk_level"] as? String == "high" && report["compliance_mode"] as? String == "eu_ai_act", "\(report)")
            let models = try #require(report["models"] as? [[String: Any]])
            #expect(models.count == 1, "\(models)")
            #expect(models.first?["provider"] as? String == "anthropic" && models.first?["model"] as? String == "claude-sonnet-5-5")
            #expect(models.first?["region"] as? String == "us" && models.first?["calls"] as? Int == 2, "\(models)")
            #expect(models.first?["input_tokens"] as? Int ?? 0 >= 2000 && models.first?["output_tokens"] as? Int ?? 0 >= 200)
            #expect((models.first?["pii_redacted"] as? Int ?? 0) >= 2, "the prompt's email, in both calls: \(models)")
            #expect((report["total_cost_usd"] as? Double ?? 0) > 0, "sonnet is priced")

            let oversight = try #require(report["human_oversight"] as? [String: Any])
            #expect(oversight["approval_gates"] as? Int == 1)
            let decision = try #require((oversight["decisions"] as? [[String: Any]])?.first)
            #expect(decision["step_id"] as? String == "review" && decision["status"] as? String == "approved", "\(decision)")
            #expect(decision["comment"] as? String == "checked by legal" && decision["decided_at"] is String, "\(decision)")
            let gate = SandcastleAPITests.data(try await server.call(.get, "/api/approvals/\(id).review", key: ServerFixture.key).body)
            #expect((decision["decided_by"] as? String) == (gate["reviewer_id"] as? String), "who decided, as the approval says: \(gate)")

            // The policy engine's record of the run: the `log` policy fired on `send`'s output only.
            let violations = try #require(report["policy_violations"] as? [[String: Any]], "\(report)")
            #expect(violations.count == 1, "\(violations)")
            #expect(violations.first?["step_id"] as? String == "send" && violations.first?["policy"] as? String == "sent-marker")
            #expect(violations.first?["severity"] as? String == "low" && violations.first?["action"] as? String == "log", "\(violations)")
            let residency = try #require(report["data_residency"] as? [String: Any])
            #expect(residency["setting"] is NSNull && residency["regions_used"] as? [String] == ["us"], "\(residency)")
            let privacy = try #require(report["privacy"] as? [String: Any])
            #expect(privacy["enabled"] as? Bool == true && privacy["entities"] as? [String] == ["email", "phone"], "\(privacy)")
            #expect(privacy["apply_to"] as? [String] == ["outputs", "prompts"])
            #expect(report["generated_at"] is String)

            // The client reads the same report, typed.
            let client = try SandcastleAPIClient(server: try RemoteServer(url: "http://127.0.0.1:\(server.port)", apiKey: ServerFixture.key))
            let typed = try await client.transparencyReport(runID: id)
            #expect(typed.runID == id && typed.riskLevel == "high" && typed.complianceMode == "eu_ai_act")
            #expect(typed.models.map(\.region) == ["us"] && typed.humanOversight.decisions.map(\.status) == ["approved"])
            #expect(typed.privacy.applyTo == ["outputs", "prompts"] && typed.dataResidency.setting == nil)

            let missing = try await server.call(.get, "/api/runs/no-such-run/transparency-report", key: ServerFixture.key)
            #expect(missing.status == 404 && SandcastleAPITests.code(missing.body) == "RUN_NOT_FOUND", "\(missing.text)")
            let hostile = try await server.call(.get, "/api/runs/%3Cscript%3E/transparency-report", key: ServerFixture.key)
            #expect(hostile.status == 400 && SandcastleAPITests.code(hostile.body) == "INVALID_ID", "\(hostile.text)")
        }
    }

    @Test func theWebhooksTargetRedactsTheCallbackBodyAndOnlyIt() async throws {
        let receiver = try await WebhookReceiver.start()
        defer { receiver.stop() }
        // Callbacks may reach the receiver on loopback (a development setting).
        let webhooks = RunWebhooks(sender: WebhookSender(secret: nil, policy: WebhookPolicy(allowPrivateNetworks: true)))
        try await Self.with(webhooks: webhooks, configure: { $0.privacy = PrivacySettings(enabled: true, entities: [.email], applyTo: [.webhooks]) }) {
            server, _ in
            let yaml = """
                name: mailer
                steps:
                  - {id: say, run: "echo 'mail jane.doe@example.com'"}
                """
            let submitted = try await server.call(
                .post, "/api/workflows/run", json: #"{"workflow":\#(SandcastleAPITests.jsonString(yaml)),"callback_url":"\#(receiver.url)"}"#,
                key: ServerFixture.key)
            let id = try #require(SandcastleAPITests.data(submitted.body)["run_id"] as? String, "\(submitted.text)")
            let ended = try await SandcastleAPITests.waitForEnd(server, id)
            #expect(ended["status"] as? String == "completed", "\(ended)")
            let delivered = await eventually(.seconds(30)) { !receiver.received.isEmpty }
            #expect(delivered, "the callback got nothing")
            let hook = try #require(receiver.received.first)
            let body = try #require(try JSONSerialization.jsonObject(with: Data(hook.body)) as? [String: Any])
            #expect((body["outputs"] as? [String: Any])?["say"] as? String == "mail [EMAIL]", "\(body)")
            #expect(!String(decoding: hook.body, as: UTF8.self).contains("jane.doe@example.com"))
            // `outputs` is not a target here: the stored output keeps the original.
            #expect((ended["outputs"] as? [String: Any])?["say"] as? String == "mail jane.doe@example.com", "\(ended)")
        }
    }

    @Test func queryRunsUnderTheServersResidencyAndPromptRedaction() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sc-guardrails-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var settings = EngineSettings(dataDirectory: directory)
        settings.dataResidency = .eu
        settings.privacy = PrivacySettings(enabled: true, entities: [.email], applyTo: [.prompts])
        let runs = try await RunService.open(settings, sandboxes: .none, creatingStore: true)
        var dependencies = ServerFixture.fake()
        dependencies.modelRouter = try ModelRouter.fromEnvironment(["ANTHROPIC_API_KEY": "sk-ant-test-0123456789"])
        #expect(dependencies.oneShotSession?.promptRedactor == nil, "no orchestrator: no guardrail settings")
        dependencies.orchestrator = Orchestrator(runs: runs, workflowsFolder: nil, maxConcurrentRuns: 1, logger: Logger(label: "test"))
        let session = try #require(dependencies.oneShotSession)
        #expect(session.router.policy.residency == .eu)
        #expect(session.promptRedactor?.redact("to jane@example.com").text == "to [EMAIL]")
        // The residency holds before any call: Anthropic's models are in the US.
        let refused = await #expect(throws: ModelProviderError.self) {
            try await session.router.complete(ModelRequest(model: "sonnet", messages: [.user("hi")], maxTokens: 10))
        }
        #expect(refused?.code == .residencyRefused)
    }
}
