import DockerEngine
import Foundation
import Sandbox
import SandboxDocker
import TestSupport
import Testing

/// The warm pool against the real engine. Every pool here carries a label unique to the test,
/// so leftovers are counted by it and never confused with another test's containers.
@Suite("Warm pool on a real engine", .serialized, .timeLimit(.minutes(5)))
struct DockerPoolTests {
    static let testLabel = "sandcastle.test.pool"

    static func makePool(
        _ backend: DockerSandboxBackend, size: Int = 2, image: String = SandboxFixture.image,
        log: @escaping WarmPool.Log = WarmPool.standardErrorLog
    ) -> (WarmPool, [String: String]) {
        let labels = [testLabel: "\(UInt64.random(in: 0...UInt64.max))"]
        let pool = WarmPool(
            backend: backend, targets: [PoolTarget(image: image, profile: "default", size: size)],
            configuration: WarmPool.Configuration(
                initialBackoff: .milliseconds(200), maxBackoff: .seconds(2),
                labels: labels),
            log: log)
        return (pool, labels)
    }

    static func containers(_ labels: [String: String], docker: DockerClient) async throws -> [ContainerSummary] {
        try await docker.listContainers(all: true, filters: DockerFilters.labels(labels.map { "\($0.key)=\($0.value)" }))
    }

    static func docker(_ instance: any SandboxInstance) -> DockerSandbox? {
        (instance as? DockerSandbox) ?? ((instance as? PooledSandbox)?.base as? DockerSandbox)
    }

    @Test("a pooled sandbox runs commands with the spec's environment, is fresh, and drain leaves no container")
    func pooledSandbox() async throws {
        let backend = try await SandboxFixture.backend()
        let (pool, labels) = Self.makePool(backend)
        var sandboxIDs: [String] = []
        do {
            await pool.start()
            #expect(await pool.waitUntilFull(timeout: .seconds(60)))
            let pooled = try await Self.containers(labels, docker: backend.docker)
            #expect(pooled.count == 2)
            #expect(pooled.allSatisfy { $0.labels?[SandcastleLabels.pool] == "true" && $0.labels?[SandcastleLabels.managed] == "true" })
            #expect(pooled.allSatisfy { $0.labels?[SandcastleLabels.poolTarget] == "sandcastle/base:latest|default" })

            let value = "it's a \"pooled\" $HOME `x` \\ ü\nline 2"
            let first = try await pool.acquire(SandboxSpec(image: SandboxFixture.image, environment: ["GREETING": value, "A": "1"]))
            #expect(first.hit)
            sandboxIDs.append(first.instance.id)
            let shell = try await first.instance.run("printf '%s|%s' \"$GREETING\" \"$A\"")
            #expect(shell.exitCode == 0)
            #expect(shell.text == value + "|1")
            let spawned = try await first.instance.run(arguments: ["printenv", "GREETING"])
            #expect(spawned.stdoutText == value + "\n")
            // The exports left no trace: no history, and a fresh `$?`.
            let traces = try await first.instance.run("echo \"[$?]\"; history | wc -l")
            #expect(traces.text == "[0]\n0\n")
            // Leave state behind for the next holder to (not) find.
            _ = try await first.instance.run("export LEFT=behind; echo x > /workspace/left.txt; cd /tmp")
            try await first.instance.destroy()

            let second = try await pool.acquire(SandboxSpec(image: SandboxFixture.image))
            #expect(second.hit)
            sandboxIDs.append(second.instance.id)
            let state = try await second.instance.run("pwd; echo \"[${LEFT-}][${GREETING-}]\"; ls -A /workspace | wc -l; id -u")
            #expect(state.text == "/workspace\n[][]\n0\n1000\n")
            try await second.instance.destroy()
        } catch {
            await pool.drain()
            throw error
        }
        await pool.drain()
        #expect(try await Self.containers(labels, docker: backend.docker).isEmpty)
        for id in sandboxIDs {
            let volumes = try await backend.docker.listVolumes(filters: DockerFilters.label(SandcastleLabels.sandbox, id))
            #expect(volumes.isEmpty, "workspace of \(id) left behind")
        }
        #expect(await pool.statistics.targets[0].hits == 2)
    }

    @Test("a pooled sandbox's shell and processes see what a cold one's see")
    func indistinguishable() async throws {
        let backend = try await SandboxFixture.backend()
        let (pool, _) = Self.makePool(backend, size: 1)
        let spec = SandboxSpec(image: SandboxFixture.image, environment: ["GREETING": "hi there", "DEBUG": "1"])
        let probe = "env | grep -v '^_=' | sort; pwd; umask; ulimit -n; cat /proc/self/status | grep -E '^(Cap|NoNewPrivs|Seccomp):'"
        let cold = try await backend.createSandbox(spec)
        do {
            await pool.start()
            #expect(await pool.waitUntilFull(timeout: .seconds(60)))
            let warm = try await pool.acquire(spec)
            #expect(warm.hit)
            do {
                let coldShell = try await cold.run(probe)
                let warmShell = try await warm.instance.run(probe)
                #expect(warmShell.text == coldShell.text)
                let coldEnv = try await cold.run(arguments: ["env"])
                let warmEnv = try await warm.instance.run(arguments: ["env"])
                #expect(coldEnv.stdoutText.split(separator: "\n").sorted() == warmEnv.stdoutText.split(separator: "\n").sorted())
                try await warm.instance.destroy()
            } catch {
                try? await warm.instance.destroy()
                throw error
            }
        } catch {
            try? await cold.destroy()
            await pool.drain()
            throw error
        }
        try await cold.destroy()
        await pool.drain()
    }

