import ModelProviders
import Resilience
import Testing

@Suite struct ModelRouterFailoverTests {
    @Test func failoverFollowsTheChainInOrderAndEventsSayWhatHappened() async throws {
        let fixture = try RouterFixture(policy: RoutingPolicy(attemptsPerModel: 2, breaker: .disabled))
        fixture.fakes.script(ModelID.sonnet, .fail(.overloaded(after: .seconds(1))), .fail(.overloaded(after: .seconds(1))))
        fixture.fakes.script(ModelID.haiku, .fail(.server), .fail(.server))
        fixture.fakes.script(ModelID.opus, .answer("from opus"))
        let routed = try await fixture.complete("sonnet")

        #expect(fixture.fakes.calledModels == [ModelID.sonnet, ModelID.sonnet, ModelID.haiku, ModelID.haiku, ModelID.opus])
        #expect(routed.model.name == "claude-opus-5-5")
        #expect(routed.model.prices.rates.input == 4, "the answer is priced as the model that gave it")
        #expect(routed.failedOver)
        #expect(routed.attempts == 5)
        let descriptions = fixture.log.descriptions
        #expect(descriptions.count == 5)
        #expect(descriptions[0] == "retrying claude-sonnet-5-5 on anthropic (attempt 2) in 1 s after: anthropic: overloaded (HTTP 529)")
        #expect(descriptions[1] == "cooling down claude-sonnet-5-5 on anthropic for 1 s")
        #expect(descriptions[2] == "failing over from claude-sonnet-5-5 to claude-haiku-5-5 after: anthropic: overloaded (HTTP 529)")
        #expect(descriptions[3].hasPrefix("retrying claude-haiku-5-5 on anthropic (attempt 2) in 0."))
        #expect(descriptions[4] == "failing over from claude-haiku-5-5 to claude-opus-5-5 after: anthropic: internal error (HTTP 500)")
        guard case .retrying(_, _, _, let after, _) = fixture.log.all[3] else {
            Issue.record("expected a retry, got \(fixture.log.all[3])")
            return
        }
        #expect(fixture.clock.sleeps == [.seconds(1), after])
    }

