import JSONValues

/// The Messages API as the double speaks it: request checks the real API makes, the answer
/// as one message or as its event stream.
enum AnthropicDouble {
    /// The checks whose failures clients meet in practice: required fields, and tool-use ids
    /// paired with tool results in the very next turn, results before any text.
    static func validate(_ body: JSONValue) throws(DoubleFailure) {
        guard case .object(let members) = body else { throw refusal("the body must be a JSON object") }
        guard case .string? = members["model"] else { throw refusal("model: Field required") }
        guard case .integer(let maxTokens)? = members["max_tokens"], maxTokens >= 0 else {
            throw refusal("max_tokens: Field required (a whole number)")
        }
        guard case .array(let messages)? = members["messages"] else { throw refusal("messages: Field required") }
        // The API merges consecutive turns of one role before it checks them.
        var turns: [(role: String, blocks: [JSONValue], index: Int)] = []
        for (index, message) in messages.enumerated() {
            guard case .string(let role)? = message.doubleMember("role"), role == "user" || role == "assistant" else {
                throw refusal("messages.\(index).role: Input should be 'user' or 'assistant'")
            }
            let blocks: [JSONValue]
            switch message.doubleMember("content") {
            case .string(let text)?: blocks = [["type": "text", "text": .string(text)]]
            case .array(let items)?: blocks = items
            default: throw refusal("messages.\(index).content: Field required")
            }
            if let last = turns.last, last.role == role {
                turns[turns.count - 1].blocks += blocks
            } else {
                turns.append((role, blocks, index))
            }
        }
        var pending: [String] = []
        for turn in turns {
            let results = turn.blocks.prefix { $0.doubleMember("type") == "tool_result" }.compactMap { $0.doubleMember("tool_use_id")?.doubleString }
            let missing = pending.filter { !results.contains($0) }
            if !missing.isEmpty {
                throw refusal(
                    "messages.\(turn.index): `tool_use` ids were found without `tool_result` blocks immediately after: "
                        + "\(missing.joined(separator: ", ")). Each `tool_use` block must have a corresponding `tool_result` "
                        + "block in the next message.")
            }
            for (position, block) in turn.blocks.enumerated() where block.doubleMember("type") == "tool_result" {
                let id = block.doubleMember("tool_use_id")?.doubleString ?? ""
                if !pending.contains(id) || position >= results.count {
                    throw refusal(
                        "messages.\(turn.index).content.\(position): unexpected `tool_use_id` found in `tool_result` blocks: "
                            + "\(id). Each `tool_result` block must have a corresponding `tool_use` block in the previous message.")
                }
            }
            pending =
                turn.role == "assistant" ? turn.blocks.filter { $0.doubleMember("type") == "tool_use" }.compactMap { $0.doubleMember("id")?.doubleString } : []
        }
    }

    static func refusal(_ message: String) -> DoubleFailure {
        DoubleFailure(status: 400, type: "invalid_request_error", message: message)
    }

    /// The error body: `{"type":"error","error":{"type","message"},"request_id"}`.
    static func errorBody(_ failure: DoubleFailure, requestID: String) -> JSONValue {
        [
            "type": "error",
            "error": ["type": .string(failure.type ?? errorType(failure.status)), "message": .string(failure.message)],
            "request_id": .string(requestID),
        ]
    }

    static func errorType(_ status: Int) -> String {
        switch status {
        case 400: "invalid_request_error"
        case 401: "authentication_error"
        case 402: "billing_error"
        case 403: "permission_error"
        case 404: "not_found_error"
        case 413: "request_too_large"
        case 429: "rate_limit_error"
        case 504: "timeout_error"
        case 529: "overloaded_error"
        default: "api_error"
        }
    }

    static func message(_ reply: DoubleReply) -> JSONValue {
        var content: [JSONValue] = []
        if let thinking = reply.turn.thinking {
            content.append(["type": "thinking", "thinking": .string(thinking), "signature": .string(signature(reply))])
        }
        if let text = reply.turn.text { content.append(["type": "text", "text": .string(text)]) }
        for call in reply.calls {
            // A cut call's input is whatever parsed of it: nothing, as an object.
            let input = reply.cutsLastCall && call.id == reply.calls.last?.id ? .object([:]) : call.input
            content.append(["type": "tool_use", "id": .string(call.id), "name": .string(call.name), "input": input])
        }
        return [
            "id": .string(reply.messageID), "type": "message", "role": "assistant", "model": .string(reply.model),
            "content": .array(content), "stop_reason": .string(reply.stopReason), "stop_sequence": .null,
            "usage": usage(reply, final: true),
        ]
    }

