import ModelProviders
import Synchronization

/// What a fake provider does for one call of one model.
enum Outcome: Sendable {
    /// Answers with this text (streamed as one delta per word).
    case answer(String)
    case fail(ModelProviderError)
    /// Waits until the call is cancelled.
    case hang
    /// Streams these deltas, then ends as `end` says (a `complete` call answers with them).
    case stream([String], end: StreamEnd)

    enum StreamEnd: Sendable {
        case finish
        /// Throws after the deltas.
        case fail(ModelProviderError)
        /// Stops without the final event, like a cut connection.
        case cut
        /// Waits until cancelled after the deltas.
        case hang
    }
}

/// One call a fake provider received.
struct RecordedCall: Sendable, Hashable {
    var provider: String
    /// The provider's model id the router sent.
    var modelID: String
    var maxTokens: Int
    /// The key the endpoint carried, revealed here only so tests can check which key was used.
    var apiKey: String?
    var streamed: Bool
}

/// Fake providers for every endpoint the router asks for, scripted per model id, recording
/// every call. Unscripted calls answer "ok".
final class FakeProviders: Sendable {
    private struct State {
        var scripts: [String: [Outcome]] = [:]
        var calls: [RecordedCall] = []
        var made: [String] = []
        var cancelledCalls = 0
    }

    private let state = Mutex(State())

    /// Queues outcomes for calls of `modelID`, in order.
    func script(_ modelID: String, _ outcomes: Outcome...) {
        state.withLock { $0.scripts[modelID, default: []] += outcomes }
    }

    var calls: [RecordedCall] { state.withLock { $0.calls } }
    var calledModels: [String] { calls.map(\.modelID) }
    /// Endpoint names the router made clients for, in order.
    var madeClients: [String] { state.withLock { $0.made } }
    /// Calls that saw their task cancelled.
    var cancelledCalls: Int { state.withLock { $0.cancelledCalls } }

    /// The router's factory.
    var factory: @Sendable (ProviderEndpoint) throws -> any ModelProvider {
        { [self] endpoint in
            state.withLock { $0.made.append(endpoint.name) }
            return ScriptedProvider(endpoint: endpoint, fakes: self)
        }
    }

    fileprivate func next(for request: ModelRequest, endpoint: ProviderEndpoint, streamed: Bool) -> Outcome {
        state.withLock { state in
            state.calls.append(
                RecordedCall(
                    provider: endpoint.name, modelID: request.model, maxTokens: request.maxTokens,
                    apiKey: endpoint.apiKey?.reveal(), streamed: streamed))
            guard var queue = state.scripts[request.model], !queue.isEmpty else { return .answer("ok") }
            let outcome = queue.removeFirst()
            state.scripts[request.model] = queue
            return outcome
        }
    }

    fileprivate func noteCancelled() {
        state.withLock { $0.cancelledCalls += 1 }
    }
}

/// One endpoint's fake client.
struct ScriptedProvider: ModelProvider {
    let endpoint: ProviderEndpoint
    let fakes: FakeProviders

    var name: String { endpoint.name }

    func complete(_ request: ModelRequest) async throws -> ModelResponse {
        switch fakes.next(for: request, endpoint: endpoint, streamed: false) {
        case .answer(let text): return response(text, request)
        case .fail(let error): throw error
        case .hang: try await hang()
        case .stream(let deltas, let end):
            switch end {
            case .finish: return response(deltas.joined(), request)
            case .fail(let error): throw error
            case .cut: throw ModelProviderError(.streamInterrupted, provider: name, message: "cut")
            case .hang: try await hang()
            }
        }
        throw CancellationError()
    }

    func stream(_ request: ModelRequest) async throws -> AsyncThrowingStream<ModelStreamEvent, any Error> {
        let outcome = fakes.next(for: request, endpoint: endpoint, streamed: true)
        if case .fail(let error) = outcome { throw error }
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    switch outcome {
                    case .answer(let text):
                        for word in text.split(separator: " ", omittingEmptySubsequences: false) {
                            continuation.yield(.textDelta(String(word)))
                        }
                        continuation.yield(.finished(response(text, request)))
                    case .fail(let error): throw error
                    case .hang: try await hang()
                    case .stream(let deltas, let end):
                        for delta in deltas { continuation.yield(.textDelta(delta)) }
                        switch end {
                        case .finish: continuation.yield(.finished(response(deltas.joined(), request)))
                        case .fail(let error): throw error
                        case .cut: break
                        case .hang: try await hang()
                        }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    private func response(_ text: String, _ request: ModelRequest) -> ModelResponse {
        // Providers answer with their own (dated) id, which the router must not pass on as the model's name.
        ModelResponse(
            id: "msg_1", model: request.model + "-20260101", message: ModelMessage(role: .assistant, content: [.text(text)]),
            stopReason: .endTurn, usage: TokenUsage(inputTokens: 10, outputTokens: 5))
    }

    private func hang() async throws {
        do {
            try await Task.sleep(for: .seconds(3600))
        } catch {
            fakes.noteCancelled()
            throw error
        }
    }
}

/// A clock whose sleeps take no time: each one is recorded and moves the clock on by its length.
final class ManualClock: Sendable {
    private struct State {
        var now = ContinuousClock.now
        var sleeps: [Duration] = []
    }

    private let state = Mutex(State())

    var sleeps: [Duration] { state.withLock { $0.sleeps } }

    func advance(by duration: Duration) {
        state.withLock { $0.now += duration }
    }

    var routingClock: RoutingClock {
        RoutingClock(
            now: { [self] in state.withLock { $0.now } },
            sleep: { [self] duration in
                try Task.checkCancellation()
                state.withLock { state in
                    state.sleeps.append(duration)
                    state.now += duration
                }
            })
    }
}

/// Collects a router's events, in order.
final class EventLog: Sendable {
    private let events = Mutex<[RouterEvent]>([])

    var sink: RouterEventSink {
        { [self] event in events.withLock { $0.append(event) } }
    }

    var all: [RouterEvent] { events.withLock { $0 } }
    var descriptions: [String] { all.map(\.description) }
}
