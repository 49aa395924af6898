/// How long to wait before the next try of something that failed for a passing reason: an
/// exponential ceiling with a random part taken off, so callers that failed together do not
/// all come back at the same instant.
///
/// The defaults are the Anthropic and OpenAI SDKs' own: `min(0.5 s · 2ⁿ⁻¹, 8 s)`, less up to
/// a quarter at random.
public struct Backoff: Sendable, Hashable {
    /// The ceiling of the first retry's wait.
    public var initial: Duration
    /// Each further retry's ceiling is the previous one times this.
    public var multiplier: Double
    /// No ceiling grows past this.
    public var maximum: Duration
    /// The share of the ceiling that may be taken off at random, from 0 (no jitter, always the
    /// ceiling) to 1 (anything from zero to the ceiling). Values outside 0…1 are clamped.
    public var jitter: Double

    public init(
        initial: Duration = .milliseconds(500), multiplier: Double = 2, maximum: Duration = .seconds(8),
        jitter: Double = 0.25
    ) {
        self.initial = initial
        self.multiplier = multiplier
        self.maximum = maximum
        self.jitter = jitter
    }

    /// The longest wait before retry number `retry` (1 for the first retry); 0 or less counts as 1.
    public func ceiling(forRetry retry: Int) -> Duration {
        let initialSeconds = Self.seconds(initial)
        let maximumSeconds = Self.seconds(maximum)
        // The exponent is capped so that a retry count in the thousands cannot overflow to
        // infinity (or NaN with a multiplier below 1) before the cap applies.
        let exponent = Double(min(max(retry, 1) - 1, 64))
        let grown = initialSeconds * Self.power(max(multiplier, 0), exponent)
        let bounded = grown.isFinite ? min(grown, maximumSeconds) : maximumSeconds
        return .seconds(max(0, bounded))
    }

    /// The wait before retry number `retry`: the ceiling less a random share of at most `jitter`.
    /// The result always lies in `(1 − jitter) · ceiling … ceiling`.
    public func delay(forRetry retry: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        let ceiling = Self.seconds(ceiling(forRetry: retry))
        let share = min(max(jitter, 0), 1)
        let unit = Double.random(in: 0..<1, using: &generator)
        return .seconds(ceiling * (1 - share * unit))
    }

    private static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    private static func power(_ base: Double, _ exponent: Double) -> Double {
        var result = 1.0
        var remaining = Int(exponent)
        while remaining > 0 && result.isFinite {
            result *= base
            remaining -= 1
        }
        return result
    }
}

/// A small, fast, seedable generator (SplitMix64): the same seed gives the same sequence, so
/// tests of jittered waits are repeatable. Not for anything secret.
public struct SeededRandomNumberGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        self.state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
