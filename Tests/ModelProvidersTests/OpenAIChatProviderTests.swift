import Foundation
import JSONValues
import ModelProviders
import ProviderDouble
import Testing

/// OpenAIChatProvider against the provider double: the request it sends, OpenAI's own stream,
/// and each divergence of the compatible servers (agents.md §2.6).
@Suite struct OpenAIChatProviderTests {
    static let calls = [
        ScriptedToolCall(name: "Bash", input: ["command": "grep -rn \"TODO\" src | head -n 20"]),
        ScriptedToolCall(name: "Read", input: ["file_path": "/work/README.md", "offset": 10]),
    ]

    @Test func completeAndStreamText() async throws {
        try await DoubleFixture.with { fixture in
            let usage = ScriptedUsage(inputTokens: 40, outputTokens: 6, cacheReadTokens: 10)
            fixture.script(.reply("Plain answer here.", usage: usage), .reply("Streamed answer here.", usage: usage))
            let provider = try fixture.openAI()
            #expect(provider.requestPath == "/v1/chat/completions")
            let complete = try await provider.complete(prompt("Hi", system: "System says."))
            #expect(complete.message.text == "Plain answer here.")
            #expect(complete.stopReason == .endTurn)
            // prompt_tokens (50) counts the 10 cached ones; TokenUsage keeps them apart.
            #expect(complete.usage == TokenUsage(inputTokens: 40, outputTokens: 6, cacheReadTokens: 10))

            let (events, streamed) = try await collect(try await provider.stream(prompt("Hi")))
            #expect(streamedText(events) == "Streamed answer here.")
            #expect(streamed.usage == TokenUsage(inputTokens: 40, outputTokens: 6, cacheReadTokens: 10))

            let sent = fixture.requests
            #expect(sent.map(\.credentialScheme) == ["bearer", "bearer"])
            #expect(sent.allSatisfy { !$0.bodyText.contains(fixture.key) })
            let first = try #require(sent.first?.body?.jsonText)
            #expect(first.contains(#""messages":[{"content":"System says.","role":"system"},{"content":"Hi","role":"user"}]"#))
            #expect(first.contains(#""max_tokens":4096"#))
            #expect(!first.contains("stream"))
            let second = try #require(sent.last?.body?.jsonText)
            #expect(second.contains(#""stream":true"#) && second.contains(#""stream_options":{"include_usage":true}"#))
        }
    }

    @Test func severalToolCallsFragmentsMergedByIndex() async throws {
        try await DoubleFixture.with { fixture in
            fixture.script(.calls(Self.calls, text: "Checking."), .calls(Self.calls))
            let provider = try fixture.openAI()
            let (events, streamed) = try await collect(try await provider.stream(prompt("Go", tools: [bashTool])))
            let complete = try await provider.complete(prompt("Go", tools: [bashTool]))
            for response in [streamed, complete] {
                #expect(response.stopReason == .toolUse)
                #expect(response.message.toolCalls.map(\.name) == ["Bash", "Read"])
                #expect(response.message.toolCalls.map(\.input) == Self.calls.map(\.input))
                #expect(response.message.toolCalls.allSatisfy { $0.id.hasPrefix("call_") })
            }
            #expect(streamed.message.text == "Checking.")
            #expect(events.filter { if case .toolCallStarted = $0 { true } else { false } }.count == 2)
            let body = try #require(fixture.requests.first?.body?.jsonText)
            #expect(body.contains(#""tools":[{"function":{"description":"Run a command","name":"Bash","parameters""#))
            #expect(body.contains(#""tool_choice":"auto""#))
        }
    }

