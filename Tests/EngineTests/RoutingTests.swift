import Foundation
import Resilience
import Sandbox
import Store
import Synchronization
import Testing
import Workflow

@testable import Engine

/// A clock the test moves by hand, so cooldowns pass without waiting.
final class ManualClock: Sendable {
    private let base = ContinuousClock.now
    private let offset = Mutex(Duration.zero)
    var now: ContinuousClock.Instant { base + offset.withLock { $0 } }
    func advance(by duration: Duration) { offset.withLock { $0 += duration } }
}

/// A fake backend with a name of its own whose `create` can be made to fail like a dead engine.
final class NamedFakeBackend: SandboxBackend {
    let name: String
    let inner: FakeBackend
    /// How many of the next creates fail with `engine_unavailable`.
    private let failures: Mutex<Int>

    init(
        _ name: String, failingCreates: Int = 0,
        reply: @escaping @Sendable (SandboxSpec, String) -> FakeReply = { _, _ in FakeReply(stdout: "ok\n") }
    ) {
        self.name = name
        self.inner = FakeBackend(reply: reply)
        self.failures = Mutex(failingCreates)
    }

    func create(_ spec: SandboxSpec) async throws -> any SandboxInstance {
        let fail = failures.withLock { remaining -> Bool in
            guard remaining > 0 else { return false }
            remaining -= 1
            return true
        }
        if fail { throw SandboxError(.engineUnavailable, "\(name) is down") }
        return try await inner.create(spec)
    }
}

@Suite(.timeLimit(.minutes(1))) struct CircuitBreakerTests {
    @Test func opensAfterConsecutiveFailuresAndHalfOpensAfterTheCooldown() {
        let clock = ManualClock()
        let breaker = CircuitBreaker(policy: .init(failureThreshold: 2, cooldown: .seconds(10)), now: { clock.now })
        #expect(breaker.state == .closed && breaker.permit())
        breaker.recordFailure()
        #expect(breaker.state == .closed, "one failure is below the threshold")
        // A success in between resets the count: only consecutive failures open it.
        #expect(breaker.permit())
        breaker.recordSuccess()
        #expect(breaker.permit())
        breaker.recordFailure()
        #expect(breaker.permit())
        breaker.recordFailure()
        #expect(breaker.state == .open)
        #expect(!breaker.permit() && !breaker.isAvailable)

        clock.advance(by: .seconds(9))
        #expect(!breaker.permit(), "still cooling down")
        clock.advance(by: .seconds(1))
        #expect(breaker.state == .halfOpen && breaker.isAvailable)
        #expect(breaker.permit(), "the one trial")
        #expect(!breaker.permit(), "only one trial while half-open")
        breaker.recordFailure()
        #expect(breaker.state == .open, "a failed trial opens it again")
        #expect(!breaker.permit())

        clock.advance(by: .seconds(10))
        #expect(breaker.permit())
        breaker.recordSuccess()
        #expect(breaker.state == .closed)
        #expect(breaker.permit() && breaker.permit())
    }

    @Test func aCancelledTrialHandsTheTrialBack() {
        let clock = ManualClock()
        let breaker = CircuitBreaker(policy: .init(failureThreshold: 1, cooldown: .seconds(1)), now: { clock.now })
        breaker.recordFailure()
        clock.advance(by: .seconds(1))
        #expect(breaker.permit())
        breaker.recordNeutral()
        #expect(breaker.state == .halfOpen)
        #expect(breaker.permit(), "the next attempt gets the trial")
    }

    @Test func aDisabledBreakerNeverOpens() {
        let breaker = CircuitBreaker(policy: .disabled)
        for _ in 0..<10 { breaker.recordFailure() }
        #expect(breaker.state == .closed && breaker.permit())
    }

    @Test func infrastructureFailuresAreTheBackendsNotTheCommands() {
        #expect(BackendRouter.isInfrastructureFailure(SandboxError(.engineUnavailable, "down")))
        #expect(BackendRouter.isInfrastructureFailure(SandboxError(.sandboxGone, "oom")))
        #expect(BackendRouter.isInfrastructureFailure(SandboxError(.rateLimited, "429")))
        #expect(!BackendRouter.isInfrastructureFailure(SandboxError(.imageNotFound, "typo")))
        #expect(!BackendRouter.isInfrastructureFailure(SandboxError(.cancelled, "stop")))
        #expect(!BackendRouter.isInfrastructureFailure(CancellationError()))
    }
}

