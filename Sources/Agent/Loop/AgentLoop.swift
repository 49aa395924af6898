import JSONValues
import ModelProviders
import Sandbox

/// One agent run on the host: model turns through a ``ModelProvider``, each turn's tool calls run
/// concurrently inside the sandbox, their results sent back in one message, until the model
/// answers without a tool call, `max_turns` is reached, the timeout runs out, the task is
/// cancelled, or the provider fails.
///
/// The loop holds no credential and hands none to the sandbox: the provider keeps its own key,
/// and tools see only ``AgentConfiguration/toolEnvironment``.
///
/// ```swift
/// let loop = AgentLoop(provider: router, configuration: AgentConfiguration(model: "sonnet"),
///                      tools: try .standard(network: false), sandbox: sandbox, events: sink)
/// let result = await loop.run(prompt: "Fix the failing test")
/// ```
public struct AgentLoop: Sendable {
    public let provider: any ModelProvider
    public let configuration: AgentConfiguration
    public let tools: ToolSet
    public let sandbox: any SandboxInstance
    public let events: AgentEventSink
    /// A subagent's loop: its tools get no session, so nothing in it can start another subagent.
    let nested: Bool

    public init(
        provider: any ModelProvider, configuration: AgentConfiguration, tools: ToolSet, sandbox: any SandboxInstance,
        events: AgentEventSink = .discard
    ) {
        self.init(provider: provider, configuration: configuration, tools: tools, sandbox: sandbox, events: events, nested: false)
    }

    init(
        provider: any ModelProvider, configuration: AgentConfiguration, tools: ToolSet, sandbox: any SandboxInstance,
        events: AgentEventSink, nested: Bool
    ) {
        self.provider = provider
        self.configuration = configuration
        self.tools = tools
        self.sandbox = sandbox
        self.events = events
        self.nested = nested
    }

    /// Runs the agent on `prompt` to its end. Never throws: every way a run ends, cancellation of
    /// the calling task included, is an ``AgentOutcome`` with the transcript up to that point.
    /// The last event emitted is `.result` with the same value.
    public func run(prompt: String) async -> AgentResult {
        let start = ContinuousClock.now
        let record = AgentRunRecord()
        record.append(.user(prompt))
        let outcome: AgentOutcome
        do {
            try validate()
            if let timeout = configuration.timeout {
                outcome = await Self.race(timeout) { await drive(record) }
            } else {
                outcome = await drive(record)
            }
        } catch let error as AgentError {
            outcome = .failed(error)
        } catch {
            outcome = .failed(AgentError(.invalidConfiguration, "\(error)"))
        }
        let result = record.result(outcome, duration: ContinuousClock.now - start)
        events.emit(.result(result))
        return result
    }

    private func validate() throws {
        try configuration.validate()
        if let name = configuration.finalAnswer?.tool.name, tools.tool(named: name) != nil {
            throw AgentError(.invalidConfiguration, "the final-answer tool \(name) has the name of another tool")
        }
    }

    private enum Race: Sendable {
        case finished(AgentOutcome)
        case timerFired
        case timerCancelled
    }

    /// Runs `body` under `timeout`: when it runs out, `body`'s task is cancelled (which interrupts
    /// the model call or the tools in flight) and the run ends `.timedOut`.
    private static func race(_ timeout: Duration, _ body: @escaping @Sendable () async -> AgentOutcome) async -> AgentOutcome {
        await withTaskGroup(of: Race.self) { group in
            group.addTask { .finished(await body()) }
            group.addTask {
                do {
                    try await Task.sleep(for: timeout)
                    return .timerFired
                } catch {
                    return .timerCancelled
                }
            }
            var timedOut = false
            while let next = await group.next() {
                switch next {
                case .finished(let outcome):
                    group.cancelAll()
                    if timedOut, case .cancelled = outcome { return .timedOut(after: timeout) }
                    return outcome
                case .timerFired:
                    timedOut = true
                    group.cancelAll()
                case .timerCancelled:
                    continue
                }
            }
            return .timedOut(after: timeout)
        }
    }

