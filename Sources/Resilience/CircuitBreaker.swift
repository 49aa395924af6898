import Synchronization

/// Keeps steps off a backend that keeps failing for reasons of its own (engine down, sandboxes
/// not starting, rate limits), so their attempts fail over or fail fast instead of waiting on it.
///
/// Closed: everything goes through; `failureThreshold` infrastructure failures in a row open it.
/// Open: nothing goes through until `cooldown` has passed; then it is half-open and lets exactly
/// one trial through. The trial's success closes it, its failure opens it again for a new cooldown.
/// A command's own failure (non-zero exit) is not the backend's fault and counts as a success.
public final class CircuitBreaker: Sendable {
    /// Where the breaker stands.
    public enum State: String, Sendable {
        case closed
        case open
        case halfOpen = "half_open"
    }

    /// When a breaker opens and how long it stays open.
    public struct Policy: Sendable, Equatable {
        /// Consecutive infrastructure failures that open the breaker; 0 or less never opens it.
        public var failureThreshold: Int
        /// How long an open breaker refuses before it lets one trial through.
        public var cooldown: Duration

        public init(failureThreshold: Int = 3, cooldown: Duration = .seconds(30)) {
            self.failureThreshold = failureThreshold
            self.cooldown = cooldown
        }

        /// A breaker that never opens: a lone backend with nowhere to fail over keeps trying.
        public static let disabled = Policy(failureThreshold: 0, cooldown: .zero)
    }

    private struct Inner {
        var state: State = .closed
        var consecutiveFailures = 0
        var openedAt: ContinuousClock.Instant?
        /// Whether the half-open breaker's one trial is out.
        var trialInFlight = false
    }

    public let policy: Policy
    private let now: @Sendable () -> ContinuousClock.Instant
    private let inner = Mutex(Inner())

    /// - Parameter now: the clock; tests pass a manual one to step over cooldowns.
    public init(policy: Policy = Policy(), now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }) {
        self.policy = policy
        self.now = now
    }

    /// The state as of now: an open breaker whose cooldown has passed reads half-open.
    public var state: State {
        let time = self.now()
        return inner.withLock { s in
            if s.state == .open, let openedAt = s.openedAt, time - openedAt >= policy.cooldown { return .halfOpen }
            return s.state
        }
    }

    /// Whether routing would send an attempt here now, without taking the half-open trial.
    public var isAvailable: Bool {
        let time = self.now()
        return inner.withLock { s in
            switch s.state {
            case .closed: true
            case .halfOpen: !s.trialInFlight
            case .open: s.openedAt.map { time - $0 >= policy.cooldown } ?? true
            }
        }
    }

    /// Asks to send one attempt. `true` must be followed by one `record…` call; in the half-open
    /// state only the first caller gets `true` (the trial), the rest wait for its result.
    public func permit() -> Bool {
        let time = self.now()
        return inner.withLock { s in
            switch s.state {
            case .closed:
                return true
            case .open:
                guard let openedAt = s.openedAt, time - openedAt >= policy.cooldown else { return false }
                s.state = .halfOpen
                s.trialInFlight = true
                return true
            case .halfOpen:
                if s.trialInFlight { return false }
                s.trialInFlight = true
                return true
            }
        }
    }

    /// The backend did its part (the command ran, whatever its exit status).
    public func recordSuccess() {
        inner.withLock { s in
            s = Inner()
        }
    }

    /// The backend failed the attempt (see ``BackendRouter/isInfrastructureFailure(_:)``).
    public func recordFailure() {
        let time = self.now()
        inner.withLock { s in
            guard policy.failureThreshold > 0 else { return }
            s.trialInFlight = false
            if s.state == .halfOpen {
                s.state = .open
                s.openedAt = time
                return
            }
            s.consecutiveFailures += 1
            if s.state == .closed && s.consecutiveFailures >= policy.failureThreshold {
                s.state = .open
                s.openedAt = time
            }
        }
    }

    /// The attempt ended without saying anything about the backend (e.g. it was cancelled):
    /// a half-open trial is handed back for the next attempt.
    public func recordNeutral() {
        inner.withLock { s in
            s.trialInFlight = false
        }
    }
}
