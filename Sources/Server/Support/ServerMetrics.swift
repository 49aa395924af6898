import Foundation
import Synchronization

/// Counters and histograms for `/metrics`, rendered in the Prometheus text format.
///
/// A few lines of text format instead of swift-metrics + swift-prometheus: the server owns
/// every series it exports, so a `Mutex` around plain numbers is all it takes.
public final class ServerMetrics: Sendable {
    /// Exec latency buckets, in seconds.
    static let execBuckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

    private struct State {
        var errors: [String: Int] = [:]
        var execBucketCounts = [Int](repeating: 0, count: ServerMetrics.execBuckets.count)
        var execCount = 0
        var execSum = 0.0
        var created = 0
        var createdFromPool = 0
    }

    private let state = Mutex(State())

    public init() {}

    func recordError(_ code: ServerError.Code) {
        state.withLock { $0.errors[code.description, default: 0] += 1 }
    }

    func recordExec(seconds: Double) {
        state.withLock { s in
            s.execCount += 1
            s.execSum += seconds
            for (index, bound) in Self.execBuckets.enumerated() where seconds <= bound { s.execBucketCounts[index] += 1 }
        }
    }

    func recordCreate(fromPool: Bool) {
        state.withLock { s in
            s.created += 1
            if fromPool { s.createdFromPool += 1 }
        }
    }

    /// How many errors with `code` were reported so far.
    public func errorCount(_ code: ServerError.Code) -> Int { state.withLock { $0.errors[code.description] ?? 0 } }

    /// The exposition text. `sandboxes` is the live count by status, `pools` the pool's figures.
    func render(sandboxes: [String: Int], pools: [PoolFigures]) -> String {
        let s = state.withLock { $0 }
        var out = ""
        func line(_ text: String) { out += text + "\n" }
        line("# HELP sandcastle_sandboxes_active Sandboxes the server tracks, by status.")
        line("# TYPE sandcastle_sandboxes_active gauge")
        for status in ["creating", "running"] {
            line("sandcastle_sandboxes_active{status=\"\(status)\"} \(sandboxes[status] ?? 0)")
        }
        line("# HELP sandcastle_sandboxes_created_total Sandboxes handed out, and how many came from the warm pool.")
        line("# TYPE sandcastle_sandboxes_created_total counter")
        line("sandcastle_sandboxes_created_total{source=\"cold\"} \(s.created - s.createdFromPool)")
        line("sandcastle_sandboxes_created_total{source=\"pool\"} \(s.createdFromPool)")
        line("# HELP sandcastle_pool_size Ready sandboxes in the warm pool, per image and profile.")
        line("# TYPE sandcastle_pool_size gauge")
        for pool in pools { line("sandcastle_pool_size{\(pool.labels)} \(pool.ready)") }
        line("# HELP sandcastle_pool_target Configured warm pool size, per image and profile.")
        line("# TYPE sandcastle_pool_target gauge")
        for pool in pools { line("sandcastle_pool_target{\(pool.labels)} \(pool.target)") }
        line("# HELP sandcastle_pool_hits_total Creates served from the warm pool.")
        line("# TYPE sandcastle_pool_hits_total counter")
        for pool in pools { line("sandcastle_pool_hits_total{\(pool.labels)} \(pool.hits)") }
        line("# HELP sandcastle_pool_misses_total Creates the warm pool could not serve (cold starts).")
        line("# TYPE sandcastle_pool_misses_total counter")
        for pool in pools { line("sandcastle_pool_misses_total{\(pool.labels)} \(pool.misses)") }
        line("# HELP sandcastle_exec_duration_seconds Time from exec request to the command's exit.")
        line("# TYPE sandcastle_exec_duration_seconds histogram")
        for (index, bound) in Self.execBuckets.enumerated() {
            line("sandcastle_exec_duration_seconds_bucket{le=\"\(Self.format(bound))\"} \(s.execBucketCounts[index])")
        }
        line("sandcastle_exec_duration_seconds_bucket{le=\"+Inf\"} \(s.execCount)")
        line("sandcastle_exec_duration_seconds_sum \(s.execSum)")
        line("sandcastle_exec_duration_seconds_count \(s.execCount)")
        line("# HELP sandcastle_errors_total API errors reported to clients, by code.")
        line("# TYPE sandcastle_errors_total counter")
        for (code, count) in s.errors.sorted(by: { $0.key < $1.key }) {
            line("sandcastle_errors_total{code=\"\(code)\"} \(count)")
        }
        return out
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}

/// One warm pool's figures, as `/metrics` reports them (the server's view of the pool's statistics).
public struct PoolFigures: Sendable, Hashable {
    public var image: String
    public var profile: String
    public var target: Int
    public var ready: Int
    public var hits: Int
    public var misses: Int

    public init(image: String, profile: String, target: Int, ready: Int, hits: Int, misses: Int) {
        self.image = image
        self.profile = profile
        self.target = target
        self.ready = ready
        self.hits = hits
        self.misses = misses
    }

    var labels: String { "image=\"\(image)\",profile=\"\(profile)\"" }
}
