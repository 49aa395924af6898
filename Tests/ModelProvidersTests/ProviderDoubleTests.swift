import Foundation
import HTTPTransport
import JSONValues
import ProviderDouble
import TestSupport
import Testing

/// The double itself, spoken to with raw HTTP: script files, conversations, what it records,
/// the requests it refuses as the real APIs do, its routes for scripts outside Swift.
@Suite struct ProviderDoubleTests {
    static func client(_ double: RunningProviderDouble) throws -> HTTPClient {
        try HTTPClient(endpoint: .http(host: "127.0.0.1", port: double.port), configuration: HTTPClient.Configuration(proxy: .direct))
    }

    static func post(
        _ client: HTTPClient, _ path: String, _ json: String, headers: [(String, String)]
    ) async throws -> (status: Int, body: String, headers: HTTPHeaders) {
        let response = try await client.send(
            HTTPRequest(
                method: .post, path: path, headers: HTTPHeaders([("content-type", "application/json")] + headers),
                body: .bytes(Array(json.utf8)), timeout: .seconds(30)))
        return (response.status, response.bodyText, response.headers)
    }

    static let anthropicHeaders = [("x-api-key", "sk-double-key"), ("anthropic-version", "2023-06-01")]

    @Test func scriptFilesInYAMLAndJSON() throws {
        let yaml = """
            conversations:
              key-tools:
                turns:
                  - text: "Looking."
                    tool_calls:
                      - {name: Bash, input: {command: ls}}
                      - {name: Read, input: {file_path: /etc/hostname}, id: toolu_fixed}
                  - {status: 429, retry_after: 1, error_message: slow down}
                  - {text: cut, cut_after_events: 3, quirks: [same_index, omit_usage]}
              key-list:
                - text: only
            default:
              repeat: true
              turns: [{text: "Hello.", usage: {input_tokens: 3, output_tokens: 1}}]
            """
        let file = try ProviderScriptFile.parse(yaml)
        let tools = try #require(file.conversations["key-tools"])
        #expect(tools.turns.count == 3)
        #expect(tools.turns[0].toolCalls.map(\.name) == ["Bash", "Read"])
        #expect(tools.turns[0].toolCalls[1].id == "toolu_fixed")
        #expect(tools.turns[1].status == 429 && tools.turns[1].retryAfter == "1")
        #expect(tools.turns[2].quirks == [.sameIndex, .omitUsage])
        #expect(file.conversations["key-list"]?.turns.first?.text == "only")
        #expect(file.defaultScript?.repeats == true)
        #expect(file.defaultScript?.turns.first?.usage == ScriptedUsage(inputTokens: 3, outputTokens: 1))

        let json = try ProviderScriptFile.parse(#"[{"text": "a"}, {"status": 529}]"#)
        #expect(json.defaultScript?.turns.map(\.status) == [nil, 529])
    }

    @Test func scriptMistakesAreNamed() {
        let cases = [
            ("turns: [{txet: hi}]", "unknown key 'txet'"),
            ("turns: [{status: 1000}]", "not an HTTP status"),
            ("turns: [{quirks: [sideways]}]", "unknown quirk"),
            ("turns: [{tool_calls: [{input: {}}]}]", "needs a name"),
            ("conversations: {a: 3}", "conversations.a"),
            ("turns: [{text: [unclosed", "not JSON or YAML"),
        ]
        for (text, expected) in cases {
            do {
                _ = try ProviderScriptFile.parse(text)
                Issue.record("accepted: \(text)")
            } catch {
                #expect("\(error)".contains(expected), "\(text) → \(error)")
            }
        }
    }

    @Test func conversationsAreKeyedByHeaderThenCredentialAndRecordedWithoutIt() async throws {
        try await withDouble { double in
            double.setScript(key: "sk-double-key", turns: [.reply("by key")])
            double.setScript(key: "conversation-7", turns: [.reply("by header")])
            let client = try Self.client(double)
            let body = #"{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}"#
            let byKey = try await Self.post(client, "/v1/messages", body, headers: Self.anthropicHeaders)
            #expect(byKey.status == 200 && byKey.body.contains("by key"))
            #expect(byKey.headers["request-id"]?.hasPrefix("req_") == true)
            let byHeader = try await Self.post(
                client, "/v1/messages", body, headers: Self.anthropicHeaders + [("x-double-conversation", "conversation-7")])
            #expect(byHeader.body.contains("by header"))
            let bearer = try await Self.post(
                client, "/v1/chat/completions", #"{"model":"m","messages":[{"role":"user","content":"hi"}]}"#,
                headers: [("authorization", "Bearer conversation-7")])
            #expect(bearer.status == 400 && bearer.body.contains("no turn left"), "the same conversation, its one turn taken")

            let recorded = double.requests(key: "sk-double-key")
            #expect(recorded.count == 1)
            #expect(recorded.first?.credentialScheme == "x-api-key")
            #expect(recorded.first?.header("x-api-key") == nil)
            #expect(recorded.first?.header("anthropic-version") == "2023-06-01")
            #expect(recorded.first?.body?.jsonText.contains(#""max_tokens":5"#) == true)
            #expect(double.requests(key: "conversation-7").map(\.credentialScheme) == ["x-api-key", "bearer"])
            #expect(double.requests(key: "conversation-7").allSatisfy { $0.header("authorization") == nil })
        }
    }

    @Test func repeatingScriptsAndTheDefaultScript() async throws {
        try await withDouble(ProviderDouble.Configuration(script: ProviderScriptFile(defaultScript: ProviderScript(turns: [.reply("default")])))) { double in
            double.setScript(key: "loop", ProviderScript(turns: [.reply("a"), .reply("b")], repeats: true))
            let client = try Self.client(double)
            let body = #"{"model":"m","messages":[{"role":"user","content":"hi"}]}"#
            var answers: [String] = []
            for _ in 0..<5 {
                let answer = try await Self.post(client, "/v1/chat/completions", body, headers: [("authorization", "Bearer loop")])
                answers.append(answer.body.contains(#""content":"a""#) ? "a" : answer.body.contains(#""content":"b""#) ? "b" : answer.body)
            }
            #expect(answers == ["a", "b", "a", "b", "a"])
            // Every other key starts the default script from its first turn.
            for key in ["one", "two"] {
                let answer = try await Self.post(client, "/v1/chat/completions", body, headers: [("authorization", "Bearer \(key)")])
                #expect(answer.body.contains(#""content":"default""#))
            }
        }
    }

    @Test func requestsTheRealAPIsRefuseAreRefusedTheSameWay() async throws {
        try await withDouble { double in
            double.setScript(key: "sk-double-key", ProviderScript(turns: [.reply("fine")], repeats: true))
            let client = try Self.client(double)
            let unpaired = """
                {"model":"m","max_tokens":10,"messages":[{"role":"user","content":"go"},
                {"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"Bash","input":{}}]},
                {"role":"user","content":[{"type":"text","text":"where is the result?"}]}]}
                """
            let anthropic = try await Self.post(client, "/v1/messages", unpaired, headers: Self.anthropicHeaders)
            #expect(anthropic.status == 400)
            #expect(anthropic.body.contains("`tool_use` ids were found without `tool_result` blocks immediately after: toolu_1"))
            #expect(anthropic.body.contains(#""type":"invalid_request_error""#))
            let textFirst = """
                {"model":"m","max_tokens":10,"messages":[{"role":"user","content":"go"},
                {"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"Bash","input":{}}]},
                {"role":"user","content":[{"type":"text","text":"x"},{"type":"tool_result","tool_use_id":"toolu_1","content":"ok"}]}]}
                """
            #expect(try await Self.post(client, "/v1/messages", textFirst, headers: Self.anthropicHeaders).status == 400)
            let noVersion = try await Self.post(
                client, "/v1/messages", #"{"model":"m","max_tokens":1,"messages":[]}"#, headers: [("x-api-key", "sk-double-key")])
            #expect(noVersion.status == 400 && noVersion.body.contains("anthropic-version"))
            let noKey = try await Self.post(
                client, "/v1/messages", #"{"model":"m","max_tokens":1,"messages":[]}"#, headers: [("anthropic-version", "2023-06-01")])
            #expect(noKey.status == 401 && noKey.body.contains("authentication_error"))

            let openAI = """
                {"model":"m","messages":[{"role":"user","content":"go"},
                {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"Bash","arguments":"{}"}}]},
                {"role":"user","content":"no tool message"}]}
                """
            let refused = try await Self.post(client, "/v1/chat/completions", openAI, headers: [("authorization", "Bearer sk-double-key")])
            #expect(refused.status == 400 && refused.body.contains("did not have response messages: call_1"))
            let stray = #"{"model":"m","messages":[{"role":"user","content":"go"},{"role":"tool","tool_call_id":"call_9","content":"x"}]}"#
            let strayAnswer = try await Self.post(client, "/v1/chat/completions", stray, headers: [("authorization", "Bearer sk-double-key")])
            #expect(strayAnswer.status == 400 && strayAnswer.body.contains("must be a response to a preceeding message"))
            let notJSON = try await Self.post(client, "/v1/chat/completions", "{nope", headers: [("authorization", "Bearer sk-double-key")])
            #expect(notJSON.status == 400)
            // None of these took a turn: the one scripted reply is still there.
            let fine = try await Self.post(
                client, "/v1/chat/completions", #"{"model":"m","messages":[{"role":"user","content":"hi"}]}"#,
                headers: [("authorization", "Bearer sk-double-key")])
            #expect(fine.status == 200 && fine.body.contains("fine"))
        }
    }

    @Test func routesForScriptsOutsideSwift() async throws {
        try await withDouble { double in
            let client = try Self.client(double)
            let put = try await client.send(
                HTTPRequest(
                    method: .put, path: "/_double/script?conversation=py-key", body: .bytes(Array("- text: from python\n".utf8)),
                    timeout: .seconds(30)))
            #expect(put.status == 204)
            let bad = try await client.send(
                HTTPRequest(method: .put, path: "/_double/script?conversation=py-key", body: .bytes(Array("- txet: x\n".utf8)), timeout: .seconds(30)))
            #expect(bad.status == 400 && bad.bodyText.contains("unknown key"))
            let answer = try await Self.post(
                client, "/v1/chat/completions", #"{"model":"m","messages":[{"role":"user","content":"hi"}]}"#,
                headers: [("authorization", "Bearer py-key")])
            #expect(answer.body.contains("from python"))
            let list = try await client.send(HTTPRequest(path: "/_double/requests?conversation=py-key", timeout: .seconds(30)))
            #expect(list.status == 200)
            #expect(list.bodyText.contains(#""credential_scheme":"bearer""#))
            #expect(!list.bodyText.contains("Bearer py-key"))
            let health = try await client.send(HTTPRequest(path: "/_double/health", timeout: .seconds(30)))
            #expect(health.status == 200)
        }
    }

    @Test func streamsAreFramedAsTheRealAPIsFrameThem() async throws {
        try await withDouble { double in
            let calls = [ScriptedToolCall(name: "Bash", input: ["command": "ls -la"]), ScriptedToolCall(name: "Read", input: ["file_path": "/a"])]
            double.setScript(key: "sk-double-key", turns: [.calls(calls, text: "Hi there"), .calls(calls, text: "Hi there")])
            let client = try Self.client(double)
            let anthropic = try await Self.post(
                client, "/v1/messages", #"{"model":"m","max_tokens":9,"stream":true,"messages":[{"role":"user","content":"hi"}]}"#,
                headers: Self.anthropicHeaders)
            #expect(anthropic.headers["content-type"] == "text/event-stream; charset=utf-8")
            let names = anthropic.body.split(separator: "\n").filter { $0.hasPrefix("event: ") }.map { String($0.dropFirst(7)) }
            #expect(names.first == "message_start" && names[1] == "ping" && names.last == "message_stop")
            #expect(names.filter { $0 == "content_block_start" }.count == 3)
            #expect(names.suffix(2) == ["message_delta", "message_stop"])
            #expect(anthropic.body.contains(#""partial_json":"""#), "the first input_json_delta is empty")

            let openAI = try await Self.post(
                client, "/v1/chat/completions",
                #"{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}"#,
                headers: [("authorization", "Bearer sk-double-key")])
            let data = openAI.body.split(separator: "\n").filter { $0.hasPrefix("data: ") }.map { String($0.dropFirst(6)) }
            #expect(!openAI.body.contains("event:"))
            #expect(data.last == "[DONE]")
            #expect(data.dropLast().last?.contains(#""choices":[]"#) == true, "the usage chunk comes right before [DONE]")
            #expect(data.dropLast().last?.contains(#""prompt_tokens""#) == true)
            #expect(data.filter { $0.contains(#""tool_calls""#) }.count > 2, "tool-call fragments split across chunks")
            #expect(data.dropLast(2).allSatisfy { $0.contains(#""usage":null"#) })
        }
    }

    @Test func theTokenDelayPacesStreamsAndIsOffByDefault() async throws {
        try await DoubleFixture.with { fixture in
            let words = "one two three four five six"
            fixture.script(ScriptedTurn(text: words, tokenDelayMs: 25), .reply(words))
            let provider = try fixture.anthropic()
            let started = ContinuousClock.now
            let (_, paced) = try await collect(try await provider.stream(prompt("Hi")))
            let took = ContinuousClock.now - started
            #expect(paced.message.text == words)
            // Six pieces, each after 25 ms: the pause is a lower bound, whatever the machine's load.
            #expect(took >= .milliseconds(150), "took \(took)")
            #expect(try await collect(try await provider.stream(prompt("Hi"))).response.message.text == words)
        }
    }

    @Test func theCommandIsHiddenAndRefusesABadScript() async throws {
        let binary = OfficialSDKFidelityTests.root.appendingPathComponent(".build/debug/sandcastle").path
        try #require(FileManager.default.isExecutableFile(atPath: binary), "\(binary) is missing: `swift build` first")
        let help = try await runChild(binary, ["--help"])
        #expect(help.status == 0 && !help.text.contains("provider-double"), "hidden from help")
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("double-\(UUID().uuidString).yaml")
        try "turns: [{txet: typo}]\n".write(to: script, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: script) }
        let refused = try await runChild(binary, ["provider-double", "--port", "0", "--script", script.path])
        #expect(refused.status == 2)
        #expect(refused.text.contains("unknown key 'txet'") && refused.text.contains(script.path), "\(refused.text)")
    }
}
