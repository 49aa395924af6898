import Agent
import JSONValues
import ModelProviders
import Testing

@testable import OneShotAgent

/// AgentEvents as Sandstorm's (the Claude Agent SDK's) stream messages, and how `ds` shows them.
@Suite struct SandstormMessagesTests {
    static let catalog: ModelCatalog = {
        do {
            return try ModelCatalog.shipped()
        } catch {
            fatalError("the shipped models file does not load: \(error)")
        }
    }()

    static func turn(_ content: [ContentBlock], stop: StopReason = .toolUse, usage: TokenUsage? = TokenUsage(inputTokens: 10, outputTokens: 2))
        -> AgentEvent
    {
        .assistantMessage(
            AgentEvent.AssistantTurn(
                turn: 1, messageID: "msg_1", model: "claude-sonnet-5-5", message: ModelMessage(role: .assistant, content: content),
                stopReason: stop, usage: usage))
    }

    static func result(_ outcome: AgentOutcome = .success, calls: [ModelCallRecord], structured: JSONValue? = nil) -> AgentResult {
        AgentResult(
            outcome: outcome, text: "All done.", structuredOutput: structured, turns: 2, turnUsage: [], modelCalls: calls, transcript: [],
            toolCallCount: 1, duration: .milliseconds(1234))
    }

