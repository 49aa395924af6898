import Engine
import Foundation
import Sandbox
import SandboxDocker
import Store
import Testing
import Workflow

/// The engine routing one run across both backends: Docker locally, and "E2B" being the E2B
/// client backend pointed at an in-process `sandcastle serve` (the same protocol as E2B's cloud).
@Suite("Routed workflow")
struct RoutedWorkflowTests {
    @Test(.timeLimit(.minutes(3)))
    func oneRunUsesDockerAndE2BAndRecordsWhichRanWhere() async throws {
        try await DockerServerFixture.with { live in
            let e2b = try E2BClientBackendTests.backend(port: live.port)
            let docker = try await DockerSandboxBackend.fromEnvironment()
            let router = BackendRouter([
                BackendRouter.Entry(name: .docker, backend: docker, maxConcurrent: 2),
                BackendRouter.Entry(name: .e2b, backend: e2b, maxConcurrent: 2),
            ])
            let repository = InMemoryRunRepository()
            let configuration = EngineConfiguration(removesWorkspace: true)
            let engine = WorkflowEngine(router: router, repository: repository, configuration: configuration)
            let loaded = WorkflowLoader().load(
                text: """
                    name: two-backends
                    steps:
                      - {id: local, run: echo local, backend: docker}
                      - {id: remote, run: echo remote, backend: e2b}
                      - {id: either, run: echo either, backend: auto, depends_on: [local, remote]}
                    """, file: "routed.yaml")
            let workflow = try #require(loaded.workflow, "\(loaded.diagnostics)")
            let outcome = try await engine.run(workflow)
            #expect(outcome.status == .completed, "\(outcome.error ?? "")")
            #expect(outcome.steps["local"]?.output == "local")
            #expect(outcome.steps["remote"]?.output == "remote")
            var backends: [String: String?] = [:]
            for step in ["local", "remote", "either"] {
                backends[step] = try repository.attempts(runID: outcome.runID, stepID: step, fanoutIndex: nil).first?.backend
            }
            #expect(backends == ["local": "docker", "remote": "e2b", "either": "docker"])
        }
    }
}
