import JSONValues

/// ModelRequest → the Messages API's body, and its answer → ModelResponse.
enum AnthropicWire {
    static func body(_ request: ModelRequest, stream: Bool) -> JSONValue {
        var body: [String: JSONValue] = [
            "model": .string(request.model),
            "max_tokens": .integer(request.maxTokens),
            "messages": .array(messages(request.messages)),
        ]
        if let system = request.system, !system.isEmpty { body["system"] = .string(system) }
        if !request.tools.isEmpty {
            body["tools"] = .array(
                request.tools.map { tool in
                    var definition: [String: JSONValue] = ["name": .string(tool.name), "input_schema": tool.inputSchema]
                    if !tool.description.isEmpty { definition["description"] = .string(tool.description) }
                    return .object(definition)
                })
            // Without tools a tool_choice is an error, so it is only sent beside them.
            body["tool_choice"] =
                switch request.toolChoice {
                case .auto: ["type": "auto"]
                case .anyTool: ["type": "any"]
                case .tool(let name): ["type": "tool", "name": .string(name)]
                case .none: ["type": "none"]
                }
        }
        if let temperature = request.temperature { body["temperature"] = .number(temperature) }
        if !request.stopSequences.isEmpty { body["stop_sequences"] = .array(request.stopSequences.map(JSONValue.string)) }
        if stream { body["stream"] = true }
        return .object(body)
    }

    /// The conversation as Anthropic wants it: consecutive turns of one role merged (the API
    /// merges them too, and would then find text before tool results), and in a user turn every
    /// `tool_result` first, before any text (else 400: "tool_use ids were found without
    /// tool_result blocks immediately after").
    static func messages(_ messages: [ModelMessage]) -> [JSONValue] {
        var merged: [(role: MessageRole, content: [ContentBlock])] = []
        for message in messages {
            if let last = merged.last, last.role == message.role {
                merged[merged.count - 1].content += message.content
            } else {
                merged.append((message.role, message.content))
            }
        }
        return merged.map { turn in
            var results: [JSONValue] = []
            var others: [JSONValue] = []
            for block in turn.content {
                switch block {
                case .toolResult(let result):
                    var item: [String: JSONValue] = [
                        "type": "tool_result", "tool_use_id": .string(result.toolCallID), "content": .string(result.content),
                    ]
                    if result.isError { item["is_error"] = true }
                    results.append(.object(item))
                case .text(let text):
                    // The API refuses empty text blocks.
                    if !text.isEmpty { others.append(["type": "text", "text": .string(text)]) }
                case .toolCall(let call):
                    // A call whose arguments never parsed (cut at max_tokens) is sent back with an
                    // empty input: the API accepts only objects, and its result already says why it did not run.
                    let input: JSONValue = call.input.wireObject != nil ? call.input : .object([:])
                    others.append(["type": "tool_use", "id": .string(call.id), "name": .string(call.name), "input": input])
                case .thinking(let text, let signature):
                    others.append(["type": "thinking", "thinking": .string(text), "signature": .string(signature)])
                }
            }
            return ["role": .string(turn.role.rawValue), "content": .array(results + others)]
        }
    }

    /// A non-streamed answer.
    static func response(_ json: JSONValue) throws(WireShapeError) -> ModelResponse {
        guard json.wireString("type") == nil || json.wireString("type") == "message" else {
            throw WireShapeError("the answer is of type '\(json.wireString("type") ?? "")', not a message")
        }
        guard let content = json[wire: "content"]?.wireArray else { throw WireShapeError("the answer has no content list") }
        var blocks: [ContentBlock] = []
        for block in content {
            switch block.wireString("type") {
            case "text":
                blocks.append(.text(block.wireString("text") ?? ""))
            case "tool_use":
                guard let id = block.wireString("id"), let name = block.wireString("name") else {
                    throw WireShapeError("a tool_use block lacks its id or name")
                }
                blocks.append(.toolCall(ToolCall(id: id, name: name, input: block[wire: "input"] ?? .object([:]))))
            case "thinking":
                blocks.append(.thinking(text: block.wireString("thinking") ?? "", signature: block.wireString("signature") ?? ""))
            default:
                // redacted_thinking, server-tool blocks: nothing ModelMessage can carry.
                break
            }
        }
        return ModelResponse(
            id: json.wireString("id") ?? "", model: json.wireString("model") ?? "",
            message: ModelMessage(role: .assistant, content: blocks),
            stopReason: stopReason(json.wireString("stop_reason")),
            usage: json[wire: "usage"].map { usage($0, over: nil) })
    }

    /// Anthropic's stop reasons are ours by name (`end_turn`, `tool_use`, `max_tokens`,
    /// `stop_sequence`, `refusal`); others (`pause_turn`, …) keep their own.
    static func stopReason(_ raw: String?) -> StopReason {
        StopReason(rawValue: raw ?? StopReason.endTurn.rawValue)
    }

    /// Usage members present in `json` (null ones are skipped: proxies send them) over `previous`.
    static func usage(_ json: JSONValue, over previous: TokenUsage?) -> TokenUsage {
        var usage = previous ?? TokenUsage()
        if let value = json.wireInt("input_tokens") { usage.inputTokens = value }
        if let value = json.wireInt("output_tokens") { usage.outputTokens = value }
        if let value = json.wireInt("cache_read_input_tokens") { usage.cacheReadTokens = value }
        if let value = json.wireInt("cache_creation_input_tokens") { usage.cacheWriteTokens = value }
        return usage
    }
}

/// A 2xx answer that parsed as JSON but is not the shape the protocol promises.
struct WireShapeError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