    @Test func assistantAndUserMessagesHaveTheAgentSDKsShapes() throws {
        let messages = SandstormMessages(sessionID: "s-1", catalog: Self.catalog)
        let call = ToolCall(id: "toolu_1", name: "Bash", input: ["command": "ls"])
        let assistant = try #require(messages.messages(for: Self.turn([.thinking(text: "hm", signature: "sig"), .text("Looking."), .toolCall(call)])).first)
        #expect(assistant.child("type") == "assistant")
        #expect(assistant.child("session_id") == "s-1" && assistant.child("parent_tool_use_id") == .null)
        #expect(assistant.child("message")?.child("id") == "msg_1" && assistant.child("message")?.child("role") == "assistant")
        #expect(assistant.child("message")?.child("stop_reason") == "tool_use")
        #expect(assistant.child("message")?.child("usage")?.child("input_tokens") == 10)
        let content = assistant.child("message")?.child("content")
        #expect(content?.child("0")?.child("type") == "thinking" && content?.child("0")?.child("signature") == "sig")
        #expect(content?.child("1") == ["type": "text", "text": "Looking."])
        #expect(content?.child("2") == ["type": "tool_use", "id": "toolu_1", "name": "Bash", "input": ["command": "ls"]])

        let results = ModelMessage(role: .user, content: [.toolResult(ToolResult(toolCallID: "toolu_1", content: "a\nb", isError: true))])
        let user = try #require(messages.messages(for: .toolResults(turn: 1, message: results)).first)
        #expect(user.child("type") == "user")
        #expect(user.child("message")?.child("role") == "user")
        #expect(
            user.child("message")?.child("content")?.child("0") == ["type": "tool_result", "tool_use_id": "toolu_1", "content": "a\nb", "is_error": true])
        // Deltas and tool bookkeeping are not Sandstorm messages unless partial messages are asked for.
        #expect(messages.messages(for: .textDelta("x")).isEmpty && messages.messages(for: .turnStarted(turn: 2)).isEmpty)
    }

    @Test func aSubagentsMessagesNameTheCallThatStartedItAndItsResultStaysInside() throws {
        let messages = SandstormMessages(sessionID: "s-2", catalog: Self.catalog)
        let inner = Self.turn([.text("sub")], stop: .endTurn)
        let wrapped = messages.messages(for: .subagent(parentToolCallID: "toolu_9", agent: "reviewer", event: inner))
        #expect(wrapped.first?.child("parent_tool_use_id") == "toolu_9")
        let innerResult = AgentEvent.result(Self.result(calls: []))
        #expect(messages.messages(for: .subagent(parentToolCallID: "toolu_9", agent: "reviewer", event: innerResult)).isEmpty)
    }

    @Test func theResultIsPricedFromTheModelsFileAndUnknownIsNull() throws {
        let messages = SandstormMessages(sessionID: "s-3", catalog: Self.catalog)
        _ = messages.messages(for: Self.turn([.text("All done.")], stop: .endTurn))
        let priced = messages.result(
            Self.result(calls: [
                ModelCallRecord(
                    requestedModel: "sonnet", respondingModel: "claude-sonnet-5-5", messageID: "msg_1",
                    usage: TokenUsage(inputTokens: 1_000_000, outputTokens: 100_000))
            ]))
        #expect(priced.child("type") == "result" && priced.child("subtype") == "success" && priced.child("is_error") == false)
        #expect(priced.child("num_turns") == 2 && priced.child("duration_ms") == 1234 && priced.child("result") == "All done.")
        // Sonnet 5.5: $2 per million input, $10 per million output.
        #expect(priced.child("total_cost_usd") == .number(3.0))
        #expect(priced.child("usage")?.child("output_tokens") == 100_000)
        #expect(priced.child("modelUsage")?.child("claude-sonnet-5-5")?.child("costUSD") == .number(3.0))
        #expect(priced.child("stop_reason") == "end_turn" && priced.child("terminal_reason") == "completed")
        #expect(priced.child("structured_output") == nil, "only with output_format")

        let unknown = messages.result(
            Self.result(calls: [
                ModelCallRecord(requestedModel: "sonnet", respondingModel: "claude-sonnet-5-5", messageID: "m1", usage: TokenUsage(inputTokens: 5)),
                ModelCallRecord(requestedModel: "openai/x", respondingModel: "openai/x", messageID: "m2", usage: TokenUsage(inputTokens: 5)),
            ]))
        #expect(unknown.child("total_cost_usd") == .null, "one call without a price makes the total unknown, not 0")
        let noUsage = messages.result(
            Self.result(calls: [ModelCallRecord(requestedModel: "sonnet", respondingModel: "claude-sonnet-5-5", messageID: "m", usage: nil)]))
        #expect(noUsage.child("total_cost_usd") == .null)
    }

    @Test func errorsStructuredOutputAndTheBudgetHaveTheirSubtypes() throws {
        let format = try #require(try OutputFormat.parse(["type": "json_schema", "schema": ["type": "array", "items": ["type": "integer"]]]))
        let messages = SandstormMessages(sessionID: "s-4", catalog: Self.catalog, outputFormat: format)
        let structured = messages.result(Self.result(calls: [], structured: ["output": [1, 2]]))
        #expect(structured.child("structured_output") == [1, 2], "a non-object schema is asked for as {output: …} and unwrapped")
        let failed = messages.result(Self.result(.structuredOutputInvalid(["/0: not an integer"]), calls: []))
        #expect(failed.child("subtype") == "error_max_structured_output_retries" && failed.child("is_error") == true)
        #expect(failed.child("structured_output") == .null)
        #expect(failed.child("errors")?.child("0").map { "\($0)".contains("not an integer") } == true)
        let budget = ModelProviderError(BudgetedProvider.budgetExceeded, provider: "budget", message: "spent")
        #expect(messages.result(Self.result(.providerFailed(budget), calls: [])).child("subtype") == "error_max_budget_usd")
        #expect(messages.result(Self.result(.maxTurns, calls: [])).child("subtype") == "error_max_turns")
        #expect(SandstormMessages.error("boom") == ["type": "error", "error": "boom"])
    }

    @Test func partialMessagesCarryTextDeltasWithBlockIndexes() {
        let messages = SandstormMessages(sessionID: "s-5", catalog: Self.catalog, partialMessages: true)
        let events = [AgentEvent.thinkingDelta("h"), .textDelta("He"), .textDelta("llo")].flatMap { messages.messages(for: $0) }
        #expect(events.map { $0.child("type") } == ["stream_event", "stream_event", "stream_event"])
        #expect(events.map { $0.child("event")?.child("index") } == [0, 1, 1])
        #expect(events[1].child("event")?.child("delta") == ["type": "text_delta", "text": "He"])
        _ = messages.messages(for: Self.turn([.text("Hello")], stop: .endTurn))
        #expect(messages.messages(for: .textDelta("next")).first?.child("event")?.child("index") == 0, "a new message starts again at 0")
    }

    @Test func theConsoleShowsWhatDsShows() {
        var console = SandstormConsoleText()
        var out = ""
        var err = ""
        func feed(_ message: JSONValue) {
            for (stream, text) in console.render(message) {
                if stream == .standardOutput { out += text } else { err += text }
            }
        }
        let messages = SandstormMessages(sessionID: "s-6", catalog: Self.catalog, partialMessages: true)
        for event in [AgentEvent.textDelta("Look"), .textDelta("ing.")] { messages.messages(for: event).forEach(feed) }
        messages.messages(for: Self.turn([.text("Looking."), .toolCall(ToolCall(id: "t", name: "Bash", input: ["command": "ls -la\nrm x"]))]))
            .forEach(feed)
        feed(["type": "result", "subtype": "success", "num_turns": 2, "total_cost_usd": 0.01234, "structured_output": ["a": [1]]])
        #expect(out == "Looking.\n{\n  \"a\": [\n    1\n  ]\n}\n", "the streamed text once, then the structured answer")
        #expect(err == "[tool: Bash] ls -la\n--- Result: success | 2 turns | $0.0123 ---\n")
        var other = SandstormConsoleText()
        let unknownCost = other.render(["type": "result", "subtype": "error_max_turns", "num_turns": 1, "total_cost_usd": .null, "errors": ["x"]])
        #expect(unknownCost.map(\.1) == ["--- Result: error_max_turns | 1 turn | cost unknown ---\n", "Error: x\n"])
        #expect(other.render(SandstormMessages.error("no sandbox")).map(\.1) == ["Error: no sandbox\n"])
    }
}
