/// What the router did on the way to an answer, reported as it happens so the engine can record
/// it as a run event. Models are named by their catalog names; nothing here holds a key (errors
/// are scrubbed of the endpoint's credentials before they get here).
public enum RouterEvent: Sendable, CustomStringConvertible {
    /// `model` failed for a passing reason; attempt number `attempt` (2 for the first retry)
    /// starts after `after`.
    case retrying(model: String, provider: String, attempt: Int, after: Duration, error: ModelProviderError)
    /// The call moves on from `from` to `to`; `error` is why `from` was given up (nil when it
    /// was never tried and the reason was reported as ``skipped(model:provider:reason:)``).
    case failingOver(from: String, to: String, error: ModelProviderError?)
    /// Calls will skip `provider` (only its `model` when that is given) for `duration`, after
    /// rate limits or overload.
    case cooldown(provider: String, model: String?, duration: Duration)
    /// A model of the chain was not tried.
    case skipped(model: String, provider: String, reason: SkipReason)

    /// Why a model was not tried.
    public enum SkipReason: Sendable, Hashable, CustomStringConvertible {
        /// Its provider has no credential; `variable` is what to set.
        case notConfigured(variable: String)
        /// Its provider (or it) is cooling down for `remaining` more.
        case coolingDown(remaining: Duration)
        /// Its provider's circuit breaker is open.
        case circuitOpen
        /// The chain names something the models file cannot resolve.
        case unresolvable(message: String)
        /// `DATA_RESIDENCY` does not allow the model's region (nil: unknown).
        case outsideResidency(region: String?, residency: DataResidency)

        public var description: String {
            switch self {
            case .notConfigured(let variable): "not configured (set \(variable))"
            case .coolingDown(let remaining): "cooling down for \(RouterEvent.seconds(remaining))"
            case .circuitOpen: "circuit open after repeated failures"
            case .unresolvable(let message): "cannot be resolved: \(message)"
            case .outsideResidency(let region, let residency):
                "its region (\(region ?? "unknown")) is outside DATA_RESIDENCY=\(residency.rawValue)"
            }
        }
    }

    public var description: String {
        switch self {
        case .retrying(let model, let provider, let attempt, let after, let error):
            "retrying \(model) on \(provider) (attempt \(attempt)) in \(Self.seconds(after)) after: \(error)"
        case .failingOver(let from, let to, let error):
            "failing over from \(from) to \(to)" + (error.map { " after: \($0)" } ?? "")
        case .cooldown(let provider, let model, let duration):
            "cooling down \(model.map { "\($0) on \(provider)" } ?? provider) for \(Self.seconds(duration))"
        case .skipped(let model, let provider, let reason):
            "skipping \(model) on \(provider): \(reason)"
        }
    }

    static func seconds(_ duration: Duration) -> String {
        let milliseconds = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        return milliseconds % 1000 == 0 ? "\(milliseconds / 1000) s" : "\(Double(milliseconds) / 1000) s"
    }
}

/// Where the router reports its ``RouterEvent``s; awaited in order, one at a time.
public typealias RouterEventSink = @Sendable (RouterEvent) async -> Void
