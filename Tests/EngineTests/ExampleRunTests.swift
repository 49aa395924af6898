import DockerEngine
import Foundation
import Sandbox
import SandboxDocker
import Store
import Testing
import Workflow

@testable import Engine

/// Every example in `examples/` on the real engine, completing with the outputs it promises;
/// the approval-gated one both approved and rejected.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct ExampleRunTests {
    static func examplePath(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples/\(name)").path
    }

    static func run(_ name: String) async throws -> (RunOutcome, DockerSandboxBackend) {
        let backend = try await DockerSandboxBackend.fromEnvironment()
        let workflow = try WorkflowLoader().loadValid(path: examplePath(name))
        let engine = WorkflowEngine(
            backend: backend, repository: InMemoryRunRepository(),
            configuration: EngineConfiguration(removesWorkspace: true))
        return (try await engine.run(workflow), backend)
    }

    static func expectNothingLeft(_ outcome: RunOutcome, _ backend: DockerSandboxBackend) async throws {
        let containers = try await backend.docker.listContainers(all: true, filters: .label(SandcastleLabels.run, outcome.runID))
        #expect(containers.isEmpty, "containers left: \(containers.map(\.id))")
        let volumes = try await backend.docker.listVolumes(
            filters: DockerFilters(["name": [WorkflowEngine.workspaceName(runID: outcome.runID)]]))
        #expect(volumes.isEmpty, "volumes left: \(volumes.map(\.name))")
    }

    @Test func dataPipeline() async throws {
        // With a data folder, steps get $SANDCASTLE_OUTPUTS and what they write there is kept.
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("pipeline-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: data) }
        let backend = try await DockerSandboxBackend.fromEnvironment()
        let workflow = try WorkflowLoader().loadValid(path: Self.examplePath("data-pipeline.yaml"))
        let engine = WorkflowEngine(
            backend: backend, repository: InMemoryRunRepository(),
            configuration: EngineConfiguration(
                removesWorkspace: true,
                dataDirectory: data.path))
        let outcome = try await engine.run(workflow)
        #expect(outcome.status == .completed, "\(outcome.error ?? "")")
        #expect(outcome.outputs["report"] == "/workspace/outputs/merge/report.md")
        let files = RunFiles(dataDirectory: data.path)
        #expect(files.artifacts(outcome.runID).map(\.path) == ["merge/report.md"])
        let report = try String(
            contentsOfFile: files.artifactsDirectory(outcome.runID, step: "merge", index: nil) + "/report.md",
            encoding: .utf8)
        #expect(report.hasPrefix("# Sales report"))
        #expect(outcome.outputs["top_region"] != nil && outcome.outputs["top_region"] != .null)
        try await Self.expectNothingLeft(outcome, backend)
    }

    @Test func repoCheck() async throws {
        let (outcome, backend) = try await Self.run("repo-check.yaml")
        #expect(outcome.status == .completed, "\(outcome.error ?? "")")
        #expect(outcome.outputs["tests"] == ["status": "passed", "tests": 3])
        #expect(outcome.outputs["tag"] == "v0.1.0")
        try await Self.expectNothingLeft(outcome, backend)
    }

    /// Runs approval-gated.yaml on Docker with SQLite, deciding the gate from the test through
    /// the store, as `sandcastle runs approve|reject` in another process would.
    static func runApprovalGated(_ decision: ApprovalDecision, version: String = "1.0.0", environment: String = "staging")
        async throws -> (RunOutcome, DockerSandboxBackend, SQLiteRunRepository)
    {
        let inputs: [String: InputValue] = ["version": .text(version), "environment": .text(environment)]
        let backend = try await DockerSandboxBackend.fromEnvironment()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("approval-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let repository = try SQLiteRunRepository(path: directory.appendingPathComponent("sandcastle.sqlite").path)
        let workflow = try WorkflowLoader().loadValid(path: examplePath("approval-gated.yaml"))
        let engine = WorkflowEngine(
            backend: backend, repository: repository,
            configuration: EngineConfiguration(
                removesWorkspace: true,
                approvalPollInterval: .milliseconds(100)))
        let runID = WorkflowEngine.makeRunID()
        let run = Task { try await engine.run(workflow, inputs: inputs, runID: runID) }
        // The engine records the approval, then the run's status, in two writes: wait for both.
        var pending: ApprovalRecord?
        var status: RunStatus?
        let deadline = ContinuousClock.now + .seconds(90)
        while (pending == nil || status != .waitingApproval) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            pending = try repository.approvals(runID: runID, statuses: [.pending]).first
            status = try repository.run(id: runID)?.run.status
        }
        let approval = try #require(pending, "the run reached its approval gate")
        #expect(approval.stepID == "approve")
        #expect(status == .waitingApproval, "a run at its gate says it waits for approval")
        // The message shows build's real checksum, read from the sandbox's output.
        let sha = try #require(JSONValue.parse(json: approval.requestJSON ?? "")?.child("sha"))
        #expect(approval.message == "Deploy \(version) (\(sha.renderedString)) to \(environment)?")
        try Approvals.decide(
            decision, runID: runID, stepID: "approve", by: "test", comment: "from the suite",
            repository: repository)
        return (try await run.value, backend, repository)
    }

    @Test func approvalGatedApproved() async throws {
        let (outcome, backend, repository) = try await Self.runApprovalGated(
            .approve(), version: "1.2.0", environment: "production")
        #expect(outcome.status == .completed, "\(outcome.error ?? "")")
        #expect(outcome.outputs["release"] == "releases/production/app-1.2.0.txt")
        #expect(outcome.steps["smoke-test"]?.output == ["smoke_test": "passed"], "production runs the smoke test")
        #expect(outcome.outputs["approved_sha"] == outcome.steps["build"]?.output.child("sha"))
        let approval = try #require(try repository.approval(runID: outcome.runID, stepID: "approve"))
        #expect(approval.status == .approved && approval.decidedBy == "test")
        try await Self.expectNothingLeft(outcome, backend)
    }

    @Test func approvalGatedRejected() async throws {
        let (outcome, backend, repository) = try await Self.runApprovalGated(.reject)
        #expect(outcome.status == .failed)
        #expect(outcome.error?.contains("rejected by test: from the suite") == true, "\(outcome.error ?? "")")
        let detail = try #require(try repository.run(id: outcome.runID))
        #expect(detail.steps.first { $0.stepID == "deploy" }?.status != .completed)
        #expect(detail.steps.first { $0.stepID == "approve" }?.status == .failed)
        try await Self.expectNothingLeft(outcome, backend)
    }
}
