import Agent
import JSONValues
import ModelProviders
import Synchronization
import TestSupport
import Testing

/// A tool that answers from a closure and counts its runs, so loop tests need no sandbox.
struct EchoTool: AgentTool {
    let definition: ToolDefinition
    let runs = RunCounter()
    let body: @Sendable (ToolInput) async throws -> ToolOutput

    init(_ name: String = "Echo", body: @escaping @Sendable (ToolInput) async throws -> ToolOutput = { ToolOutput(try $0.string("text")) }) {
        definition = ToolDefinition(
            name: name, description: "Echoes text",
            inputSchema: [
                "type": "object", "properties": ["text": ["type": "string"], "times": ["type": "integer"]], "required": ["text"],
            ])
        self.body = body
    }

    func run(_ input: ToolInput, context: ToolContext) async throws -> ToolOutput {
        runs.value.add(1, ordering: .relaxed)
        return try await body(input)
    }

    var runCount: Int { runs.value.load(ordering: .relaxed) }
}

final class RunCounter: Sendable {
    let value = Atomic<Int>(0)
}

@Suite("The agent loop with a scripted model", .timeLimit(.minutes(1)))
struct LoopTests {
    func loop(
        _ provider: ScriptedProvider, tools: [any AgentTool] = [], events: EventLog = EventLog(),
        _ adjust: (inout AgentConfiguration) -> Void = { _ in }
    ) throws -> AgentLoop {
        var configuration = AgentConfiguration(model: "sonnet", systemPrompt: "You are a test.", maxTurns: 5, maxTokens: 1000, temperature: 0.2)
        adjust(&configuration)
        return AgentLoop(provider: provider, configuration: configuration, tools: try ToolSet(tools), sandbox: NoSandbox(), events: events.sink)
    }

    @Test("a turn without tool calls is the answer; deltas stream before the message, the result comes last")
    func plainAnswer() async throws {
        let provider = ScriptedProvider([.text("The answer is 42.")])
        let events = EventLog()
        let result = try await loop(provider, events: events).run(prompt: "What is it?")
        #expect(result.subtype == "success")
        #expect(result.text == "The answer is 42.")
        #expect(result.turns == 1)
        #expect(result.turnUsage == [TokenUsage(inputTokens: 10, outputTokens: 5)])
        #expect(result.modelCalls.map(\.requestedModel) == ["sonnet"])
        #expect(result.transcript.count == 2)
        let request = try #require(provider.requests.first)
        #expect(request.system == "You are a test." && request.model == "sonnet" && request.maxTokens == 1000 && request.temperature == 0.2)
        #expect(request.messages == [.user("What is it?")])

        let all = events.all
        guard case .turnStarted(turn: 1)? = all.first else {
            Issue.record("first event: \(String(describing: all.first))")
            return
        }
        let deltas = all.compactMap { if case .textDelta(let text) = $0 { text } else { nil } }
        #expect(deltas.joined() == "The answer is 42." && deltas.count > 1)
        let messageIndex = try #require(all.firstIndex { if case .assistantMessage = $0 { true } else { false } })
        let lastDelta = try #require(all.lastIndex { if case .textDelta = $0 { true } else { false } })
        #expect(lastDelta < messageIndex)
        guard case .result(let final)? = all.last else {
            Issue.record("last event: \(String(describing: all.last))")
            return
        }
        #expect(final.text == result.text)
    }

    @Test("a stream sink delivers every event and ends with the run's result")
    func streamSink() async throws {
        let (stream, sink) = AgentEventSink.stream()
        let provider = ScriptedProvider([.tools(call("t1", "Echo", ["text": "hi"])), .text("bye")])
        let loop = AgentLoop(
            provider: provider, configuration: AgentConfiguration(model: "m"), tools: try ToolSet([EchoTool()]), sandbox: NoSandbox(), events: sink)
        async let result = loop.run(prompt: "go")
        var kinds: [String] = []
        for await event in stream {
            switch event {
            case .turnStarted: kinds.append("turn")
            case .textDelta: if kinds.last != "text" { kinds.append("text") }
            case .thinkingDelta: kinds.append("thinking")
            case .assistantMessage: kinds.append("assistant")
            case .toolCallStarted: kinds.append("tool_start")
            case .toolCallFinished: kinds.append("tool_end")
            case .toolResults: kinds.append("user")
            case .result: kinds.append("result")
            case .subagent: kinds.append("subagent")
            }
        }
        #expect(kinds == ["turn", "assistant", "tool_start", "tool_end", "user", "turn", "text", "assistant", "result"])
        #expect(await result.text == "bye")
    }

