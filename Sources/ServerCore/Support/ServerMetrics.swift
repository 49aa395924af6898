import Metrics
import Prometheus
import Synchronization

/// The server's Prometheus registry, rendered at `/metrics`.
///
/// Each server has its own registry, never the process-wide `MetricsSystem` (tests start many
/// servers in one process). Code that does the work declares its swift-metrics `Counter` or
/// `Timer` with ``factory`` (exec latency and creates in ``SandboxService``, errors here for the
/// two error middlewares); ``render(sandboxes:pools:transfers:)`` adds the figures only known at scrape time.
public final class ServerMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    /// Makes swift-metrics objects that report into ``registry``.
    let factory: PrometheusMetricsFactory
    /// A scrape sets the scrape-time series, then emits; one at a time, so two scrapes cannot
    /// interleave a pool counter's reset and refill.
    private let scrape = Mutex(())

    public init() {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Execs run from milliseconds up to the longest command timeouts.
        factory.durationHistogramBuckets["sandcastle_exec_duration_seconds"] = [
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
            .seconds(30), .seconds(60),
        ]
        self.registry = registry
        self.factory = factory
    }

    /// Counts an API error reported to a client, by its code.
    package func recordError(_ code: ServerError.Code) {
        Metrics.Counter(label: "sandcastle_errors_total", dimensions: [("code", code.description)], factory: factory).increment()
    }

    /// Counts a connection the server closed because its client was too slow or had too many
    /// open (`reason`: `idle_timeout`, `head_timeout`, `body_timeout`, `too_many_connections`,
    /// `malformed_head`).
    package func recordConnectionClosed(reason: String) {
        Metrics.Counter(label: "sandcastle_connections_closed_total", dimensions: [("reason", reason)], factory: factory).increment()
    }

    /// How many errors with `code` were reported so far.
    public func errorCount(_ code: ServerError.Code) -> Int {
        // The registry shows its values only as exposition text.
        var bytes: [UInt8] = []
        registry.emit(into: &bytes)
        let prefix = "sandcastle_errors_total{code=\"\(code.description)\"} "
        let line = String(decoding: bytes, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix(prefix) }
        return line.flatMap { Int($0.dropFirst(prefix.count)) } ?? 0
    }

    /// The exposition text. `sandboxes` is the live count by status, `pools` the pool's figures,
    /// `transfers` the file transfers under way and waiting for a turn (``TransferGate``).
    package func render(sandboxes: [String: Int], pools: [PoolFigures], transfers: (active: Int, waiting: Int) = (0, 0)) -> String {
        scrape.withLock { _ in
            Metrics.Gauge(label: "sandcastle_transfers_active", factory: factory).record(transfers.active)
            Metrics.Gauge(label: "sandcastle_transfers_waiting", factory: factory).record(transfers.waiting)
            for status in ["creating", "running"] {
                Metrics.Gauge(label: "sandcastle_sandboxes_active", dimensions: [("status", status)], factory: factory)
                    .record(sandboxes[status] ?? 0)
            }
            for pool in pools {
                let labels = [("image", pool.image), ("profile", pool.profile)]
                Metrics.Gauge(label: "sandcastle_pool_size", dimensions: labels, factory: factory).record(pool.ready)
                Metrics.Gauge(label: "sandcastle_pool_target", dimensions: labels, factory: factory).record(pool.target)
                // The pool counts its own hits and misses (its statistics are the truth, also for the
                // CLI); the counters take their totals.
                for (label, total) in [("sandcastle_pool_hits_total", pool.hits), ("sandcastle_pool_misses_total", pool.misses)] {
                    let counter = Metrics.Counter(label: label, dimensions: labels, factory: factory)
                    counter.reset()
                    counter.increment(by: total)
                }
            }
            var bytes: [UInt8] = []
            registry.emit(into: &bytes)
            return String(decoding: bytes, as: UTF8.self)
        }
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
}
