import Foundation
import TestSupport
import Testing

/// The unmodified `sandkasten==0.3.0` Python SDK against a real `sandcastle serve` on the real
/// engine: runs `scripts/compat-sandkasten --no-build` (36 checks, then a leak check of objects
/// labelled `sandcastle.managed=true`). No skip path: without Docker, python3 or a reachable
/// PyPI for the first install, this test fails and says which one is missing.
@Suite struct SandkastenSDKTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test(.timeLimit(.minutes(10)))
    func unmodifiedSDKPassesEveryCheck() async throws {
        let binary = Self.root.appendingPathComponent(".build/debug/sandcastle").path
        #expect(
            FileManager.default.isExecutableFile(atPath: binary),
            "\(binary) is missing: `swift build` (the test runs the script with --no-build)")
        let docker = try await Self.run(["docker", "version", "--format", "{{.Server.Version}}"])
        try #require(docker.status == 0, "Docker is required and does not answer: \(docker.output)")
        let python = try await Self.run(["python3", "-m", "venv", "--help"])
        try #require(python.status == 0, "python3 with venv is required (pip installs the SDK): \(python.output)")

        let result = try await Self.run([Self.root.appendingPathComponent("scripts/compat-sandkasten").path, "--no-build"])
        let summary = result.output.split(separator: "\n").filter { $0.hasPrefix("FAIL") || $0.contains("checks") }
        #expect(result.status == 0, "compat-sandkasten failed:\n\(result.output)")
        #expect(result.output.contains("all 36 checks passed"), "\(summary.joined(separator: "\n"))")
        #expect(result.output.contains("nothing left behind"), "\(result.output.suffix(2000))")
    }

    /// Runs a command from the repository root (through env, so PATH finds it), merging its output,
    /// on a thread of its own: the script takes a while and must not hold a pool thread.
    static func run(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        let child = try await runChild(arguments[0], Array(arguments.dropFirst()), directory: root)
        return (child.status, child.text)
    }
}
