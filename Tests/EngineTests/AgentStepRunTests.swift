import Foundation
import JSONValues
import ProviderDouble
import SandboxDocker
import Store
import TestSupport
import Testing
import Workflow

@testable import Engine
@testable import EngineService

/// Agent (`prompt:`) and `llm` steps through the engine: the real Docker backend, the real
/// provider clients and router, and the provider double in place of a provider.
@Suite(.serialized, .timeLimit(.minutes(5))) struct AgentStepRunTests {
    /// A fresh key per test: the double keeps one conversation per key.
    static func key() -> String { "sk-ant-test-\(UUID().uuidString.lowercased())" }

    /// Model access through the real router, pointed at the double with `key`.
    static func models(_ double: RunningProviderDouble, key: String) throws -> ModelAccess {
        // No HOME in this environment: only the shipped models file is read, never the user's.
        let settings = EngineSettings(environment: ["ANTHROPIC_API_KEY": key, "ANTHROPIC_BASE_URL": double.anthropicBaseURL])
        return try settings.modelAccess()
    }

    static func engine(
        _ backend: DockerSandboxBackend, _ repository: SQLiteRunRepository, models: ModelAccess, maxCost: Double? = nil
    ) -> WorkflowEngine {
        var configuration = EngineConfiguration(removesWorkspace: true)
        configuration.models = models
        configuration.maxCostUSD = maxCost
        return WorkflowEngine(backend: backend, repository: repository, configuration: configuration)
    }

    @Test func anAgentStepRunsItsToolsInTheSandboxAndRecordsTurnsToolsAndCost() async throws {
        let double = try await ProviderDouble.start()
        defer { Task { await double.stop() } }
        let key = Self.key()
        double.setScript(
            key: key,
            turns: [
                .calls([
                    ScriptedToolCall(
                        name: "Bash",
                        input: ["command": "echo from-the-sandbox > note.txt && cat note.txt && env && cat /proc/*/environ | tr '\\0' '\\n'"])
                ]),
                .calls([ScriptedToolCall(name: "Read", input: ["file_path": "/workspace/note.txt"])]),
                .reply("```json\n{\"note\": \"from-the-sandbox\", \"turns\": 3}\n```", usage: ScriptedUsage(inputTokens: 1000, outputTokens: 100)),
            ])
        let backend = try await DockerSandboxBackend.fromEnvironment()
        let (directory, repository) = try DockerWorkflowRunTests.scratchRepository()
        defer { try? FileManager.default.removeItem(at: directory) }
        let wf = try workflow(
            """
            name: agent-chain
            default_model: sonnet
            steps:
              - id: look
                prompt: Write a note and read it back.
                tools: [Bash, Read]
              - id: after
                depends_on: [look]
                run: echo "{steps.look.output.note}"
            """)
        let outcome = try await Self.engine(backend, repository, models: try Self.models(double, key: key)).run(wf)
        #expect(outcome.status == .completed, "\(outcome.error ?? "")")
        #expect(outcome.steps["look"]?.output == ["note": "from-the-sandbox", "turns": 3], "fences stripped, JSON kept")
        #expect(outcome.steps["after"]?.output == "from-the-sandbox")

        // What the model was sent: the task, the tools, each result paired with its call, and no key in any body.
        let requests = double.requests(key: key)
        #expect(requests.count == 3)
        #expect(requests.allSatisfy { !$0.bodyText.contains(key) })
        let toolNames = requests.first?.body?.child("tools").flatMap { tools -> [String]? in
            guard case .array(let list) = tools else { return nil }
            return list.compactMap { if case .string(let name)? = $0.child("name") { name } else { nil } }
        }
        #expect(toolNames == ["Bash", "Read"])
        let secondTurn = requests[1].bodyText
        #expect(secondTurn.contains("from-the-sandbox"), "the Bash result went back to the model")
        #expect(secondTurn.contains("SANDCASTLE_RUN_ID"), "the environment dump really ran")
        #expect(!secondTurn.contains(key), "neither env nor /proc/*/environ in the sandbox holds the provider key")
        // Nor does anything the run stored.
        for file in ["sandcastle.sqlite", "sandcastle.sqlite-wal"] {
            let stored = (try? Data(contentsOf: directory.appendingPathComponent(file))) ?? Data()
            #expect(stored.range(of: Data(key.utf8)) == nil, "the key is nowhere in \(file)")
        }

        // Turns, tool calls and answers are run events; each call has its tokens and cost.
        let events = try repository.events(runID: outcome.runID).map(RunEvent.init)
        let turns = events.compactMap { if case .modelTurn(let turn) = $0 { turn } else { nil } }
        #expect(turns.map(\.turn) == [1, 2, 3])
        #expect(turns.allSatisfy { $0.model.hasPrefix("claude-") && $0.provider == "anthropic" })
        let called = events.compactMap { if case .toolCalled(let call) = $0 { call.name } else { nil } }
        #expect(called == ["Bash", "Read"])
        let answered = events.compactMap { if case .toolAnswered(let answer) = $0 { answer } else { nil } }
        #expect(answered.count == 2 && answered.allSatisfy { !$0.isError })
        let calls = try repository.modelCalls(runID: outcome.runID)
        #expect(calls.count == 3)
        #expect(calls.last?.inputTokens == 1000 && calls.last?.outputTokens == 100)
        let usage = try #require(try repository.modelUsage(runIDs: [outcome.runID])[outcome.runID])
        #expect((usage.costUSD ?? 0) > 0, "sonnet has a price: the cost is known")
        let left = try await DockerWorkflowRunTests.leftovers(of: outcome.runID, in: backend)
        #expect(left.containers.isEmpty && left.volumes.isEmpty, "left behind: \(left)")
    }

    @Test func aStructuredAnswerIsRepairedOnceThenAccepted() async throws {
        let double = try await ProviderDouble.start()
        defer { Task { await double.stop() } }
        let key = Self.key()
        double.setScript(
            key: key,
            turns: [
                .calls([ScriptedToolCall(name: "StructuredOutput", input: ["score": "high"])]),
                .calls([ScriptedToolCall(name: "StructuredOutput", input: ["score": 87, "reasons": ["fits"]])]),
            ])
        let backend = try await DockerSandboxBackend.fromEnvironment()
        let (directory, repository) = try DockerWorkflowRunTests.scratchRepository()
        defer { try? FileManager.default.removeItem(at: directory) }
        let wf = try workflow(
            """
            name: scored
            steps:
              - id: score
                prompt: Score it.
                output_schema:
                  type: object
                  properties:
                    score: {type: integer, minimum: 0, maximum: 100}
                    reasons: {type: array, items: {type: string}}
                  required: [score, reasons]
            """)
        let outcome = try await Self.engine(backend, repository, models: try Self.models(double, key: key)).run(wf)
        #expect(outcome.status == .completed, "\(outcome.error ?? "")")
        #expect(outcome.steps["score"]?.output == ["score": 87, "reasons": ["fits"]])
        let repair = double.requests(key: key)[1].bodyText
        #expect(repair.contains("/score") && repair.contains("integer"), "the violations went back to the model: \(repair.prefix(600))")
    }

    @Test func anLLMStepMakesOneCallWithoutASandbox() async throws {
        let double = try await ProviderDouble.start()
        defer { Task { await double.stop() } }
        let key = Self.key()
        double.setScript(key: key, turns: [.reply("Dear team, hello.")])
        let backend = try await DockerSandboxBackend.fromEnvironment()
        let (directory, repository) = try DockerWorkflowRunTests.scratchRepository()
        defer { try? FileManager.default.removeItem(at: directory) }
        let wf = try workflow(
            """
            name: one-call
            inputs: {who: {type: string, default: team}}
            steps:
              - id: email
                type: llm
                prompt: Write to the {input.who}.
                llm_config: {system_prompt: Be brief., temperature: 0.5, max_tokens: 300}
            """)
        let outcome = try await Self.engine(backend, repository, models: try Self.models(double, key: key)).run(wf)
        #expect(outcome.status == .completed, "\(outcome.error ?? "")")
        #expect(outcome.steps["email"]?.output == "Dear team, hello.")
        let body = try #require(double.requests(key: key).first?.body)
        #expect(body.child("max_tokens") == 300)
        #expect(body.child("temperature")?.doubleValue == 0.5)
        #expect(body.child("tools") == nil || body.child("tools") == .array([]))
        #expect(try repository.run(id: outcome.runID)?.steps.first?.backend == "model")
    }

    @Test func aRunThatSpendsItsBudgetEndsBudgetExceeded() async throws {
        let double = try await ProviderDouble.start()
        defer { Task { await double.stop() } }
        let key = Self.key()
        // Each turn costs 1M input tokens of sonnet: far over a $0.50 budget at once.
        let expensive = ScriptedUsage(inputTokens: 1_000_000, outputTokens: 10)
        double.setScript(
            key: key,
            turns: [
                ScriptedTurn(toolCalls: [ScriptedToolCall(name: "Bash", input: ["command": "true"])], usage: expensive),
                .reply("never reached"),
            ])
        let backend = try await DockerSandboxBackend.fromEnvironment()
        let (directory, repository) = try DockerWorkflowRunTests.scratchRepository()
        defer { try? FileManager.default.removeItem(at: directory) }
        let wf = try workflow(
            """
            name: spender
            steps:
              - {id: spend, prompt: Spend.}
              - {id: later, depends_on: [spend], run: echo never}
            """)
        let outcome = try await Self.engine(backend, repository, models: try Self.models(double, key: key), maxCost: 0.5).run(wf)
        #expect(outcome.status == .budgetExceeded, "\(outcome.status) \(outcome.error ?? "")")
        #expect(outcome.error?.contains("budget of $0.50") == true)
        let kinds = try repository.events(runID: outcome.runID).map(\.kind)
        #expect(kinds.contains("budget_exceeded"))
        #expect(double.requests(key: key).count == 1, "no call after the budget was spent")
        #expect(try repository.run(id: outcome.runID)?.run.maxCostUSD == 0.5)
    }

    @Test func anOverloadedModelIsRetriedThenFailedOverAndEachStepIsRecorded() async throws {
        let double = try await ProviderDouble.start()
        defer { Task { await double.stop() } }
        let key = Self.key()
        // sonnet is overloaded three times (its attempts), then the chain moves on to haiku.
        let overloaded = ScriptedTurn(status: 529, retryAfterMs: 10)
        double.setScript(key: key, turns: [overloaded, overloaded, overloaded, .reply("answered by the fallback model")])
        let backend = try await DockerSandboxBackend.fromEnvironment()
        let (directory, repository) = try DockerWorkflowRunTests.scratchRepository()
        defer { try? FileManager.default.removeItem(at: directory) }
        let wf = try workflow(
            """
            name: failover
            steps:
              - {id: ask, type: llm, model: sonnet, prompt: Say something.}
            """)
        let outcome = try await Self.engine(backend, repository, models: try Self.models(double, key: key)).run(wf)
        #expect(outcome.status == .completed, "\(outcome.error ?? "")")
        #expect(outcome.steps["ask"]?.output == "answered by the fallback model")
        let events = try repository.events(runID: outcome.runID).map(RunEvent.init)
        let retried = events.compactMap { if case .modelRetried(let retry) = $0 { retry } else { nil } }
        #expect(retried.filter { $0.action == "retry" }.count == 2, "\(retried)")
        #expect(retried.contains { $0.action == "failover" && $0.toModel?.contains("haiku") == true }, "\(retried)")
        #expect(retried.allSatisfy { !$0.error.contains(key) })
        let answered = try #require(try repository.modelCalls(runID: outcome.runID).last)
        #expect(answered.model.contains("haiku"), "priced as the model that answered: \(answered.model)")
        let sent = double.requests(key: key).compactMap { $0.body?.child("model")?.renderedString }
        #expect(sent.count == 4 && sent.last?.contains("haiku") == true, "\(sent)")
    }

    @Test func cancellingTheRunDuringALongToolStopsItPromptlyAndLeavesNothing() async throws {
        let double = try await ProviderDouble.start()
        defer { Task { await double.stop() } }
        let key = Self.key()
        double.setScript(
            key: key, turns: [.calls([ScriptedToolCall(name: "Bash", input: ["command": "sleep 300", "timeout": 600_000])]), .reply("never")])
        let backend = try await DockerSandboxBackend.fromEnvironment()
        let (directory, repository) = try DockerWorkflowRunTests.scratchRepository()
        defer { try? FileManager.default.removeItem(at: directory) }
        let wf = try workflow("name: long\nsteps:\n  - {id: wait, prompt: Wait., timeout: 10m}\n")
        let engine = Self.engine(backend, repository, models: try Self.models(double, key: key))
        let runID = WorkflowEngine.makeRunID()
        let task = Task { try await engine.run(wf, runID: runID) }
        // Cancelled at a point chosen mechanically: once the tool call is recorded as running.
        let running = try await eventually(.seconds(60)) {
            (try? repository.events(runID: runID))?.contains { $0.kind == "tool_called" } ?? false
        }
        #expect(running)
        let cancelledAt = ContinuousClock.now
        task.cancel()
        let outcome = try await task.value
        // Far below the sleep's 300 s, not tight: the whole suite on two cores can delay a task by seconds.
        #expect(ContinuousClock.now - cancelledAt < .seconds(60), "the sleep was interrupted, not waited for")
        #expect(outcome.status == .cancelled)
        #expect(double.requests(key: key).count == 1, "no model call after the cancellation")
        let left = try await DockerWorkflowRunTests.leftovers(of: runID, in: backend)
        #expect(left.containers.isEmpty && left.volumes.isEmpty, "left behind: \(left)")
    }

    @Test func aFailingProviderFailsOverToAnotherProvidersModel() async throws {
        let double = try await ProviderDouble.start()
        defer { Task { await double.stop() } }
        let anthropicKey = Self.key()
        let openAIKey = "sk-openai-test-\(UUID().uuidString.lowercased())"
        // Anthropic keeps failing with 500s; the chain (a user's models file) moves on to an OpenAI-compatible model.
        let failing = ScriptedTurn(status: 500)
        double.setScript(key: anthropicKey, turns: [failing, failing, failing])
        double.setScript(key: openAIKey, turns: [.reply("answered over chat completions", usage: ScriptedUsage(inputTokens: 20, outputTokens: 4))])
        let (directory, repository) = try DockerWorkflowRunTests.scratchRepository()
        defer { try? FileManager.default.removeItem(at: directory) }
        let modelsFile = directory.appendingPathComponent("models.yaml")
        try "failover:\n  sonnet: [openai/gpt-test]\n".write(to: modelsFile, atomically: true, encoding: .utf8)
        var settings = EngineSettings(environment: [
            "ANTHROPIC_API_KEY": anthropicKey, "ANTHROPIC_BASE_URL": double.anthropicBaseURL,
            "OPENAI_API_KEY": openAIKey, "OPENAI_BASE_URL": double.openAIBaseURL,
        ])
        settings.modelsFile = modelsFile.path
        let backend = try await DockerSandboxBackend.fromEnvironment()
        let wf = try workflow("name: across\nsteps:\n  - {id: ask, type: llm, model: sonnet, prompt: Hello.}\n")
        let outcome = try await Self.engine(backend, repository, models: try settings.modelAccess()).run(wf)
        #expect(outcome.status == .completed, "\(outcome.error ?? "")")
        #expect(outcome.steps["ask"]?.output == "answered over chat completions")
        let calls = try repository.modelCalls(runID: outcome.runID)
        #expect(calls.map(\.model) == ["openai/gpt-test"])
        #expect(calls.first?.provider == "openai")
        #expect(calls.first?.costUSD == nil, "a model without a price has an unknown cost, not 0")
        #expect(double.requests(key: openAIKey).first?.path.hasSuffix("/chat/completions") == true)
        let retried = try repository.events(runID: outcome.runID).map(RunEvent.init).compactMap {
            if case .modelRetried(let retry) = $0 { retry } else { nil }
        }
        #expect(retried.contains { $0.action == "failover" && $0.toModel == "openai/gpt-test" }, "\(retried)")
    }
}