    static func usage(_ reply: DoubleReply, final: Bool) -> JSONValue {
        if reply.turn.quirks.contains(.omitUsage) { return .null }
        return [
            "input_tokens": .integer(reply.usage.inputTokens),
            "output_tokens": .integer(final ? reply.usage.outputTokens : 1),
            "cache_creation_input_tokens": .integer(reply.usage.cacheWriteTokens),
            "cache_read_input_tokens": .integer(reply.usage.cacheReadTokens),
        ]
    }

    static func signature(_ reply: DoubleReply) -> String { "sig_double_\(reply.messageID)" }

    /// The event stream: `message_start`, a `ping`, each block's start, deltas and stop,
    /// `message_delta` with the stop reason and cumulative usage, `message_stop`.
    static func events(_ reply: DoubleReply) -> [StreamFrame] {
        var frames: [StreamFrame] = []
        var start = message(reply)
        if case .object(var members) = start {
            members["content"] = []
            members["stop_reason"] = .null
            members["usage"] = usage(reply, final: false)
            start = .object(members)
        }
        frames.append(.event("message_start", ["type": "message_start", "message": start]))
        frames.append(.event("ping", ["type": "ping"]))
        var index = 0
        func block(_ initial: JSONValue, deltas: [JSONValue]) {
            frames.append(.event("content_block_start", ["type": "content_block_start", "index": .integer(index), "content_block": initial]))
            for delta in deltas {
                frames.append(
                    .event("content_block_delta", ["type": "content_block_delta", "index": .integer(index), "delta": delta], token: true))
            }
            frames.append(.event("content_block_stop", ["type": "content_block_stop", "index": .integer(index)]))
            index += 1
        }
        if let thinking = reply.turn.thinking {
            block(
                ["type": "thinking", "thinking": "", "signature": ""],
                deltas: DoubleReply.pieces(thinking).map { ["type": "thinking_delta", "thinking": .string($0)] }
                    + [["type": "signature_delta", "signature": .string(signature(reply))]])
        }
        if let text = reply.turn.text {
            block(["type": "text", "text": ""], deltas: DoubleReply.pieces(text).map { ["type": "text_delta", "text": .string($0)] })
        }
        for call in reply.calls {
            // The first input_json_delta is empty, as the real API sends it.
            let fragments = [""] + DoubleReply.fragments(call.json)
            block(
                ["type": "tool_use", "id": .string(call.id), "name": .string(call.name), "input": [:]],
                deltas: fragments.map { ["type": "input_json_delta", "partial_json": .string($0)] })
        }
        var finalUsage: JSONValue = ["output_tokens": .integer(reply.usage.outputTokens)]
        if reply.turn.quirks.contains(.omitUsage) {
            finalUsage = .null
        } else if reply.turn.quirks.contains(.nullUsageFields) {
            finalUsage = [
                "output_tokens": .integer(reply.usage.outputTokens), "input_tokens": .null,
                "cache_creation_input_tokens": .null, "cache_read_input_tokens": .null,
            ]
        }
        frames.append(
            .event(
                "message_delta",
                [
                    "type": "message_delta", "delta": ["stop_reason": .string(reply.stopReason), "stop_sequence": .null],
                    "usage": finalUsage,
                ]))
        frames.append(.event("message_stop", ["type": "message_stop"]))
        return frames
    }

    /// `event: error` as the API sends it after a 200 head.
    static func streamError(_ error: ScriptedStreamError) -> StreamFrame {
        .event("error", ["type": "error", "error": ["type": .string(error.type), "message": .string(error.message)]])
    }

    /// An event whose data is not JSON.
    static let malformedEvent = StreamFrame.event(
        name: "content_block_delta", data: #"{"type": "content_block_delta", "index": 0, "delta": {"type": "text_del"#, token: false)
}

// Prefixed so that they cannot collide with accessors JSONValues may grow.
extension JSONValue {
    /// A member of an object (nil for other values).
    func doubleMember(_ key: String) -> JSONValue? {
        if case .object(let members) = self { members[key] } else { nil }
    }

    var doubleString: String? {
        if case .string(let value) = self { value } else { nil }
    }

    var doubleArray: [JSONValue]? {
        if case .array(let items) = self { items } else { nil }
    }
}
