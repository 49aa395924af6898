import Resilience

/// How ``ModelRouter`` retries, cools down and fails over. The defaults are documented in
/// docs/agents.md ("Retries and failover").
public struct RoutingPolicy: Sendable {
    /// What a cooldown keeps calls away from.
    public enum CooldownScope: String, Sendable, Hashable {
        /// The one model that was rate limited or overloaded; the provider's other models stay
        /// usable. Anthropic and OpenAI limit rates and capacity per model, so this is what lets
        /// `sonnet` fail over to `haiku` on the same key.
        case model
        /// Every model of the provider (a limit shared by the whole key).
        case provider
    }

    /// Calls of one model before failing over, the first included; at least 1.
    public var attemptsPerModel: Int
    /// The wait between attempts when the provider does not say (`retry-after`).
    public var backoff: Backoff
    /// The longest `retry-after` honoured by waiting; a provider asking for longer is cooled
    /// down for that long instead, and the call fails over at once.
    public var maximumRetryAfter: Duration
    /// How long a model (or provider) is skipped after its attempts ended in 429, when the
    /// provider gave no `retry-after` (Sandcastle's own: max(10, 60 / 4) s).
    public var rateLimitCooldown: Duration
    /// The same after 529 / overloaded (Sandcastle's own: 60 s).
    public var overloadCooldown: Duration
    /// No cooldown lasts longer, whatever `retry-after` says.
    public var maximumCooldown: Duration
    public var cooldownScope: CooldownScope
    /// One breaker per provider, opened by server errors, transport failures and cut streams in
    /// a row (not by 429/529, which the cooldown handles, nor by the request's own faults).
    public var breaker: CircuitBreaker.Policy
    /// Failover chains to use instead of the models file's; nil uses the file's, `[:]` turns
    /// failover off.
    public var failoverChains: [String: [String]]?
    /// `DATA_RESIDENCY`: only models whose region it allows are called; a request naming
    /// another is refused before any call, and failover skips them. Nil: any region.
    public var residency: DataResidency?

    public init(
        attemptsPerModel: Int = 3, backoff: Backoff = Backoff(), maximumRetryAfter: Duration = .seconds(60),
        rateLimitCooldown: Duration = .seconds(15), overloadCooldown: Duration = .seconds(60),
        maximumCooldown: Duration = .seconds(600), cooldownScope: CooldownScope = .model,
        breaker: CircuitBreaker.Policy = CircuitBreaker.Policy(failureThreshold: 5, cooldown: .seconds(30)),
        failoverChains: [String: [String]]? = nil, residency: DataResidency? = nil
    ) {
        self.residency = residency
        self.attemptsPerModel = attemptsPerModel
        self.backoff = backoff
        self.maximumRetryAfter = maximumRetryAfter
        self.rateLimitCooldown = rateLimitCooldown
        self.overloadCooldown = overloadCooldown
        self.maximumCooldown = maximumCooldown
        self.cooldownScope = cooldownScope
        self.breaker = breaker
        self.failoverChains = failoverChains
    }
}

/// The time the router reads and waits on. Tests pass a manual one, so a 30-second
/// `retry-after` takes no time and its length can be checked.
public struct RoutingClock: Sendable {
    public var now: @Sendable () -> ContinuousClock.Instant
    /// Waits `duration`; must throw `CancellationError` promptly when the task is cancelled.
    public var sleep: @Sendable (Duration) async throws -> Void

    public init(now: @escaping @Sendable () -> ContinuousClock.Instant, sleep: @escaping @Sendable (Duration) async throws -> Void) {
        self.now = now
        self.sleep = sleep
    }

    /// The real clock.
    public static let continuous = RoutingClock(now: { ContinuousClock.now }, sleep: { try await Task.sleep(for: $0) })
}