    @Test("tool calls run and their results go back in one user message, in call order")
    func toolRoundTrip() async throws {
        let echo = EchoTool()
        let provider = ScriptedProvider([
            .tools(call("t1", "Echo", ["text": "first"]), call("t2", "Echo", ["text": "second"])),
            .text("both done"),
        ])
        let result = try await loop(provider, tools: [echo]).run(prompt: "go")
        #expect(result.subtype == "success" && result.text == "both done")
        #expect(echo.runCount == 2)
        #expect(result.toolCallCount == 2)
        let second = try #require(provider.requests.last)
        #expect(second.tools.map(\.name) == ["Echo"])
        let results = try #require(second.messages.last)
        #expect(results.role == .user)
        #expect(results.content == [.toolResult(ToolResult(toolCallID: "t1", content: "first")), .toolResult(ToolResult(toolCallID: "t2", content: "second"))])
    }

    @Test("max_turns ends the run after that many model calls, with the last text")
    func maxTurns() async throws {
        let echo = EchoTool()
        let provider = ScriptedProvider { _, index in .tools(call("t\(index)", "Echo", ["text": "again"]), text: "working \(index)") }
        let result = try await loop(provider, tools: [echo]) { $0.maxTurns = 3 }.run(prompt: "loop forever")
        #expect(result.subtype == "error_max_turns")
        #expect(result.outcome.terminalReason == "max_turns")
        #expect(result.turns == 3 && provider.requests.count == 3 && echo.runCount == 3)
        #expect(result.text == "working 2")
        // The last turn's calls were still answered: the transcript stays valid for a resume.
        #expect(result.toolResult("t2")?.content == "again")
    }

    @Test("an unknown tool is answered with an error naming the available tools, and the run goes on")
    func unknownTool() async throws {
        let provider = ScriptedProvider([.tools(call("t1", "Teleport", ["to": "mars"])), .text("ok")])
        let result = try await loop(provider, tools: [EchoTool()]).run(prompt: "go")
        let answer = try #require(result.toolResult("t1"))
        #expect(answer.isError)
        #expect(answer.content.contains("No such tool: Teleport") && answer.content.contains("Echo"))
        #expect(result.subtype == "success")
    }

    @Test(
        "malformed input is answered with what is wrong and the tool does not run",
        arguments: [
            (JSONValue.string("text"), "must be a JSON object, got string"),
            (JSONValue.object([:]), "missing required field `text`"),
            (["text": 5] as JSONValue, "`text` must be string, got integer"),
            (["text": "x", "times": "3"] as JSONValue, "`times` must be integer, got string"),
            (["text": "x", "times": 1.5] as JSONValue, "`times` must be integer, got number"),
        ])
    func malformedInput(input: JSONValue, problem: String) async throws {
        let echo = EchoTool()
        let provider = ScriptedProvider([.tools(call("t1", "Echo", input)), .text("ok")])
        let events = EventLog()
        let result = try await loop(provider, tools: [echo], events: events).run(prompt: "go")
        let answer = try #require(result.toolResult("t1"))
        #expect(answer.isError && answer.content.contains(problem), "\(answer.content)")
        #expect(echo.runCount == 0)
        #expect(events.toolFinishes.first?.ran == false)
    }

    @Test("a tool call cut by max_tokens is not run: each call gets an error saying so, and the model may try again")
    func maxTokensCut() async throws {
        let echo = EchoTool()
        let provider = ScriptedProvider([
            .tools(call("t1", "Echo", ["text": "complete"]), call("t2", "Echo", ["text": "cut sho"]), stopReason: .maxTokens),
            .tools(call("t3", "Echo", ["text": "retried"])),
            .text("done"),
        ])
        let result = try await loop(provider, tools: [echo]).run(prompt: "go")
        #expect(echo.runCount == 1)
        for id in ["t1", "t2"] {
            let answer = try #require(result.toolResult(id))
            #expect(answer.isError && answer.content.contains("max_tokens"))
        }
        #expect(result.toolResult("t3")?.content == "retried")
        #expect(result.subtype == "success")
    }