    @Test("acquire → first exec from a warm pool: every acquisition a hit, with or without environment")
    func everyAcquisitionIsAWarmHit() async throws {
        let backend = try await SandboxFixture.backend()
        let (pool, labels) = Self.makePool(backend, size: 2)
        var plain: [Duration] = []
        var withEnvironment: [Duration] = []
        var acquireOnly: [Duration] = []
        do {
            await pool.start()
            for iteration in 0..<20 {
                #expect(await pool.waitUntilFull(timeout: .seconds(60)))
                let environment = iteration % 2 == 0 ? [:] : ["GREETING": "hi"]
                let start = ContinuousClock.now
                let acquisition = try await pool.acquire(SandboxSpec(image: SandboxFixture.image, environment: environment))
                let acquired = ContinuousClock.now
                let output = try await acquisition.instance.run("echo ready")
                let elapsed = ContinuousClock.now - start
                if environment.isEmpty { acquireOnly.append(acquired - start) }
                #expect(acquisition.hit && output.text == "ready\n")
                if environment.isEmpty { plain.append(elapsed) } else { withEnvironment.append(elapsed) }
                try await acquisition.instance.destroy()
            }
        } catch {
            await pool.drain()
            throw error
        }
        await pool.drain()
        #expect(try await Self.containers(labels, docker: backend.docker).isEmpty)
        func p50(_ samples: [Duration]) -> Double {
            let sorted = samples.sorted()
            let (seconds, attoseconds) = sorted[sorted.count / 2].components
            return Double(seconds) * 1000 + Double(attoseconds) / 1e15
        }
        let summary = String(
            format: "warm pool acquire → first exec `echo ready`: p50 %.2f ms (no env), %.2f ms (with env), "
                + "max %.2f ms; acquire alone (no env) p50 %.3f ms",
            p50(plain), p50(withEnvironment), p50([(plain + withEnvironment).max() ?? .zero]), p50(acquireOnly))
        // Printed for whoever reads the log; the figure is measured and judged by `bench server`
        // (a wall-clock bound here failed on a loaded CI machine without saying anything about the
        // pool). What this test holds the pool to is above: every acquisition a hit, with and without
        // per-request environment, and nothing left behind.
        print(summary)
    }

    @Test("a missing image is logged and backed off, never a hot loop, and leaves nothing behind")
    func missingImage() async throws {
        let backend = try await SandboxFixture.backend()
        let lines = LogLines()
        let (pool, labels) = Self.makePool(backend, size: 2, image: "sandcastle/no-such-image:latest", log: lines.sink)
        await pool.start()
        try await Task.sleep(for: .milliseconds(1500))
        let statistics = await pool.statistics.targets[0]
        await pool.drain()
        // 200, 400, 800 ms steps: a handful of attempts, not hundreds.
        #expect(statistics.failures >= 2 && statistics.failures <= 8, "\(statistics.failures) failures")
        #expect(statistics.ready == 0)
        #expect(statistics.lastError?.contains("sandcastle images build") == true)
        #expect(lines.all.first?.contains("sandcastle/no-such-image:latest") == true)
        #expect(try await Self.containers(labels, docker: backend.docker).isEmpty)
    }

    @Test("a pooled container that died while waiting is not handed out")
    func deadPooledContainer() async throws {
        let backend = try await SandboxFixture.backend()
        let lines = LogLines()
        let (pool, labels) = Self.makePool(backend, size: 1, log: lines.sink)
        do {
            await pool.start()
            #expect(await pool.waitUntilFull(timeout: .seconds(60)))
            let pooled = try #require(try await Self.containers(labels, docker: backend.docker).first)
            try await backend.docker.killContainer(id: pooled.id, signal: "SIGKILL")
            // The runner channel closes when the engine ends the attach stream, just after the exit.
            var stopped = false
            for _ in 0..<50 where !stopped {
                stopped = try await backend.docker.inspectContainer(id: pooled.id).state.running != true
                if !stopped { try await Task.sleep(for: .milliseconds(100)) }
            }
            try await Task.sleep(for: .milliseconds(300))
            let acquisition = try await pool.acquire(SandboxSpec(image: SandboxFixture.image))
            #expect(!acquisition.hit)
            #expect(try await acquisition.instance.run("echo alive").text == "alive\n")
            try await acquisition.instance.destroy()
            #expect(await pool.statistics.targets[0].failures == 1)
            #expect(lines.all.contains { $0.contains("runner channel is closed") })
        } catch {
            await pool.drain()
            throw error
        }
        await pool.drain()
        #expect(await eventually { (try? await Self.containers(labels, docker: backend.docker).isEmpty) == true })
    }

    @Test("after a crash, stale pooled containers are removed and held ones kept")
    func staleCleanup() async throws {
        let backend = try await SandboxFixture.backend()
        let (pool, labels) = Self.makePool(backend, size: 2)
        await pool.start()
        #expect(await pool.waitUntilFull(timeout: .seconds(60)))
        let held = try await pool.acquire(SandboxSpec(image: SandboxFixture.image))
        #expect(await pool.waitUntilFull(timeout: .seconds(60)))
        #expect(try await Self.containers(labels, docker: backend.docker).count == 3)
        // As a restarted server would: the database says only `held` is in use.
        let removed = try await backend.removeStalePooledSandboxes(keeping: [held.instance.id], labels: labels)
        #expect(removed.count == 2 && !removed.contains(held.instance.id))
        let left = try await Self.containers(labels, docker: backend.docker)
        #expect(left.map { $0.labels?[SandcastleLabels.sandbox] } == [held.instance.id])
        #expect(try await held.instance.run("echo still here").text == "still here\n")
        try await held.instance.destroy()
        await pool.drain() // its ready sandboxes are already gone: destroy treats that as done
        #expect(try await Self.containers(labels, docker: backend.docker).isEmpty)
    }
}
