import ModelProviders
import Resilience
import Synchronization
import TestSupport
import Testing

/// Cancelling the calling task (a step's timeout, Ctrl-C) ends a routed call at once, wherever
/// it is: in a provider call, in a retry's wait, or in a stream. These run on the real clock:
/// a wait of an hour that ends in well under a minute was cut short, not served.
@Suite struct ModelRouterCancellationTests {
    private func router(
        _ fakes: FakeProviders, policy: RoutingPolicy = RoutingPolicy(), clock: RoutingClock = .continuous
    ) throws -> ModelRouter {
        let catalog = try ModelCatalog.shipped()
        return ModelRouter(
            catalog: catalog, settings: try ProviderSettings(environment: ["ANTHROPIC_API_KEY": anthropicTestKey], catalog: catalog),
            policy: policy, clock: clock, makeProvider: fakes.factory)
    }

    @Test func cancellingEndsAProviderCallInFlight() async throws {
        let fakes = FakeProviders()
        fakes.script(ModelID.sonnet, .hang)
        let router = try router(fakes)
        let started = ContinuousClock.now
        let call = Task { try await router.complete(RouterFixture.request("sonnet")) }
        #expect(await eventually { fakes.calls.count == 1 })
        call.cancel()
        let result = await call.result
        #expect(throws: CancellationError.self) { try result.get() }
        #expect(ContinuousClock.now - started < .seconds(60))
        #expect(await eventually { fakes.cancelledCalls == 1 })
        #expect(fakes.calls.count == 1, "no retry and no failover after a cancellation")
    }

    @Test func cancellingEndsARetryWait() async throws {
        let fakes = FakeProviders()
        fakes.script(ModelID.sonnet, .fail(.rateLimited(after: .seconds(59))))
        let log = EventLog()
        let router = try router(fakes)
        let started = ContinuousClock.now
        let call = Task { try await router.complete(RouterFixture.request("sonnet"), onEvent: log.sink) }
        #expect(await eventually { log.all.count == 1 })
        call.cancel()
        let result = await call.result
        #expect(throws: CancellationError.self) { try result.get() }
        #expect(ContinuousClock.now - started < .seconds(59))
        #expect(fakes.calls.count == 1)
    }

    @Test func cancellingTheConsumerOfAStreamEndsTheUpstreamCall() async throws {
        let fakes = FakeProviders()
        fakes.script(ModelID.sonnet, .stream(["first"], end: .hang))
        let router = try router(fakes)
        let received = Received()
        let consumer = Task {
            for try await event in router.stream(RouterFixture.request("sonnet"), onEvent: { _ in }) {
                if case .delta = event { received.mark() }
            }
        }
        #expect(await eventually { received.count == 1 })
        consumer.cancel()
        _ = await consumer.result
        #expect(await eventually { fakes.cancelledCalls == 1 })
        #expect(fakes.calls.count == 1)
    }

    @Test func aCancelledBreakerTrialIsHandedBack() async throws {
        let fakes = FakeProviders()
        let clock = ManualClock()
        let policy = RoutingPolicy(
            attemptsPerModel: 1, breaker: CircuitBreaker.Policy(failureThreshold: 1, cooldown: .seconds(30)), failoverChains: [:])
        let router = try router(fakes, policy: policy, clock: clock.routingClock)
        fakes.script(ModelID.sonnet, .fail(.server), .hang)
        await #expect(throws: ModelProviderError.self) { try await router.complete(RouterFixture.request("sonnet")) }
        clock.advance(by: .seconds(30))
        let trial = Task { try await router.complete(RouterFixture.request("sonnet")) }
        #expect(await eventually { fakes.calls.count == 2 })
        trial.cancel()
        _ = await trial.result
        // The trial was neither a success nor a failure: the next call may try again.
        _ = try await router.complete(RouterFixture.request("sonnet"))
        #expect(fakes.calls.count == 3)
    }
}

/// Counts deltas a consumer saw.
private final class Received: Sendable {
    private let counter = Mutex(0)
    func mark() { counter.withLock { $0 += 1 } }
    var count: Int { counter.withLock { $0 } }
}
