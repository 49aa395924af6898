import ArgumentParser
import Benchmarks
import Foundation

/// `sandcastle bench scrub [--json]`: the guardrails' throughput on one core over 100 MiB of
/// mixed text, against Sandcastle 0.47's own secret scrubber on the same bytes in the same run.
struct BenchScrub: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scrub",
        abstract: "Secret scrubber and PII detector throughput (100 MiB, one core), LinearRegex on adversarial input, against Sandcastle 0.47's scrubber.",
        discussion: """
            Generates SIZE MiB of seeded mixed text (prose, log lines, JSON events, code; a fake secret about every \
            16 KiB, PII about every 2 KiB) and measures, on one thread, the best of three passes in CPU time: the secret \
            scrubber (scrub_mb_s) and the PII detector with all seven entities (pii_mb_s); then LinearRegex's slowest \
            of (a+)+$, (a|aa)*c and (.*a){20} on 10 MiB of `a` (regex_adversarial_10mib_ms); then the same 1,000-step \
            run of no-op steps with and without a policy set (PII redact, a regex block, a condition alert), the \
            difference per step (policy_overhead_ms_per_step) and the evaluation alone (policy_evaluation_ms_per_step). \
            The baseline, \
            peer_scrub_mb_s, is Sandcastle 0.47's own two-layer scrubber (sandcastle.engine.generator._scrub_secrets: \
            PEM first, then one combined regex; engine/policy.py holds only per-tool regexes) run by the peer's \
            Python from scripts/bench-peer-sandcastle on the same text written to a temporary file. Progress on \
            stderr; the table, or JSON with --json, on stdout. See docs/guardrails.md.
            """)

    @Option(name: .customLong("size-mib"), help: "MiB of mixed text to scrub (at least 1).")
    var sizeMiB = 100

    @Option(name: .customLong("peer-script"), help: "The script that prepares the peer (default: scripts/bench-peer-sandcastle of this checkout).")
    var peerScript: String?

    @Flag(name: .customLong("no-baseline"), help: "Measure ours only.")
    var noBaseline = false

    @Flag(name: .long, help: "Print one JSON object instead of the table.")
    var json = false

    func validate() throws {
        if sizeMiB < 1 || sizeMiB > 4096 { throw ValidationError("--size-mib must be 1-4096") }
    }

    func run() async throws {
        let progress: (String) -> Void = { message in if !json { Console.error("… \(message)") } }
        progress("generating \(sizeMiB) MiB of mixed text (seeded)")
        let corpus = ScrubCorpus.generate(bytes: sizeMiB << 20)
        progress("secret scrubber, 3 passes on one core")
        let scrub = ScrubBenchmark.scrub(corpus.text)
        progress("PII detector (7 entities), 3 passes on one core")
        let pii = ScrubBenchmark.pii(corpus.text)
        progress("LinearRegex on 10 MiB of adversarial input")
        let regex = try ScrubBenchmark.adversarialRegexMilliseconds()
        progress("policies on a 1,000-step run of no-op steps, with and without (best of 3 each)")
        let policies = try await PolicyOverhead.measure(steps: 1000, rounds: 3)
        var peer: PeerScrub?
        if !noBaseline {
            progress("Sandcastle 0.47's scrubber on the same text (its venv via scripts/bench-peer-sandcastle)")
            peer = try PeerScrub.measure(corpus.text, script: BenchAPI.locatePeerScript(peerScript))
        }
        let report = BenchScrubReport(
            bytes: corpus.text.utf8.count, planted: corpus.secrets, scrub: scrub, pii: pii, regexMilliseconds: regex.milliseconds,
            regexPattern: regex.pattern, policies: policies, peer: peer)
        Console.print(json ? report.json() : report.table())
    }
}

/// Sandcastle 0.47's `_scrub_secrets` over the corpus, timed by the peer's own Python.
struct PeerScrub {
    let megabytesPerSecond: Double
    let cpuSeconds: Double
    let redactions: Int

    private static let program = """
        import json, sys, time
        from sandcastle.engine.generator import _scrub_secrets
        with open(sys.argv[1], encoding="utf-8") as handle:
            text = handle.read()
        size = len(text.encode("utf-8"))
        best, output = None, ""
        for _ in range(int(sys.argv[2])):
            start = time.thread_time()
            output = _scrub_secrets(text)
            elapsed = time.thread_time() - start
            best = elapsed if best is None else min(best, elapsed)
        print(json.dumps({"bytes": size, "cpu_seconds": best, "redactions": output.count("[REDACTED")}))
        """

