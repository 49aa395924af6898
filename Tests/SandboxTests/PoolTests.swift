import DockerEngine
import Foundation
import Sandbox
import TestSupport
import Testing

@Suite("Warm pool logic on an in-memory backend", .timeLimit(.minutes(1)))
struct PoolTests {
    static let fast = WarmPool.Configuration(maxConcurrentCreates: 2, initialBackoff: .milliseconds(50), maxBackoff: .milliseconds(400))

    @Test("start fills every target to its size, with pool labels, at most two creations at a time")
    func fills() async throws {
        let backend = PoolFakeBackend()
        backend.setCreateDelay(.milliseconds(20))
        let pool = WarmPool(
            backend: backend, targets: [PoolTarget(image: "base", size: 3), PoolTarget(image: "python", size: 2)],
            configuration: Self.fast)
        await pool.start()
        let creatingAtStart = await pool.statistics.targets.map(\.creating).reduce(0, +)
        #expect(creatingAtStart == 2)
        #expect(await pool.waitUntilFull(timeout: .seconds(60)))
        let statistics = await pool.statistics
        #expect(statistics.targets.map(\.ready) == [3, 2])
        #expect(statistics.targets.map(\.target.image) == ["sandcastle/base:latest", "sandcastle/python:latest"])
        #expect(backend.created == 5)
        let specs = backend.state.withLock { $0.specs }
        #expect(specs.allSatisfy { $0.labels[SandcastleLabels.pool] == "true" && $0.profile == "default" })
        #expect(specs.contains { $0.labels[SandcastleLabels.poolTarget] == "sandcastle/python:latest|default" })
        await pool.drain()
    }

    @Test("a hit hands out a ready sandbox and starts a refill")
    func refillAfterAcquire() async throws {
        let backend = PoolFakeBackend()
        let pool = WarmPool(backend: backend, targets: [PoolTarget(image: "base", size: 2)], configuration: Self.fast)
        await pool.start()
        #expect(await pool.waitUntilFull(timeout: .seconds(60)))
        let acquisition = try await pool.acquire(SandboxSpec(image: "sandcastle/base"))
        #expect(acquisition.hit)
        #expect(await eventually { await pool.statistics.targets[0].ready == 2 })
        #expect(backend.created == 3)
        let statistics = await pool.statistics.targets[0]
        #expect(statistics.hits == 1 && statistics.misses == 0)
        try await acquisition.instance.destroy()
        await pool.drain()
    }

    @Test("names are normalised: base, sandcastle/base and sandcastle/base:latest are one pool")
    func normalisation() async throws {
        let backend = PoolFakeBackend()
        let pool = WarmPool(backend: backend, targets: [PoolTarget(image: "sandcastle/base", size: 3)], configuration: Self.fast)
        await pool.start()
        #expect(await pool.waitUntilFull(timeout: .seconds(60)))
        for image in ["base", "sandcastle/base", "sandcastle/base:latest"] {
            let acquisition = try await pool.acquire(SandboxSpec(image: image))
            #expect(acquisition.hit, "\(image)")
        }
        await pool.drain()
    }

    @Test(
        "specs the pool cannot serve are created cold through the backend",
        arguments: [
            SandboxSpec(image: "base", workspace: "named"),
            SandboxSpec(image: "base", network: .bridge),
            SandboxSpec(image: "base", memoryBytes: 1 << 28),
            SandboxSpec(image: "base", nanoCPUs: 500_000_000),
            SandboxSpec(image: "base", labels: ["sandcastle.step": "a"]),
            SandboxSpec(image: "base", environment: ["NOT-A-NAME": "1"]),
            SandboxSpec(image: "python"),
            SandboxSpec(image: "base", profile: "strict"),
        ])
    func notPoolable(spec: SandboxSpec) async throws {
        let backend = PoolFakeBackend()
        let pool = WarmPool(backend: backend, targets: [PoolTarget(image: "base", size: 1)], configuration: Self.fast)
        await pool.start()
        #expect(await pool.waitUntilFull(timeout: .seconds(60)))
        let acquisition = try await pool.acquire(spec)
        #expect(!acquisition.hit)
        #expect(!(acquisition.instance is PooledSandbox))
        // The backend got the caller's spec untouched, not the pool's.
        let last = backend.state.withLock { $0.specs.last }
        #expect(last?.labels[SandcastleLabels.pool] == nil)
        #expect(last?.image == spec.image && last?.workspace == spec.workspace && last?.labels == spec.labels)
        let statistics = await pool.statistics
        #expect(statistics.unpooled == 1)
        #expect(statistics.targets[0].ready == 1 && statistics.targets[0].hits == 0)
        await pool.drain()
    }

