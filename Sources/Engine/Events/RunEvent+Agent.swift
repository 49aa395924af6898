import Workflow

// What agent and `llm` steps record: each model turn with its tokens and cost, each tool call
// and its result, each retry or failover between models, and the run's budget.
// Text deltas are not stored one by one (a model streams thousands); the live view gets them
// as ``EngineEvent/agentText(step:index:text:)`` and the store gets each turn's whole text.
extension RunEvent {
    /// Where in the run an agent event happened.
    public struct AgentPlace: Codable, Sendable, Equatable {
        public var step: String
        public var index: Int?
        public var attempt: Int
        /// The `Task`/`Agent` tool call a subagent works for; nil for the step's own agent.
        public var parentToolCall: String?

        public init(step: String, index: Int? = nil, attempt: Int, parentToolCall: String? = nil) {
            self.step = step
            self.index = index
            self.attempt = attempt
            self.parentToolCall = parentToolCall
        }

        enum CodingKeys: String, CodingKey { case step, index, attempt, parentToolCall = "parent_tool_call" }
    }

    /// One model call, answered.
    public struct ModelTurn: Codable, Sendable, Equatable {
        public var place: AgentPlace
        public var turn: Int
        public var provider: String
        public var model: String
        public var stopReason: String
        /// The turn's text (capped), what a transcript shows.
        public var text: String
        public var toolCalls: Int
        public var inputTokens: Int?
        public var outputTokens: Int?
        public var cacheReadTokens: Int?
        public var cacheWriteTokens: Int?
        /// nil: unknown (no price for the model, or no usage reported).
        public var costUSD: Double?
        public var durationMs: Int
        /// Where the model processed the data (`eu`, `us`, `local`, …); nil when unknown.
        public var region: String?
        /// PII entities the privacy router replaced by placeholders in this call's request
        /// (nil: none, or the `prompts` target was off). Never the originals.
        public var piiRedacted: Int?

        public init(
            place: AgentPlace, turn: Int, provider: String, model: String, stopReason: String, text: String, toolCalls: Int,
            inputTokens: Int? = nil, outputTokens: Int? = nil, cacheReadTokens: Int? = nil, cacheWriteTokens: Int? = nil,
            costUSD: Double? = nil, durationMs: Int, region: String? = nil, piiRedacted: Int? = nil
        ) {
            self.region = region
            self.piiRedacted = piiRedacted
            self.place = place
            self.turn = turn
            self.provider = provider
            self.model = model
            self.stopReason = stopReason
            self.text = text
            self.toolCalls = toolCalls
            self.inputTokens = inputTokens
            self.outputTokens = outputTokens
            self.cacheReadTokens = cacheReadTokens
            self.cacheWriteTokens = cacheWriteTokens
            self.costUSD = costUSD
            self.durationMs = durationMs
        }

        enum CodingKeys: String, CodingKey {
            case place, turn, provider, model, stopReason = "stop_reason", text, toolCalls = "tool_calls"
            case inputTokens = "input_tokens", outputTokens = "output_tokens", cacheReadTokens = "cache_read_tokens"
            case cacheWriteTokens = "cache_write_tokens", costUSD = "cost_usd", durationMs = "duration_ms"
            case region, piiRedacted = "pii_redacted"
        }
    }

    /// The model asked for a tool.
    public struct ToolCalled: Codable, Sendable, Equatable {
        public var place: AgentPlace
        public var id: String
        public var name: String
        public var input: JSONValue

        public init(place: AgentPlace, id: String, name: String, input: JSONValue) {
            self.place = place
            self.id = id
            self.name = name
            self.input = input
        }
    }

    /// A tool's answer (truncated for the log; the model got the capped whole).
    public struct ToolAnswered: Codable, Sendable, Equatable {
        public var place: AgentPlace
        public var id: String
        public var name: String
        public var isError: Bool
        public var output: String
        /// Characters of the whole answer, before truncation for this event.
        public var outputCharacters: Int
        public var durationMs: Int

        public init(place: AgentPlace, id: String, name: String, isError: Bool, output: String, outputCharacters: Int, durationMs: Int) {
            self.place = place
            self.id = id
            self.name = name
            self.isError = isError
            self.output = output
            self.outputCharacters = outputCharacters
            self.durationMs = durationMs
        }

        enum CodingKeys: String, CodingKey {
            case place, id, name, isError = "is_error", output, outputCharacters = "output_characters", durationMs = "duration_ms"
        }
    }

    /// A model call was retried, or moved to another model.
    public struct ModelRetried: Codable, Sendable, Equatable {
        public var place: AgentPlace
        /// `retry` (same model, after a wait) or `failover` (another model).
        public var action: String
        public var provider: String
        public var model: String
        /// The model taken instead, for a failover.
        public var toModel: String?
        public var delayMs: Int?
        public var error: String

        public init(
            place: AgentPlace, action: String, provider: String, model: String, toModel: String? = nil, delayMs: Int? = nil,
            error: String
        ) {
            self.place = place
            self.action = action
            self.provider = provider
            self.model = model
            self.toModel = toModel
            self.delayMs = delayMs
            self.error = error
        }

        enum CodingKeys: String, CodingKey { case place, action, provider, model, toModel = "to_model", delayMs = "delay_ms", error }
    }

    /// The run's spending against its `max_cost_usd`.
    public struct Budget: Codable, Sendable, Equatable {
        public var spentUSD: Double
        public var maxUSD: Double

        public init(spentUSD: Double, maxUSD: Double) {
            self.spentUSD = spentUSD
            self.maxUSD = maxUSD
        }

        enum CodingKeys: String, CodingKey { case spentUSD = "spent_usd", maxUSD = "max_usd" }
    }
}
