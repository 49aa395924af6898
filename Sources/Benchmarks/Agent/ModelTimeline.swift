import ModelProviders
import Synchronization

/// When each model call left us and when its answer was in, seen at the provider client's
/// boundary (``TimedProvider`` wraps the client itself, below the router): everything above it
/// (router, engine meter, agent loop, tools, engine) is ours; the client's HTTP exchange with the
/// provider double is the model's time.
public final class ModelTimeline: Sendable {
    public struct Call: Sendable, Hashable {
        /// The request handed to the client: our next request leaving.
        public var requested: ContinuousClock.Instant
        /// The client's `.finished`: the response fully received and parsed. Nil for a call
        /// that failed.
        public var answered: ContinuousClock.Instant?
        /// When the client handed out the answer's first text delta (streamed calls that have
        /// one): the moment the provider's first words are ours to pass on.
        public var firstTextDelta: ContinuousClock.Instant?

        /// The model's share of the call (the HTTP exchange with a zero-latency double).
        public var modelTime: Duration? { answered.map { $0 - requested } }
    }

    private let calls = Mutex<[Call]>([])

    public init() {}

    /// The calls made since the last ``take()``, oldest first; the timeline starts over.
    public func take() -> [Call] {
        calls.withLock { calls in
            defer { calls.removeAll() }
            return calls
        }
    }

    func begin(at instant: ContinuousClock.Instant) -> Int {
        calls.withLock { calls in
            calls.append(Call(requested: instant))
            return calls.count - 1
        }
    }

    func firstTextDelta(_ index: Int, at instant: ContinuousClock.Instant) {
        calls.withLock { calls in
            if calls.indices.contains(index), calls[index].firstTextDelta == nil { calls[index].firstTextDelta = instant }
        }
    }

    func answer(_ index: Int, at instant: ContinuousClock.Instant) {
        calls.withLock { calls in
            if calls.indices.contains(index) { calls[index].answered = instant }
        }
    }

    /// The tool round trips of one conversation: from each answer (the model's tool call fully
    /// received) to the next request leaving.
    ///
    /// - Throws: ``AgentBenchmarkError`` when a call has no answer or calls overlap (the
    ///   conversation was not the only one on this timeline).
    public static func roundTrips(_ calls: [Call]) throws -> [Duration] {
        var gaps: [Duration] = []
        for (previous, next) in zip(calls, calls.dropFirst()) {
            guard let answered = previous.answered else {
                throw AgentBenchmarkError("a model call has no answer; the conversation failed")
            }
            guard next.requested >= answered else {
                throw AgentBenchmarkError("model calls overlap: another conversation used the timed client")
            }
            gaps.append(next.requested - answered)
        }
        return gaps
    }
}

/// A provider client whose calls are timed on a ``ModelTimeline``. It forwards the stream's
/// events on the consumer's own task (no extra task or buffer between the client and the
/// loop), so the wrapper adds no hop of its own to what it measures.
final class TimedProvider: ModelProvider {
    private let base: any ModelProvider
    private let timeline: ModelTimeline

    init(_ base: any ModelProvider, timeline: ModelTimeline) {
        self.base = base
        self.timeline = timeline
    }

    var name: String { base.name }

    func complete(_ request: ModelRequest) async throws -> ModelResponse {
        let index = timeline.begin(at: .now)
        let response = try await base.complete(request)
        timeline.answer(index, at: .now)
        return response
    }

    func stream(_ request: ModelRequest) async throws -> AsyncThrowingStream<ModelStreamEvent, any Error> {
        let index = timeline.begin(at: .now)
        let upstream = UpstreamEvents(try await base.stream(request).makeAsyncIterator())
        let timeline = self.timeline
        return AsyncThrowingStream {
            let event = try await upstream.next()
            switch event {
            case .finished: timeline.answer(index, at: .now)
            case .textDelta: timeline.firstTextDelta(index, at: .now)
            default: break
            }
            return event
        }
    }
}

/// The client's stream, pulled by the one task that consumes the wrapper's stream: an
/// `AsyncThrowingStream(unfolding:)` body is never run concurrently with itself.
private final class UpstreamEvents: @unchecked Sendable {
    private var iterator: AsyncThrowingStream<ModelStreamEvent, any Error>.AsyncIterator

    init(_ iterator: AsyncThrowingStream<ModelStreamEvent, any Error>.AsyncIterator) {
        self.iterator = iterator
    }

    func next() async throws -> ModelStreamEvent? {
        try await iterator.next()
    }
}