    @Test("an empty pool is a miss, served cold")
    func emptyPoolMiss() async throws {
        let backend = PoolFakeBackend()
        let pool = WarmPool(backend: backend, targets: [PoolTarget(image: "base", size: 1)], configuration: Self.fast)
        // Never started: nothing is ready.
        let acquisition = try await pool.acquire(SandboxSpec(image: "base"))
        #expect(!acquisition.hit)
        let statistics = await pool.statistics.targets[0]
        #expect(statistics.misses == 1 && statistics.hits == 0)
        #expect(backend.created == 1)
    }

    @Test("failing creations are logged and back off instead of spinning; the pool fills once they succeed")
    func backoff() async throws {
        let backend = PoolFakeBackend()
        backend.setFailing(true)
        let lines = LogLines()
        let pool = WarmPool(backend: backend, targets: [PoolTarget(image: "base", size: 2)], configuration: Self.fast, log: lines.sink)
        await pool.start()
        // Without back-off this would be thousands; with 50, 100, 200, 400 ms steps it is a handful.
        // Waiting for the third attempt (not a fixed window) keeps a loaded machine from failing it.
        let start = ContinuousClock.now
        #expect(await eventually { backend.attempts >= 3 })
        let elapsed = ContinuousClock.now - start
        try await Task.sleep(for: .milliseconds(300))
        let attempts = backend.attempts
        #expect(attempts <= 12, "\(attempts) attempts in \(elapsed) + 300 ms")
        let statistics = await pool.statistics.targets[0]
        #expect(statistics.failures == attempts)
        #expect(statistics.ready == 0)
        #expect(statistics.lastError?.contains("not in the fake engine") == true)
        #expect(lines.all.count == attempts)
        #expect(lines.all.first?.contains("cannot create a sandbox for sandcastle/base:latest (profile default)") == true)
        #expect(lines.all.first?.contains("retrying in 50 ms") == true)

        backend.setFailing(false)
        #expect(await pool.waitUntilFull(timeout: .seconds(60)))
        #expect(await pool.statistics.targets[0].lastError == nil)
        await pool.drain()
    }

    @Test("one failing target does not keep another from filling")
    func failingTargetIsolated() async throws {
        let backend = FailingImageBackend(failingImage: "sandcastle/missing:latest")
        let pool = WarmPool(
            backend: backend, targets: [PoolTarget(image: "sandcastle/missing", size: 2), PoolTarget(image: "base", size: 2)],
            configuration: Self.fast, log: { _ in })
        await pool.start()
        #expect(await eventually { await pool.statistics.targets[1].ready == 2 })
        #expect(await pool.statistics.targets[0].failures >= 1)
        await pool.drain()
    }

    @Test("drain destroys ready sandboxes and ones still being created, and stops refilling")
    func drain() async throws {
        let backend = PoolFakeBackend()
        let pool = WarmPool(backend: backend, targets: [PoolTarget(image: "base", size: 3)], configuration: Self.fast)
        await pool.start()
        #expect(await pool.waitUntilFull(timeout: .seconds(60)))
        // The refill is slow: drain must wait for it and destroy what it makes.
        // Slow enough that a loaded machine still sees the refill in flight.
        backend.setCreateDelay(.seconds(2))
        let held = try await pool.acquire(SandboxSpec(image: "base"))
        #expect(await eventually { await pool.statistics.targets[0].creating >= 1 })
        await pool.drain()
        #expect(backend.live == 1, "only the handed-out sandbox is left")
        #expect(!backend.destroyed.contains(held.instance.id))
        let statistics = await pool.statistics.targets[0]
        #expect(statistics.ready == 0 && statistics.creating == 0)
        let created = backend.created
        try await Task.sleep(for: .milliseconds(300))
        #expect(backend.created == created, "no refill after drain")
        // After a drain the pool still serves, cold.
        let cold = try await pool.acquire(SandboxSpec(image: "base"))
        #expect(!cold.hit)
    }