    /// The turns.
    private func drive(_ record: AgentRunRecord) async -> AgentOutcome {
        let session = nested ? nil : AgentSession(provider: provider, configuration: configuration, tools: tools, events: events, ledger: record)
        let finalAnswer = configuration.finalAnswer
        let offered = tools.definitions + (finalAnswer.map { [$0.tool] } ?? [])
        var repairsLeft = finalAnswer?.repairBudget ?? 0
        for turn in 1...configuration.maxTurns {
            if Task.isCancelled { return .cancelled(during: .modelCall) }
            events.emit(.turnStarted(turn: turn))
            let request = ModelRequest(
                model: configuration.model, system: configuration.systemPrompt, messages: record.transcript, tools: offered,
                maxTokens: configuration.maxTokens, temperature: configuration.temperature)
            let response: ModelResponse
            do {
                response = try await streamTurn(request)
            } catch {
                if Task.isCancelled || error is CancellationError { return .cancelled(during: .modelCall) }
                if let error = error as? ModelProviderError { return .providerFailed(error) }
                return .failed(AgentError(.providerFailed, "\(provider.name): \(error)"))
            }
            record.recordTurn(response, requestedModel: configuration.model)
            events.emit(
                .assistantMessage(
                    AgentEvent.AssistantTurn(
                        turn: turn, messageID: response.id, model: response.model, message: response.message, stopReason: response.stopReason,
                        usage: response.usage)))

            let calls = response.message.toolCalls
            if calls.isEmpty {
                guard let finalAnswer else {
                    record.finish(text: response.message.text)
                    return .success
                }
                // The model answered in prose where its answer must come through the tool.
                guard repairsLeft > 0 else {
                    return .structuredOutputInvalid(["the model ended its turn without calling \(finalAnswer.tool.name)"])
                }
                repairsLeft -= 1
                record.append(
                    .user("Your final answer must be given by calling the \(finalAnswer.tool.name) tool with the answer as its input. Call it now."))
                if turn == configuration.maxTurns { return .maxTurns }
                continue
            }

            var verdict = TurnVerdict()
            if response.stopReason == .maxTokens {
                verdict.answerAll(calls, with: Self.cutByMaxTokens(maxTokens: configuration.maxTokens))
            } else if let finalAnswer {
                judgeFinalAnswer(calls, finalAnswer, repairsLeft: &repairsLeft, response: response, record: record, verdict: &verdict)
            }
            let (results, interruption) = await runTools(calls, preset: verdict.preset, turn: turn, session: session, record: record)
            let message = ModelMessage(role: .user, content: results.map { .toolResult($0) })
            record.append(message)
            events.emit(.toolResults(turn: turn, message: message))
            if let interruption { return interruption }
            if let ending = verdict.ending { return ending }
            if turn == configuration.maxTurns { return .maxTurns }
        }
        return .maxTurns
    }

    /// One model call, streamed: deltas go to the sink as they arrive.
    private func streamTurn(_ request: ModelRequest) async throws -> ModelResponse {
        var response: ModelResponse?
        for try await event in try await provider.stream(request) {
            switch event {
            case .textDelta(let text): events.emit(.textDelta(text))
            case .thinkingDelta(let text): events.emit(.thinkingDelta(text))
            case .toolCallStarted: break
            case .finished(let finished): response = finished
            }
        }
        if let response { return response }
        try Task.checkCancellation()
        throw ModelProviderError(.streamInterrupted, provider: provider.name, message: "the response stream ended without its final message")
    }

    static func cutByMaxTokens(maxTokens: Int) -> String {
        "Not run: your response hit the max_tokens limit (\(maxTokens)) while writing this tool call, so its input may be incomplete. "
            + "Make the call again, with a shorter input if it was long (write big files in parts)."
    }
}
