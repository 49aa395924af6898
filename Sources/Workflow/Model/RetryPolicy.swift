/// How a failed step is tried again.
public struct RetryPolicy: Sendable, Hashable {
    /// How the delay between attempts grows.
    public enum Backoff: String, Sendable, Hashable, CaseIterable {
        /// `initial_delay`, doubled after each failure, capped at `max_delay`.
        case exponential
        /// `initial_delay` every time.
        case fixed
    }

    /// Attempts in all, including the first. 1 means no retry.
    public var maxAttempts: Int
    public var backoff: Backoff
    public var initialDelay: Duration
    public var maxDelay: Duration
    /// When true, each delay is drawn uniformly from zero up to the computed delay ("full jitter"),
    /// so many steps failing together do not retry in lockstep.
    public var jitter: Bool

    /// One attempt, no retry.
    public static let none = RetryPolicy(maxAttempts: 1)

    /// Limits enforced by validation.
    public static let attemptsRange = 1...100

    public init(
        maxAttempts: Int = 1, backoff: Backoff = .exponential, initialDelay: Duration = .seconds(1),
        maxDelay: Duration = .seconds(60), jitter: Bool = true
    ) {
        self.maxAttempts = maxAttempts
        self.backoff = backoff
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.jitter = jitter
    }

    /// The wait before attempt `attempt + 1`, after `attempt` (1-based) failed.
    ///
    /// - Parameter unitRandom: a source of numbers in `0...1`; injected so tests are deterministic.
    public func delay(afterAttempt attempt: Int, unitRandom: () -> Double = { Double.random(in: 0...1) }) -> Duration {
        var delay = initialDelay
        if backoff == .exponential {
            // Doubling by repeated addition stops at max_delay, so a large attempt cannot overflow.
            for _ in 1..<max(attempt, 1) where delay < maxDelay { delay += delay }
        }
        delay = min(delay, maxDelay)
        if jitter { delay = delay * min(max(unitRandom(), 0), 1) }
        return delay
    }
}

/// A `retry` block as written: unset fields come from `defaults.retry`, then from ``RetryPolicy``'s defaults.
public struct RetrySettings: Sendable, Hashable {
    public var maxAttempts: Int?
    public var backoff: RetryPolicy.Backoff?
    public var initialDelay: Duration?
    public var maxDelay: Duration?
    public var jitter: Bool?
    /// Sandcastle writes the step's failure action here (`retry: {on_failure: skip}`); the
    /// parser moves it to the step.
    public var onFailure: Located<FailureAction>?
    public var location: SourceLocation?

    public init(
        maxAttempts: Int? = nil, backoff: RetryPolicy.Backoff? = nil, initialDelay: Duration? = nil,
        maxDelay: Duration? = nil, jitter: Bool? = nil, location: SourceLocation? = nil
    ) {
        self.maxAttempts = maxAttempts
        self.backoff = backoff
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.jitter = jitter
        self.location = location
    }

    /// These settings laid over `base`, field by field.
    public func applied(to base: RetryPolicy) -> RetryPolicy {
        RetryPolicy(
            maxAttempts: maxAttempts ?? base.maxAttempts, backoff: backoff ?? base.backoff,
            initialDelay: initialDelay ?? base.initialDelay, maxDelay: maxDelay ?? base.maxDelay,
            jitter: jitter ?? base.jitter)
    }
}

/// What happens when a step fails for good (after its retries).
public enum FailureAction: String, Sendable, Hashable, CaseIterable {
    /// The run fails; steps still running are cancelled. The default.
    case abort
    /// The step is marked skipped and every step downstream of it is skipped too; the rest of the run goes on.
    case skip
    /// The step is marked failed but its dependents still run (they see `status: failed` and a null output).
    case `continue`
    /// An agent step tries once more with its `fallback:` prompt and model; if that fails too, the run fails.
    case fallback
}