    @Test("the spec's environment reaches the shell once, and every spawn and terminal")
    func environmentApplied() async throws {
        let backend = PoolFakeBackend()
        let pool = WarmPool(backend: backend, targets: [PoolTarget(image: "base", size: 1)], configuration: Self.fast)
        await pool.start()
        #expect(await pool.waitUntilFull(timeout: .seconds(60)))
        let environment = ["GREETING": "it's $HOME", "A": "1", "PROMPT_COMMAND": "evil", "TERM": "vt100"]
        let acquisition = try await pool.acquire(SandboxSpec(image: "base", environment: environment))
        #expect(acquisition.hit)
        let pooled = try #require(acquisition.instance as? PooledSandbox)
        let fake = try #require(backend.instance(pooled.id))
        // Exported at hand-out; names the runner keeps from its shell are not.
        #expect(fake.commands == ["export A='1'\nexport GREETING='it'\\''s $HOME'\n"])
        _ = try await pooled.run("echo one")
        _ = try await pooled.run("echo two")
        #expect(fake.commands.count == 3, "exported once, not per command")

        _ = try await pooled.run(.arguments(["env"], environment: ["A": "2"])).collect()
        let spawned = try #require(fake.spawns.first)
        // The request's own A=2 wins over the spec's A=1 (the runner applied later entries last).
        #expect(spawned.environment == ["A": "2", "GREETING": "it's $HOME", "PROMPT_COMMAND": "evil", "TERM": "vt100"])
        _ = try await pooled.openTerminal(TerminalRequest()).collect()
        #expect(fake.terminals.first?.environment == ["A": "1", "GREETING": "it's $HOME", "PROMPT_COMMAND": "evil", "TERM": "vt100"])

        // A shell that exits is replaced by the runner without the exports: they are made again.
        let error = await #expect(throws: SandboxError.self) { _ = try await pooled.run("exit") }
        #expect(error?.code == .shellExited)
        _ = try await pooled.run("echo three")
        #expect(Array(fake.commands.suffix(2)) == [fake.commands[0], "echo three"])
        await pool.drain()
    }

    @Test("controls of a pooled sandbox's shell exec reach the process")
    func controlsForwarded() async throws {
        let backend = PoolFakeBackend()
        let pool = WarmPool(backend: backend, targets: [PoolTarget(image: "base", size: 1)], configuration: Self.fast)
        await pool.start()
        #expect(await pool.waitUntilFull(timeout: .seconds(60)))
        let pooled = try #require(try await pool.acquire(SandboxSpec(image: "base", environment: ["A": "1"])).instance as? PooledSandbox)
        let process = try await pooled.run(.shell("cat"))
        try await process.write([1, 2])
        try await process.closeInput()
        try await process.resize(TerminalSize(rows: 10, columns: 20))
        try await process.signal(2)
        try await process.cancel()
        let fake = try #require(backend.instance(pooled.id))
        #expect(fake.controls == [.input([1, 2]), .input([]), .resize(TerminalSize(rows: 10, columns: 20)), .signal(2), .cancel])
        await pool.drain()
    }

    @Test("without environment a hit is the backend's own instance")
    func noEnvironmentNoWrapper() async throws {
        let backend = PoolFakeBackend()
        let pool = WarmPool(backend: backend, targets: [PoolTarget(image: "base", size: 1)], configuration: Self.fast)
        await pool.start()
        #expect(await pool.waitUntilFull(timeout: .seconds(60)))
        let acquisition = try await pool.acquire(SandboxSpec(image: "base"))
        #expect(acquisition.hit && acquisition.instance is PoolFakeInstance)
        #expect(backend.instance(acquisition.instance.id)?.commands == [])
        await pool.drain()
    }

