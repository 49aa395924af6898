import Foundation
import Store
import Testing
import Workflow

@testable import Engine

/// Replay and fork on the in-memory fake: what is reused, what runs again, what changes, and
/// the lineage the new run records.
@Suite(.timeLimit(.minutes(2)))
struct LineageTests {
    static let yaml = """
        name: lineage
        steps:
          - {id: a, run: echo a}
          - {id: b, depends_on: [a], run: "echo b {steps.a.output}"}
          - {id: c, depends_on: [b], run: "echo c {steps.b.output}"}
          - {id: side, run: echo side}
        """

    /// A run of the workflow on a fake that answers `<step>-<generation>`.
    func parentRun(_ repository: InMemoryRunRepository) async throws -> (RunOutcome, FakeBackend) {
        let backend = FakeBackend { spec, _ in FakeReply(stdout: "\(stepOf(spec))-1\n") }
        let outcome = try await WorkflowEngine(backend: backend, repository: repository).run(try workflow(Self.yaml))
        #expect(outcome.status == .completed)
        return (outcome, backend)
    }

    @Test func replayReusesUpstreamAndOtherBranchesAndRerunsFromTheStep() async throws {
        let repository = InMemoryRunRepository()
        let (parent, _) = try await parentRun(repository)
        let backend = FakeBackend { spec, _ in FakeReply(stdout: "\(stepOf(spec))-2\n") }
        let engine = WorkflowEngine(backend: backend, repository: repository)
        let outcome = try await engine.replay(parentRunID: parent.runID, fromStep: "b", workflow: try workflow(Self.yaml))

        #expect(outcome.status == .completed, "\(outcome.error ?? "")")
        #expect(backend.entries(forStep: "a").isEmpty && backend.entries(forStep: "side").isEmpty, "reused, not re-run")
        #expect(backend.entries(forStep: "b").count == 1 && backend.entries(forStep: "c").count == 1)
        #expect(outcome.steps["a"]?.output == "a-1", "the parent's output")
        #expect(outcome.steps["b"]?.output == "b-2" && outcome.steps["c"]?.output == "c-2")
        // b read the parent's a through its environment.
        #expect(backend.entries(forStep: "b").first?.spec.environment.values.contains("a-1") == true)

        let detail = try #require(try repository.run(id: outcome.runID))
        #expect(detail.run.parentRunID == parent.runID)
        #expect(detail.run.forkedFromStep == "b")
        #expect(detail.run.lineageKind == "replay")
        #expect(detail.run.forkChangesJSON == nil)
        #expect(detail.run.status == .completed)
        #expect(detail.steps.allSatisfy { $0.status == .completed })
        let reused = try repository.events(runID: outcome.runID).filter { $0.kind == "step_reused" }
        #expect(reused.count == 2)
        // The parent is untouched.
        #expect(try repository.run(id: parent.runID)?.steps.first { $0.stepID == "b" }?.outputText == "b-1")
    }

    @Test func forkChangesTheStepsCommandImageEnvironmentAndTimeout() async throws {
        let repository = InMemoryRunRepository()
        let (parent, _) = try await parentRun(repository)
        let backend = FakeBackend { spec, command in
            FakeReply(stdout: command.hasPrefix("echo changed") ? "changed\n" : "\(stepOf(spec))-2\n")
        }
        let engine = WorkflowEngine(backend: backend, repository: repository)
        let changes = ForkChanges(
            command: "echo changed {steps.a.output}", image: "python",
            environment: ["MODE": "fast"], timeout: .seconds(7))
        let outcome = try await engine.replay(
            parentRunID: parent.runID, fromStep: "b", workflow: try workflow(Self.yaml),
            changes: changes)
        #expect(outcome.status == .completed, "\(outcome.error ?? "")")
        let b = try #require(backend.entries(forStep: "b").first)
        #expect(b.command.hasPrefix("echo changed"))
        #expect(b.spec.image == "python")
        #expect(b.spec.environment["MODE"] == "fast")
        #expect(b.spec.environment.values.contains("a-1"))
        #expect(b.timeoutMilliseconds == 7000)
        let c = try #require(backend.entries(forStep: "c").first)
        #expect(c.spec.image == "base", "only the forked step changes")
        #expect(c.spec.environment.values.contains("changed"), "downstream sees the fork's new output")

        let run = try #require(try repository.run(id: outcome.runID)).run
        #expect(run.lineageKind == "fork" && run.parentRunID == parent.runID && run.forkedFromStep == "b")
        let stored = try #require(run.forkChangesJSON.flatMap { JSONValue.parse(json: $0) })
        #expect(ForkChanges(json: stored) == changes)
        // Resuming the fork applies its changes again.
        let again = try WorkflowEngine.effectiveWorkflow(try workflow(Self.yaml), for: run)
        #expect(again.step("b")?.sandbox.image?.value == "python")
    }

    @Test func replayRefusesWhatItCannotReuse() async throws {
        let repository = InMemoryRunRepository()
        let failing = FakeBackend { spec, _ in stepOf(spec) == "a" ? FakeReply(exitCode: 1) : FakeReply(stdout: "ok\n") }
        let wf = try workflow(Self.yaml)
        let failed = try await WorkflowEngine(backend: failing, repository: repository).run(wf)
        #expect(failed.status == .failed)
        let engine = WorkflowEngine(backend: FakeBackend(), repository: repository)
        func code(_ body: () async throws -> RunOutcome) async -> EngineError.Code? {
            do {
                _ = try await body()
                return nil
            } catch let error as EngineError { return error.code } catch { return .internal }
        }
        #expect(
            await code { try await engine.replay(parentRunID: failed.runID, fromStep: "c", workflow: wf) } == .notResumable,
            "a (upstream of c) failed in the parent")
        #expect(await code { try await engine.replay(parentRunID: failed.runID, fromStep: "zzz", workflow: wf) } == .notFound)
        #expect(await code { try await engine.replay(parentRunID: "nope", fromStep: "a", workflow: wf) } == .notFound)
        #expect(
            await code {
                try await engine.replay(
                    parentRunID: failed.runID, fromStep: "b", workflow: wf,
                    changes: ForkChanges(command: "echo {steps.c.output}"))
            } == .invalidRequest, "a fork's command may only read upstream steps")

        // Replaying from the failed step itself works: nothing upstream of it needs reusing.
        let fixed = FakeBackend { spec, _ in FakeReply(stdout: "\(stepOf(spec))-fixed\n") }
        let outcome = try await WorkflowEngine(backend: fixed, repository: repository)
            .replay(parentRunID: failed.runID, fromStep: "a", workflow: wf)
        #expect(outcome.status == .completed, "\(outcome.error ?? "")")
        #expect(
            fixed.entries(forStep: "side").isEmpty
                == (try repository.run(id: failed.runID)?.steps
                    .first { $0.stepID == "side" }?.status == .completed),
            "side is reused only if it completed in the parent")
    }
}
