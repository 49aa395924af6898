import ModelProviders
import Testing

@Suite struct ModelRouterStreamTests {
    /// Everything a routed stream gave: its deltas' text, its final answer, or the error it ended with.
    struct Collected {
        var text = ""
        var finished: RoutedResponse?
        var error: (any Error)?
    }

    private func collect(_ stream: AsyncThrowingStream<RoutedStreamEvent, any Error>) async -> Collected {
        var collected = Collected()
        do {
            for try await event in stream {
                switch event {
                case .delta(.textDelta(let text)): collected.text += text
                case .delta: break
                case .finished(let answer): collected.finished = answer
                }
            }
        } catch {
            collected.error = error
        }
        return collected
    }

    @Test func deltasArriveThenTheAnswerWithItsModel() async throws {
        let fixture = try RouterFixture()
        fixture.fakes.script(ModelID.sonnet, .stream(["Hel", "lo"], end: .finish))
        let collected = await collect(fixture.router.stream(RouterFixture.request("sonnet"), onEvent: fixture.log.sink))
        #expect(collected.error == nil)
        #expect(collected.text == "Hello")
        #expect(collected.finished?.model.name == "claude-sonnet-5-5")
        #expect(collected.finished?.response.message.text == "Hello")
        #expect(fixture.fakes.calls.map(\.streamed) == [true])
    }

    @Test func aFailureBeforeTheFirstDeltaIsRetriedAndNothingIsRepeated() async throws {
        let fixture = try RouterFixture()
        // Refused at once, then cut before any delta, then a whole answer.
        fixture.fakes.script(ModelID.sonnet, .fail(.overloaded(after: .seconds(2))), .stream([], end: .cut), .stream(["once"], end: .finish))
        let collected = await collect(fixture.router.stream(RouterFixture.request("sonnet"), onEvent: fixture.log.sink))
        #expect(collected.error == nil)
        #expect(collected.text == "once")
        #expect(collected.finished?.attempts == 3)
        #expect(fixture.clock.sleeps.first == .seconds(2))
        #expect(fixture.log.descriptions.count == 2)
        #expect(fixture.log.descriptions.last?.contains("ended before its message did") == true)
    }

    @Test func aFailureAfterTheFirstDeltaEndsTheCall() async throws {
        let fixture = try RouterFixture()
        fixture.fakes.script(ModelID.sonnet, .stream(["partial "], end: .fail(.overloaded())))
        let collected = await collect(fixture.router.stream(RouterFixture.request("sonnet"), onEvent: fixture.log.sink))
        #expect(collected.text == "partial ")
        #expect((collected.error as? ModelProviderError)?.code == .overloaded)
        #expect(collected.finished == nil)
        #expect(fixture.fakes.calls.count == 1, "neither retried nor failed over once the caller has part of the answer")
        #expect(fixture.log.all.isEmpty)

        // A stream cut after a delta ends the call the same way.
        let cut = try RouterFixture()
        cut.fakes.script(ModelID.sonnet, .stream(["half"], end: .cut))
        let cutCollected = await collect(cut.router.stream(RouterFixture.request("sonnet"), onEvent: cut.log.sink))
        #expect((cutCollected.error as? ModelProviderError)?.code == .streamInterrupted)
        #expect(cut.fakes.calls.count == 1)
    }

    @Test func theModelProviderFaceNamesTheModelThatAnsweredAfterAFailover() async throws {
        let fixture = try RouterFixture(policy: RoutingPolicy(attemptsPerModel: 1))
        fixture.fakes.script(ModelID.sonnet, .fail(.server))
        fixture.fakes.script(ModelID.haiku, .stream(["from ", "haiku"], end: .finish))
        let provider: any ModelProvider = fixture.router
        var text = ""
        var final: ModelResponse?
        for try await event in try await provider.stream(RouterFixture.request("sonnet")) {
            switch event {
            case .textDelta(let delta): text += delta
            case .finished(let response): final = response
            default: break
            }
        }
        #expect(text == "from haiku")
        #expect(final?.model == "claude-haiku-5-5")
        #expect(
            fixture.log.descriptions == [
                "failing over from claude-sonnet-5-5 to claude-haiku-5-5 after: anthropic: internal error (HTTP 500)"
            ])
    }
}
