import Resilience
import Testing

@Suite struct BackoffTests {
    @Test func ceilingsDoubleUpToTheMaximum() {
        let backoff = Backoff()
        let ceilings = (1...7).map { backoff.ceiling(forRetry: $0) }
        #expect(
            ceilings == [.milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(8), .seconds(8)])
        #expect(backoff.ceiling(forRetry: 0) == .milliseconds(500))
        #expect(backoff.ceiling(forRetry: 100_000) == .seconds(8), "a huge retry count neither overflows nor traps")
    }

    @Test func jitterStaysWithinItsBounds() {
        let backoff = Backoff(jitter: 0.25)
        var generator = SeededRandomNumberGenerator(seed: 42)
        var lowest = Duration.seconds(100)
        var highest = Duration.zero
        for retry in 1...5 {
            let ceiling = backoff.ceiling(forRetry: retry)
            for _ in 0..<2_000 {
                let delay = backoff.delay(forRetry: retry, using: &generator)
                #expect(delay <= ceiling)
                #expect(delay >= ceiling * 0.75)
                if retry == 1 {
                    lowest = min(lowest, delay)
                    highest = max(highest, delay)
                }
            }
        }
        // The jitter really spreads the waits over its whole range.
        #expect(lowest < .milliseconds(390))
        #expect(highest > .milliseconds(490))
    }

    @Test func noJitterMeansTheCeilingAndFullJitterMayReachZero() {
        var generator = SeededRandomNumberGenerator(seed: 1)
        #expect(Backoff(jitter: 0).delay(forRetry: 3, using: &generator) == .seconds(2))
        let full = Backoff(jitter: 5) // clamped to 1
        for _ in 0..<100 {
            let delay = full.delay(forRetry: 1, using: &generator)
            #expect(delay >= .zero && delay <= .milliseconds(500))
        }
    }

    @Test func theSeededGeneratorRepeatsItself() {
        var first = SeededRandomNumberGenerator(seed: 9)
        var second = SeededRandomNumberGenerator(seed: 9)
        var other = SeededRandomNumberGenerator(seed: 10)
        let a = (0..<8).map { _ in first.next() }
        #expect(a == (0..<8).map { _ in second.next() })
        #expect(a != (0..<8).map { _ in other.next() })
    }
}