    @Test("the transcript pairs every tool call with exactly one result in the next message, results before any text")
    func transcriptPairing() async throws {
        let provider = ScriptedProvider([
            .tools(call("a", "Echo", ["text": "1"]), call("b", "Missing", [:]), call("c", "Echo", [:])),
            .tools(call("d", "Echo", ["text": "4"]), stopReason: .maxTokens),
            .tools(call("e", "Echo", ["text": "5"]), call("f", "Echo", ["text": "6"])),
            .text("end"),
        ])
        let result = try await loop(provider, tools: [EchoTool()]).run(prompt: "go")
        #expect(result.subtype == "success")
        let transcript = result.transcript
        var answered: [String: Int] = [:]
        for (index, message) in transcript.enumerated() where message.role == .assistant {
            let calls = message.toolCalls.map(\.id)
            guard !calls.isEmpty else { continue }
            let next = transcript[index + 1]
            #expect(next.role == .user)
            let ids = next.content.compactMap { if case .toolResult(let result) = $0 { result.toolCallID } else { nil } }
            #expect(ids == calls, "results in call order, all in one message")
            #expect(next.content.count == ids.count, "nothing but results")
            for id in ids { answered[id, default: 0] += 1 }
        }
        #expect(answered == ["a": 1, "b": 1, "c": 1, "d": 1, "e": 1, "f": 1])
        for message in transcript where message.role == .user {
            for case .toolResult(let result) in message.content { #expect(answered[result.toolCallID] == 1) }
        }
    }

    @Test("a provider error ends the run with that error; a stream cut before its end is an interruption")
    func providerErrors() async throws {
        let overloaded = ModelProviderError(.overloaded, provider: "scripted", status: 529, message: "overloaded")
        let failing = try await loop(ScriptedProvider([ScriptedTurn(failure: overloaded)])).run(prompt: "go")
        guard case .providerFailed(let error) = failing.outcome else {
            Issue.record("outcome \(failing.outcome)")
            return
        }
        #expect(error.code == .overloaded && failing.subtype == "error_during_execution")
        #expect(failing.outcome.terminalReason == "provider_error")

        let cut = try await loop(ScriptedProvider([ScriptedTurn(text: "partial answer", cutStream: true)])).run(prompt: "go")
        guard case .providerFailed(let cutError) = cut.outcome else {
            Issue.record("outcome \(cut.outcome)")
            return
        }
        #expect(cutError.code == .streamInterrupted)
    }

    @Test("cancelling the run's task during a model call ends it promptly as aborted_streaming")
    func cancelDuringModelCall() async throws {
        let provider = ScriptedProvider([.hanging])
        let events = EventLog()
        let agent = try loop(provider, events: events)
        let task = Task { await agent.run(prompt: "go") }
        #expect(await eventually(.seconds(10)) { provider.requests.count == 1 })
        let start = ContinuousClock.now
        task.cancel()
        let result = await task.value
        #expect(ContinuousClock.now - start < .seconds(30), "interrupted, not waited for (not tight: the whole suite on two cores delays tasks)")
        #expect(result.outcome.terminalReason == "aborted_streaming")
        #expect(result.subtype == "error_during_execution")
    }

    @Test("the timeout interrupts a model call that never ends")
    func timeoutDuringModelCall() async throws {
        let result = try await loop(ScriptedProvider([.hanging])) { $0.timeout = .milliseconds(300) }.run(prompt: "go")
        guard case .timedOut(let after) = result.outcome else {
            Issue.record("outcome \(result.outcome)")
            return
        }
        #expect(after == .milliseconds(300) && result.outcome.terminalReason == "timeout")
        // Bounds far below the alternative (a call or a sleep that never ends), not tight: in the whole
        // suite on two cores a task can wait seconds for a cooperative thread.
        #expect(result.duration < .seconds(30))
    }

    @Test("settings out of range are refused before any model call")
    func invalidConfiguration() async throws {
        let provider = ScriptedProvider([.text("never")])
        let result = try await loop(provider) { $0.maxTurns = 0 }.run(prompt: "go")
        guard case .failed(let error) = result.outcome else {
            Issue.record("outcome \(result.outcome)")
            return
        }
        #expect(error.code == .invalidConfiguration && error.message.contains("max_turns"))
        #expect(provider.requests.isEmpty)
    }

    @Test("every tool result is capped, with a note to the model; events carry a short preview")
    func resultCap() async throws {
        let huge = EchoTool("Huge") { _ in ToolOutput(String(repeating: "x", count: 100_000)) }
        let provider = ScriptedProvider([.tools(call("t1", "Huge", ["text": ""])), .text("ok")])
        let events = EventLog()
        let result = try await loop(provider, tools: [huge], events: events) { $0.limits.maxResultCharacters = 1000 }.run(prompt: "go")
        let answer = try #require(result.toolResult("t1"))
        #expect(answer.content.count <= 1000)
        #expect(answer.content.contains("[output truncated: 100000 bytes total"))
        let finish = try #require(events.toolFinishes.first)
        #expect(finish.output.utf8.count <= 2048 + 3 && finish.outputBytes == answer.content.utf8.count)
    }
}
