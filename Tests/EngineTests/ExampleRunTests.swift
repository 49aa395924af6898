import DockerEngine
import Foundation
import Sandbox
import Store
import Testing
import Workflow
@testable import Engine

/// Every example in `examples/` on the real engine: the ones the engine supports complete with
/// the outputs they promise; the approval-gated one is refused up front with a clear reason.
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
            configuration: EngineConfiguration(removeWorkspace: { await backend.removeWorkspaceVolume(named: $0) }))
        return (try await engine.run(workflow), backend)
    }

    static func expectNothingLeft(_ outcome: RunOutcome, _ backend: DockerSandboxBackend) async throws {
        let containers = try await backend.docker.listContainers(all: true, filters: .label(EngineLabels.run, outcome.runID))
        #expect(containers.isEmpty, "containers left: \(containers.map(\.id))")
        let volumes = try await backend.docker.listVolumes(
            filters: DockerFilters(["name": [WorkflowEngine.workspaceName(runID: outcome.runID)]]))
        #expect(volumes.isEmpty, "volumes left: \(volumes.map(\.name))")
    }

    @Test func dataPipeline() async throws {
        let (outcome, backend) = try await Self.run("data-pipeline.yaml")
        #expect(outcome.status == .completed, "\(outcome.error ?? "")")
        #expect(outcome.outputs["report"] == "outputs/report.md")
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

    @Test func approvalGatedIsRefusedUntilApprovalsLand() async throws {
        let (outcome, backend) = try await Self.run("approval-gated.yaml")
        #expect(outcome.status == .failed)
        #expect(outcome.error?.contains("not supported by the engine yet") == true, "\(outcome.error ?? "")")
        try await Self.expectNothingLeft(outcome, backend)
    }
}
