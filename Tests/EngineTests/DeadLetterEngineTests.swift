import Foundation
import JSONValues
import Sandbox
import Store
import Testing
import Workflow

@testable import Engine

/// Dead letters in the engine, on the fake backend: which failures become items, what the run
/// and the failed step's dependents see, a fan-out's failed index, a resume that keeps the item,
/// and the failed-runs setting.
@Suite struct DeadLetterEngineTests {
    let repository = InMemoryRunRepository()

    func engine(_ backend: FakeBackend, failedRuns: Bool = false) -> WorkflowEngine {
        var configuration = EngineConfiguration()
        configuration.deadLettersFailedRuns = failedRuns
        return WorkflowEngine(backend: backend, repository: repository, configuration: configuration)
    }

    /// `bad` fails every time; everything else prints its step id.
    static let backend = FakeBackend { spec, _ in
        stepOf(spec) == "bad" ? FakeReply(stderr: "boom\n", exitCode: 2) : FakeReply(stdout: "\(stepOf(spec))\n")
    }

    @Test func aFailedStepBecomesAnItemWhateverItsOnFailureAndItsDependentsRun() async throws {
        let wf = try workflow(
            """
            name: dlq
            inputs: {who: {type: string, default: world}}
            on_failure: {dead_letter: true}
            steps:
              - {id: bad, run: echo bad, on_failure: skip, retry: {max_attempts: 2, initial_delay: 1ms, jitter: false}}
              - {id: after, depends_on: [bad], run: echo after}
              - {id: reads, depends_on: [bad], when: 'steps.bad.status == "failed"', run: echo reads}
            """)
        let outcome = try await engine(Self.backend).run(wf, inputs: ["who": .text("ada")])
        #expect(outcome.status == .completed, "\(outcome.error ?? "")")
        #expect(outcome.steps["bad"]?.status == .failed && outcome.steps["bad"]?.output == .null)
        #expect(outcome.steps["after"]?.status == .completed && outcome.steps["reads"]?.status == .completed)
        let items = try repository.deadLetters(DeadLetterQuery(resolved: nil))
        #expect(items.count == 1)
        let item = try #require(items.first)
        #expect(item.runID == outcome.runID && item.stepID == "bad" && item.parallelIndex == nil && item.attempts == 2)
        #expect(item.error == "exit code 2" && JSONValue.parse(json: item.inputJSON ?? "") == ["who": "ada"])
        let detail = try #require(try repository.run(id: outcome.runID))
        #expect(detail.steps.first { $0.stepID == "bad" }?.status == .failed, "failed, not skipped: the item says why")
        let events = try repository.events(runID: outcome.runID).map { RunEvent($0) }
        #expect(events.contains(.deadLettered(RunEvent.DeadLettered(step: "bad", item: item.id, error: "exit code 2", attempts: 2))))
    }

    @Test func aFanOutsFailedItemIsTheItemsIndex() async throws {
        let wf = try workflow(
            """
            name: dlq-fan
            inputs: {items: {type: list, default: [1, 2, 3]}}
            on_failure: {dead_letter: true}
            steps:
              - {id: bad, parallel_over: "{input.items}", run: "echo {input._item}"}
              - {id: after, depends_on: [bad], run: echo after}
            """)
        let outcome = try await engine(Self.backend).run(wf)
        #expect(outcome.status == .completed)
        #expect(outcome.steps["after"]?.status == .completed)
        // The step fails as a whole; its one item names the first failed index (all fail here).
        let items = try repository.deadLetters(DeadLetterQuery())
        let item = try #require(items.first)
        #expect(items.count == 1 && item.stepID == "bad" && item.parallelIndex == 0 && item.attempts == 1)
        #expect(item.error?.hasPrefix("item 0:") == true, "\(item.error ?? "nil")")
    }

    @Test func withoutDeadLettersAFailureAbortsAndLeavesNoItem() async throws {
        let wf = try workflow(
            """
            name: plain
            steps:
              - {id: bad, run: echo bad}
              - {id: after, depends_on: [bad], run: echo after}
            """)
        let outcome = try await engine(Self.backend).run(wf)
        #expect(outcome.status == .failed)
        #expect(try repository.countDeadLetters(DeadLetterQuery(resolved: nil)) == 0)
    }

    @Test func failedRunsLeaveTheirFailedStepsItemOnce() async throws {
        let plain = try workflow(
            """
            name: plain
            steps:
              - {id: fine, run: echo fine}
              - {id: bad, depends_on: [fine], run: echo bad}
            """)
        let failed = try await engine(Self.backend, failedRuns: true).run(plain)
        #expect(failed.status == .failed)
        let items = try repository.deadLetters(DeadLetterQuery())
        #expect(items.map(\.stepID) == ["bad"] && items.first?.runID == failed.runID)
        #expect(items.first?.error?.contains("step `bad` failed") == true)
        let completed = try await engine(Self.backend, failedRuns: true).run(try workflow("name: ok\nsteps:\n  - {id: fine, run: echo fine}"))
        #expect(completed.status == .completed)
        #expect(try repository.countDeadLetters(DeadLetterQuery()) == 1, "a completed run leaves nothing")
        // No step failed (a model step with no provider set up fails the run before any step): the run's own item.
        let unstarted = try await engine(Self.backend, failedRuns: true).run(
            try workflow("name: model\nsteps:\n  - {id: ask, type: llm, prompt: hi}"))
        #expect(unstarted.status == .failed)
        let runItem = try #require(try repository.deadLetters(DeadLetterQuery()).first { $0.runID == unstarted.runID })
        #expect(runItem.stepID == "" && runItem.error?.contains("no model provider") == true, "\(runItem)")
    }

    /// The process dies just after the step's failure and its item committed: the resumed run
    /// neither runs the step again nor adds a second item.
    @Test func aResumeKeepsTheItemAndDoesNotRunTheStepAgain() async throws {
        let wf = try workflow(
            """
            name: dlq
            on_failure: {dead_letter: true}
            steps:
              - {id: bad, run: echo bad}
              - {id: after, depends_on: [bad], run: echo after}
            """)
        let runID = WorkflowEngine.makeRunID()
        try await engine(Self.backend).enqueue(wf, runID: runID)
        let item = DeadLetterRecord(runID: runID, stepID: "bad", error: "exit code 2", attempts: 1)
        try repository.write([
            .updateRunStatus(id: runID, status: .running, time: Date(), error: nil),
            .upsertStep(StepRecord(runID: runID, stepID: "bad", status: .failed, finishedAt: Date(), error: "exit code 2")),
            .recordDeadLetter(item),
        ])
        let backend = FakeBackend { spec, _ in FakeReply(stdout: "\(stepOf(spec))\n") }
        let outcome = try await engine(backend).resume(runID: runID, workflow: wf)
        #expect(outcome.status == .completed)
        #expect(backend.entries(forStep: "bad").isEmpty, "the dead-lettered step did not run again")
        #expect(backend.entries(forStep: "after").count == 1)
        #expect(try repository.deadLetters(DeadLetterQuery(resolved: nil)).map(\.id) == [item.id])
    }
}
