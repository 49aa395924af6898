import JSONValues
import ModelProviders

/// How a run ended.
public enum AgentOutcome: Sendable {
    /// The model answered without asking for a tool (or gave a valid final answer).
    case success
    /// `max_turns` model turns went by without a final answer.
    case maxTurns
    /// The step's timeout ran out; the model call or the tools in flight were interrupted.
    case timedOut(after: Duration)
    /// The run's task was cancelled (Ctrl-C, `runs cancel`), while waiting for the model or for tools.
    case cancelled(during: Phase)
    /// The model provider failed (after whatever retries the provider or router does).
    case providerFailed(ModelProviderError)
    /// Something else made going on impossible (the sandbox died, the provider broke its contract).
    case failed(AgentError)
    /// The final answer still broke its schema after the repair budget, or never came: the
    /// validation errors of the last attempt.
    case structuredOutputInvalid([String])

    /// What the run was doing when it was interrupted.
    public enum Phase: String, Sendable, Hashable {
        case modelCall = "model_call"
        case tools
    }

    /// Claude Agent SDK's `result.subtype`: `success`, `error_max_turns`,
    /// `error_during_execution` or `error_max_structured_output_retries`.
    public var subtype: String {
        switch self {
        case .success: "success"
        case .maxTurns: "error_max_turns"
        case .structuredOutputInvalid: "error_max_structured_output_retries"
        case .timedOut, .cancelled, .providerFailed, .failed: "error_during_execution"
        }
    }

    /// The finer reason, in the spirit of Claude's `terminal_reason`: `completed`, `max_turns`,
    /// `timeout`, `aborted_streaming` (cancelled during a model call), `aborted_tools`,
    /// `provider_error`, `sandbox_gone`, `error`, `structured_output_invalid`.
    public var terminalReason: String {
        switch self {
        case .success: "completed"
        case .maxTurns: "max_turns"
        case .timedOut: "timeout"
        case .cancelled(.modelCall): "aborted_streaming"
        case .cancelled(.tools): "aborted_tools"
        case .providerFailed: "provider_error"
        case .failed(let error) where error.code == .sandboxGone: "sandbox_gone"
        case .failed: "error"
        case .structuredOutputInvalid: "structured_output_invalid"
        }
    }

    public var isError: Bool {
        if case .success = self { false } else { true }
    }

    /// One line for people: why the run ended.
    public var summary: String {
        switch self {
        case .success: "completed"
        case .maxTurns: "stopped after reaching max_turns"
        case .timedOut(let after): "timed out after \(after)"
        case .cancelled(.modelCall): "cancelled while waiting for the model"
        case .cancelled(.tools): "cancelled while tools were running"
        case .providerFailed(let error): "the model provider failed: \(error)"
        case .failed(let error): error.message
        case .structuredOutputInvalid(let errors): "the final answer does not match its schema: " + errors.joined(separator: "; ")
        }
    }
}

/// One model call of a run (or of one of its subagents), for cost accounting.
public struct ModelCallRecord: Sendable, Hashable {
    /// The model as the run asked for it (a catalog name such as `sonnet`: the router resolves it).
    public var requestedModel: String
    /// The model that answered, as the provider names it.
    public var respondingModel: String
    public var messageID: String
    /// Nil when the provider reported none: the call's cost is then unknown, not zero.
    public var usage: TokenUsage?
    /// The tool call of the subagent that made it; nil for the run's own turns.
    public var parentToolCallID: String?

    public init(requestedModel: String, respondingModel: String, messageID: String, usage: TokenUsage?, parentToolCallID: String? = nil) {
        self.requestedModel = requestedModel
        self.respondingModel = respondingModel
        self.messageID = messageID
        self.usage = usage
        self.parentToolCallID = parentToolCallID
    }
}

/// What an agent run produced.
public struct AgentResult: Sendable {
    public var outcome: AgentOutcome
    /// The final answer's text: the last turn's text on success, the last text the model wrote
    /// otherwise (empty when it wrote none).
    public var text: String
    /// The final answer's input when a ``FinalAnswerRequirement`` was set and met.
    public var structuredOutput: JSONValue?
    /// Model turns (calls) made by this agent, not counting subagents'.
    public var turns: Int
    /// Each of this agent's turns' usage, in order; nil where the provider reported none.
    public var turnUsage: [TokenUsage?]
    /// Every model call, this agent's and its subagents', in the order they finished.
    public var modelCalls: [ModelCallRecord]
    /// The whole conversation: the user prompt, then assistant and user (tool results) turns.
    /// Every tool call in it is answered exactly once, in the next message.
    public var transcript: [ModelMessage]
    /// Tool calls the model made (answered ones included, run or not).
    public var toolCallCount: Int
    public var duration: Duration

    public init(
        outcome: AgentOutcome, text: String, structuredOutput: JSONValue? = nil, turns: Int, turnUsage: [TokenUsage?],
        modelCalls: [ModelCallRecord], transcript: [ModelMessage], toolCallCount: Int, duration: Duration
    ) {
        self.outcome = outcome
        self.text = text
        self.structuredOutput = structuredOutput
        self.turns = turns
        self.turnUsage = turnUsage
        self.modelCalls = modelCalls
        self.transcript = transcript
        self.toolCallCount = toolCallCount
        self.duration = duration
    }

    public var subtype: String { outcome.subtype }
    public var isError: Bool { outcome.isError }

    /// The tokens of every model call added up (subagents' included), and whether every call
    /// reported its usage; when not, the total is a lower bound and the cost unknown.
    public var totalUsage: (usage: TokenUsage, complete: Bool) {
        modelCalls.reduce((TokenUsage(), true)) { sum, call in
            (sum.0 + (call.usage ?? TokenUsage()), sum.1 && call.usage != nil)
        }
    }
}
