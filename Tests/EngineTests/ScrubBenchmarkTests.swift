import Benchmarks
import Testing

/// What `sandcastle bench scrub` measures, run small: the corpus is what it says it is, and every
/// secret planted in it is found (the throughput figures are only meaningful if so).
@Suite("ScrubBenchmark: the bench scrub corpus and measurements")
struct ScrubBenchmarkTests {
    @Test("2 MiB of the seeded corpus: the same bytes every run, every planted secret found, PII found")
    func corpusAndMeasurements() throws {
        let corpus = ScrubCorpus.generate(bytes: 2 << 20)
        #expect(corpus.text.utf8.count >= 2 << 20)
        #expect(ScrubCorpus.generate(bytes: 64 << 10).text == ScrubCorpus.generate(bytes: 64 << 10).text)
        #expect(corpus.secrets == (2 << 20) / 16_384)
        let scrub = ScrubBenchmark.scrub(corpus.text, repetitions: 1)
        #expect(scrub.findings == corpus.secrets, "planted \(corpus.secrets), found \(scrub.findings)")
        #expect(scrub.megabytesPerSecond > 0 && scrub.cpuSeconds > 0)
        let pii = ScrubBenchmark.pii(corpus.text, repetitions: 1)
        #expect(pii.findings >= corpus.piiItems)
        let regex = try ScrubBenchmark.adversarialRegexMilliseconds()
        #expect(regex.milliseconds < 1000, "\(regex.pattern): \(regex.milliseconds) ms")
    }
}
