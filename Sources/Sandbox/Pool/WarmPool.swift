import Foundation

/// Sandboxes created ahead of demand, per image and isolation profile, so that a request
/// gets a running sandbox in about a millisecond instead of a container start.
///
/// A pooled sandbox is indistinguishable from a cold one to its user: its container, runner,
/// shell and anonymous `/workspace` volume were made for it alone and nothing ran in them;
/// the spec's environment is applied at hand-out (``PooledSandbox``). What differs is only
/// visible from the engine: the container carries ``SandcastleLabels/pool`` and
/// ``SandcastleLabels/poolTarget``, and not the spec's environment.
///
/// `start()` fills every target in the background, at most
/// ``Configuration/maxConcurrentCreates`` creations at a time; each hand-out starts a refill.
/// A failing creation (a missing image, an engine error) is logged and its target backs off
/// exponentially, so a broken target never spins and never blocks the others. `drain()`
/// destroys whatever is ready or being created and stops refilling.
///
/// The pool is also a ``SandboxBackend``: `create` is `acquire(_:).instance`, so anything
/// that takes a backend can take the pool.
public actor WarmPool: SandboxBackend {
    /// How the pool fills.
    public struct Configuration: Sendable {
        /// Creations in flight at once, over all targets (container starts compete for CPU).
        public var maxConcurrentCreates: Int
        /// The wait after a target's first failed creation; doubled per further failure.
        public var initialBackoff: Duration
        public var maxBackoff: Duration
        /// Passed to the backend for pooled creations.
        public var readyTimeout: Duration
        /// How long a refill started by a hand-out waits before creating. A creation is CPU
        /// work here and in the engine (config encoding, container setup), and on a small machine
        /// it would otherwise compete with the hand-out and the holder's first commands, which
        /// take about a millisecond; a creation itself takes over 100 ms, so the pool barely notices.
        public var refillDelay: Duration
        /// How long a hand-out may take to prove the sandbox answers (the environment export,
        /// or a `stat` for backends other than Docker) before the sandbox counts as dead.
        public var handOutTimeout: Duration
        /// Extra labels on every pooled container, e.g. the id of the server that owns the pool,
        /// so its stale containers can be told from another server's
        /// (``DockerSandboxBackend/removeStalePooledSandboxes(keeping:labels:)``).
        public var labels: [String: String]

        public init(
            maxConcurrentCreates: Int = 2, initialBackoff: Duration = .seconds(1), maxBackoff: Duration = .seconds(60),
            readyTimeout: Duration = .seconds(30), refillDelay: Duration = .milliseconds(25),
            handOutTimeout: Duration = .seconds(5), labels: [String: String] = [:]
        ) {
            self.maxConcurrentCreates = max(1, maxConcurrentCreates)
            self.initialBackoff = initialBackoff
            self.maxBackoff = maxBackoff
            self.readyTimeout = readyTimeout
            self.refillDelay = refillDelay
            self.handOutTimeout = handOutTimeout
            self.labels = labels
        }
    }

    /// Receives one line per notable event (failed creations with their back-off, dead
    /// sandboxes found at hand-out, failures while draining).
    public typealias Log = @Sendable (String) -> Void

    public nonisolated let name: String
    /// Where sandboxes come from, pooled or cold.
    public nonisolated let backend: any SandboxBackend
    public nonisolated let configuration: Configuration
    private let images: ImageCatalog
    private let log: Log

    private struct Slot {
        var target: PoolTarget
        var ready: [any SandboxInstance] = []
        var creating = 0
        var hits = 0
        var misses = 0
        var failures = 0
        var consecutiveFailures = 0
        var retryAt: ContinuousClock.Instant?
        var lastError: String?
    }

    private var slots: [PoolKey: Slot] = [:]
    /// Targets in configuration order; filling walks them round-robin from `nextSlot`.
    private var order: [PoolKey] = []
    private var nextSlot = 0
    private var unpooled = 0
    private var filling = false
    private var inFlight = 0
    private var nextTaskID: UInt64 = 0
    private var createTasks: [UInt64: Task<Void, Never>] = [:]
    private var retryTasks: [PoolKey: Task<Void, Never>] = [:]
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []

    /// - Parameters:
    ///   - targets: what to keep ready; targets naming the same image and profile are merged (sizes add up).
    ///   - log: where failures are reported; standard error by default.
    public init(
        backend: any SandboxBackend, targets: [PoolTarget], configuration: Configuration = Configuration(),
        images: ImageCatalog = ImageCatalog(), log: @escaping Log = WarmPool.standardErrorLog
    ) {
        self.name = "\(backend.name)+pool"
        self.backend = backend
        self.configuration = configuration
        self.images = images
        self.log = log
        for target in targets where target.size > 0 {
            let key = PoolKey(image: target.image, profile: target.profile, images: images)
            if slots[key] != nil {
                slots[key]?.target.size += target.size
            } else {
                slots[key] = Slot(target: PoolTarget(image: key.image, profile: key.profile, size: target.size))
                order.append(key)
            }
        }
    }

    /// Writes a log line to standard error, prefixed so it can be told from command output.
    public static let standardErrorLog: Log = { line in
        FileHandle.standardError.write(Data("sandcastle: warm pool: \(line)\n".utf8))
    }

    // MARK: filling

    /// Starts filling every target in the background; returns at once. Calling it again
    /// (also after ``drain()``) resumes filling.
    public func start() {
        filling = true
        fill()
    }

    /// Starts creations while there is room for them and a target below its size that is
    /// not backing off.
    private func fill(after delay: Duration = .zero) {
        guard filling else { return }
        while inFlight < configuration.maxConcurrentCreates, let key = nextTargetToFill() {
            slots[key]?.creating += 1
            inFlight += 1
            nextTaskID += 1
            let taskID = nextTaskID
            let spec = poolSpec(for: key)
            let backend = self.backend
            createTasks[taskID] = Task {
                let result: Result<any SandboxInstance, any Error>
                do {
                    if delay > .zero { try await Task.sleep(for: delay) }
                    result = .success(try await backend.create(spec))
                } catch {
                    result = .failure(error)
                }
                let kept = self.created(key, result)
                if case .success(let instance) = result, !kept {
                    // Drained while it was being made: it must not outlive the pool.
                    try? await instance.destroy()
                }
                // Only now does the slot count as free, so a drain waits for the destroy above.
                self.createTaskEnded(taskID)
            }
        }
    }

    private func nextTargetToFill() -> PoolKey? {
        let now = ContinuousClock.now
        for offset in 0..<order.count {
            let index = (nextSlot + offset) % order.count
            guard let slot = slots[order[index]] else { continue }
            if slot.ready.count + slot.creating >= slot.target.size { continue }
            if let retryAt = slot.retryAt, retryAt > now { continue }
            nextSlot = (index + 1) % order.count
            return order[index]
        }
        return nil
    }

    private func poolSpec(for key: PoolKey) -> SandboxSpec {
        var labels = configuration.labels
        labels[SandcastleLabels.pool] = "true"
        labels[SandcastleLabels.poolTarget] = key.description
        return SandboxSpec(image: key.image, profile: key.profile, labels: labels, readyTimeout: configuration.readyTimeout)
    }

    /// Records a finished creation; false when the sandbox is not wanted any more (draining).
    @discardableResult
    private func created(_ key: PoolKey, _ result: Result<any SandboxInstance, any Error>) -> Bool {
        slots[key]?.creating -= 1
        switch result {
        case .success(let instance):
            guard filling else { return false }
            slots[key]?.ready.append(instance)
            slots[key]?.consecutiveFailures = 0
            slots[key]?.retryAt = nil
            slots[key]?.lastError = nil
            return true
        case .failure(let error):
            // Cancellation is drain's doing, not the target's fault.
            guard filling, var slot = slots[key] else { return false }
            slot.failures += 1
            slot.consecutiveFailures += 1
            let delay = backoff(after: slot.consecutiveFailures)
            slot.retryAt = .now + delay
            slot.lastError = "\(error)"
            slots[key] = slot
            log(
                "cannot create a sandbox for \(slot.target): \(error) (failure \(slot.consecutiveFailures) in a row; "
                    + "retrying in \(Self.seconds(delay)))")
            scheduleRetry(key, after: delay)
            return false
        }
    }

    private func createTaskEnded(_ taskID: UInt64) {
        createTasks[taskID] = nil
        inFlight -= 1
        fill()
        if inFlight == 0 {
            let waiters = idleWaiters
            idleWaiters = []
            for waiter in waiters { waiter.resume() }
        }
    }

    private func backoff(after failures: Int) -> Duration {
        var delay = configuration.initialBackoff
        for _ in 1..<max(1, failures) where delay < configuration.maxBackoff { delay *= 2 }
        return min(delay, configuration.maxBackoff)
    }

    private func scheduleRetry(_ key: PoolKey, after delay: Duration) {
        retryTasks[key]?.cancel()
        retryTasks[key] = Task {
            do { try await Task.sleep(for: delay) } catch { return }
            self.retryDue(key)
        }
    }

    private func retryDue(_ key: PoolKey) {
        retryTasks[key] = nil
        fill()
    }

    private static func seconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let value = Double(seconds) + Double(attoseconds) / 1e18
        return value >= 1 ? "\(Int(value.rounded())) s" : "\(Int((value * 1000).rounded())) ms"
    }

    // MARK: handing out

    /// A sandbox for `spec`: a ready one from the pool when the spec is poolable and its
    /// target has one (a hit), otherwise one created through the backend now (a miss).
    ///
    /// A hit starts a refill, gets the spec's environment (``PooledSandbox``), and is checked
    /// to be alive first (for Docker: its runner channel is open; with an environment, or for
    /// other backends: a runner round trip within ``Configuration/handOutTimeout``); a pooled
    /// sandbox that died while waiting is destroyed, counted as a failure, and the next one (or
    /// a cold creation) serves the request instead.
    public func acquire(_ spec: SandboxSpec) async throws -> PoolAcquisition {
        let key = PoolKey(image: spec.image, profile: spec.profile, images: images)
        guard slots[key] != nil, Self.whyNotPoolable(spec) == nil else {
            unpooled += 1
            return PoolAcquisition(instance: try await backend.create(spec), hit: false)
        }
        while let instance = takeReady(key) {
            fill(after: configuration.refillDelay)
            do {
                let handedOut = try await handOut(instance, environment: spec.environment)
                slots[key]?.hits += 1
                return PoolAcquisition(instance: handedOut, hit: true)
            } catch {
                slots[key]?.failures += 1
                log(
                    "pooled sandbox \(instance.id) for \(slots[key]?.target.description ?? key.description) "
                        + "failed its hand-out check, destroying it: \(error)")
                Task { try? await instance.destroy() }
                if Task.isCancelled { throw SandboxError(.cancelled, "acquiring a sandbox was cancelled", cause: error) }
            }
        }
        slots[key]?.misses += 1
        return PoolAcquisition(instance: try await backend.create(spec), hit: false)
    }

    /// The oldest ready sandbox: all are equally fresh, and a long wait is more likely to
    /// show up (as a dead sandbox) on the one that waited longest.
    private func takeReady(_ key: PoolKey) -> (any SandboxInstance)? {
        guard let slot = slots[key], !slot.ready.isEmpty else { return nil }
        return slots[key]?.ready.removeFirst()
    }

    private func handOut(_ instance: any SandboxInstance, environment: [String: String]) async throws -> any SandboxInstance {
        let timeout = configuration.handOutTimeout
        if instance.isKnownGone {
            throw SandboxError(.sandboxGone, "its runner channel is closed (the container stopped or was removed)")
        }
        if environment.isEmpty {
            // For Docker the open channel is the proof: it closes when the container stops, and the
            // holder's first command is the next round trip anyway. A round trip here would double
            // the hand-out (about 0.5 ms of ~1 ms). Other backends get the cheapest round trip.
            if instance.observesLiveness { return instance }
            _ = try await Self.withDeadline(timeout) { try await instance.stat(path: "/") }
            return instance
        }
        let pooled = PooledSandbox(base: instance, environment: environment)
        // The export goes through the runner too, so it is the proof as well.
        try await Self.withDeadline(timeout) { try await pooled.prepareShell() }
        return pooled
    }

    /// `body`'s result, or a `runnerFailed` error once `timeout` passes (`body` is then cancelled):
    /// a wedged runner must not hold up a request that a cold creation could serve.
    private static func withDeadline<T: Sendable>(_ timeout: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else {
                throw SandboxError(.runnerFailed, "it did not answer within \(Self.seconds(timeout))")
            }
            return value
        }
    }

    /// ``SandboxBackend`` conformance: the sandbox of ``acquire(_:)``.
    public func create(_ spec: SandboxSpec) async throws -> any SandboxInstance {
        try await acquire(spec).instance
    }

    // MARK: shutdown

    /// Stops refilling and destroys every ready sandbox and every one still being created;
    /// returns when none is left. Sandboxes already handed out are their holders' to destroy.
    public func drain() async {
        filling = false
        for task in retryTasks.values { task.cancel() }
        retryTasks = [:]
        for task in createTasks.values { task.cancel() }
        var ready: [any SandboxInstance] = []
        for key in order {
            ready += slots[key]?.ready ?? []
            slots[key]?.ready = []
            slots[key]?.retryAt = nil
            slots[key]?.consecutiveFailures = 0
        }
        let log = self.log
        await withTaskGroup(of: Void.self) { group in
            for instance in ready {
                group.addTask {
                    do {
                        try await instance.destroy()
                    } catch {
                        log("cannot destroy pooled sandbox \(instance.id) while draining: \(error)")
                    }
                }
            }
        }
        if inFlight > 0 {
            await withCheckedContinuation { idleWaiters.append($0) }
        }
    }

    // MARK: observing

    /// Counters per target (in configuration order) for `/metrics`.
    public var statistics: PoolStatistics {
        PoolStatistics(
            targets: order.compactMap { key in
                slots[key].map { slot in
                    PoolTargetStatistics(
                        target: slot.target, ready: slot.ready.count, creating: slot.creating, hits: slot.hits,
                        misses: slot.misses, failures: slot.failures, lastError: slot.lastError)
                }
            },
            unpooled: unpooled)
    }

    /// Waits until every target has its full size ready, or `timeout` passes; true when full.
    /// For start-up (a server that wants a warm pool before it accepts work) and tests.
    public func waitUntilFull(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while true {
            if slots.values.allSatisfy({ $0.ready.count >= $0.target.size }) { return true }
            if ContinuousClock.now >= deadline || Task.isCancelled { return false }
            // Polling keeps fill's paths free of waiter bookkeeping; 10 ms is far below a creation.
            try? await Task.sleep(for: .milliseconds(10))
        }
    }
}