    @Test("a pooled sandbox that died while waiting is destroyed and the next one serves")
    func deadAtHandOut() async throws {
        let backend = PoolFakeBackend()
        let lines = LogLines()
        let pool = WarmPool(backend: backend, targets: [PoolTarget(image: "base", size: 2)], configuration: Self.fast, log: lines.sink)
        await pool.start()
        #expect(await pool.waitUntilFull(timeout: .seconds(60)))
        backend.instance("fake-1")?.kill()
        let acquisition = try await pool.acquire(SandboxSpec(image: "base"))
        #expect(acquisition.hit && acquisition.instance.id == "fake-2")
        #expect(await eventually { backend.destroyed.contains("fake-1") })
        #expect(await pool.statistics.targets[0].failures == 1)
        #expect(lines.all.contains { $0.contains("fake-1") && $0.contains("failed its hand-out check") })
        await pool.drain()
    }

    @Test("a pooled sandbox that stopped answering is given up after the hand-out timeout")
    func wedgedAtHandOut() async throws {
        let backend = PoolFakeBackend()
        var configuration = Self.fast
        configuration.handOutTimeout = .milliseconds(100)
        let pool = WarmPool(backend: backend, targets: [PoolTarget(image: "base", size: 2)], configuration: configuration, log: { _ in })
        await pool.start()
        #expect(await pool.waitUntilFull(timeout: .seconds(60)))
        backend.instance("fake-1")?.hang()
        let start = ContinuousClock.now
        let acquisition = try await pool.acquire(SandboxSpec(image: "base"))
        #expect(acquisition.hit && acquisition.instance.id == "fake-2")
        #expect(ContinuousClock.now - start < .seconds(30), "gave up on the wedged sandbox instead of waiting on it forever")
        #expect(await eventually { backend.destroyed.contains("fake-1") })
        #expect(await pool.statistics.targets[0].failures == 1)
        await pool.drain()
    }

    @Test("concurrent acquires never hand out one sandbox twice")
    func concurrentAcquires() async throws {
        let backend = PoolFakeBackend()
        let pool = WarmPool(
            backend: backend, targets: [PoolTarget(image: "base", size: 8)],
            configuration: WarmPool.Configuration(maxConcurrentCreates: 4))
        await pool.start()
        #expect(await pool.waitUntilFull(timeout: .seconds(60)))
        let acquisitions = try await withThrowingTaskGroup(of: PoolAcquisition.self) { group in
            for index in 0..<40 {
                group.addTask { try await pool.acquire(SandboxSpec(image: "base", environment: index % 2 == 0 ? [:] : ["N": "\(index)"])) }
            }
            var all: [PoolAcquisition] = []
            for try await acquisition in group { all.append(acquisition) }
            return all
        }
        let ids = acquisitions.map(\.instance.id)
        #expect(Set(ids).count == 40)
        let hits = acquisitions.filter(\.hit).count
        let statistics = await pool.statistics.targets[0]
        #expect(hits >= 8 && statistics.hits == hits && statistics.misses == 40 - hits)
        await pool.drain()
        #expect(backend.live == 40)
    }

    @Test("the pool is a backend: create is acquire")
    func poolAsBackend() async throws {
        let backend = PoolFakeBackend()
        let pool = WarmPool(backend: backend, targets: [PoolTarget(image: "base", size: 1)], configuration: Self.fast)
        await pool.start()
        #expect(await pool.waitUntilFull(timeout: .seconds(60)))
        let asBackend: any SandboxBackend = pool
        #expect(asBackend.name == "pool-fake+pool")
        _ = try await asBackend.create(SandboxSpec(image: "base"))
        #expect(await pool.statistics.targets[0].hits == 1)
        await pool.drain()
    }

    @Test("poolability: shell-exportable names, no labels")
    func poolability() {
        #expect(WarmPool.whyNotPoolable(SandboxSpec(environment: ["_ok9": "x"])) == nil)
        #expect(WarmPool.whyNotPoolable(SandboxSpec(environment: ["9bad": "x"])) != nil)
        #expect(WarmPool.whyNotPoolable(SandboxSpec(labels: ["a": "b"])) == "it needs labels on the container")
    }
}

/// Fails creations of one image only.
final class FailingImageBackend: SandboxBackend {
    let name = "failing-image"
    let failingImage: String
    let inner = PoolFakeBackend()
    init(failingImage: String) { self.failingImage = failingImage }

    func create(_ spec: SandboxSpec) async throws -> any SandboxInstance {
        if spec.image == failingImage { throw SandboxError(.imageNotFound, "no \(spec.image)") }
        return try await inner.create(spec)
    }
}
