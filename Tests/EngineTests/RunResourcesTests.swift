import Foundation
import Sandbox
import Synchronization
import Testing
import Workflow

@testable import Engine

/// `BackendRouter.removeResources`: the one place that removes everything of a run.
@Suite struct RunResourcesTests {
    /// A backend that records what it was asked to remove, with workspaces, or failing its sweep.
    final class SweepingBackend: SandboxBackend, SharedWorkspaces {
        let name: String
        let failSweep: Bool
        let log = Mutex<[String]>([])

        init(_ name: String, failSweep: Bool = false) {
            self.name = name
            self.failSweep = failSweep
        }

        func create(_ spec: SandboxSpec) async throws -> any SandboxInstance {
            throw SandboxError(.internal, "not used")
        }

        var workspaces: (any SharedWorkspaces)? { self }

        func removeSandboxes(labelled labels: [String: String]) async throws -> Int {
            if failSweep { throw SandboxError(.engineUnavailable, "\(name) is down") }
            log.withLock { $0.append("sweep \(labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })") }
            return 2
        }

        func removeWorkspace(named name: String) async throws { log.withLock { $0.append("remove workspace \(name)") } }
        func saveWorkspace(
            named name: String, to path: String, maxBytes: Int64,
            labels: [String: String]
        ) async throws -> WorkspaceSnapshotOutcome { .skipped(reason: "unused") }
        func restoreWorkspace(named name: String, from path: String) async throws {}
    }

    @Test func sweepsEveryBackendByTheRunLabelAndRemovesTheWorkspaceWhenAsked() async {
        let docker = SweepingBackend("docker")
        // A backend that cannot find its sandboxes by label (the protocol's default) is passed over, not an error.
        let remote = NamedFakeBackend("e2b")
        let router = BackendRouter([
            BackendRouter.Entry(name: .docker, backend: docker),
            BackendRouter.Entry(name: .e2b, backend: remote),
        ])

        let kept = await router.removeResources(ofRun: "r1", includingWorkspace: false)
        #expect(kept == RunCleanup(removedSandboxes: 2, problems: []))
        #expect(docker.log.withLock { $0 } == ["sweep [\"sandcastle.run=r1\"]"])

        let all = await router.removeResources(ofRun: "r1", includingWorkspace: true)
        #expect(all.removedSandboxes == 2 && all.problems.isEmpty)
        #expect(docker.log.withLock { $0 }.last == "remove workspace \(WorkflowEngine.workspaceName(runID: "r1"))")
    }

    @Test func aBackendThatFailsIsReportedAndTheOthersStillSwept() async {
        let down = SweepingBackend("docker", failSweep: true)
        let router = BackendRouter([BackendRouter.Entry(name: .docker, backend: down)])
        let cleanup = await router.removeResources(ofRun: "r2", includingWorkspace: true)
        #expect(cleanup.removedSandboxes == 0)
        #expect(cleanup.problems.count == 1 && cleanup.problems[0].contains("docker is down"), "\(cleanup.problems)")
        #expect(down.log.withLock { $0 } == ["remove workspace sandcastle-run-r2"], "the workspace still goes")
    }
}
