/// Percentiles of a set of durations, in milliseconds: what a benchmark figure reports.
public struct LatencySummary: Sendable, Hashable {
    /// The samples, in milliseconds, sorted.
    public let sorted: [Double]

    public init(_ samples: [Duration]) {
        sorted = samples.map(\.benchmarkMilliseconds).sorted()
    }

    public init(milliseconds samples: [Double]) {
        sorted = samples.sorted()
    }

    public var count: Int { sorted.count }

    /// The nearest-rank percentile (`p` in 0…100); NaN without samples.
    public func percentile(_ p: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank - 1, 0), sorted.count - 1)]
    }

    public var p50: Double { percentile(50) }
    public var p95: Double { percentile(95) }
    public var p99: Double { percentile(99) }
    public var mean: Double { sorted.isEmpty ? .nan : sorted.reduce(0, +) / Double(sorted.count) }
}

extension Duration {
    /// The duration in milliseconds, with sub-microsecond precision.
    public var benchmarkMilliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}
