import Foundation
import TestSupport
import Testing

/// Sandstorm's own Python client (`duvo-sandstorm[client]==0.9.2` from PyPI, unmodified) against
/// `POST /query` of a real `sandcastle serve` on the real engine, its model the provider double:
/// `scripts/compat-sandstorm` runs compat/sandstorm/client_scenario.py (auth, 422s, an agent run
/// with a tool in a sandbox, structured output, the SSE framing, a client that disconnects), then
/// checks that no per-request key is in the server's log or data folder and no container is left.
/// No skip path: without Docker, python3, the `agent` image or a reachable PyPI for the first
/// install, this test fails and says which.
@Suite struct SandstormClientTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test(.timeLimit(.minutes(10)))
    func sandstormsClientRunsAgentsThroughQuery() async throws {
        let binary = Self.root.appendingPathComponent(".build/debug/sandcastle").path
        #expect(FileManager.default.isExecutableFile(atPath: binary), "\(binary) is missing: `swift build`")
        let result = try await runChild("/bin/bash", [Self.root.appendingPathComponent("scripts/compat-sandstorm").path], directory: Self.root)
        let summary = result.text.split(separator: "\n").filter { $0.hasPrefix("FAIL") || $0.contains("checks") || $0.hasPrefix("INFO") }
        #expect(result.status == 0, "compat-sandstorm failed:\n\(result.text)")
        #expect(result.text.contains("all 44 checks passed"), "\(summary.joined(separator: "\n"))")
        #expect(result.text.contains("PASS no per-request key in the server log"), "\(result.text.suffix(2000))")
        #expect(result.text.contains("PASS no leftovers"), "\(result.text.suffix(2000))")
    }
}
