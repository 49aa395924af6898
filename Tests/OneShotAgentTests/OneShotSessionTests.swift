import Agent
import Foundation
import JSONValues
import ModelProviders
import ProviderDouble
import Sandbox
import Synchronization
import TestSupport
import Testing

@testable import OneShotAgent

/// The session without Docker: every check before a sandbox, then messages, uploads, budget,
/// cancellation and cleanup, with the real router against the provider double and sandboxes that
/// run nothing (the scripted models here call no tool that runs).
@Suite(.timeLimit(.minutes(2))) struct OneShotSessionTests {
    static func key() -> String { "sk-ant-session-\(UUID().uuidString.lowercased())" }

    static func session(_ double: RunningProviderDouble?, key: String?) throws -> OneShotSession {
        var environment: [String: String] = [:]
        if let double { environment["ANTHROPIC_BASE_URL"] = double.anthropicBaseURL }
        if let key { environment["ANTHROPIC_API_KEY"] = key }
        return OneShotSession(router: try ModelRouter.fromEnvironment(environment))
    }

    static func prepareError(_ session: OneShotSession, _ request: OneShotRequest, credentials: RequestCredentials = .init()) -> OneShotError? {
        do {
            _ = try session.prepare(request, credentials: credentials)
            return nil
        } catch {
            return error as? OneShotError
        }
    }

    /// Collects what a session emits.
    final class Collected: Sendable {
        let messages = Mutex<[JSONValue]>([])
        var emit: @Sendable (JSONValue) -> Void { { message in self.messages.withLock { $0.append(message) } } }
        var all: [JSONValue] { messages.withLock { $0 } }
        var types: [String] { all.compactMap { if case .string(let type)? = $0.child("type") { type } else { nil } } }
    }

    @Test func everythingWrongIsFoundBeforeAnySandbox() throws {
        let session = try Self.session(nil, key: "sk-ant-x")
        #expect(Self.prepareError(session, OneShotRequest(prompt: ""))?.code == .invalidSetting)
        #expect(Self.prepareError(session, OneShotRequest(prompt: "x", timeoutSeconds: 4))?.code == .invalidSetting)
        #expect(Self.prepareError(session, OneShotRequest(prompt: "x", maxTurns: 0))?.code == .invalidSetting)
        let unknown = Self.prepareError(session, OneShotRequest(prompt: "x", model: "sonet"))
        #expect(unknown?.code == .unknownModel && unknown?.message.contains("sonnet") == true, "\(String(describing: unknown))")
        #expect(Self.prepareError(session, OneShotRequest(prompt: "x", allowedTools: ["Bash", "Nonsense"]))?.code == .unknownTool)
        let rule = Self.prepareError(session, OneShotRequest(prompt: "x", allowedTools: ["Bash(git:*)"]))
        #expect(rule?.message.contains("name the whole tool (Bash)") == true)
        #expect(Self.prepareError(session, OneShotRequest(prompt: "x", model: "openai/gpt-4o"))?.variable == "OPENAI_API_KEY")

        let prepared = try session.prepare(OneShotRequest(prompt: "x", allowedTools: ["Read", "WebSearch", "mcp__linear__list", "WebFetch", "Read"]))
        #expect(prepared.tools.names == ["Read"])
        #expect(prepared.warnings.count == 1 && prepared.warnings[0].contains("WebSearch, mcp__linear__list, WebFetch left out"))
        #expect(prepared.model.name == "claude-sonnet-5-5" && prepared.configuration.maxTurns == OneShotRequest.defaultMaxTurns)
        #expect(prepared.configuration.timeout == .seconds(300) && prepared.configuration.workingDirectory == "/workspace")
        #expect(prepared.configuration.systemPrompt == SystemPromptSetting.presetText)
    }

    @Test func allowedToolsKeepTheConfiguredMCPServersToolsAndDropOthersWithAHint() throws {
        let session = try Self.session(nil, key: "sk-ant-x")
        let servers = [MCPServerConfiguration.http("search_v2", url: "http://127.0.0.1:1/mcp"), .stdio("notes", command: "python3")]
        let prepared = try session.prepare(
            OneShotRequest(
                prompt: "x", allowedTools: ["Read", "mcp__notes", "mcp__search_v2__find", "mcp__linear__list"], mcpServers: servers))
        #expect(prepared.tools.names == ["Read"], "MCP tools join once their servers have started")
        #expect(prepared.allowedTools == ["Read", "mcp__notes", "mcp__search_v2__find"])
        #expect(prepared.warnings.count == 1 && prepared.warnings[0].contains("mcp__linear__list left out"))
        #expect(prepared.warnings[0].contains("MCP tools come from the servers in mcp_servers"))

        let invalid = Self.prepareError(session, OneShotRequest(prompt: "x", mcpServers: [.http("bad", url: "ftp://x")]))
        #expect(invalid?.code == .invalidSetting && invalid?.message.contains("mcp_servers") == true, "\(String(describing: invalid))")
    }

    @Test func withoutAnyProviderTheMessageNamesTheVariablesAndARequestKeyIsEnough() throws {
        let session = try Self.session(nil, key: nil)
        let error = Self.prepareError(session, OneShotRequest(prompt: "x"))
        #expect(error?.code == .providerNotConfigured && error?.provider == "anthropic" && error?.variable == "ANTHROPIC_API_KEY")
        for variable in ["ANTHROPIC_API_KEY", "OPENAI_API_KEY", "OPENROUTER_API_KEY", "OLLAMA_HOST"] {
            #expect(error?.message.contains(variable) == true, "\(String(describing: error))")
        }
        let keyed = try session.prepare(OneShotRequest(prompt: "x"), credentials: RequestCredentials(anthropicAPIKey: SecretValue("sk-ant-req")))
        #expect(keyed.model.provider == "anthropic")
    }

    @Test func aSessionUploadsStreamsInOrderAndAlwaysDestroysItsSandbox() async throws {
        let double = try await ProviderDouble.start()
        defer { Task { await double.stop() } }
        let key = Self.key()
        double.setScript(key: key, turns: [.reply("Hello from the model.", usage: ScriptedUsage(inputTokens: 100, outputTokens: 10))])
        let session = try Self.session(double, key: key)
        let sandboxes = InertSandboxes()
        let prepared = try session.prepare(
            OneShotRequest(prompt: "Say hello", files: try UploadedFiles(["notes/a.txt": "alpha", "b.txt": "beta"]), allowedTools: ["TodoWrite"]))
        let collected = Collected()
        let outcome = await session.run(prepared, sandboxes: sandboxes, emit: collected.emit)

        #expect(collected.types == ["warning", "system", "assistant", "result"])
        let state = sandboxes.state.withLock { $0 }
        #expect(state.writes == ["/workspace/notes/a.txt": "alpha", "/workspace/b.txt": "beta"])
        #expect(state.specs.first?.image == "agent" && state.specs.first?.labels == ["sandcastle.agent-session": prepared.sessionID])
        #expect(state.specs.first?.environment.isEmpty == true, "nothing of the host's enters the sandbox")
        #expect(state.destroyed == ["inert-1"])
        #expect(outcome.result?.subtype == "success" && !outcome.isError)
        let result = try #require(collected.all.last)
        #expect(result.child("result") == "Hello from the model." && result.child("num_turns") == 1)
        #expect((result.child("total_cost_usd")?.doubleValue ?? 0) > 0)
        #expect(collected.all.allSatisfy { $0.child("session_id") == nil || $0.child("session_id") == .string(prepared.sessionID) })
        #expect(collected.all[1].child("tools") == [], "allowed_tools named only a tool Sandcastle lacks: none are left")
        let sent = double.requests(key: key)
        #expect(sent.count == 1 && !sent[0].bodyText.contains("alpha"), "files go to the sandbox, not to the model")
    }

    @Test func aSandboxThatFailsIsReportedAndStillRemoved() async throws {
        let session = try Self.session(nil, key: "sk-ant-x")
        let prepared = try session.prepare(OneShotRequest(prompt: "x", files: try UploadedFiles(["a.txt": "a"])))
        let failingWrites = InertSandboxes(failWrites: true)
        let collected = Collected()
        let outcome = await session.run(prepared, sandboxes: failingWrites, emit: collected.emit)
        #expect(collected.types == ["error"] && outcome.result == nil && outcome.isError)
        #expect(outcome.error?.contains("could not upload a.txt") == true, "\(String(describing: outcome.error))")
        #expect(failingWrites.state.withLock { $0.destroyed } == ["inert-1"])

        let failingCreate = InertSandboxes(failCreate: true)
        let other = Collected()
        let never = await session.run(prepared, sandboxes: failingCreate, emit: other.emit)
        #expect(other.types == ["error"] && other.all.first?.child("error") == .string(never.error ?? "?"))
        #expect(never.error?.hasPrefix("the sandbox did not start") == true && never.error?.contains("no runner") == true)
        #expect(failingCreate.state.withLock { $0.destroyed }.isEmpty, "nothing was made, nothing to remove")
    }

    @Test func aSpentBudgetEndsTheSessionBeforeTheNextCall() async throws {
        let double = try await ProviderDouble.start()
        defer { Task { await double.stop() } }
        let key = Self.key()
        // The first answer costs $2 (a million input tokens of Sonnet); it asks for a tool Sandcastle
        // answers without running, so a second call would follow.
        double.setScript(
            key: key,
            turns: [
                ScriptedTurn(toolCalls: [ScriptedToolCall(name: "NoSuchTool", input: [:])], usage: ScriptedUsage(inputTokens: 1_000_000, outputTokens: 1)),
                .reply("never asked"),
            ])
        let session = try Self.session(double, key: key)
        let prepared = try session.prepare(OneShotRequest(prompt: "x", maxBudgetUSD: 1))
        let collected = Collected()
        let outcome = await session.run(prepared, sandboxes: InertSandboxes(), emit: collected.emit)
        #expect(collected.all.last?.child("subtype") == "error_max_budget_usd")
        #expect(outcome.isError && double.requests(key: key).count == 1)
        #expect(collected.types == ["system", "assistant", "user", "result"])
    }

    @Test func cancellingTheSessionEndsItPromptlyAndRemovesTheSandbox() async throws {
        let double = try await ProviderDouble.start()
        defer { Task { await double.stop() } }
        let key = Self.key()
        double.setScript(key: key, turns: [ScriptedTurn(text: String(repeating: "slow words ", count: 200), tokenDelayMs: 50)])
        let session = try Self.session(double, key: key)
        let prepared = try session.prepare(OneShotRequest(prompt: "x", partialMessages: true))
        let sandboxes = InertSandboxes()
        let collected = Collected()
        let run = Task { await session.run(prepared, sandboxes: sandboxes, emit: collected.emit) }
        #expect(await eventually(.seconds(30)) { collected.types.contains("stream_event") }, "the model started answering")
        let cancelled = ContinuousClock.now
        run.cancel()
        let outcome = await run.value
        #expect(ContinuousClock.now - cancelled < .seconds(5))
        #expect(outcome.result?.outcome.terminalReason == "aborted_streaming", "\(String(describing: outcome.result?.outcome))")
        #expect(sandboxes.state.withLock { $0.destroyed } == ["inert-1"])
        #expect(collected.all.last?.child("subtype") == "error_during_execution")
    }

    @Test func aSubagentsTurnsArriveWithTheCallThatStartedIt() async throws {
        let double = try await ProviderDouble.start()
        defer { Task { await double.stop() } }
        let key = Self.key()
        // One conversation (one key): the session's turn, the subagent's, then the session's answer.
        double.setScript(
            key: key,
            turns: [
                .calls([
                    ScriptedToolCall(
                        name: "Agent", input: ["description": "Review it", "prompt": "Review the plan.", "subagent_type": "reviewer"],
                        id: "toolu_agent")
                ]),
                .reply("Looks fine."),
                .reply("Reviewed: it looks fine."),
            ])
        let session = try Self.session(double, key: key)
        let agents = try SubagentDefinition.parse(["reviewer": ["description": "Reviews plans", "prompt": "You review plans."]])
        let prepared = try session.prepare(OneShotRequest(prompt: "Get the plan reviewed", agents: agents))
        #expect(prepared.tools.names.contains("Agent"))
        let collected = Collected()
        _ = await session.run(prepared, sandboxes: InertSandboxes(), emit: collected.emit)

        #expect(collected.types == ["system", "assistant", "assistant", "user", "assistant", "result"])
        #expect(collected.all[0].child("agents") == ["reviewer", "general-purpose"])
        let sub = collected.all[2]
        #expect(sub.child("parent_tool_use_id") == "toolu_agent" && sub.child("message")?.child("content")?.child("0")?.child("text") == "Looks fine.")
        let answered = collected.all[3].child("message")?.child("content")?.child("0")
        #expect(answered?.child("tool_use_id") == "toolu_agent" && collected.all[3].child("parent_tool_use_id") == .null)
        #expect(collected.all.last?.child("result") == "Reviewed: it looks fine.")
        #expect(collected.all.last?.child("modelUsage")?.child("claude-sonnet-5-5")?.child("inputTokens") != nil)
    }
}
