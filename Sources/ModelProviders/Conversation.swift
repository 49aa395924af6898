import JSONValues

// The conversation as the agent loop sees it, independent of any provider's wire format.
// Each provider translates these values at its edge (Anthropic's content blocks, OpenAI's
// messages with `tool_calls` and `tool` roles) and back.

/// Who said it. The system prompt is not a message: it is ``ModelRequest/system``.
public enum MessageRole: String, Sendable, Hashable, Codable {
    case user
    case assistant
}

/// A call the model asked for.
public struct ToolCall: Sendable, Hashable, Codable {
    /// The provider's id for the call (`toolu_…`, `call_…`); its result must name it.
    public var id: String
    public var name: String
    /// The arguments, parsed; an object for every well-formed call.
    public var input: JSONValue

    public init(id: String, name: String, input: JSONValue) {
        self.id = id
        self.name = name
        self.input = input
    }
}

/// What a tool gave back, for the call ``toolCallID`` names.
public struct ToolResult: Sendable, Hashable, Codable {
    public var toolCallID: String
    /// Text the model reads (already capped by whoever ran the tool).
    public var content: String
    /// The tool failed; the model sees the text as an error.
    public var isError: Bool

    public init(toolCallID: String, content: String, isError: Bool = false) {
        self.toolCallID = toolCallID
        self.content = content
        self.isError = isError
    }
}

/// One piece of a message.
public enum ContentBlock: Sendable, Hashable {
    case text(String)
    case toolCall(ToolCall)
    case toolResult(ToolResult)
    /// A model's visible reasoning (Anthropic's `thinking` block). Kept so the turn can be sent
    /// back verbatim, as Anthropic requires with tool use; other providers drop it.
    case thinking(text: String, signature: String)
}

/// One turn of the conversation.
public struct ModelMessage: Sendable, Hashable {
    public var role: MessageRole
    public var content: [ContentBlock]

    public init(role: MessageRole, content: [ContentBlock]) {
        self.role = role
        self.content = content
    }

    public static func user(_ text: String) -> ModelMessage { ModelMessage(role: .user, content: [.text(text)]) }

    /// The text blocks joined, in order.
    public var text: String {
        content.compactMap { if case .text(let text) = $0 { text } else { nil } }.joined()
    }

    /// The tool calls, in order.
    public var toolCalls: [ToolCall] {
        content.compactMap { if case .toolCall(let call) = $0 { call } else { nil } }
    }
}

/// A tool offered to the model.
public struct ToolDefinition: Sendable, Hashable {
    public var name: String
    public var description: String
    /// A JSON Schema of `type: object` for the call's input.
    public var inputSchema: JSONValue

    public init(name: String, description: String, inputSchema: JSONValue) {
        self.name = name
        self.description = description
        self.inputSchema = inputSchema
    }
}

/// Whether and which tool the model must call.
public enum ToolChoice: Sendable, Hashable {
    /// The model decides (the default).
    case auto
    /// Some tool, the model picks which.
    case anyTool
    /// This tool (a forced structured-output tool).
    case tool(String)
    /// No tool.
    case none
}

/// A JSON Schema the answer must follow, for providers that can constrain their output
/// (OpenAI's `response_format: json_schema`).
public struct ResponseFormat: Sendable, Hashable {
    public var name: String
    public var schema: JSONValue
    public var strict: Bool

    public init(name: String, schema: JSONValue, strict: Bool = false) {
        self.name = name
        self.schema = schema
        self.strict = strict
    }
}

/// One model call.
public struct ModelRequest: Sendable, Hashable {
    /// The provider's own model id (`claude-sonnet-4-5`, `gpt-4o`), not our alias.
    public var model: String
    public var system: String?
    public var messages: [ModelMessage]
    public var tools: [ToolDefinition]
    public var toolChoice: ToolChoice
    public var maxTokens: Int
    public var temperature: Double?
    public var stopSequences: [String]
    public var responseFormat: ResponseFormat?

    public init(
        model: String, system: String? = nil, messages: [ModelMessage], tools: [ToolDefinition] = [],
        toolChoice: ToolChoice = .auto, maxTokens: Int = 4096, temperature: Double? = nil,
        stopSequences: [String] = [], responseFormat: ResponseFormat? = nil
    ) {
        self.model = model
        self.system = system
        self.messages = messages
        self.tools = tools
        self.toolChoice = toolChoice
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.stopSequences = stopSequences
        self.responseFormat = responseFormat
    }
}

/// Why the model stopped.
public struct StopReason: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    /// Finished its answer (Anthropic `end_turn`, OpenAI `stop`).
    public static let endTurn = StopReason(rawValue: "end_turn")
    /// Wants its tool calls run (Anthropic `tool_use`, OpenAI `tool_calls`).
    public static let toolUse = StopReason(rawValue: "tool_use")
    /// Ran into `max_tokens` (Anthropic `max_tokens`, OpenAI `length`): a tool call in the
    /// turn may be cut short and must not be run.
    public static let maxTokens = StopReason(rawValue: "max_tokens")
    public static let stopSequence = StopReason(rawValue: "stop_sequence")
    /// Declined (Anthropic `refusal`, OpenAI `content_filter`).
    public static let refusal = StopReason(rawValue: "refusal")
}

/// Tokens one call used, as the provider reported them.
public struct TokenUsage: Sendable, Hashable, Codable {
    public var inputTokens: Int
    public var outputTokens: Int
    public var cacheReadTokens: Int
    public var cacheWriteTokens: Int

    public init(inputTokens: Int = 0, outputTokens: Int = 0, cacheReadTokens: Int = 0, cacheWriteTokens: Int = 0) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.cacheReadTokens = cacheReadTokens
        self.cacheWriteTokens = cacheWriteTokens
    }

    public static func + (lhs: TokenUsage, rhs: TokenUsage) -> TokenUsage {
        TokenUsage(
            inputTokens: lhs.inputTokens + rhs.inputTokens, outputTokens: lhs.outputTokens + rhs.outputTokens,
            cacheReadTokens: lhs.cacheReadTokens + rhs.cacheReadTokens,
            cacheWriteTokens: lhs.cacheWriteTokens + rhs.cacheWriteTokens)
    }
}

/// A model's whole answer to one call.
public struct ModelResponse: Sendable, Hashable {
    /// The provider's id for the message (`msg_…`, `chatcmpl-…`).
    public var id: String
    /// The model that answered, as the provider names it.
    public var model: String
    /// The assistant turn: text, tool calls, thinking.
    public var message: ModelMessage
    public var stopReason: StopReason
    /// Nil when the provider sent none (some OpenAI-compatible servers omit it): cost is then unknown.
    public var usage: TokenUsage?

    public init(id: String, model: String, message: ModelMessage, stopReason: StopReason, usage: TokenUsage?) {
        self.id = id
        self.model = model
        self.message = message
        self.stopReason = stopReason
        self.usage = usage
    }
}