    @Test func modelsWhoseProviderHasNoKeyAreSkipped() async throws {
        let fixture = try RouterFixture(policy: RoutingPolicy(attemptsPerModel: 1, failoverChains: ["sonnet": ["openai/gpt-4o", "haiku"]]))
        fixture.fakes.script(ModelID.sonnet, .fail(.server))
        let routed = try await fixture.complete("sonnet")
        #expect(routed.model.name == "claude-haiku-5-5")
        #expect(fixture.fakes.calledModels == [ModelID.sonnet, ModelID.haiku])
        #expect(
            fixture.log.descriptions == [
                "skipping openai/gpt-4o on openai: not configured (set OPENAI_API_KEY)",
                "failing over from claude-sonnet-5-5 to claude-haiku-5-5 after: anthropic: internal error (HTTP 500)",
            ])
    }

    @Test func anUnconfiguredRequestedModelFailsOverOrNamesTheVariable() async throws {
        // Only OpenAI is configured: sonnet is skipped and the chain's OpenAI model answers.
        let fixture = try RouterFixture(
            environment: ["OPENAI_API_KEY": openAITestKey], policy: RoutingPolicy(failoverChains: ["sonnet": ["openai/gpt-4o"]]))
        let routed = try await fixture.complete("sonnet")
        #expect(routed.model.name == "openai/gpt-4o")
        #expect(fixture.fakes.calls.map(\.provider) == ["openai"])
        #expect(
            fixture.log.descriptions == [
                "skipping claude-sonnet-5-5 on anthropic: not configured (set ANTHROPIC_API_KEY)",
                "failing over from claude-sonnet-5-5 to openai/gpt-4o",
            ])

        // Nothing configured anywhere in the chain: the error says what to set.
        let none = try RouterFixture(environment: [:])
        let error = try await #require(throws: ModelProviderError.self) { try await none.complete("sonnet") }
        #expect(error.code == .notConfigured)
        #expect(error.description == "anthropic: not configured (model claude-sonnet-5-5): set ANTHROPIC_API_KEY")
        #expect(none.fakes.calls.isEmpty)
        #expect(none.fakes.madeClients.isEmpty)
    }

    @Test func aCoolingModelIsSkippedUntilItsCooldownEnds() async throws {
        let fixture = try RouterFixture(policy: RoutingPolicy(attemptsPerModel: 1))
        fixture.fakes.script(ModelID.sonnet, .fail(.rateLimited()))
        _ = try await fixture.complete("sonnet")
        #expect(fixture.log.descriptions.first == "cooling down claude-sonnet-5-5 on anthropic for 15 s")

        // The next call, seconds later, goes straight to haiku without calling sonnet.
        fixture.clock.advance(by: .seconds(5))
        let second = try await fixture.router.complete(RouterFixture.request("sonnet"), onEvent: fixture.log.sink)
        #expect(second.model.name == "claude-haiku-5-5")
        #expect(fixture.fakes.calledModels == [ModelID.sonnet, ModelID.haiku, ModelID.haiku])
        #expect(
            fixture.log.descriptions.suffix(2) == [
                "skipping claude-sonnet-5-5 on anthropic: cooling down for 10 s",
                "failing over from claude-sonnet-5-5 to claude-haiku-5-5",
            ])

        // Once the cooldown is over, sonnet is called again.
        fixture.clock.advance(by: .seconds(10))
        let third = try await fixture.complete("sonnet")
        #expect(third.model.name == "claude-sonnet-5-5")
    }

    @Test func aProviderWideCooldownSkipsTheProvidersOtherModelsToo() async throws {
        let fixture = try RouterFixture(
            environment: ["ANTHROPIC_API_KEY": anthropicTestKey, "OPENAI_API_KEY": openAITestKey],
            policy: RoutingPolicy(attemptsPerModel: 1, cooldownScope: .provider, failoverChains: ["sonnet": ["haiku", "openai/gpt-4o"]]))
        fixture.fakes.script(ModelID.sonnet, .fail(.overloaded()))
        let routed = try await fixture.complete("sonnet")
        #expect(routed.model.name == "openai/gpt-4o")
        #expect(fixture.fakes.calledModels == [ModelID.sonnet, "gpt-4o"])
        #expect(
            fixture.log.descriptions == [
                "cooling down anthropic for 60 s",
                "skipping claude-haiku-5-5 on anthropic: cooling down for 60 s",
                "failing over from claude-sonnet-5-5 to openai/gpt-4o after: anthropic: overloaded (HTTP 529)",
            ])
    }

    @Test func theBreakerOpensOnRepeatedServerErrorsAndHalfOpensAfterItsCooldown() async throws {
        let policy = RoutingPolicy(
            attemptsPerModel: 1, breaker: CircuitBreaker.Policy(failureThreshold: 2, cooldown: .seconds(30)), failoverChains: [:])
        let fixture = try RouterFixture(policy: policy)
        fixture.fakes.script(ModelID.sonnet, .fail(.server), .fail(.server))
        for _ in 0..<2 {
            await #expect(throws: ModelProviderError.self) { try await fixture.complete("sonnet") }
        }
        // Open: the provider is not called at all.
        let open = try await #require(throws: ModelProviderError.self) { try await fixture.complete("sonnet") }
        #expect(open.code == .circuitOpen)
        #expect(fixture.fakes.calls.count == 2)
        #expect(fixture.log.descriptions.last == "skipping claude-sonnet-5-5 on anthropic: circuit open after repeated failures")

        // After the cooldown one trial goes through; its failure opens the breaker again.
        fixture.clock.advance(by: .seconds(30))
        fixture.fakes.script(ModelID.sonnet, .fail(.server))
        await #expect(throws: ModelProviderError.self) { try await fixture.complete("sonnet") }
        #expect(fixture.fakes.calls.count == 3)
        let reopened = try await #require(throws: ModelProviderError.self) { try await fixture.complete("sonnet") }
        #expect(reopened.code == .circuitOpen)

        // The next trial succeeds and closes it: calls flow again.
        fixture.clock.advance(by: .seconds(30))
        _ = try await fixture.complete("sonnet")
        _ = try await fixture.complete("sonnet")
        #expect(fixture.fakes.calls.count == 5)
    }

    @Test func rateLimitsDoNotOpenTheBreaker() async throws {
        let policy = RoutingPolicy(
            attemptsPerModel: 3, breaker: CircuitBreaker.Policy(failureThreshold: 2, cooldown: .seconds(30)), failoverChains: [:])
        let fixture = try RouterFixture(policy: policy)
        fixture.fakes.script(ModelID.sonnet, .fail(.rateLimited(after: .seconds(1))), .fail(.rateLimited(after: .seconds(1))), .answer("ok"))
        let routed = try await fixture.complete("sonnet")
        #expect(routed.attempts == 3)
    }

    @Test func anUnresolvableChainEntryIsSkippedWithAnEvent() async throws {
        let fixture = try RouterFixture(policy: RoutingPolicy(attemptsPerModel: 1, failoverChains: ["sonnet": ["nope", "haiku"]]))
        fixture.fakes.script(ModelID.sonnet, .fail(.server))
        let routed = try await fixture.complete("sonnet")
        #expect(routed.model.name == "claude-haiku-5-5")
        #expect(fixture.log.descriptions.first?.hasPrefix("skipping nope on unknown: cannot be resolved: unknown model `nope`") == true)
    }

    @Test func noKeyAppearsInAnyEventOrError() async throws {
        // A client that quotes the key back (a proxy echoing headers) must not carry it further.
        let leaky = ModelProviderError(
            .serverError, provider: "anthropic", status: 502, providerErrorType: "proxy \(anthropicTestKey)",
            message: "upstream rejected x-api-key: \(anthropicTestKey)")
        let fixture = try RouterFixture(policy: RoutingPolicy(attemptsPerModel: 2))
        fixture.fakes.script(ModelID.sonnet, .fail(leaky), .fail(leaky))
        fixture.fakes.script(
            ModelID.haiku, .fail(leaky), .fail(ModelProviderError(.authentication, provider: "anthropic", message: "bad key \(anthropicTestKey)")))
        let error = try await #require(throws: ModelProviderError.self) { try await fixture.complete("sonnet") }

        #expect(fixture.log.all.count == 3)
        let texts = fixture.log.descriptions + [error.description, String(reflecting: error), "\(fixture.log.all)"]
        for text in texts {
            #expect(!text.contains(anthropicTestKey), "\(text)")
        }
        #expect(error.message == "bad key [redacted] (check ANTHROPIC_API_KEY)")
        #expect(fixture.log.descriptions.first?.contains("[redacted]") == true)
    }

    @Test func aRequestsOwnKeyIsUsedForItsCallsOnlyWithItsOwnCooldowns() async throws {
        let fixture = try RouterFixture(policy: RoutingPolicy(attemptsPerModel: 1))
        let perRequest = fixture.router.overriding(RequestCredentials(anthropicAPIKey: SecretValue("sk-ant-request-key")))
        fixture.fakes.script(ModelID.sonnet, .fail(.rateLimited()))
        _ = try await perRequest.complete(RouterFixture.request("sonnet"), onEvent: { _ in })
        _ = try await fixture.complete("sonnet")
        #expect(fixture.fakes.calls.map(\.apiKey) == ["sk-ant-request-key", "sk-ant-request-key", anthropicTestKey])
        #expect(fixture.fakes.calledModels == [ModelID.sonnet, ModelID.haiku, ModelID.sonnet], "the request's rate limit is its key's, not the environment's")
        #expect(fixture.router.overriding(RequestCredentials()) === fixture.router)
    }

    @Test func aReportingViewSharesCooldownsAndClients() async throws {
        let fixture = try RouterFixture(policy: RoutingPolicy(attemptsPerModel: 1))
        let stepLog = EventLog()
        let step: any ModelProvider = fixture.router.reporting(to: stepLog.sink)
        fixture.fakes.script(ModelID.sonnet, .fail(.rateLimited()))
        _ = try await step.complete(RouterFixture.request("sonnet"))
        #expect(stepLog.descriptions.first == "cooling down claude-sonnet-5-5 on anthropic for 15 s")
        _ = try await fixture.complete("sonnet")
        #expect(fixture.fakes.calledModels == [ModelID.sonnet, ModelID.haiku, ModelID.haiku])
        #expect(fixture.fakes.madeClients == ["anthropic"])
    }
}
