import JSONValues

/// Follows one Messages API stream (`message_start`, per block `content_block_start`,
/// `content_block_delta`*, `content_block_stop`, `message_delta`, `message_stop`; `ping` and
/// `error` anywhere) and assembles the response.
struct AnthropicStreamAssembler: StreamAssembler {
    let context: ProviderContext
    private(set) var isFinished = false
    private var id = ""
    private var model = ""
    private var usage: TokenUsage?
    private var stopReason: StopReason?
    private var started = false
    /// Blocks by their index in the stream; the index is the server's, not necessarily dense.
    private var blocks: [Int: Block] = [:]

    private enum Block {
        case text(String)
        case toolCall(id: String, name: String, json: String)
        case thinking(String, signature: String)
        case ignored
    }

    init(context: ProviderContext) { self.context = context }

    mutating func consume(_ event: ServerSentEvent) throws -> [ModelStreamEvent] {
        guard let json = try? JSONValue.wireDecode(Array(event.data.utf8)) else {
            throw context.error(
                .malformedResponse,
                "a stream event is not JSON: \(ProviderFailures.excerpt(Array(event.data.utf8), context: context))")
        }
        let type = event.event ?? json.wireString("type") ?? ""
        switch type {
        case "message_start":
            guard let message = json[wire: "message"] else { throw shape("message_start carries no message") }
            started = true
            id = message.wireString("id") ?? ""
            model = message.wireString("model") ?? ""
            if let start = message[wire: "usage"] { usage = AnthropicWire.usage(start, over: nil) }
            return []
        case "content_block_start":
            try requireStart(type)
            guard let index = json.wireInt("index"), let block = json[wire: "content_block"] else {
                throw shape("content_block_start lacks its index or block")
            }
            switch block.wireString("type") {
            case "text":
                let text = block.wireString("text") ?? ""
                blocks[index] = .text(text)
                return text.isEmpty ? [] : [.textDelta(text)]
            case "tool_use":
                guard let callID = block.wireString("id"), let name = block.wireString("name") else {
                    throw shape("a tool_use block starts without its id or name")
                }
                blocks[index] = .toolCall(id: callID, name: name, json: "")
                return [.toolCallStarted(id: callID, name: name)]
            case "thinking":
                blocks[index] = .thinking(block.wireString("thinking") ?? "", signature: block.wireString("signature") ?? "")
                return []
            default:
                blocks[index] = .ignored
                return []
            }
        case "content_block_delta":
            try requireStart(type)
            guard let index = json.wireInt("index"), let delta = json[wire: "delta"], let block = blocks[index] else {
                throw shape("content_block_delta for a block that never started")
            }
            return apply(delta, to: block, at: index)
        case "content_block_stop":
            // Tool input is parsed once the message ends, knowing whether max_tokens cut it.
            return []
        case "message_delta":
            try requireStart(type)
            if let reason = json[wire: "delta"]?.wireString("stop_reason") { stopReason = AnthropicWire.stopReason(reason) }
            if let delta = json[wire: "usage"] { usage = AnthropicWire.usage(delta, over: usage) }
            return []
        case "message_stop":
            try requireStart(type)
            isFinished = true
            return [.finished(response())]
        case "error":
            throw ProviderFailures.streamError(json, context: context)
        default:
            // `ping`, and event kinds newer than this client.
            return []
        }
    }

    private mutating func apply(_ delta: JSONValue, to block: Block, at index: Int) -> [ModelStreamEvent] {
        switch (block, delta.wireString("type")) {
        case (.text(let text), "text_delta"):
            let piece = delta.wireString("text") ?? ""
            blocks[index] = .text(text + piece)
            return piece.isEmpty ? [] : [.textDelta(piece)]
        case (.toolCall(let callID, let name, let json), "input_json_delta"):
            // Concatenated per block and parsed once: a fragment is rarely JSON on its own.
            blocks[index] = .toolCall(id: callID, name: name, json: json + (delta.wireString("partial_json") ?? ""))
            return []
        case (.thinking(let text, let signature), "thinking_delta"):
            let piece = delta.wireString("thinking") ?? ""
            blocks[index] = .thinking(text + piece, signature: signature)
            return piece.isEmpty ? [] : [.thinkingDelta(piece)]
        case (.thinking(let text, _), "signature_delta"):
            blocks[index] = .thinking(text, signature: delta.wireString("signature") ?? "")
            return []
        default:
            // citations_delta and deltas of ignored blocks.
            return []
        }
    }

    private func response() -> ModelResponse {
        let content: [ContentBlock] = blocks.keys.sorted().compactMap { index in
            switch blocks[index] {
            case .text(let text): .text(text)
            case .toolCall(let callID, let name, let json): .toolCall(ToolCall(id: callID, name: name, input: Self.input(json)))
            case .thinking(let text, let signature): .thinking(text: text, signature: signature)
            case .ignored, nil: nil
            }
        }
        return ModelResponse(
            id: id, model: model, message: ModelMessage(role: .assistant, content: content),
            stopReason: stopReason ?? .endTurn, usage: usage)
    }

    /// A call's input: `{}` when no fragment came, the parsed object, or, when the JSON does not
    /// parse (the turn hit max_tokens inside the call), the raw text as a string, so that the
    /// call is visibly not runnable.
    static func input(_ json: String) -> JSONValue {
        if json.allSatisfy(\.isWhitespace) { return .object([:]) }
        return (try? JSONValue.wireDecode(Array(json.utf8))) ?? .string(json)
    }

    private func requireStart(_ type: String) throws {
        guard started else { throw shape("\(type) arrived before message_start") }
    }

    private func shape(_ message: String) -> ModelProviderError {
        context.error(.malformedResponse, "the stream broke the protocol: \(message)")
    }
}
