import Foundation
import TestSupport
import Testing

/// The official `anthropic==2.17.0` and `openai==3.63.0` Python SDKs, unmodified, against
/// `sandcastle provider-double`: runs `scripts/compat-providers` (20 checks: text, streams,
/// several tool calls, retries on 429 and 529, 500, a cut stream, malformed JSON, max_tokens
/// inside a tool call, errors in the middle of a stream). No skip path: without the built
/// binary, python3 with venv, or a reachable PyPI for the first install, this test fails and
/// says which one is missing.
@Suite struct OfficialSDKFidelityTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test(.timeLimit(.minutes(10)))
    func theOfficialSDKsAcceptTheDouble() async throws {
        let binary = Self.root.appendingPathComponent(".build/debug/sandcastle").path
        try #require(
            FileManager.default.isExecutableFile(atPath: binary),
            "\(binary) is missing: `swift build` first (the script drives the built binary)")
        let python = try await runChild("python3", ["-m", "venv", "--help"], directory: Self.root)
        try #require(python.status == 0, "python3 with venv is required (pip installs the SDKs): \(python.text)")

        let result = try await runChild(Self.root.appendingPathComponent("scripts/compat-providers").path, directory: Self.root)
        let failures = result.text.split(separator: "\n").filter { $0.hasPrefix("FAIL") || $0.hasPrefix("error:") }
        #expect(result.status == 0, "compat-providers failed:\n\(result.text.suffix(4000))")
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
        #expect(result.text.contains("all 20 checks passed (anthropic 2.17.0, openai 3.63.0)"), "\(result.text.suffix(2000))")
    }
}
