import JSONValues
import ModelProviders
import Sandbox
import Synchronization

/// `agent_tool_roundtrip_ms`: the loop's own overhead around one tool call, measured with a
/// zero-latency model. Each sample runs from the moment the model's response carrying a `Bash`
/// call of `true` is complete (its `.finished` event handed to the loop) to the moment the loop
/// sends its next request: event handling, input checks, the process in the sandbox, the
/// transcript. `sandcastle bench agent` and the tests call it.
public enum ToolRoundTrip {
    /// Runs `warmup + iterations` tool calls in `sandbox` and returns the last `iterations` samples.
    ///
    /// - Throws: ``AgentError`` when the run does not finish cleanly (the sandbox failed).
    public static func measure(sandbox: any SandboxInstance, iterations: Int, warmup: Int = 5) async throws -> [Duration] {
        let provider = RoundTripModel(calls: warmup + iterations)
        let configuration = AgentConfiguration(model: "roundtrip", maxTurns: warmup + iterations + 1)
        let loop = AgentLoop(provider: provider, configuration: configuration, tools: try ToolSet([BashTool()]), sandbox: sandbox)
        let result = await loop.run(prompt: "measure")
        guard case .success = result.outcome else {
            throw AgentError(.invalidConfiguration, "the round-trip run ended \(result.outcome.terminalReason): \(result.outcome.summary)")
        }
        if let failed = result.toolResults.first(where: \.isError) {
            throw AgentError(.invalidConfiguration, "a Bash call of `true` failed: \(failed.content)")
        }
        return Array(provider.samples.dropFirst(warmup))
    }

    /// The sandbox's share of a round trip: the same `Bash` process (`bash -c true`, started and
    /// waited for exactly as the tool does) without the loop around it. The difference to
    /// ``measure(sandbox:iterations:warmup:)`` is the loop's own cost.
    public static func measureProcess(sandbox: any SandboxInstance, iterations: Int, warmup: Int = 5) async throws -> [Duration] {
        let context = ToolContext(sandbox: sandbox)
        var samples: [Duration] = []
        for index in 0..<(warmup + iterations) {
            let start = ContinuousClock.now
            let output = try await ToolProcess.run(
                BashTool.arguments(for: "true"), context: context, timeout: context.limits.bashDefaultTimeout, allowsPrestartedBash: true)
            let elapsed = ContinuousClock.now - start
            if output.result.exitCode != 0 { throw AgentError(.invalidConfiguration, "bash -c true failed with exit code \(output.result.exitCode)") }
            if index >= warmup { samples.append(elapsed) }
        }
        return samples
    }
}

extension AgentResult {
    /// Every tool result the model got, in order.
    fileprivate var toolResults: [ToolResult] {
        transcript.flatMap { message in message.content.compactMap { if case .toolResult(let result) = $0 { result } else { nil } } }
    }
}

/// A model that answers instantly: `calls` turns each calling `Bash` with `true`, then "done".
private final class RoundTripModel: ModelProvider {
    let name = "roundtrip"
    private let calls: Int
    private struct State {
        var turn = 0
        var callHandedOver: ContinuousClock.Instant?
        var samples: [Duration] = []
    }
    private let state = Mutex(State())

    init(calls: Int) { self.calls = calls }

    var samples: [Duration] { state.withLock { $0.samples } }

    func complete(_ request: ModelRequest) async throws -> ModelResponse {
        throw ModelProviderError(.invalidRequest, provider: name, message: "only streams")
    }

    func stream(_ request: ModelRequest) async throws -> AsyncThrowingStream<ModelStreamEvent, any Error> {
        let arrived = ContinuousClock.now
        let turn = state.withLock { state in
            if let handed = state.callHandedOver { state.samples.append(arrived - handed) }
            state.turn += 1
            return state.turn
        }
        let (stream, continuation) = AsyncThrowingStream<ModelStreamEvent, any Error>.makeStream()
        let message: ModelMessage
        let stopReason: StopReason
        if turn <= calls {
            message = ModelMessage(role: .assistant, content: [.toolCall(ToolCall(id: "call_\(turn)", name: "Bash", input: ["command": "true"]))])
            stopReason = .toolUse
        } else {
            message = ModelMessage(role: .assistant, content: [.text("done")])
            stopReason = .endTurn
        }
        let response = ModelResponse(id: "msg_\(turn)", model: name, message: message, stopReason: stopReason, usage: nil)
        state.withLock { $0.callHandedOver = ContinuousClock.now }
        continuation.yield(.finished(response))
        continuation.finish()
        return stream
    }
}