    static func measure(_ text: String, script: String, repetitions: Int = 1) throws -> PeerScrub {
        let prepared = try run("/bin/bash", [script, "prepare"])
        guard let sandcastle = prepared.split(separator: "\n").last.map(String.init), !sandcastle.isEmpty else {
            throw ValidationError("\(script) prepare printed no path")
        }
        let python = URL(fileURLWithPath: sandcastle).deletingLastPathComponent().appendingPathComponent("python").path
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sandcastle-bench-scrub-\(UUID().uuidString).txt")
        try Data(text.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let output = try run(python, ["-c", program, file.path, String(repetitions)])
        guard let line = output.split(separator: "\n").last,
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
            let bytes = object["bytes"] as? Int, let seconds = object["cpu_seconds"] as? Double, seconds > 0
        else { throw ValidationError("the peer's scrubber printed no result: \(output.suffix(500))") }
        return PeerScrub(
            megabytesPerSecond: Double(bytes) / 1e6 / seconds, cpuSeconds: seconds, redactions: object["redactions"] as? Int ?? 0)
    }

    /// Runs a child to its end; its stdout, or an error with its stderr's tail.
    private static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let stdout = Pipe()
        let stderr = FileManager.default.temporaryDirectory.appendingPathComponent("sandcastle-bench-scrub-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: stderr.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: stderr) }
        process.standardOutput = stdout
        process.standardError = try FileHandle(forWritingTo: stderr)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let log = (try? String(contentsOf: stderr, encoding: .utf8)) ?? ""
            throw ValidationError("\(executable) \(arguments.first ?? "") exited \(process.terminationStatus): \(log.suffix(1000))")
        }
        return String(decoding: data, as: UTF8.self)
    }
}

/// What `sandcastle bench scrub` prints.
struct BenchScrubReport {
    let bytes: Int
    let planted: Int
    let scrub: ScrubBenchmark.Throughput
    let pii: ScrubBenchmark.Throughput
    let regexMilliseconds: Double
    let regexPattern: String
    let policies: PolicyOverhead.Result
    let peer: PeerScrub?

    func table() -> String {
        var lines = [
            String(format: "corpus                       %.1f MiB mixed text, %d planted secrets", Double(bytes) / 1_048_576, planted),
            String(format: "secret scrubber              %8.1f MB/s  (%.2f s CPU, %d findings)", scrub.megabytesPerSecond, scrub.cpuSeconds, scrub.findings),
            String(format: "PII detector (7 entities)    %8.1f MB/s  (%.2f s CPU, %d matches)", pii.megabytesPerSecond, pii.cpuSeconds, pii.findings),
            String(format: "LinearRegex, 10 MiB hostile  %8.1f ms", regexMilliseconds) + "    (slowest: \(regexPattern))",
            String(
                format: "policies, 1,000-step run     %8.3f ms/step (evaluation alone %.3f ms/step; target ≤ %.1f)",
                policies.overheadMillisecondsPerStep, policies.evaluationMillisecondsPerStep, PolicyOverhead.Result.targetMillisecondsPerStep),
        ]
        if let peer {
            lines.append(
                String(
                    format: "Sandcastle 0.47 scrubber     %8.1f MB/s  (%.2f s CPU, %d redactions) → ours %.0f× faster", peer.megabytesPerSecond,
                    peer.cpuSeconds, peer.redactions, scrub.megabytesPerSecond / peer.megabytesPerSecond))
        }
        return lines.joined(separator: "\n")
    }

    func json() -> String {
        var object: [String: Any] = [
            "corpus_bytes": bytes,
            "planted_secrets": planted,
            "scrub_mb_s": rounded(scrub.megabytesPerSecond),
            "scrub_findings": scrub.findings,
            "pii_mb_s": rounded(pii.megabytesPerSecond),
            "pii_matches": pii.findings,
            "regex_adversarial_10mib_ms": rounded(regexMilliseconds),
            "policy_overhead_ms_per_step": (policies.overheadMillisecondsPerStep * 1000).rounded() / 1000,
            "policy_evaluation_ms_per_step": (policies.evaluationMillisecondsPerStep * 1000).rounded() / 1000,
            "policy_runs_completed": policies.completed,
        ]
        if let peer {
            object["peer_scrub_mb_s"] = rounded(peer.megabytesPerSecond)
            object["baseline"] = "sandcastle-ai 0.47.0 sandcastle.engine.generator._scrub_secrets (scripts/bench-peer-sandcastle)"
        }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    private func rounded(_ value: Double) -> Double { (value * 100).rounded() / 100 }
}