    @Test func conversationWithToolResultsTranslatesToToolMessages() async throws {
        try await DoubleFixture.with { fixture in
            fixture.script(.reply("Done."))
            let call = ToolCall(id: "call_abc", name: "Bash", input: ["command": "ls"])
            let broken = ToolCall(id: "call_def", name: "Bash", input: .string(#"{"command": "l"#))
            let request = ModelRequest(
                model: "m", system: "sys",
                messages: [
                    .user("List"),
                    ModelMessage(role: .assistant, content: [.thinking(text: "hm", signature: "s"), .toolCall(call), .toolCall(broken)]),
                    ModelMessage(
                        role: .user,
                        content: [
                            .text("and then?"), .toolResult(ToolResult(toolCallID: "call_abc", content: "a\nb")),
                            .toolResult(ToolResult(toolCallID: "call_def", content: "arguments were cut", isError: true)),
                        ]),
                ], tools: [bashTool], toolChoice: .anyTool,
                responseFormat: ResponseFormat(name: "answer", schema: ["type": "object"], strict: true))
            #expect(try await fixture.openAI().complete(request).message.text == "Done.")
            let body = try #require(fixture.requests.first?.body)
            guard case .array(let messages)? = body.testMember("messages") else {
                Issue.record("no messages")
                return
            }
            #expect(messages.map { $0.testMember("role") } == ["system", "user", "assistant", "tool", "tool", "user"])
            #expect(
                messages[2].jsonText
                    == #"{"content":null,"role":"assistant","tool_calls":[{"function":{"arguments":"{\"command\":\"ls\"}","name":"Bash"},"#
                    + #""id":"call_abc","type":"function"},{"function":{"arguments":"{\"command\": \"l","name":"Bash"},"id":"call_def","type":"function"}]}"#)
            #expect(messages[3].jsonText == #"{"content":"a\nb","role":"tool","tool_call_id":"call_abc"}"#)
            #expect(messages[4].testMember("content") == "Error: arguments were cut")
            #expect(body.testMember("tool_choice") == "required")
            #expect(
                body.testMember("response_format")?.jsonText
                    == #"{"json_schema":{"name":"answer","schema":{"type":"object"},"strict":true},"type":"json_schema"}"#)
        }
    }

    @Test func toolChoiceOfOneFunctionAndNone() async throws {
        try await DoubleFixture.with { fixture in
            fixture.script(.reply("a"), .reply("b"), .reply("c"))
            let provider = try fixture.openAI()
            var request = prompt("x", tools: [bashTool])
            request.toolChoice = .tool("Bash")
            _ = try await provider.complete(request)
            request.toolChoice = .none
            _ = try await provider.complete(request)
            _ = try await provider.complete(prompt("no tools"))
            let choices = fixture.requests.map { $0.body?.testMember("tool_choice")?.jsonText }
            #expect(choices == [#"{"function":{"name":"Bash"},"type":"function"}"#, #""none""#, nil])
        }
    }

    @Test func noKeyMeansNoAuthorizationHeader() async throws {
        try await DoubleFixture.with { fixture in
            fixture.double.setScript(key: "", turns: [.reply("local model")])
            let endpoint = ProviderEndpoint(
                name: "ollama", wireProtocol: .openAIChat, baseURL: fixture.double.openAIBaseURL, credentialVariable: "OLLAMA_HOST")
            let response = try await OpenAIChatProvider(endpoint: endpoint, options: DoubleFixture.options).complete(prompt("Hi"))
            #expect(response.message.text == "local model")
            #expect(fixture.double.requests(key: "").first?.credentialScheme == nil)
        }
    }

    // MARK: Divergences of compatible servers, one test each

    @Test func missingUsageIsNilNeverZero() async throws {
        try await DoubleFixture.with { fixture in
            fixture.script(ScriptedTurn(text: "no usage", quirks: [.omitUsage]), ScriptedTurn(text: "no usage", quirks: [.omitUsage]))
            let provider = try fixture.openAI()
            #expect(try await collect(try await provider.stream(prompt("Hi"))).response.usage == nil)
            #expect(try await provider.complete(prompt("Hi")).usage == nil)
        }
    }

    @Test func everyCallAtIndexZeroWithNewIdsAreSeparateCalls() async throws {
        try await DoubleFixture.with { fixture in
            fixture.script(ScriptedTurn(toolCalls: Self.calls, quirks: [.sameIndex]))
            let (_, response) = try await collect(try await fixture.openAI().stream(prompt("Go")))
            #expect(response.message.toolCalls.map(\.name) == ["Bash", "Read"])
            #expect(response.message.toolCalls.map(\.input) == Self.calls.map(\.input))
        }
    }

    @Test func callsWithoutIdsGetStableOnes() async throws {
        try await DoubleFixture.with { fixture in
            fixture.script(ScriptedTurn(toolCalls: Self.calls, quirks: [.missingToolCallIDs]))
            let (events, response) = try await collect(try await fixture.openAI().stream(prompt("Go")))
            let ids = response.message.toolCalls.map(\.id)
            #expect(ids.count == 2 && Set(ids).count == 2 && ids.allSatisfy { !$0.isEmpty })
            #expect(response.message.toolCalls.map(\.input) == Self.calls.map(\.input))
            let announced = events.compactMap { if case .toolCallStarted(let id, _) = $0 { id } else { nil } }
            #expect(announced == ids, "the id announced is the id the result must name")
        }
    }

    @Test func anIdArrivingAfterTheFirstFragmentBelongsToTheSameCall() async throws {
        try await DoubleFixture.with { fixture in
            fixture.script(ScriptedTurn(toolCalls: Self.calls, quirks: [.lateToolCallIDs, .sameIndex]))
            let (events, response) = try await collect(try await fixture.openAI().stream(prompt("Go")))
            #expect(response.message.toolCalls.map(\.name) == ["Bash", "Read"])
            #expect(response.message.toolCalls.map(\.input) == Self.calls.map(\.input))
            let announced = events.compactMap { if case .toolCallStarted(let id, _) = $0 { id } else { nil } }
            #expect(announced == response.message.toolCalls.map(\.id))
        }
    }

    @Test func keepAliveCommentsAndDatalessRecordsAreSkipped() async throws {
        try await DoubleFixture.with { fixture in
            fixture.script(ScriptedTurn(text: "through the noise", toolCalls: [Self.calls[0]], quirks: [.keepAliveComments, .datalessRecords]))
            let (_, response) = try await collect(try await fixture.openAI().stream(prompt("Go")))
            #expect(response.message.text == "through the noise")
            #expect(response.message.toolCalls.first?.input == Self.calls[0].input)
        }
    }

    @Test func finishStopWithToolCallsIsToolUse() async throws {
        try await DoubleFixture.with { fixture in
            let turn = ScriptedTurn(toolCalls: [Self.calls[0]], quirks: [.finishStopWithTools])
            fixture.script(turn, turn)
            let provider = try fixture.openAI()
            #expect(try await collect(try await provider.stream(prompt("Go"))).response.stopReason == .toolUse)
            #expect(try await provider.complete(prompt("Go")).stopReason == .toolUse)
        }
    }

    @Test func lengthIsMaxTokensAndTheCutCallIsNotAnObject() async throws {
        try await DoubleFixture.with { fixture in
            let turn = ScriptedTurn(toolCalls: Self.calls, stopReason: "max_tokens")
            fixture.script(turn, turn)
            let provider = try fixture.openAI()
            for response in [try await collect(try await provider.stream(prompt("Go"))).response, try await provider.complete(prompt("Go"))] {
                #expect(response.stopReason == .maxTokens)
                #expect(response.message.toolCalls.first?.input == Self.calls[0].input)
                #expect(response.message.toolCalls.last?.input.testString != nil, "a cut call keeps its raw text")
            }
        }
    }

    @Test func anErrorChunkMidStreamIsAnError() async throws {
        try await DoubleFixture.with { fixture in
            fixture.script(
                ScriptedTurn(
                    text: "partial answer that breaks", streamError: ScriptedStreamError(type: "rate_limit_exceeded", message: "Slow down", afterEvents: 2)))
            let error = await providerError { _ = try await collect(try await fixture.openAI().stream(prompt("Go"))) }
            #expect(error?.code == .rateLimited)
            #expect(error?.message.contains("Slow down") == true)
        }
    }

    @Test func otherLineEndingsAreRead() async throws {
        try await DoubleFixture.with { fixture in
            fixture.script(ScriptedTurn(text: "cr only", quirks: [.crLineEndings]), ScriptedTurn(text: "crlf", quirks: [.crlfLineEndings]))
            let provider = try fixture.openAI()
            #expect(try await collect(try await provider.stream(prompt("a"))).response.message.text == "cr only")
            #expect(try await collect(try await provider.stream(prompt("b"))).response.message.text == "crlf")
        }
    }
}

extension JSONValue {
    var testString: String? {
        if case .string(let text) = self { text } else { nil }
    }
}
