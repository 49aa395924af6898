import JSONValues

/// ModelRequest → the Chat Completions body, and its answer → ModelResponse.
enum OpenAIChatWire {
    static func body(_ request: ModelRequest, stream: Bool) -> JSONValue {
        var messages: [JSONValue] = []
        if let system = request.system, !system.isEmpty { messages.append(["role": "system", "content": .string(system)]) }
        for message in request.messages { messages += translate(message) }
        var body: [String: JSONValue] = [
            "model": .string(request.model),
            "messages": .array(messages),
            // Deliberately `max_tokens`, not OpenAI's newer `max_completion_tokens`: every
            // compatible server (Ollama, vLLM, llama.cpp, LiteLLM, OpenRouter, Mistral) knows
            // `max_tokens`, most do not know the other, and OpenAI still accepts it for its chat
            // models (only its o-series reasoning models insist on the new name).
            "max_tokens": .integer(request.maxTokens),
        ]
        if !request.tools.isEmpty {
            body["tools"] = .array(
                request.tools.map { tool in
                    var function: [String: JSONValue] = ["name": .string(tool.name), "parameters": tool.inputSchema]
                    if !tool.description.isEmpty { function["description"] = .string(tool.description) }
                    return ["type": "function", "function": .object(function)]
                })
            // Only beside tools: OpenAI refuses a tool_choice without them.
            body["tool_choice"] =
                switch request.toolChoice {
                case .auto: "auto"
                case .anyTool: "required"
                case .none: "none"
                case .tool(let name): ["type": "function", "function": ["name": .string(name)]]
                }
        }
        if let format = request.responseFormat {
            body["response_format"] = [
                "type": "json_schema",
                "json_schema": ["name": .string(format.name), "schema": format.schema, "strict": .bool(format.strict)],
            ]
        }
        if let temperature = request.temperature { body["temperature"] = .number(temperature) }
        if !request.stopSequences.isEmpty { body["stop"] = .array(request.stopSequences.map(JSONValue.string)) }
        if stream {
            body["stream"] = true
            // Usage arrives in one more chunk before [DONE]; servers that ignore this send none.
            body["stream_options"] = ["include_usage": true]
        }
        return .object(body)
    }

    /// One of our turns as Chat Completions messages. A user turn's tool results become `tool`
    /// messages, first, right after the assistant's `tool_calls` (the API requires one per call
    /// before anything else); its text follows as a user message. Thinking is dropped: this API
    /// has no way to send it back.
    static func translate(_ message: ModelMessage) -> [JSONValue] {
        switch message.role {
        case .user:
            var out: [JSONValue] = []
            var texts: [String] = []
            for block in message.content {
                switch block {
                case .toolResult(let result):
                    // No is_error field here: the model learns of the failure from the text.
                    let content = result.isError ? "Error: \(result.content)" : result.content
                    out.append(["role": "tool", "tool_call_id": .string(result.toolCallID), "content": .string(content)])
                case .text(let text):
                    texts.append(text)
                case .toolCall, .thinking:
                    break
                }
            }
            if !texts.isEmpty { out.append(["role": "user", "content": .string(texts.joined(separator: "\n\n"))]) }
            return out
        case .assistant:
            let text = message.text
            var item: [String: JSONValue] = ["role": "assistant", "content": text.isEmpty ? .null : .string(text)]
            let calls = message.toolCalls
            if !calls.isEmpty {
                item["tool_calls"] = .array(
                    calls.map { call in
                        // Arguments travel as a JSON string; a call whose arguments never parsed goes back as it came.
                        let arguments = call.input.wireString ?? call.input.jsonText
                        return [
                            "id": .string(call.id), "type": "function",
                            "function": ["name": .string(call.name), "arguments": .string(arguments)],
                        ]
                    })
            } else if text.isEmpty {
                item["content"] = ""
            }
            return [.object(item)]
        }
    }

