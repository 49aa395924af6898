import Resilience
import Synchronization

/// What the router remembers between calls: cooldowns after 429/529, and one circuit breaker
/// per provider. Shared by every call of a router (and of its ``ModelRouter/reporting(to:)``
/// views), so one step's rate limit keeps the next step off that model.
final class ProviderHealth: Sendable {
    private struct State {
        var cooldowns: [String: ContinuousClock.Instant] = [:]
        var breakers: [String: CircuitBreaker] = [:]
    }

    private let state = Mutex(State())
    private let breakerPolicy: CircuitBreaker.Policy
    private let scope: RoutingPolicy.CooldownScope
    private let now: @Sendable () -> ContinuousClock.Instant

    init(policy: RoutingPolicy, now: @escaping @Sendable () -> ContinuousClock.Instant) {
        self.breakerPolicy = policy.breaker
        self.scope = policy.cooldownScope
        self.now = now
    }

    /// The breaker of `provider`, made on first use.
    func breaker(for provider: String) -> CircuitBreaker {
        state.withLock { state in
            if let breaker = state.breakers[provider] { return breaker }
            let breaker = CircuitBreaker(policy: breakerPolicy, now: now)
            state.breakers[provider] = breaker
            return breaker
        }
    }

    /// How much longer `model` is cooling down, or nil when it is not.
    func cooldownRemaining(for model: ResolvedModel) -> Duration? {
        let time = now()
        let key = cooldownKey(model)
        return state.withLock { state in
            guard let until = state.cooldowns[key] else { return nil }
            if until <= time {
                state.cooldowns[key] = nil
                return nil
            }
            return until - time
        }
    }

    /// Keeps calls off `model` (or its provider, by the policy's scope) for `duration`; a longer
    /// cooldown already running is kept.
    func coolDown(_ model: ResolvedModel, for duration: Duration) {
        let until = now() + duration
        let key = cooldownKey(model)
        state.withLock { state in
            if let current = state.cooldowns[key], current >= until { return }
            state.cooldowns[key] = until
        }
    }

    /// Whether cooldowns cover a whole provider (then events name no model).
    var coolsWholeProvider: Bool { scope == .provider }

    private func cooldownKey(_ model: ResolvedModel) -> String {
        switch scope {
        case .provider: model.provider
        // A NUL cannot occur in either part, so two models never share a key.
        case .model: model.provider + "\u{0}" + model.modelID
        }
    }
}
