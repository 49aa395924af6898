import Foundation
import TestSupport
import Testing

/// Sandcastle's own SDK and CLI (`sandcastle-ai==0.47.0` from PyPI, unmodified) against `/api` of
/// a real `sandcastle serve` on the real engine: `scripts/compat-sandcastle` runs
/// compat/sandcastle/sdk_scenario.py (the sync and async clients through every SDK method whose
/// endpoint the server has: health, runtime, workflows listed and saved, runs by name and inline,
/// waited for and polled, their steps, outputs and timestamps, the run list's filters and pages,
/// cancelling running and queued runs, idempotency keys, error codes, dead letters; then the peer's
/// CLI: health, run, status, ls runs, ls workflows, runs list, cancel, dlq list|retry|resolve),
/// then checks that the API key is in neither the server's log nor its data folder and that no
/// container or volume is left. No skip path: without Docker, the base image, a Python ≥ 3.12 or
/// a reachable PyPI for the first install, this test fails and says which.
@Suite struct SandcastleSDKTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test(.timeLimit(.minutes(10)))
    func sandcastlesSDKAndCLIDriveTheAPI() async throws {
        let binary = Self.root.appendingPathComponent(".build/debug/sandcastle").path
        #expect(FileManager.default.isExecutableFile(atPath: binary), "\(binary) is missing: `swift build`")
        let result = try await runChild("/bin/bash", [Self.root.appendingPathComponent("scripts/compat-sandcastle").path], directory: Self.root)
        let summary = result.text.split(separator: "\n").filter { $0.hasPrefix("FAIL") || $0.contains("checks") }
        #expect(result.status == 0, "compat-sandcastle failed:\n\(result.text)")
        #expect(result.text.contains("all 209 checks passed"), "\(summary.joined(separator: "\n"))")
        #expect(result.text.contains("all 24 checks passed"), "the stream scenario: \(summary.joined(separator: "\n"))")
        #expect(result.text.contains("PASS the API key and the pepper are in neither the server log"), "\(result.text.suffix(2000))")
        #expect(result.text.contains("PASS no leftovers"), "\(result.text.suffix(2000))")
    }
}
