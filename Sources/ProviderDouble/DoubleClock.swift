import Synchronization

/// The double's own time: how long it spent answering model requests, so a benchmark can take
/// it out of what it measured (`sandcastle bench api`: step overhead = wall − the double's time).
///
/// Two figures, from a request's arrival at its handler to the last byte of its answer handed to
/// the connection: `handling` sums every request's time; `busy` is the time at least one request
/// was in hand (the union of those intervals), which is what concurrent requests (a fan-out)
/// take off a wall clock.
public struct DoubleTimes: Sendable, Hashable {
    public var requests: Int
    public var handling: Duration
    public var busy: Duration

    public init(requests: Int = 0, handling: Duration = .zero, busy: Duration = .zero) {
        self.requests = requests
        self.handling = handling
        self.busy = busy
    }

    /// `later` minus `self`: the times of the requests between two readings.
    public func until(_ later: DoubleTimes) -> DoubleTimes {
        DoubleTimes(requests: later.requests - requests, handling: later.handling - handling, busy: later.busy - busy)
    }
}

final class DoubleClock: Sendable {
    private struct State {
        var times = DoubleTimes()
        var inHand = 0
        var busySince: ContinuousClock.Instant?
    }

    private let state = Mutex(State())

    /// Marks a request's arrival; returns when it arrived, for ``finished(startedAt:)``.
    func started() -> ContinuousClock.Instant {
        let now = ContinuousClock.now
        state.withLock { state in
            if state.inHand == 0 { state.busySince = now }
            state.inHand += 1
        }
        return now
    }

    func finished(startedAt start: ContinuousClock.Instant) {
        let now = ContinuousClock.now
        state.withLock { state in
            state.times.requests += 1
            state.times.handling += now - start
            state.inHand -= 1
            if state.inHand == 0, let since = state.busySince {
                state.times.busy += now - since
                state.busySince = nil
            }
        }
    }

    /// The totals so far; a request in hand counts up to now in `busy`.
    var times: DoubleTimes {
        let now = ContinuousClock.now
        return state.withLock { state in
            var times = state.times
            if let since = state.busySince { times.busy += now - since }
            return times
        }
    }
}
