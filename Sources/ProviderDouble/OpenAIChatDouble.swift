import Foundation
import JSONValues

/// Chat Completions as the double speaks it: request checks, the answer as one completion or
/// as `data:` chunks ending in `[DONE]`, and the divergences of compatible servers on request.
enum OpenAIChatDouble {
    /// Required fields, and every assistant `tool_calls` answered by `tool` messages before
    /// anything else, each `tool` message answering a preceding call.
    static func validate(_ body: JSONValue) throws(DoubleFailure) {
        guard case .object(let members) = body else { throw refusal("the body must be a JSON object") }
        guard case .string? = members["model"] else { throw refusal("you must provide a model parameter") }
        guard case .array(let messages)? = members["messages"], !messages.isEmpty else {
            throw refusal("'messages' must contain at least one message")
        }
        var awaited: [String] = []
        var answerable: Set<String> = []
        for (index, message) in messages.enumerated() {
            let role = message.doubleMember("role")?.doubleString
            if role == "tool" {
                let id = message.doubleMember("tool_call_id")?.doubleString ?? ""
                guard answerable.contains(id) else {
                    throw refusal(
                        "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.")
                }
                awaited.removeAll { $0 == id }
                continue
            }
            if !awaited.isEmpty {
                throw refusal(
                    "An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. "
                        + "The following tool_call_ids did not have response messages: \(awaited.joined(separator: ", "))")
            }
            guard let role, ["system", "developer", "user", "assistant"].contains(role) else {
                throw refusal("messages[\(index)]: invalid value for 'role'")
            }
            let ids = (message.doubleMember("tool_calls")?.doubleArray ?? []).compactMap { $0.doubleMember("id")?.doubleString }
            awaited = ids
            answerable = Set(ids)
        }
        if !awaited.isEmpty {
            throw refusal(
                "An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. "
                    + "The following tool_call_ids did not have response messages: \(awaited.joined(separator: ", "))")
        }
    }

    static func refusal(_ message: String) -> DoubleFailure {
        DoubleFailure(status: 400, type: "invalid_request_error", message: message)
    }

    /// `{"error":{"message","type","param","code"}}`.
    static func errorBody(_ failure: DoubleFailure) -> JSONValue {
        let (type, code): (String, JSONValue) =
            switch failure.status {
            case 401: ("invalid_request_error", "invalid_api_key")
            case 403: ("invalid_request_error", "unsupported_country_region_territory")
            case 404: ("invalid_request_error", "model_not_found")
            case 429: ("requests", "rate_limit_exceeded")
            case 529: ("overloaded_error", .null)
            case 500...599: ("server_error", .null)
            default: ("invalid_request_error", .null)
            }
        return ["error": ["message": .string(failure.message), "type": .string(failure.type ?? type), "param": .null, "code": code]]
    }

    static func completion(_ reply: DoubleReply, created: Int) -> JSONValue {
        var message: [String: JSONValue] = [
            "role": "assistant", "content": reply.turn.text.map(JSONValue.string) ?? .null, "refusal": .null,
        ]
        if !reply.calls.isEmpty {
            message["tool_calls"] = .array(
                reply.calls.map { call in
                    ["id": .string(call.id), "type": "function", "function": ["name": .string(call.name), "arguments": .string(call.json)]]
                })
        }
        var body: [String: JSONValue] = [
            "id": .string(reply.messageID), "object": "chat.completion", "created": .integer(created), "model": .string(reply.model),
            "choices": [["index": 0, "message": .object(message), "logprobs": .null, "finish_reason": .string(reply.finishReason)]],
            "system_fingerprint": .null,
        ]
        if !reply.turn.quirks.contains(.omitUsage) { body["usage"] = usage(reply) }
        return .object(body)
    }

    static func usage(_ reply: DoubleReply) -> JSONValue {
        // prompt_tokens counts cached tokens too, as OpenAI reports them.
        let prompt = reply.usage.inputTokens + reply.usage.cacheReadTokens + reply.usage.cacheWriteTokens
        var usage: [String: JSONValue] = [
            "prompt_tokens": .integer(prompt), "completion_tokens": .integer(reply.usage.outputTokens),
            "total_tokens": .integer(prompt + reply.usage.outputTokens),
        ]
        if reply.usage.cacheReadTokens > 0 || reply.usage.cacheWriteTokens > 0 {
            usage["prompt_tokens_details"] = [
                "cached_tokens": .integer(reply.usage.cacheReadTokens), "cache_write_tokens": .integer(reply.usage.cacheWriteTokens),
            ]
        }
        return .object(usage)
    }

    /// The chunks: a role chunk, text pieces, each call's first fragment (id, name, empty
    /// arguments) then argument pieces, a finish chunk, the usage chunk when asked for, `[DONE]`.
    static func chunks(_ reply: DoubleReply, created: Int, includeUsage: Bool) -> [StreamFrame] {
        let quirks = reply.turn.quirks
        // With include_usage every chunk carries `usage: null` but the last.
        let usageMember: JSONValue? = includeUsage && !quirks.contains(.omitUsage) ? .null : nil
        func chunk(_ delta: JSONValue, finish: String? = nil, token: Bool = false) -> StreamFrame {
            var body: [String: JSONValue] = [
                "id": .string(reply.messageID), "object": "chat.completion.chunk", "created": .integer(created),
                "model": .string(reply.model), "system_fingerprint": .null,
                "choices": [["index": 0, "delta": delta, "logprobs": .null, "finish_reason": finish.map(JSONValue.string) ?? .null]],
            ]
            if let usageMember { body["usage"] = usageMember }
            return .event(nil, .object(body), token: token)
        }
        var frames = [chunk(["role": "assistant", "content": "", "refusal": .null])]
        for piece in DoubleReply.pieces(reply.turn.text ?? "") { frames.append(chunk(["content": .string(piece)], token: true)) }
        for (position, call) in reply.calls.enumerated() {
            let index = JSONValue.integer(quirks.contains(.sameIndex) ? 0 : position)
            var first: [String: JSONValue] = ["index": index, "type": "function", "function": ["name": .string(call.name), "arguments": ""]]
            if !quirks.contains(.missingToolCallIDs) && !quirks.contains(.lateToolCallIDs) { first["id"] = .string(call.id) }
            frames.append(chunk(["tool_calls": [.object(first)]], token: true))
            for (number, fragment) in DoubleReply.fragments(call.json).enumerated() {
                var piece: [String: JSONValue] = ["index": index, "function": ["arguments": .string(fragment)]]
                if number == 0 && quirks.contains(.lateToolCallIDs) { piece["id"] = .string(call.id) }
                frames.append(chunk(["tool_calls": [.object(piece)]], token: true))
            }
        }
        frames.append(chunk([:], finish: reply.finishReason))
        if includeUsage && !quirks.contains(.omitUsage) {
            frames.append(
                .event(
                    nil,
                    [
                        "id": .string(reply.messageID), "object": "chat.completion.chunk", "created": .integer(created),
                        "model": .string(reply.model), "system_fingerprint": .null, "choices": [], "usage": usage(reply),
                    ]))
        }
        frames.append(.event(name: nil, data: "[DONE]", token: false))
        return frames
    }

    /// The error chunk a gateway sends after a 200 head.
    static func streamError(_ error: ScriptedStreamError) -> StreamFrame {
        .event(nil, ["error": ["message": .string(error.message), "type": .string(error.type), "param": .null, "code": .null]])
    }

    static let malformedEvent = StreamFrame.event(
        name: nil, data: #"{"id": "chatcmpl-broken", "object": "chat.completion.chunk", "choices": [{"delta": {"content": "#,
        token: false)
}