@Suite(.timeLimit(.minutes(1))) struct BackendRouterTests {
    let clock = ManualClock()

    func router(dockerLimit: Int = 8, e2b: Bool = true) -> BackendRouter {
        let policy = CircuitBreaker.Policy(failureThreshold: 1, cooldown: .seconds(30))
        let clock = self.clock
        var entries = [
            BackendRouter.Entry(
                name: .docker, backend: NamedFakeBackend("docker"), maxConcurrent: dockerLimit,
                breaker: CircuitBreaker(policy: policy, now: { clock.now }))
        ]
        if e2b {
            entries.append(
                BackendRouter.Entry(
                    name: .e2b, backend: NamedFakeBackend("e2b"), maxConcurrent: 2,
                    breaker: CircuitBreaker(policy: policy, now: { clock.now })))
        }
        return BackendRouter(entries)
    }

    @Test func autoPrefersDockerAndSpillsToE2BAtCapacity() async throws {
        let router = router(dockerLimit: 1)
        let first = try await router.acquire(.auto)
        #expect(first.recordedName == "docker" && first.failoverReason == nil)
        let second = try await router.acquire(.auto)
        #expect(second.recordedName == "e2b")
        #expect(second.failoverReason == "backend `docker` is at capacity")
        first.finish(infrastructureFailure: false, cancelled: false)
        second.finish(infrastructureFailure: false, cancelled: false)
        let third = try await router.acquire(.auto)
        #expect(third.recordedName == "docker", "a freed slot takes auto back to Docker")
        third.finish(infrastructureFailure: false, cancelled: false)
    }

    @Test func autoUsesE2BWhileDockersBreakerIsOpen() async throws {
        let router = router()
        let first = try await router.acquire(.auto)
        first.finish(infrastructureFailure: true, cancelled: false)
        let second = try await router.acquire(.auto)
        #expect(second.recordedName == "e2b")
        #expect(second.failoverReason == "backend `docker` circuit is open")
        second.finish(infrastructureFailure: false, cancelled: false)
        clock.advance(by: .seconds(30))
        let trial = try await router.acquire(.auto)
        #expect(trial.recordedName == "docker", "after the cooldown Docker gets its trial")
        trial.finish(infrastructureFailure: false, cancelled: false)
    }

    @Test func explicitBackendFailsOverWhenItsBreakerIsOpen() async throws {
        let router = router()
        let first = try await router.acquire(.e2b)
        #expect(first.recordedName == "e2b")
        first.finish(infrastructureFailure: true, cancelled: false)
        let second = try await router.acquire(.e2b)
        #expect(second.recordedName == "docker" && second.failoverReason == "backend `e2b` circuit is open")
        second.finish(infrastructureFailure: true, cancelled: false)
        // Both open: fail fast rather than queue on a dead backend.
        await #expect(throws: EngineError.self) { _ = try await router.acquire(.docker) }
    }

    @Test func anUnconfiguredBackendIsAClearError() async throws {
        let router = router(e2b: false)
        do {
            _ = try await router.acquire(.e2b)
            Issue.record("e2b is not configured")
        } catch let error as EngineError {
            #expect(error.code == .backendUnavailable)
            #expect(error.message.contains("not configured (set E2B_API_KEY)"))
        }
        let auto = try await router.acquire(.auto)
        #expect(auto.recordedName == "docker", "auto with Docker alone is Docker")
        auto.finish(infrastructureFailure: false, cancelled: false)
    }
}

