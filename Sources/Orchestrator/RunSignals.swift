import Synchronization

/// Wakes whoever follows a run (an event stream) as soon as the engine has recorded something
/// new for it, so streams are pushed, not polled. A signal carries no data: the follower reads
/// the new records from the store, which is what makes a reconnect gapless (it resumes after
/// the last sequence number it saw).
public final class RunSignals: Sendable {
    private struct Subscriber {
        /// Nil: every run.
        var runID: String?
        var continuation: AsyncStream<Void>.Continuation
    }

    private let subscribers = Mutex<[Int: Subscriber]>([:])
    private let nextID = Atomic<Int>(0)

    public init() {}

    /// Signals about `runID` (nil: any run), buffered to one pending signal (several events
    /// between two reads are one wake-up). Ends when `stop` is called.
    public func subscribe(runID: String?) -> (signals: AsyncStream<Void>, stop: @Sendable () -> Void) {
        let id = nextID.add(1, ordering: .relaxed).newValue
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        subscribers.withLock { $0[id] = Subscriber(runID: runID, continuation: continuation) }
        let stop: @Sendable () -> Void = { [weak self] in
            self?.subscribers.withLock { _ = $0.removeValue(forKey: id) }
            continuation.finish()
        }
        continuation.onTermination = { _ in stop() }
        return (stream, stop)
    }

    /// Something new was recorded for `runID`.
    public func notify(runID: String) {
        let targets = subscribers.withLock { subscribers in
            subscribers.values.filter { $0.runID == nil || $0.runID == runID }.map(\.continuation)
        }
        for continuation in targets { continuation.yield() }
    }

    /// How many followers there are (the server caps them).
    public var count: Int { subscribers.withLock { $0.count } }
}
