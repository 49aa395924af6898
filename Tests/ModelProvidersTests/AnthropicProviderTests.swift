import Foundation
import JSONValues
import ModelProviders
import ProviderDouble
import Testing

/// AnthropicProvider against the provider double over loopback HTTP: what it sends, what it
/// makes of every kind of answer.
@Suite struct AnthropicProviderTests {
    @Test func completeReturnsTextUsageAndSendsTheProtocol() async throws {
        try await DoubleFixture.with { fixture in
            fixture.script(.reply("Hello there.", usage: ScriptedUsage(inputTokens: 12, outputTokens: 4, cacheReadTokens: 3, cacheWriteTokens: 2)))
            let provider = try fixture.anthropic(headers: ["anthropic-beta": "tools-2024"])
            let response = try await provider.complete(prompt("Hi", system: "Be brief."))
            #expect(response.message.text == "Hello there.")
            #expect(response.stopReason == .endTurn)
            #expect(response.usage == TokenUsage(inputTokens: 12, outputTokens: 4, cacheReadTokens: 3, cacheWriteTokens: 2))
            #expect(response.id.hasPrefix("msg_"))

            let sent = try #require(fixture.requests.first)
            #expect(sent.path == "/v1/messages")
            #expect(sent.credentialScheme == "x-api-key")
            #expect(sent.header("anthropic-version") == "2023-06-01")
            #expect(sent.header("anthropic-beta") == "tools-2024")
            #expect(sent.header("content-type") == "application/json")
            #expect(sent.body?.jsonText.contains(#""system":"Be brief.""#) == true)
            #expect(sent.body?.jsonText.contains(#""max_tokens":4096"#) == true)
            #expect(!sent.bodyText.contains(fixture.key), "the key must travel only in its header")
        }
    }

    @Test func authTokenIsSentAsBearerAndTheKeyWinsWhenBothAreSet() async throws {
        try await DoubleFixture.with { fixture in
            fixture.script(.reply("one"), .reply("two"))
            _ = try await fixture.anthropic(bearer: true).complete(prompt("Hi"))
            var both = fixture.anthropicEndpoint()
            both.authToken = SecretValue("a-token-that-must-not-be-used")
            _ = try await AnthropicProvider(endpoint: both, options: DoubleFixture.options).complete(prompt("Hi"))
            #expect(fixture.requests.map(\.credentialScheme) == ["bearer", "x-api-key"])
        }
    }

    @Test func baseURLEndingInV1IsNotDoubled() async throws {
        try await DoubleFixture.with { fixture in
            fixture.script(.reply("ok"))
            let provider = try fixture.anthropic(baseURL: fixture.double.anthropicBaseURL + "/v1/")
            #expect(provider.requestPath == "/v1/messages")
            #expect(try await provider.complete(prompt("Hi")).message.text == "ok")
        }
    }

    @Test func streamsTextDeltasThenTheWholeResponse() async throws {
        try await DoubleFixture.with { fixture in
            fixture.script(ScriptedTurn(text: "The answer is forty two.", thinking: "Let me think.", usage: ScriptedUsage(inputTokens: 30, outputTokens: 9)))
            let (events, response) = try await collect(try await fixture.anthropic().stream(prompt("Question?")))
            #expect(streamedText(events) == "The answer is forty two.")
            #expect(events.filter { if case .textDelta = $0 { true } else { false } }.count > 1, "the text arrives in pieces")
            #expect(events.prefix(3) == [.thinkingDelta("Let "), .thinkingDelta("me "), .thinkingDelta("think.")])
            #expect(response.message.text == "The answer is forty two.")
            guard case .thinking(let thought, let signature) = response.message.content.first else {
                Issue.record("no thinking block first: \(response.message.content)")
                return
            }
            #expect(thought == "Let me think.")
            #expect(!signature.isEmpty)
            // message_start's usage is overwritten by message_delta's cumulative output count.
            #expect(response.usage == TokenUsage(inputTokens: 30, outputTokens: 9))
            #expect(fixture.requests.first?.body?.jsonText.contains(#""stream":true"#) == true)
        }
    }

    @Test func severalToolCallsInOneTurnStreamedAndNot() async throws {
        try await DoubleFixture.with { fixture in
            let calls = [
                ScriptedToolCall(name: "Bash", input: ["command": "ls -la /tmp && echo \"done\""]),
                ScriptedToolCall(name: "Read", input: ["file_path": "/etc/hostname", "limit": 20]),
                ScriptedToolCall(name: "Glob", input: [:]),
            ]
            fixture.script(.calls(calls, text: "Looking."), .calls(calls))
            let provider = try fixture.anthropic()
            let (events, streamed) = try await collect(try await provider.stream(prompt("Look around", tools: [bashTool])))
            let complete = try await provider.complete(prompt("Look around", tools: [bashTool]))
            for response in [streamed, complete] {
                #expect(response.stopReason == .toolUse)
                #expect(response.message.toolCalls.map(\.name) == ["Bash", "Read", "Glob"])
                #expect(response.message.toolCalls.map(\.input) == calls.map(\.input))
                #expect(Set(response.message.toolCalls.map(\.id)).count == 3)
            }
            let started = events.compactMap { if case .toolCallStarted(let id, let name) = $0 { "\(id) \(name)" } else { nil } }
            #expect(started == streamed.message.toolCalls.map { "\($0.id) \($0.name)" })
            #expect(streamed.message.text == "Looking.")
            let sent = try #require(fixture.requests.first?.body)
            #expect(sent.jsonText.contains(#""tool_choice":{"type":"auto"}"#))
            #expect(sent.jsonText.contains(#""input_schema":{"properties""#))
        }
    }