@Suite(.timeLimit(.minutes(1))) struct RoutedEngineTests {
    let repository = InMemoryRunRepository()

    func engine(docker: NamedFakeBackend, e2b: NamedFakeBackend?, threshold: Int = 1) -> WorkflowEngine {
        let policy = CircuitBreaker.Policy(failureThreshold: threshold, cooldown: .seconds(300))
        var entries = [BackendRouter.Entry(name: .docker, backend: docker, breaker: CircuitBreaker(policy: policy))]
        if let e2b { entries.append(BackendRouter.Entry(name: .e2b, backend: e2b, breaker: CircuitBreaker(policy: policy))) }
        return WorkflowEngine(router: BackendRouter(entries), repository: repository)
    }

    @Test func aRetryFailsOverAndEveryAttemptRecordsItsBackend() async throws {
        let docker = NamedFakeBackend("docker", failingCreates: 100)
        let e2b = NamedFakeBackend("e2b")
        let wf = try workflow(
            """
            name: failover
            steps:
              - id: build
                run: echo ok
                backend: docker
                retry: {max_attempts: 2, backoff: fixed, initial_delay: 10ms, jitter: false}
              - {id: other, run: echo ok, backend: e2b, depends_on: [build]}
            """)
        let outcome = try await engine(docker: docker, e2b: e2b).run(wf)
        #expect(outcome.status == .completed)
        let attempts = try repository.attempts(runID: outcome.runID, stepID: "build", fanoutIndex: nil)
        #expect(attempts.map(\.backend) == ["docker", "e2b"])
        #expect(attempts.first?.error?.contains("docker is down") == true)
        let steps = try #require(try repository.run(id: outcome.runID)).steps
        #expect(steps.first { $0.stepID == "build" }?.backend == "e2b")
        #expect(steps.first { $0.stepID == "other" }?.backend == "e2b")
        #expect(e2b.inner.created == 2 && docker.inner.created == 0)
        // A remote sandbox cannot mount the run's local workspace volume.
        #expect(e2b.inner.log.allSatisfy { $0.spec.workspace == nil })
        let started = try repository.events(runID: outcome.runID).filter { $0.kind == "step_started" }.map(\.payloadJSON)
        #expect(started.contains { $0.contains("\"failover\"") && $0.contains("circuit is open") })
    }

    @Test func autoFanOutSpillsToE2BWhenDockerIsFull() async throws {
        let slow: @Sendable (SandboxSpec, String) -> FakeReply = { _, _ in FakeReply(stdout: "ok\n", duration: .milliseconds(300)) }
        let docker = NamedFakeBackend("docker", reply: slow)
        let e2b = NamedFakeBackend("e2b", reply: slow)
        let policy = CircuitBreaker.Policy()
        let router = BackendRouter([
            BackendRouter.Entry(name: .docker, backend: docker, maxConcurrent: 1, breaker: CircuitBreaker(policy: policy)),
            BackendRouter.Entry(name: .e2b, backend: e2b, maxConcurrent: 8, breaker: CircuitBreaker(policy: policy)),
        ])
        let wf = try workflow(
            """
            name: spill
            inputs:
              items: {type: list, default: [1, 2, 3]}
            steps:
              - id: each
                parallel_over: "{input.items}"
                run: echo {input._item}
                backend: auto
            """)
        let outcome = try await WorkflowEngine(router: router, repository: repository).run(wf)
        #expect(outcome.status == .completed)
        let used = try (0..<3).compactMap { try repository.attempts(runID: outcome.runID, stepID: "each", fanoutIndex: $0).first?.backend }
        #expect(used.filter { $0 == "docker" }.count == 1 && used.filter { $0 == "e2b" }.count == 2, "\(used)")
        let step = try #require(try repository.run(id: outcome.runID)).steps.first { $0.stepID == "each" && $0.fanoutIndex == nil }
        #expect(Set((step?.backend ?? "").split(separator: ",").map(String.init)) == ["docker", "e2b"])
    }

    @Test func aFailingCommandDoesNotOpenTheBreaker() async throws {
        let docker = NamedFakeBackend("docker") { _, _ in FakeReply(stderr: "no\n", exitCode: 1) }
        let e2b = NamedFakeBackend("e2b")
        let wf = try workflow(
            """
            name: user-failure
            steps:
              - id: a
                run: exit 1
                backend: docker
                retry: {max_attempts: 2, backoff: fixed, initial_delay: 10ms, jitter: false}
            """)
        let outcome = try await engine(docker: docker, e2b: e2b).run(wf)
        #expect(outcome.status == .failed)
        let attempts = try repository.attempts(runID: outcome.runID, stepID: "a", fanoutIndex: nil)
        #expect(attempts.map(\.backend) == ["docker", "docker"], "a non-zero exit is the command's fault, not Docker's")
        #expect(docker.inner.log.allSatisfy { $0.spec.workspace == WorkflowEngine.workspaceName(runID: outcome.runID) })
        #expect(e2b.inner.created == 0)
    }

    @Test func aStepOnAnUnconfiguredBackendFailsTheRunBeforeAnythingRuns() async throws {
        let backend = FakeBackend()
        let wf = try workflow(
            """
            name: no-e2b
            steps:
              - {id: local, run: echo hi, backend: auto}
              - {id: remote, run: echo hi, backend: e2b, depends_on: [local]}
            """)
        let engine = WorkflowEngine(backend: backend, repository: repository)
        let outcome = try await engine.run(wf)
        #expect(outcome.status == .failed)
        let error = outcome.error ?? ""
        #expect(
            error.contains("step `remote`") && error.contains("test.yaml:4:41") && error.contains("backend `e2b`, which is not configured")
                && error.contains("E2B_API_KEY"), "\(error)")
        #expect(backend.created == 0, "not even the step on a configured backend ran")
    }

    @Test func resumingWithoutTheBackendARunNeedsIsRefusedAndTheRunKept() async throws {
        let wf = try workflow(
            """
            name: gated-remote
            steps:
              - {id: gate, type: approval}
              - {id: remote, run: echo hi, backend: e2b, depends_on: [gate]}
            """)
        let configuration = EngineConfiguration(waitForApprovals: false)
        let withE2B = WorkflowEngine(
            router: BackendRouter([
                BackendRouter.Entry(name: .docker, backend: NamedFakeBackend("docker")),
                BackendRouter.Entry(name: .e2b, backend: NamedFakeBackend("e2b")),
            ]), repository: repository, configuration: configuration)
        let paused = try await withE2B.run(wf)
        #expect(paused.status == .waitingApproval)

        let dockerOnly = WorkflowEngine(backend: FakeBackend(), repository: repository, configuration: configuration)
        let error = await #expect(throws: EngineError.self) { try await dockerOnly.resume(runID: paused.runID, workflow: wf) }
        #expect(error?.code == .backendUnavailable && error?.message.contains("step `remote`") == true, "\(error?.message ?? "")")
        #expect(try repository.run(id: paused.runID)?.run.status == .waitingApproval, "left as it was, to resume once E2B is configured")
    }
}
