import JSONValues
import ModelProviders
import Synchronization

/// What a run has produced so far. Shared by the loop, its concurrently running tools and its
/// subagents (which add their model calls), and read once more when a timeout or cancellation
/// cut the loop short, so the result keeps everything that happened until then.
final class AgentRunRecord: Sendable {
    private struct State {
        var transcript: [ModelMessage] = []
        var turnUsage: [TokenUsage?] = []
        var modelCalls: [ModelCallRecord] = []
        var toolCallCount = 0
        /// The last non-empty text the model wrote.
        var lastText = ""
        var finalText: String?
        var structuredOutput: JSONValue?
    }

    private let state = Mutex(State())
    /// Where this run's next `Bash` call starts.
    let bashDirectory = BashDirectory()

    var transcript: [ModelMessage] { state.withLock { $0.transcript } }

    func append(_ message: ModelMessage) {
        state.withLock { $0.transcript.append(message) }
    }

    /// One model turn: its message joins the transcript, its usage and call are counted.
    func recordTurn(_ response: ModelResponse, requestedModel: String) {
        state.withLock { state in
            state.transcript.append(response.message)
            state.turnUsage.append(response.usage)
            state.modelCalls.append(
                ModelCallRecord(requestedModel: requestedModel, respondingModel: response.model, messageID: response.id, usage: response.usage))
            state.toolCallCount += response.message.toolCalls.count
            let text = response.message.text
            if !text.isEmpty { state.lastText = text }
        }
    }

    /// A subagent's model calls, which count in this run's cost.
    func append(_ calls: [ModelCallRecord]) {
        state.withLock { $0.modelCalls.append(contentsOf: calls) }
    }

    func finish(text: String, structuredOutput: JSONValue? = nil) {
        state.withLock { state in
            state.finalText = text
            state.structuredOutput = structuredOutput
        }
    }

    func result(_ outcome: AgentOutcome, duration: Duration) -> AgentResult {
        state.withLock { state in
            AgentResult(
                outcome: outcome, text: state.finalText ?? state.lastText, structuredOutput: state.structuredOutput,
                turns: state.turnUsage.count, turnUsage: state.turnUsage, modelCalls: state.modelCalls, transcript: state.transcript,
                toolCallCount: state.toolCallCount, duration: duration)
        }
    }
}

/// What a subagent needs of the run that starts it.
struct AgentSession: Sendable {
    let provider: any ModelProvider
    let configuration: AgentConfiguration
    let tools: ToolSet
    let events: AgentEventSink
    let ledger: AgentRunRecord
}
