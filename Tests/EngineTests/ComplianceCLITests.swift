import Foundation
import Store
import TestSupport
import Testing

@testable import Engine

/// The `sandcastle` executable under `COMPLIANCE_MODE` (issue 15 §6): `validate` and `run` refuse
/// a high-risk workflow without an approval step, and an unacceptable one in any mode, before
/// anything runs; `runs transparency` reports a finished run.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct ComplianceCLITests {
    static let highRisk = """
        name: high-risk
        risk_level: high
        steps:
          - {id: score, run: echo scored}
        """

    /// Runs the CLI with `environment` laid over this process's, to its end.
    static func sandcastle(_ arguments: [String], environment: [String: String] = [:], in directory: URL) async throws -> (
        status: Int32, output: String
    ) {
        let log = directory.appendingPathComponent("cli-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        let process = Process()
        process.executableURL = try CLIRunTests.executable()
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.currentDirectoryURL = directory
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        try handle.close()
        let ended = await eventually(.seconds(120)) { !process.isRunning }
        if !ended { process.terminate() }
        #expect(ended, "sandcastle \(arguments) did not exit")
        return (process.terminationStatus, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }

    static func scratch() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("compliance-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test func validateAndRunRefuseAHighRiskWorkflowWithoutApprovalUnderTheEUAIAct() async throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.highRisk.write(to: directory.appendingPathComponent("wf.yaml"), atomically: true, encoding: .utf8)
        let mode = ["COMPLIANCE_MODE": "eu_ai_act"]

        let plain = try await Self.sandcastle(["validate", "wf.yaml"], environment: ["COMPLIANCE_MODE": ""], in: directory)
        #expect(plain.status == 0, "no compliance mode: high risk is a label: \(plain.output)")

        let refused = try await Self.sandcastle(["validate", "wf.yaml"], environment: mode, in: directory)
        #expect(refused.status == 1)
        #expect(refused.output.contains("error: workflow `high-risk` is `risk_level: high` and has no approval step"), "\(refused.output)")
        #expect(refused.output.contains("add a step with `type: approval`"), "\(refused.output)")

        let data = directory.appendingPathComponent("data")
        let run = try await Self.sandcastle(["run", "wf.yaml", "--data-dir", data.path], environment: mode, in: directory)
        #expect(run.status == 1)
        #expect(run.output.contains("nothing was run"), "\(run.output)")
        #expect(!FileManager.default.fileExists(atPath: data.appendingPathComponent("sandcastle.sqlite").path), "no run was recorded")
    }

    @Test func anUnacceptableWorkflowIsRefusedWithoutAModeAndABadModeIsNamed() async throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.highRisk.replacingOccurrences(of: "risk_level: high", with: "risk_level: unacceptable")
            .write(to: directory.appendingPathComponent("wf.yaml"), atomically: true, encoding: .utf8)
        let refused = try await Self.sandcastle(["validate", "wf.yaml"], environment: ["COMPLIANCE_MODE": ""], in: directory)
        #expect(refused.status == 1)
        #expect(refused.output.contains("`risk_level: unacceptable`, which is never run"), "\(refused.output)")

        let bad = try await Self.sandcastle(["validate", "wf.yaml"], environment: ["COMPLIANCE_MODE": "eu-ai-act"], in: directory)
        #expect(bad.status == 1)
        #expect(bad.output.contains("COMPLIANCE_MODE must be eu_ai_act (or unset), not 'eu-ai-act'"), "\(bad.output)")
    }

    @Test func runsTransparencyReportsAFinishedRun() async throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.highRisk.replacingOccurrences(of: "risk_level: high", with: "risk_level: limited")
            .write(to: directory.appendingPathComponent("wf.yaml"), atomically: true, encoding: .utf8)
        let data = directory.appendingPathComponent("data").path
        let environment = ["COMPLIANCE_MODE": "eu_ai_act", "DATA_RESIDENCY": "eu", "PRIVACY_ENABLED": "true"]
        let run = try await Self.sandcastle(["run", "wf.yaml", "--data-dir", data], environment: environment, in: directory)
        #expect(run.status == 0, "\(run.output)")
        let repository = try SQLiteRunRepository(path: data + "/sandcastle.sqlite")
        let id = try #require(try repository.listRuns(RunQuery()).first?.id)

        let text = try await Self.sandcastle(["runs", "transparency", id, "--data-dir", data], environment: environment, in: directory)
        #expect(text.status == 0, "\(text.output)")
        #expect(text.output.contains("transparency report of run \(id) (workflow high-risk, completed)"), "\(text.output)")
        #expect(text.output.contains("risk level:      limited (compliance mode eu_ai_act)"), "\(text.output)")
        #expect(text.output.contains("data residency:  eu; regions used: none"), "\(text.output)")
        #expect(text.output.contains("privacy:         redact credit_card, email, phone, ssn in outputs, webhooks"), "\(text.output)")
        #expect(text.output.contains("human oversight (0 approval gates):"), "\(text.output)")

        let json = try await Self.sandcastle(["runs", "transparency", id, "--data-dir", data, "--json"], environment: environment, in: directory)
        #expect(json.status == 0, "\(json.output)")
        let object = try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any]
        #expect(object?["run_id"] as? String == id && object?["risk_level"] as? String == "limited", "\(json.output)")
        #expect((object?["policy_violations"] as? [Any])?.isEmpty == true)

        let missing = try await Self.sandcastle(["runs", "transparency", "no-such-run", "--data-dir", data], in: directory)
        #expect(missing.status == 1 && missing.output.contains("no-such-run"), "\(missing.output)")
    }
}