    @Test func toolResultsGoBackInOneUserTurnBeforeAnyText() async throws {
        try await DoubleFixture.with { fixture in
            fixture.script(.reply("Thanks."))
            let first = ToolCall(id: "toolu_1", name: "Bash", input: ["command": "ls"])
            let second = ToolCall(id: "toolu_2", name: "Read", input: ["file_path": "/x"])
            // Results split over two of our turns and text first: the provider must still send
            // one user turn with both results before the text, or the API refuses it.
            let request = ModelRequest(
                model: "m",
                messages: [
                    .user("Do it"),
                    ModelMessage(role: .assistant, content: [.text("Running."), .toolCall(first), .toolCall(second)]),
                    ModelMessage(role: .user, content: [.text("Here you go."), .toolResult(ToolResult(toolCallID: "toolu_1", content: "a b"))]),
                    ModelMessage(role: .user, content: [.toolResult(ToolResult(toolCallID: "toolu_2", content: "no such file", isError: true))]),
                ], tools: [bashTool], toolChoice: .tool("Bash"), temperature: 0.2, stopSequences: ["END"])
            let response = try await fixture.anthropic().complete(request)
            #expect(response.message.text == "Thanks.")
            let body = try #require(fixture.requests.first?.body)
            guard case .array(let messages)? = body.testMember("messages") else {
                Issue.record("no messages in \(body.jsonText)")
                return
            }
            #expect(messages.count == 3)
            let last = messages[2].jsonText
            #expect(
                last == #"{"content":[{"content":"a b","tool_use_id":"toolu_1","type":"tool_result"},"#
                    + #"{"content":"no such file","is_error":true,"tool_use_id":"toolu_2","type":"tool_result"},"#
                    + #"{"text":"Here you go.","type":"text"}],"role":"user"}"#)
            #expect(body.jsonText.contains(#""tool_choice":{"name":"Bash","type":"tool"}"#))
            #expect(body.jsonText.contains(#""temperature":0.2"#))
            #expect(body.jsonText.contains(#""stop_sequences":["END"]"#))
        }
    }

    @Test func maxTokensInsideAToolCallIsReportedAndTheCallIsNotAnObject() async throws {
        try await DoubleFixture.with { fixture in
            let turn = ScriptedTurn(
                toolCalls: [
                    ScriptedToolCall(name: "Bash", input: ["command": "echo fine"]),
                    ScriptedToolCall(name: "Write", input: ["file_path": "/tmp/report.md", "content": .string(String(repeating: "x", count: 80))]),
                ], stopReason: "max_tokens")
            fixture.script(turn, turn)
            let provider = try fixture.anthropic()
            let (_, streamed) = try await collect(try await provider.stream(prompt("Write it")))
            #expect(streamed.stopReason == .maxTokens)
            #expect(streamed.message.toolCalls.first?.input == ["command": "echo fine"])
            // The cut call's JSON stays text: never an object that would run with half its arguments.
            if case .string(let partial)? = streamed.message.toolCalls.last?.input {
                #expect(partial.hasPrefix(#"{"content":"#))
            } else {
                Issue.record("the cut call's input should be its raw text, got \(String(describing: streamed.message.toolCalls.last?.input))")
            }
            let complete = try await provider.complete(prompt("Write it"))
            #expect(complete.stopReason == .maxTokens)
        }
    }

    @Test func nullUsageFieldsKeepTheStartValues() async throws {
        try await DoubleFixture.with { fixture in
            fixture.script(ScriptedTurn(text: "ok", usage: ScriptedUsage(inputTokens: 50, outputTokens: 7, cacheReadTokens: 20), quirks: [.nullUsageFields]))
            let (_, response) = try await collect(try await fixture.anthropic().stream(prompt("Hi")))
            #expect(response.usage == TokenUsage(inputTokens: 50, outputTokens: 7, cacheReadTokens: 20))
        }
    }

    @Test func lineEndingsOfEveryKindAreRead() async throws {
        try await DoubleFixture.with { fixture in
            fixture.script(
                ScriptedTurn(text: "crlf works", quirks: [.crlfLineEndings, .keepAliveComments]),
                ScriptedTurn(text: "cr works", quirks: [.crLineEndings, .datalessRecords]))
            let provider = try fixture.anthropic()
            #expect(try await collect(try await provider.stream(prompt("a"))).response.message.text == "crlf works")
            #expect(try await collect(try await provider.stream(prompt("b"))).response.message.text == "cr works")
        }
    }
}

extension JSONValue {
    func testMember(_ key: String) -> JSONValue? {
        if case .object(let members) = self { members[key] } else { nil }
    }
}
