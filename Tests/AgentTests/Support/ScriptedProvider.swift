import Agent
import JSONValues
import ModelProviders
import Synchronization

/// One scripted model turn.
struct ScriptedTurn: Sendable {
    var text: String = ""
    var toolCalls: [ToolCall] = []
    var stopReason: StopReason?
    var usage: TokenUsage? = TokenUsage(inputTokens: 10, outputTokens: 5)
    /// Instead of answering: never finish (until the consumer is cancelled).
    var hang = false
    /// Instead of answering: fail with this error.
    var failure: ModelProviderError?
    /// Instead of answering: end the stream without its final message.
    var cutStream = false

    static func text(_ text: String) -> ScriptedTurn { ScriptedTurn(text: text) }

    static func tools(_ calls: ToolCall..., text: String = "", stopReason: StopReason? = nil) -> ScriptedTurn {
        ScriptedTurn(text: text, toolCalls: calls, stopReason: stopReason)
    }

    static let hanging = ScriptedTurn(hang: true)
}

/// A model provider that plays a script instead of calling a model: each call asks `script`
/// for its turn (seeing the request, so it can answer what the loop sent), and streams it as a
/// real provider would: text deltas, then one `.finished`.
///
/// It holds a credential the way real providers do, to prove the loop never hands it on.
final class ScriptedProvider: ModelProvider {
    let name = "scripted"
    let apiKey: SecretValue
    private let script: @Sendable (ModelRequest, Int) -> ScriptedTurn
    private let requestsMade = Mutex<[ModelRequest]>([])

    init(apiKey: SecretValue = SecretValue("sk-ant-test-unused"), script: @escaping @Sendable (ModelRequest, Int) -> ScriptedTurn) {
        self.apiKey = apiKey
        self.script = script
    }

    /// Plays `turns` in order; past the end it answers "done".
    convenience init(_ turns: [ScriptedTurn], apiKey: SecretValue = SecretValue("sk-ant-test-unused")) {
        self.init(apiKey: apiKey) { _, index in index < turns.count ? turns[index] : .text("done") }
    }

    var requests: [ModelRequest] { requestsMade.withLock { $0 } }

    func complete(_ request: ModelRequest) async throws -> ModelResponse {
        var response: ModelResponse?
        for try await event in try await stream(request) {
            if case .finished(let finished) = event { response = finished }
        }
        guard let response else { throw ModelProviderError(.streamInterrupted, provider: name, message: "no response") }
        return response
    }

    func stream(_ request: ModelRequest) async throws -> AsyncThrowingStream<ModelStreamEvent, any Error> {
        let index = requestsMade.withLock { requests in
            requests.append(request)
            return requests.count - 1
        }
        let turn = script(request, index)
        if let failure = turn.failure { throw failure }
        let (stream, continuation) = AsyncThrowingStream<ModelStreamEvent, any Error>.makeStream()
        if turn.hang { return stream } // the continuation is kept by nobody: only cancellation ends it
        for piece in Self.pieces(of: turn.text) { continuation.yield(.textDelta(piece)) }
        if turn.cutStream {
            continuation.finish()
            return stream
        }
        var content: [ContentBlock] = turn.text.isEmpty ? [] : [.text(turn.text)]
        for call in turn.toolCalls {
            continuation.yield(.toolCallStarted(id: call.id, name: call.name))
            content.append(.toolCall(call))
        }
        let stopReason = turn.stopReason ?? (turn.toolCalls.isEmpty ? .endTurn : .toolUse)
        continuation.yield(
            .finished(
                ModelResponse(
                    id: "msg_\(index)", model: request.model + "-scripted", message: ModelMessage(role: .assistant, content: content),
                    stopReason: stopReason, usage: turn.usage)))
        continuation.finish()
        return stream
    }

    private static func pieces(of text: String) -> [String] {
        var pieces: [String] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            pieces.append(String(rest.prefix(4)))
            rest = rest.dropFirst(4)
        }
        return pieces
    }
}

func call(_ id: String, _ name: String, _ input: JSONValue) -> ToolCall {
    ToolCall(id: id, name: name, input: input)
}

/// Every event a run emitted, for assertions; thread-safe like a real sink must be.
final class EventLog: Sendable {
    private let events = Mutex<[AgentEvent]>([])
    private let watchers = Mutex<[(@Sendable (AgentEvent) -> Void)]>([])

    var sink: AgentEventSink {
        AgentEventSink { event in
            self.events.withLock { $0.append(event) }
            for watcher in self.watchers.withLock({ $0 }) { watcher(event) }
        }
    }

    var all: [AgentEvent] { events.withLock { $0 } }

    /// Calls `watcher` for every event emitted from now on.
    func watch(_ watcher: @escaping @Sendable (AgentEvent) -> Void) {
        watchers.withLock { $0.append(watcher) }
    }

    var toolStarts: [AgentEvent.ToolCallStart] {
        all.compactMap { if case .toolCallStarted(let start) = $0 { start } else { nil } }
    }

    var toolFinishes: [AgentEvent.ToolCallFinish] {
        all.compactMap { if case .toolCallFinished(let finish) = $0 { finish } else { nil } }
    }
}

extension AgentResult {
    /// The tool results the model got, by call id.
    var toolResults: [String: ToolResult] {
        var results: [String: ToolResult] = [:]
        for message in transcript where message.role == .user {
            for case .toolResult(let result) in message.content { results[result.toolCallID] = result }
        }
        return results
    }

    func toolResult(_ id: String) -> ToolResult? { toolResults[id] }
}
