import Foundation
import JSONValues
import Yams

/// What the double answers one conversation, turn by turn: each request takes the next turn.
public struct ProviderScript: Sendable, Hashable {
    public var turns: [ScriptedTurn]
    /// Starts over after the last turn (benchmarks make any number of calls). Otherwise a
    /// request past the last turn is answered 400 with a message saying the script ran out.
    public var repeats: Bool

    public init(turns: [ScriptedTurn], repeats: Bool = false) {
        self.turns = turns
        self.repeats = repeats
    }
}

/// One answer: a reply (text, thinking, tool calls, a stop reason, usage) or a failure (an
/// error status, a malformed body, a stream cut or failing midway).
public struct ScriptedTurn: Sendable, Hashable {
    /// The answer's text; none when nil.
    public var text: String?
    /// Visible reasoning before the text (Anthropic `thinking` block; OpenAI streams have none).
    public var thinking: String?
    /// Calls, in order; several make one turn with parallel calls.
    public var toolCalls: [ScriptedToolCall]
    /// `end_turn`, `tool_use`, `max_tokens`, `stop_sequence`, `refusal` (Anthropic's names; the
    /// OpenAI route says `stop`, `tool_calls`, `length`, `content_filter`). Default: `tool_use`
    /// with tool calls, else `end_turn`. `max_tokens` with tool calls cuts the last call's JSON.
    public var stopReason: String?
    /// Token counts reported; default: derived from the text lengths.
    public var usage: ScriptedUsage?

    /// Answer with this status and the API's error body instead (429, 529, 500, 401, …).
    public var status: Int?
    /// The error's `type` (default from the status: `rate_limit_error`, `overloaded_error`, …).
    public var errorType: String?
    public var errorMessage: String?
    /// `retry-after` header value, sent as given (seconds or an HTTP date).
    public var retryAfter: String?
    /// `retry-after-ms` header value.
    public var retryAfterMs: Int?
    /// Status 200 with a body (or, streaming, an event) that is not JSON.
    public var malformed: Bool
    /// Close the connection after this many stream events (non-streaming: halfway through the body).
    public var cutAfterEvents: Int?
    /// Report an error inside the 200 stream after some events (Anthropic `event: error`,
    /// OpenAI `{"error": …}` chunk), then end it.
    public var streamError: ScriptedStreamError?
    /// Divergences of other servers to imitate (see ``ProviderQuirk``).
    public var quirks: Set<ProviderQuirk>
    /// Pause before each streamed token; overrides the double's default.
    public var tokenDelayMs: Int?

    public init(
        text: String? = nil, thinking: String? = nil, toolCalls: [ScriptedToolCall] = [], stopReason: String? = nil,
        usage: ScriptedUsage? = nil, status: Int? = nil, errorType: String? = nil, errorMessage: String? = nil,
        retryAfter: String? = nil, retryAfterMs: Int? = nil, malformed: Bool = false, cutAfterEvents: Int? = nil,
        streamError: ScriptedStreamError? = nil, quirks: Set<ProviderQuirk> = [], tokenDelayMs: Int? = nil
    ) {
        self.text = text
        self.thinking = thinking
        self.toolCalls = toolCalls
        self.stopReason = stopReason
        self.usage = usage
        self.status = status
        self.errorType = errorType
        self.errorMessage = errorMessage
        self.retryAfter = retryAfter
        self.retryAfterMs = retryAfterMs
        self.malformed = malformed
        self.cutAfterEvents = cutAfterEvents
        self.streamError = streamError
        self.quirks = quirks
        self.tokenDelayMs = tokenDelayMs
    }

    /// A reply of text.
    public static func reply(_ text: String, usage: ScriptedUsage? = nil) -> ScriptedTurn {
        ScriptedTurn(text: text, usage: usage)
    }

    /// A reply calling tools (with optional text before the calls).
    public static func calls(_ calls: [ScriptedToolCall], text: String? = nil) -> ScriptedTurn {
        ScriptedTurn(text: text, toolCalls: calls)
    }

    /// An error answer.
    public static func failure(status: Int, retryAfter: String? = nil, message: String? = nil) -> ScriptedTurn {
        ScriptedTurn(status: status, errorMessage: message, retryAfter: retryAfter)
    }
}

public struct ScriptedToolCall: Sendable, Hashable {
    public var name: String
    /// The call's arguments (an object).
    public var input: JSONValue
    /// The call's id; made up (`toolu_…`, `call_…`) when nil.
    public var id: String?

    public init(name: String, input: JSONValue, id: String? = nil) {
        self.name = name
        self.input = input
        self.id = id
    }
}

public struct ScriptedUsage: Sendable, Hashable {
    public var inputTokens: Int
    public var outputTokens: Int
    public var cacheReadTokens: Int
    public var cacheWriteTokens: Int

    public init(inputTokens: Int, outputTokens: Int, cacheReadTokens: Int = 0, cacheWriteTokens: Int = 0) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.cacheReadTokens = cacheReadTokens
        self.cacheWriteTokens = cacheWriteTokens
    }
}

public struct ScriptedStreamError: Sendable, Hashable {
    /// `overloaded_error`, `rate_limit_error`, `api_error`, …
    public var type: String
    public var message: String
    /// Stream events sent before the error.
    public var afterEvents: Int

    public init(type: String = "overloaded_error", message: String = "Overloaded", afterEvents: Int = 1) {
        self.type = type
        self.message = message
        self.afterEvents = afterEvents
    }
}

/// What servers other than the reference APIs do differently, for testing clients against it.
public enum ProviderQuirk: String, Sendable, Hashable, CaseIterable, Codable {
    /// No usage anywhere (servers that ignore `include_usage`).
    case omitUsage = "omit_usage"
    /// Every streamed tool call at `index` 0 (Ollama, vLLM, LiteLLM's `ollama_chat`).
    case sameIndex = "same_index"
    /// Tool-call fragments without ids.
    case missingToolCallIDs = "missing_tool_call_ids"
    /// A call's id arrives with its second fragment, not its first.
    case lateToolCallIDs = "late_tool_call_ids"
    /// `: OPENROUTER PROCESSING` comment lines between events.
    case keepAliveComments = "keepalive_comments"
    /// Records of only `retry:` or `id:`, without data.
    case datalessRecords = "dataless_records"
    /// `finish_reason: stop` although the turn calls tools.
    case finishStopWithTools = "finish_stop_with_tools"
    /// Lines end in `\r\n`.
    case crlfLineEndings = "crlf_line_endings"
    /// Lines end in a bare `\r`.
    case crLineEndings = "cr_line_endings"
    /// Anthropic `message_delta` usage with `null` members (some proxies).
    case nullUsageFields = "null_usage_fields"
}
