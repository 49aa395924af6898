import ModelProviders
import Resilience
import Testing

@Suite struct ModelRouterRetryTests {
    @Test func aCatalogNameBecomesTheProvidersIdAndTheAnswerNamesTheModel() async throws {
        let fixture = try RouterFixture()
        let routed = try await fixture.complete("sonnet")
        #expect(
            fixture.fakes.calls == [
                RecordedCall(provider: "anthropic", modelID: ModelID.sonnet, maxTokens: 1024, apiKey: anthropicTestKey, streamed: false)
            ])
        #expect(routed.model.name == "claude-sonnet-5-5")
        #expect(routed.requestedModel == "sonnet")
        #expect(routed.attempts == 1)
        #expect(!routed.failedOver)
        #expect(routed.response.model == "claude-sonnet-5-5-20260101", "the rich API keeps the provider's own answer")
        #expect(fixture.log.all.isEmpty)

        // Through the plain ModelProvider face, the answer names the model by its catalog name.
        let provider: any ModelProvider = fixture.router
        #expect(provider.name == "router")
        let plain = try await provider.complete(RouterFixture.request("sonnet"))
        #expect(plain.model == "claude-sonnet-5-5")
        #expect(plain.message.text == "ok")
    }

    @Test func retryAfterIsHonoured() async throws {
        let fixture = try RouterFixture()
        fixture.fakes.script(ModelID.sonnet, .fail(.rateLimited(after: .seconds(7))), .answer("fine"))
        let routed = try await fixture.complete("sonnet")
        #expect(routed.response.message.text == "fine")
        #expect(routed.attempts == 2)
        #expect(fixture.clock.sleeps == [.seconds(7)])
        #expect(fixture.fakes.calledModels == [ModelID.sonnet, ModelID.sonnet])
        #expect(
            fixture.log.descriptions == [
                "retrying claude-sonnet-5-5 on anthropic (attempt 2) in 7 s after: anthropic: rate limited (HTTP 429)"
            ])
    }

    @Test func withoutRetryAfterTheWaitsAreJitteredExponentialBackoff() async throws {
        let fixture = try RouterFixture()
        fixture.fakes.script(ModelID.sonnet, .fail(.server), .fail(.server), .answer("third time"))
        let routed = try await fixture.complete("sonnet")
        #expect(routed.attempts == 3)
        let sleeps = fixture.clock.sleeps
        try #require(sleeps.count == 2)
        #expect(sleeps[0] >= .milliseconds(375) && sleeps[0] <= .milliseconds(500))
        #expect(sleeps[1] >= .milliseconds(750) && sleeps[1] <= .seconds(1))

        // The same seed gives the same waits.
        let again = try RouterFixture()
        again.fakes.script(ModelID.sonnet, .fail(.server), .fail(.server), .answer("third time"))
        _ = try await again.complete("sonnet")
        #expect(again.clock.sleeps == sleeps)
    }

    @Test func aRetryAfterLongerThanTheCapCoolsTheModelDownAndFailsOverAtOnce() async throws {
        let fixture = try RouterFixture()
        fixture.fakes.script(ModelID.sonnet, .fail(.rateLimited(after: .seconds(120))))
        let routed = try await fixture.complete("sonnet")
        #expect(fixture.clock.sleeps == [], "nothing waits two minutes")
        #expect(fixture.fakes.calledModels == [ModelID.sonnet, ModelID.haiku])
        #expect(routed.model.name == "claude-haiku-5-5")
        #expect(routed.failedOver)
        #expect(
            fixture.log.descriptions == [
                "cooling down claude-sonnet-5-5 on anthropic for 120 s",
                "failing over from claude-sonnet-5-5 to claude-haiku-5-5 after: anthropic: rate limited (HTTP 429)",
            ])
    }

    @Test(arguments: [
        (ModelProviderError.Code.authentication, 401 as Int?), (.permissionDenied, 403), (.invalidRequest, 400),
        (.contextWindowExceeded, 400), (.malformedResponse, nil),
    ])
    func requestAndCredentialErrorsAreNeitherRetriedNorFailedOver(_ code: ModelProviderError.Code, _ status: Int?) async throws {
        let fixture = try RouterFixture()
        fixture.fakes.script(ModelID.sonnet, .fail(ModelProviderError(code, provider: "anthropic", status: status, message: "refused")))
        let error = try await #require(throws: ModelProviderError.self) { try await fixture.complete("sonnet") }
        #expect(error.code == code)
        #expect(fixture.fakes.calledModels == [ModelID.sonnet])
        #expect(fixture.clock.sleeps == [])
        #expect(fixture.log.all.isEmpty)
    }

    @Test func aRejectedKeyFailsNamingTheVariableToSet() async throws {
        let fixture = try RouterFixture()
        fixture.fakes.script(
            ModelID.sonnet, .fail(ModelProviderError(.authentication, provider: "anthropic", status: 401, message: "invalid x-api-key")))
        let error = try await #require(throws: ModelProviderError.self) { try await fixture.complete("sonnet") }
        #expect(error.description == "anthropic: invalid x-api-key (check ANTHROPIC_API_KEY) (HTTP 401)")

        // A client that already named it is left as it is.
        let named = try RouterFixture()
        named.fakes.script(
            ModelID.sonnet,
            .fail(ModelProviderError(.permissionDenied, provider: "anthropic", status: 403, message: "ANTHROPIC_API_KEY may not use this model")))
        let second = try await #require(throws: ModelProviderError.self) { try await named.complete("sonnet") }
        #expect(second.message == "ANTHROPIC_API_KEY may not use this model")
    }

    @Test func whenEveryModelFailsTheLastErrorIsThrown() async throws {
        // The breaker is off here: five server errors in a row would open it before the last call.
        let fixture = try RouterFixture(policy: RoutingPolicy(attemptsPerModel: 2, breaker: .disabled))
        fixture.fakes.script(ModelID.sonnet, .fail(.server), .fail(.server))
        fixture.fakes.script(ModelID.haiku, .fail(.server), .fail(.server))
        let last = ModelProviderError(.transport, provider: "anthropic", message: "connection refused")
        fixture.fakes.script(ModelID.opus, .fail(.server), .fail(last))
        let error = try await #require(throws: ModelProviderError.self) { try await fixture.complete("sonnet") }
        #expect(error.code == .transport)
        #expect(fixture.fakes.calls.count == 6)
    }

    @Test func anUnknownModelIsAClearProviderError() async throws {
        let fixture = try RouterFixture()
        let error = try await #require(throws: ModelProviderError.self) {
            try await fixture.router.complete(RouterFixture.request("sonet"))
        }
        #expect(error.code == .unknownModel)
        #expect(error.provider == "router")
        #expect(error.message.contains("did you mean `sonnet`"))
        #expect(fixture.fakes.calls.isEmpty)
    }

    @Test func aFallbackGetsNoMoreOutputTokensThanItAllows() async throws {
        let fixture = try RouterFixture(policy: RoutingPolicy(attemptsPerModel: 1, failoverChains: ["sonnet": ["claude-haiku-4-5"]]))
        fixture.fakes.script(ModelID.sonnet, .fail(.overloaded()))
        _ = try await fixture.complete("sonnet", maxTokens: 100_000)
        #expect(fixture.fakes.calls.map(\.maxTokens) == [100_000, 64_000])
    }
}
