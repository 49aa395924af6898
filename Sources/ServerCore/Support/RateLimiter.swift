import Foundation
import Synchronization

/// How many requests a caller may make in a window: `10/60s` (Sandcastle's limit on its
/// execution endpoints). A limit of 0 turns limiting off.
package struct RateLimit: Sendable, Equatable, CustomStringConvertible {
    package var limit: Int
    package var windowSeconds: Double

    package init(limit: Int, windowSeconds: Double) {
        self.limit = limit
        self.windowSeconds = windowSeconds
    }

    /// Sandcastle's: 10 requests per 60 s.
    package static let sandcastleDefault = RateLimit(limit: 10, windowSeconds: 60)
    package static let off = RateLimit(limit: 0, windowSeconds: 60)

    package var isOff: Bool { limit == 0 }

    package var description: String {
        isOff ? "0 (off)" : "\(limit)/\(windowSeconds == windowSeconds.rounded() ? String(Int(windowSeconds)) : String(windowSeconds))s"
    }

    /// `N` (per 60 s), `N/60s`, `N/90`, `N/1m`, `N/1h`; `0` is off.
    package static func parse(_ text: String) -> RateLimit? {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let limit = Int(parts[0]), limit >= 0, limit <= 1_000_000_000 else { return nil }
        guard parts.count == 2 else { return RateLimit(limit: limit, windowSeconds: 60) }
        var window = parts[1].trimmingCharacters(in: .whitespaces)
        var unit = 1.0
        switch window.last {
        case "s": window.removeLast()
        case "m": (unit, window) = (60, String(window.dropLast()))
        case "h": (unit, window) = (3600, String(window.dropLast()))
        default: break
        }
        guard let count = Double(window), count.isFinite, count > 0, count * unit <= 86_400 else { return nil }
        return RateLimit(limit: limit, windowSeconds: count * unit)
    }
}

/// Requests per caller, as token buckets: each caller may spend `limit` at once and earns them
/// back evenly over the window (10 per 60 s: one every 6 s). O(1) per request.
///
/// Memory is bounded: at most `maxCallers` buckets are kept. When a new caller would exceed
/// that, the buckets that have refilled are dropped first (a full bucket is the same as none),
/// then the callers seen least recently.
package final class RateLimiter: Sendable {
    /// The outcome of one request.
    package struct Decision: Sendable, Equatable {
        package var allowed: Bool
        package var limit: Int
        /// Whole requests the caller may still make now.
        package var remaining: Int
        /// Whole seconds until the next request would be allowed (0 when allowed).
        package var retryAfterSeconds: Int
    }

    private struct Bucket {
        var tokens: Double
        var updated: Double
    }

    private struct State {
        var buckets: [String: Bucket] = [:]
    }

    package let rate: RateLimit
    package let maxCallers: Int
    private let now: @Sendable () -> Double
    private let state = Mutex(State())

    /// `now` gives seconds on a monotonic clock (tests move it by hand).
    package init(_ rate: RateLimit, maxCallers: Int = 10_000, now: (@Sendable () -> Double)? = nil) {
        self.rate = rate
        self.maxCallers = max(1, maxCallers)
        let start = ContinuousClock.now
        self.now = now ?? { (ContinuousClock.now - start).seconds }
    }

    private var perSecond: Double { Double(rate.limit) / rate.windowSeconds }

    /// Spends one request of `caller`'s allowance, if there is one.
    package func take(_ caller: String) -> Decision {
        let capacity = Double(rate.limit)
        guard !rate.isOff else { return Decision(allowed: true, limit: 0, remaining: 0, retryAfterSeconds: 0) }
        let time = now()
        let perSecond = self.perSecond
        return state.withLock { state in
            var bucket = state.buckets[caller] ?? Bucket(tokens: capacity, updated: time)
            bucket.tokens = min(capacity, bucket.tokens + max(0, time - bucket.updated) * perSecond)
            bucket.updated = time
            let decision: Decision
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                decision = Decision(allowed: true, limit: rate.limit, remaining: Int(bucket.tokens), retryAfterSeconds: 0)
            } else {
                let wait = (1 - bucket.tokens) / perSecond
                decision = Decision(allowed: false, limit: rate.limit, remaining: 0, retryAfterSeconds: max(1, Int(wait.rounded(.up))))
            }
            if state.buckets[caller] == nil && state.buckets.count >= maxCallers {
                Self.evict(&state, maxCallers: maxCallers, at: time, capacity: capacity, perSecond: perSecond)
            }
            state.buckets[caller] = bucket
            return decision
        }
    }

    /// Callers with a bucket (for tests and diagnostics).
    package var trackedCallers: Int { state.withLock { $0.buckets.count } }

    /// Makes room for at least one caller: drops every refilled bucket (one full again is the
    /// same as none), and if that frees nothing, the least recently seen tenth.
    private static func evict(_ state: inout State, maxCallers: Int, at time: Double, capacity: Double, perSecond: Double) {
        state.buckets = state.buckets.filter { $0.value.tokens + (time - $0.value.updated) * perSecond < capacity }
        guard state.buckets.count >= maxCallers else { return }
        let oldest = state.buckets.sorted { $0.value.updated < $1.value.updated }.prefix(max(1, state.buckets.count / 10))
        for (caller, _) in oldest { state.buckets[caller] = nil }
    }
}

extension Duration {
    /// Whole and fractional seconds.
    package var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
