import JSONValues
import ModelProviders

/// What an agent run reports while it runs, in order.
///
/// A turn is: `turnStarted`, its `textDelta`s and `thinkingDelta`s as the model streams them,
/// `assistantMessage` once the model's message is complete, then for each tool call one
/// `toolCallStarted` and one `toolCallFinished` (calls run concurrently, so the pairs of
/// different calls interleave), then `toolResults` with the one user message that answers
/// them all. The run ends with exactly one `result`.
///
/// Everything a subagent reports arrives wrapped in ``subagent(parentToolCallID:agent:event:)``,
/// naming the tool call that started it (Claude Code's `parent_tool_use_id`).
///
/// The engine turns these into typed run events; the Sandstorm-compatible `/query` turns
/// `assistantMessage` into an `assistant` message, `toolResults` into a `user` message and
/// `result` into a `result` message.
public indirect enum AgentEvent: Sendable {
    /// A model call begins; `turn` counts from 1.
    case turnStarted(turn: Int)
    /// A piece of the answer's text, as it arrives from the provider.
    case textDelta(String)
    /// A piece of the model's visible reasoning.
    case thinkingDelta(String)
    /// The model's message of one turn is complete.
    case assistantMessage(AssistantTurn)
    /// A tool call is about to run (or to be answered without running, see ``ToolCallFinish/ran``).
    case toolCallStarted(ToolCallStart)
    /// A tool call has its result.
    case toolCallFinished(ToolCallFinish)
    /// The user message carrying every tool result of the turn, in call order, as the model gets it.
    case toolResults(turn: Int, message: ModelMessage)
    /// The run is over.
    case result(AgentResult)
    /// An event of a subagent started by the tool call `parentToolCallID`.
    case subagent(parentToolCallID: String, agent: String, event: AgentEvent)

    /// One model turn's message, with what Sandstorm's `assistant` message carries.
    public struct AssistantTurn: Sendable {
        public var turn: Int
        /// The provider's message id (`msg_…`, `chatcmpl-…`).
        public var messageID: String
        /// The model that answered, as the provider names it.
        public var model: String
        /// The whole message: text, tool calls and thinking blocks, in order.
        public var message: ModelMessage
        public var stopReason: StopReason
        /// Nil when the provider reported none.
        public var usage: TokenUsage?

        public init(turn: Int, messageID: String, model: String, message: ModelMessage, stopReason: StopReason, usage: TokenUsage?) {
            self.turn = turn
            self.messageID = messageID
            self.model = model
            self.message = message
            self.stopReason = stopReason
            self.usage = usage
        }

        public var text: String { message.text }
        public var toolCalls: [ToolCall] { message.toolCalls }
    }

    public struct ToolCallStart: Sendable {
        public var turn: Int
        public var id: String
        public var name: String
        public var input: JSONValue

        public init(turn: Int, id: String, name: String, input: JSONValue) {
            self.turn = turn
            self.id = id
            self.name = name
            self.input = input
        }
    }

    public struct ToolCallFinish: Sendable {
        public var turn: Int
        public var id: String
        public var name: String
        public var isError: Bool
        /// The result's beginning (at most ``ToolLimits/eventOutputBytes``); the model got all of it.
        public var output: String
        /// The whole result's length in UTF-8 bytes, as the model got it.
        public var outputBytes: Int
        public var duration: Duration
        /// False when the call was answered without running: cut by `max_tokens`, an unknown
        /// tool, malformed input, or a final answer that ended the run.
        public var ran: Bool

        public init(turn: Int, id: String, name: String, isError: Bool, output: String, outputBytes: Int, duration: Duration, ran: Bool) {
            self.turn = turn
            self.id = id
            self.name = name
            self.isError = isError
            self.output = output
            self.outputBytes = outputBytes
            self.duration = duration
            self.ran = ran
        }
    }
}

/// Where an agent's events go. Called synchronously from the loop and from concurrently
/// running tools, so it must be cheap and thread-safe: hand the event on (an
/// `AsyncStream` continuation, a lock-protected buffer) rather than doing work in it.
public struct AgentEventSink: Sendable {
    private let handler: @Sendable (AgentEvent) -> Void

    public init(_ handler: @escaping @Sendable (AgentEvent) -> Void) {
        self.handler = handler
    }

    public func emit(_ event: AgentEvent) { handler(event) }

    /// Drops every event.
    public static let discard = AgentEventSink { _ in }

    /// A sink and the stream it feeds (unbounded, finished when the run's `result` is emitted).
    public static func stream() -> (events: AsyncStream<AgentEvent>, sink: AgentEventSink) {
        let (events, continuation) = AsyncStream<AgentEvent>.makeStream()
        let sink = AgentEventSink { event in
            continuation.yield(event)
            if case .result = event { continuation.finish() }
        }
        return (events, sink)
    }

    /// This sink with every event wrapped as a subagent's.
    func wrapping(parentToolCallID: String, agent: String) -> AgentEventSink {
        AgentEventSink { event in handler(.subagent(parentToolCallID: parentToolCallID, agent: agent, event: event)) }
    }
}
