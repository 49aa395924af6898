import Foundation
import Guardrails

/// What `sandcastle bench scrub` measures in this process: the scrubber's and the PII detector's
/// single-core throughput over the corpus, and LinearRegex on adversarial input.
public enum ScrubBenchmark {
    public struct Throughput: Sendable {
        /// Megabytes (10^6 bytes) per CPU-second of the one thread that did the work, the best
        /// of the repetitions: single-core throughput that other load on the machine does not skew.
        public let megabytesPerSecond: Double
        /// That repetition's CPU seconds and wall seconds.
        public let cpuSeconds: Double
        public let wallSeconds: Double
        public let findings: Int
    }

    /// The scrubber over `text`, `repetitions` times, on the calling thread (one core).
    public static func scrub(_ text: String, repetitions: Int = 3) -> Throughput {
        let scrubber = SecretScrubber()
        return measure(text, repetitions: repetitions) { scrubber.scrub($0).findings.count }
    }

    /// The PII detector, all seven entities.
    public static func pii(_ text: String, repetitions: Int = 3) -> Throughput {
        let detector = PIIDetector()
        return measure(text, repetitions: repetitions) { detector.matches(in: $0).count }
    }

    /// The classic catastrophic patterns against 10 MiB built to make backtrackers explode;
    /// the slowest pattern's time in milliseconds.
    public static func adversarialRegexMilliseconds() throws -> (milliseconds: Double, pattern: String) {
        let size = 10 << 20
        let allA = String(repeating: "a", count: size)
        var slowest = (milliseconds: 0.0, pattern: "")
        for (pattern, input) in [("(a+)+$", allA + "!"), ("(a|aa)*c", allA), ("(.*a){20}", allA)] {
            let regex = try LinearRegex(pattern)
            let start = threadCPUSeconds()
            _ = regex.firstMatch(in: input)
            let milliseconds = (threadCPUSeconds() - start) * 1000
            if milliseconds > slowest.milliseconds { slowest = (milliseconds, pattern) }
        }
        return slowest
    }

    private static func measure(_ text: String, repetitions: Int, _ body: (String) -> Int) -> Throughput {
        var best = (cpu: Double.infinity, wall: 0.0)
        var findings = 0
        for _ in 0..<max(1, repetitions) {
            let start = ContinuousClock.now
            let cpuStart = threadCPUSeconds()
            findings = body(text)
            let cpu = threadCPUSeconds() - cpuStart
            if cpu < best.cpu { best = (cpu, (ContinuousClock.now - start).milliseconds / 1000) }
        }
        return Throughput(
            megabytesPerSecond: Double(text.utf8.count) / 1e6 / best.cpu, cpuSeconds: best.cpu, wallSeconds: best.wall, findings: findings)
    }

    /// CPU time of the calling thread.
    static func threadCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}

extension Duration {
    fileprivate var milliseconds: Double {
        Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15
    }
}