    /// A non-streamed answer: `choices[0].message`.
    static func response(_ json: JSONValue) throws(WireShapeError) -> ModelResponse {
        guard let choice = json[wire: "choices"]?.wireArray?.first else { throw WireShapeError("the answer has no choices") }
        guard let message = choice[wire: "message"] else { throw WireShapeError("the first choice has no message") }
        var blocks: [ContentBlock] = []
        if let text = content(message[wire: "content"]), !text.isEmpty { blocks.append(.text(text)) }
        for (position, call) in (message[wire: "tool_calls"]?.wireArray ?? []).enumerated() {
            let function = call[wire: "function"]
            guard let name = function?.wireString("name") else { throw WireShapeError("a tool call has no function name") }
            let id = call.wireString("id").flatMap { $0.isEmpty ? nil : $0 } ?? generatedID(json.wireString("id"), position)
            blocks.append(.toolCall(ToolCall(id: id, name: name, input: arguments(function?[wire: "arguments"]))))
        }
        let hasCalls = blocks.contains { if case .toolCall = $0 { true } else { false } }
        return ModelResponse(
            id: json.wireString("id") ?? "", model: json.wireString("model") ?? "",
            message: ModelMessage(role: .assistant, content: blocks),
            stopReason: stopReason(choice.wireString("finish_reason"), hasToolCalls: hasCalls),
            usage: json[wire: "usage"].flatMap(usage))
    }

    /// Content is a string, or (some servers) a list of `{type: text, text}` parts.
    static func content(_ value: JSONValue?) -> String? {
        if let text = value?.wireString { return text }
        guard let parts = value?.wireArray else { return nil }
        return parts.compactMap { $0.wireString("text") }.joined()
    }

    /// Arguments are a JSON string (OpenAI) or already an object (some local servers). Empty is
    /// `{}`; text that does not parse stays a string, so that the call is visibly not runnable
    /// (cut at `length`, or a model's broken JSON) and the agent can say so to the model.
    static func arguments(_ value: JSONValue?) -> JSONValue {
        switch value {
        case .object?: return value ?? .object([:])
        case .string(let text)?: return AnthropicStreamAssembler.input(text)
        default: return .object([:])
        }
    }

    /// `stop` while tool calls are present is tool use (Ollama, LiteLLM and some vLLM parsers
    /// say `stop`); `length` is max_tokens.
    static func stopReason(_ raw: String?, hasToolCalls: Bool) -> StopReason {
        switch raw {
        case "length": .maxTokens
        case "tool_calls", "function_call": .toolUse
        case "content_filter": .refusal
        case "stop", nil: hasToolCalls ? .toolUse : .endTurn
        case let other?: hasToolCalls ? .toolUse : StopReason(rawValue: other)
        }
    }

    /// An id for a call the server sent without one, stable for the response (Ollama's first
    /// deltas, some llama.cpp versions): its result must name the same id.
    static func generatedID(_ responseID: String?, _ position: Int) -> String {
        let base = (responseID ?? "").filter { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }
        return "call_\(base.isEmpty ? "local" : base)_\(position)"
    }

    /// `usage`, with cached prompt tokens taken out of the input count: OpenAI's
    /// `prompt_tokens` includes them, Anthropic's `input_tokens` (and so ``TokenUsage``) does
    /// not, and prices differ for the two.
    static func usage(_ json: JSONValue) -> TokenUsage? {
        guard let prompt = json.wireInt("prompt_tokens") ?? json.wireInt("input_tokens") else {
            return json.wireInt("completion_tokens").map { TokenUsage(outputTokens: $0) }
        }
        let details = json[wire: "prompt_tokens_details"]
        let cacheRead = details?.wireInt("cached_tokens") ?? 0
        let cacheWrite = details?.wireInt("cache_write_tokens") ?? 0
        return TokenUsage(
            inputTokens: max(0, prompt - cacheRead - cacheWrite),
            outputTokens: json.wireInt("completion_tokens") ?? json.wireInt("output_tokens") ?? 0,
            cacheReadTokens: cacheRead, cacheWriteTokens: cacheWrite)
    }
}
