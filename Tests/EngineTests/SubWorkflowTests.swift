import Foundation
import Store
import Testing
import Workflow

@testable import Engine

/// `type: sub_workflow` steps on the in-memory fake: inputs mapped in, outputs mapped out, one
/// child run per fan-out item, each recorded with its parent.
@Suite(.timeLimit(.minutes(1)))
struct SubWorkflowTests {
    static func files() throws -> (parent: String, directory: URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sub-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try """
        name: child
        inputs:
          region: {type: string}
          rows: {type: integer, default: 1}
        steps:
          - {id: count, run: "echo {input.region}"}
        outputs:
          region: "{steps.count.output}"
          rows: "{input.rows}"
        """.write(to: directory.appendingPathComponent("child.yaml"), atomically: true, encoding: .utf8)
        let parent = directory.appendingPathComponent("parent.yaml")
        try """
        name: parent
        inputs:
          regions: {type: list, default: [north, south]}
        steps:
          - id: one
            type: sub_workflow
            sub_workflow:
              workflow: child.yaml
              input_mapping: {region: east, rows: 3}
              output_mapping: {got: region}
          - id: each
            type: sub_workflow
            parallel_over: "{input.regions}"
            sub_workflow:
              workflow: child.yaml
              input_mapping: {region: "{input._item}"}
          - id: after
            depends_on: [one, each]
            run: "echo {steps.one.output.got} {steps.each.output.1.region}"
        """.write(to: parent, atomically: true, encoding: .utf8)
        return (parent.path, directory)
    }

    /// The fake's `count` step prints the region it was given (through its environment).
    static let backend = { @Sendable (fail: Bool) in
        FakeBackend { spec, _ in
            guard stepOf(spec) == "count" else { return FakeReply(stdout: "done\n") }
            if fail { return FakeReply(stderr: "boom\n", exitCode: 3) }
            let region = spec.environment.first { $0.key.hasPrefix("SC_INPUT_REGION") }?.value ?? "?"
            return FakeReply(stdout: region + "\n")
        }
    }

    @Test func childrenRunWithMappedInputsAndTheirOutputsFeedTheParent() async throws {
        let (path, directory) = try Self.files()
        defer { try? FileManager.default.removeItem(at: directory) }
        let repository = InMemoryRunRepository()
        let backend = Self.backend(false)
        let parent = try WorkflowLoader().loadValid(path: path)
        let outcome = try await WorkflowEngine(backend: backend, repository: repository).run(parent)

        #expect(outcome.status == .completed, "\(outcome.error ?? "")")
        #expect(outcome.steps["one"]?.output == ["got": "east"])
        #expect(outcome.steps["each"]?.output == [["region": "north", "rows": 1], ["region": "south", "rows": 1]])
        let after = try #require(backend.entries(forStep: "after").first)
        #expect(after.spec.environment.values.contains("east") && after.spec.environment.values.contains("south"))

        let children = try repository.listRuns(RunQuery()).filter { $0.id != outcome.runID }
        #expect(children.count == 3)
        #expect(children.allSatisfy { $0.parentRunID == outcome.runID && $0.lineageKind == "sub_workflow" && $0.status == .completed })
        #expect(Set(children.compactMap(\.forkedFromStep)) == ["one", "each[0]", "each[1]"], "fan-out children name their item")
        #expect(backend.destroyed.count == backend.created)
    }

    @Test func aFailingChildFailsTheStepWithItsReason() async throws {
        let (path, directory) = try Self.files()
        defer { try? FileManager.default.removeItem(at: directory) }
        let repository = InMemoryRunRepository()
        let parent = try WorkflowLoader().loadValid(path: path)
        let outcome = try await WorkflowEngine(backend: Self.backend(true), repository: repository).run(parent)
        #expect(outcome.status == .failed)
        #expect(outcome.error?.contains("sub-workflow run") == true, "\(outcome.error ?? "")")
        #expect(outcome.error?.contains("exit code 3") == true, "\(outcome.error ?? "")")
    }

    @Test func resumingTheParentContinuesTheInterruptedChildRun() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sub-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try """
        name: child
        steps:
          - {id: c1, run: echo one}
          - {id: c2, depends_on: [c1], run: echo two}
        outputs:
          last: "{steps.c2.output}"
        """.write(to: directory.appendingPathComponent("child.yaml"), atomically: true, encoding: .utf8)
        let parentPath = directory.appendingPathComponent("parent.yaml").path
        try """
        name: parent
        steps:
          - {id: sub, type: sub_workflow, sub_workflow: {workflow: child.yaml}}
        """.write(toFile: parentPath, atomically: true, encoding: .utf8)
        let parent = try WorkflowLoader().loadValid(path: parentPath)
        let store = InMemoryRunRepository()
        let crashing = CrashingRepository(store)
        let first = FakeBackend { spec, _ in
            stepOf(spec) == "c2" ? FakeReply(stdout: "two\n", duration: .seconds(60)) : FakeReply(stdout: "one\n")
        }
        let runID = "parent-run"
        let task = Task { try await WorkflowEngine(backend: first, repository: crashing).run(parent, runID: runID) }
        let deadline = ContinuousClock.now + .seconds(120)
        while first.entries(forStep: "c2").isEmpty && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        try #require(!first.entries(forStep: "c2").isEmpty, "step c2 never started")
        crashing.crash()
        task.cancel()
        _ = try? await task.value
        let childRuns = try store.listRuns(RunQuery()).filter { $0.parentRunID == runID }
        #expect(childRuns.count == 1 && childRuns.first?.status == .running)

        let second = FakeBackend { spec, _ in FakeReply(stdout: "\(stepOf(spec))-again\n") }
        let outcome = try await WorkflowEngine(backend: second, repository: store).resume(runID: runID, workflow: parent)
        #expect(outcome.status == .completed, "\(outcome.error ?? "")")
        #expect(outcome.steps["sub"]?.output == ["last": "c2-again"])
        #expect(second.entries(forStep: "c1").isEmpty, "the child's completed step is not run again")
        #expect(second.entries(forStep: "c2").count == 1)
        let after = try store.listRuns(RunQuery()).filter { $0.parentRunID == runID }
        #expect(after.map(\.id) == childRuns.map(\.id), "the same child run, resumed")
        #expect(after.first?.status == .completed)
    }
}
