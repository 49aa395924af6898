import Foundation
import TestSupport
import Testing

/// `sandcastle credentials` as a person runs it (the built executable, its stdin, its output):
/// set from stdin or a variable, list masked, delete, rotate-key, and the value never accepted
/// as an argument nor printed.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct CredentialsCLITests {
    static let value = "ghp_cliValue0123456789abcdefXYZ"

    static func sandcastle(_ arguments: [String], input: String? = nil, extra: [String: String] = [:]) async throws -> ChildOutput {
        var environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": NSTemporaryDirectory()]
        environment.merge(extra) { _, given in given }
        return try await runChild(
            try CLIRunTests.executable().path, ["credentials"] + arguments, environment: environment, input: Data((input ?? "").utf8))
    }

    @Test func setListDeleteAndRotateThroughTheExecutable() async throws {
        let directory = try CLIRunTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = ["--data-dir", directory.path]

        let set = try await Self.sandcastle(["set", "github:default"] + data, input: Self.value + "\n")
        #expect(set.status == 0, "\(set.text)")
        #expect(set.text.contains("stored github:default (ghp_...fXYZ)") && !set.text.contains(Self.value), "\(set.text)")

        let fromVariable = try await Self.sandcastle(
            ["set", "slack:ops", "--from-env", "OPS_TOKEN"] + data, extra: ["OPS_TOKEN": "xoxb-0123456789-abcdef"])
        #expect(fromVariable.status == 0, "\(fromVariable.text)")

        let list = try await Self.sandcastle(["list"] + data)
        #expect(list.status == 0 && list.text.contains("github:default") && list.text.contains("ghp_...fXYZ"), "\(list.text)")
        #expect(list.text.contains("slack:ops") && list.text.contains("xoxb...cdef") && !list.text.contains(Self.value))
        let json = try await Self.sandcastle(["list", "--json"] + data)
        let items = try JSONSerialization.jsonObject(with: json.output) as? [[String: Any]]
        #expect(items?.compactMap { $0["masked_value"] as? String } == ["ghp_...fXYZ", "xoxb...cdef"], "\(json.text)")

        let rotated = try await Self.sandcastle(["rotate-key"] + data)
        #expect(rotated.status == 0 && rotated.text.contains("re-sealed 2 credential(s)"), "\(rotated.text)")
        let afterRotation = try await Self.sandcastle(["list"] + data)
        #expect(afterRotation.text.contains("ghp_...fXYZ"), "still readable under the new key: \(afterRotation.text)")

        let deleted = try await Self.sandcastle(["delete", "github:default"] + data)
        #expect(deleted.status == 0, "\(deleted.text)")
        let again = try await Self.sandcastle(["delete", "github:default"] + data)
        #expect(again.status == 1 && again.text.contains("no credential github:default"), "\(again.text)")
        let rest = try await Self.sandcastle(["list"] + data)
        #expect(!rest.text.contains("github:default") && rest.text.contains("slack:ops"))
    }

    @Test func theValueIsNeverAnArgumentNorEmptyAndABadNameIsNamed() async throws {
        let directory = try CLIRunTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = ["--data-dir", directory.path]
        let asArgument = try await Self.sandcastle(["set", "github:default", Self.value] + data)
        #expect(asArgument.status != 0, "a value on the command line is refused: \(asArgument.text)")
        let empty = try await Self.sandcastle(["set", "github:default"] + data, input: "\n")
        #expect(empty.status == 1 && empty.text.contains("the value is empty"), "\(empty.text)")
        let unsetVariable = try await Self.sandcastle(["set", "github:default", "--from-env", "NOPE_NOT_SET"] + data)
        #expect(unsetVariable.status == 1 && unsetVariable.text.contains("NOPE_NOT_SET is not set"), "\(unsetVariable.text)")
        let badName = try await Self.sandcastle(["set", "../etc:passwd"] + data, input: Self.value)
        #expect(badName.status == 1 && badName.text.contains("service:connection") && !badName.text.contains(Self.value), "\(badName.text)")
        let badKey = try await Self.sandcastle(["set", "github:default"] + data, input: Self.value, extra: ["SANDCASTLE_CREDENTIAL_KEY": "not-a-key"])
        #expect(badKey.status == 1 && badKey.text.contains("openssl rand -base64 32") && !badKey.text.contains("not-a-key"), "\(badKey.text)")
    }
}
