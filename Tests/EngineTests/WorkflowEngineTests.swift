import Foundation
import Sandbox
import Store
import Synchronization
import Testing
import Workflow

@testable import Engine

/// Parses a workflow written in a test, failing the test on any diagnostic.
func workflow(_ yaml: String) throws -> WorkflowDefinition {
    let result = WorkflowLoader().load(text: yaml, file: "test.yaml")
    guard let workflow = result.workflow, result.isValid else {
        Issue.record("invalid workflow: \(result.diagnostics.map(\.description).joined(separator: "\n"))")
        throw EngineError(.internal, "invalid test workflow")
    }
    return workflow
}

/// The step a fake sandbox belongs to.
func stepOf(_ spec: SandboxSpec) -> String { spec.labels[SandcastleLabels.step] ?? "" }

@Suite struct WorkflowEngineTests {
    let repository = InMemoryRunRepository()

    func engine(_ backend: FakeBackend, perRun: Int = 8) -> WorkflowEngine {
        WorkflowEngine(
            backend: backend, repository: repository,
            configuration: EngineConfiguration(maxConcurrentStepsPerRun: perRun))
    }

    @Test func sandboxesRemovedAfterTheirStepsStillCountAgainstTheRunsLimitAndAreAllGoneAtTheEnd() async throws {
        let backend = FakeBackend(destroyDelay: .milliseconds(150))
        let wf = try workflow(
            """
            name: slow-removals
            inputs: {items: {type: list, default: [1, 2, 3, 4, 5, 6]}}
            steps:
              - {id: each, parallel_over: "{input.items}", run: "echo {input._item}"}
              - {id: after, depends_on: [each], run: echo done}
            """)
        let outcome = try await engine(backend, perRun: 2).run(wf)
        #expect(outcome.status == .completed)
        #expect(backend.created == 7)
        #expect(backend.maxLive <= 2, "a sandbox being removed still holds its slot")
        #expect(backend.destroyed.count == 7, "the run ends only once every removal has finished")
    }

    @Test func aSlowBranchDoesNotHoldBackAFastOne() async throws {
        let backend = FakeBackend { spec, _ in
            // Long enough that a loaded 2-core CI machine cannot blur "before" and "after".
            stepOf(spec) == "slow" ? FakeReply(stdout: "slow\n", duration: .seconds(10)) : FakeReply(stdout: "ok\n")
        }
        let wf = try workflow(
            """
            name: no-barrier
            steps:
              - {id: fast, run: echo fast}
              - {id: slow, run: echo slow}
              - {id: after_fast, depends_on: [fast], run: echo next}
              - {id: join, depends_on: [slow, after_fast], run: echo join}
            """)
        let outcome = try await engine(backend).run(wf)
        #expect(outcome.status == .completed)
        let slowEnd = try #require(backend.entries(forStep: "slow").first?.end)
        let afterFast = try #require(backend.entries(forStep: "after_fast").first)
        let join = try #require(backend.entries(forStep: "join").first)
        #expect(afterFast.start < slowEnd, "after_fast waited for the unrelated slow step")
        #expect(join.start >= slowEnd)
        #expect(outcome.steps["join"]?.output == "ok")
    }

    @Test func retriesUntilSuccessWithThePolicy() async throws {
        let calls = Counter()
        let backend = FakeBackend { _, _ in
            calls.increment() < 3 ? FakeReply(stderr: "flaky\n", exitCode: 1) : FakeReply(stdout: "{\"n\": 3}")
        }
        let wf = try workflow(
            """
            name: retry
            steps:
              - id: flaky
                run: ./flaky.sh
                retry: {max_attempts: 4, backoff: fixed, initial_delay: 50ms, jitter: false}
            """)
        let clock = ContinuousClock()
        let start = clock.now
        let outcome = try await engine(backend).run(wf)
        #expect(clock.now - start >= .milliseconds(100), "two retry delays of 50ms")
        #expect(outcome.status == .completed)
        #expect(outcome.steps["flaky"]?.output == ["n": 3])
        let attempts = try repository.attempts(runID: outcome.runID, stepID: "flaky", fanoutIndex: nil)
        #expect(attempts.map(\.attempt) == [1, 2, 3])
        #expect(attempts.map(\.exitCode) == [1, 1, 0])
        #expect(backend.created == 3 && backend.destroyed.count == 3, "a fresh sandbox per attempt, each destroyed")
        let kinds = try repository.events(runID: outcome.runID).map(\.kind)
        #expect(kinds.filter { $0 == "retry_scheduled" }.count == 2)
    }

    @Test func aTimedOutExecIsAFailedAttempt() async throws {
        let backend = FakeBackend { _, _ in FakeReply(stdout: "never", duration: .seconds(30)) }
        let wf = try workflow(
            """
            name: timeout
            steps:
              - {id: hang, run: sleep 100, timeout: 1s, retry: {max_attempts: 2, initial_delay: 10ms, jitter: false}}
              - {id: after, depends_on: [hang], run: echo after}
            """)
        let outcome = try await engine(backend).run(wf)
        #expect(outcome.status == .failed)
        #expect(outcome.error?.contains("timed out after 1s") == true)
        #expect(backend.entries(forStep: "hang").map(\.timeoutMilliseconds) == [1000, 1000])
        #expect(backend.entries(forStep: "after").isEmpty)
        let detail = try #require(try repository.run(id: outcome.runID))
        #expect(detail.run.status == .failed)
        #expect(detail.steps.first { $0.stepID == "hang" }?.status == .failed)
        #expect(detail.steps.first { $0.stepID == "after" }?.status == .pending)
    }

    @Test func onFailureAbortCancelsRunningStepsAndStopsTheRun() async throws {
        let backend = FakeBackend { spec, _ in
            switch stepOf(spec) {
            case "bad": FakeReply(stderr: "boom\n", exitCode: 2, duration: .milliseconds(50))
            case "long": FakeReply(duration: .seconds(30))
            default: FakeReply()
            }
        }
        let wf = try workflow(
            """
            name: abort
            steps:
              - {id: bad, run: exit 2}
              - {id: long, run: sleep 30}
              - {id: child, depends_on: [bad], run: echo never}
            """)
        let clock = ContinuousClock()
        let start = clock.now
        let outcome = try await engine(backend).run(wf)
        #expect(clock.now - start < .seconds(30), "the long step was cancelled")
        #expect(outcome.status == .failed)
        #expect(outcome.error?.contains("step `bad` failed: exit code 2") == true)
        #expect(backend.entries(forStep: "child").isEmpty)
        #expect(backend.destroyed.count == backend.created)
        let events = try repository.events(runID: outcome.runID)
        let badFinished = try #require(events.first { $0.kind == "step_finished" && $0.payloadJSON.contains("\"bad\"") })
        #expect(badFinished.payloadJSON.contains("boom"), "the output tail is in the event")
    }

    @Test func onFailureSkipPrunesTheBranchAndTheRunGoesOn() async throws {
        let backend = FakeBackend { spec, _ in stepOf(spec) == "bad" ? FakeReply(exitCode: 1) : FakeReply(stdout: "ok") }
        let wf = try workflow(
            """
            name: skip
            steps:
              - {id: bad, run: exit 1, on_failure: skip}
              - {id: below, depends_on: [bad], run: echo below}
              - {id: other, run: echo other}
            """)
        let outcome = try await engine(backend).run(wf)
        #expect(outcome.status == .completed)
        #expect(outcome.steps["bad"]?.status == .skipped)
        #expect(outcome.steps["below"]?.status == .skipped)
        #expect(outcome.steps["other"]?.output == "ok")
        #expect(backend.entries(forStep: "below").isEmpty)
        let statuses = try #require(try repository.run(id: outcome.runID)).steps.map { "\($0.stepID)=\($0.status)" }
        #expect(statuses == ["bad=skipped", "below=skipped", "other=completed"])
    }

    @Test func onFailureContinueLetsDependentsSeeTheFailure() async throws {
        let backend = FakeBackend { spec, _ in stepOf(spec) == "bad" ? FakeReply(exitCode: 3) : FakeReply(stdout: "ran") }
        let wf = try workflow(
            """
            name: continue
            steps:
              - {id: bad, run: exit 3, on_failure: continue}
              - id: report
                depends_on: [bad]
                when: steps.bad.status == "failed"
                run: echo "{steps.bad.exit_code}"
            """)
        let outcome = try await engine(backend).run(wf)
        #expect(outcome.status == .completed)
        #expect(outcome.steps["bad"]?.status == .failed)
        #expect(outcome.steps["report"]?.output == "ran")
        let report = try #require(backend.entries(forStep: "report").first)
        #expect(report.spec.environment.values.contains("3"))
    }

    @Test func whenFalseSkipsAndDependentsStillRun() async throws {
        let backend = FakeBackend { _, _ in FakeReply(stdout: "x") }
        let wf = try workflow(
            """
            name: when
            inputs: {deploy: {type: boolean, default: false}}
            steps:
              - {id: maybe, run: echo maybe, when: input.deploy}
              - {id: after, depends_on: [maybe], run: echo after}
            """)
        let outcome = try await engine(backend).run(wf)
        #expect(outcome.status == .completed)
        #expect(outcome.steps["maybe"]?.status == .skipped)
        #expect(outcome.steps["after"]?.status == .completed)
        #expect(backend.entries(forStep: "maybe").isEmpty)

        let again = try await engine(FakeBackend()).run(wf, inputs: ["deploy": .text("true")])
        #expect(again.steps["maybe"]?.status == .completed)
    }

    @Test func fanOutHonoursMaxConcurrencyAndCollectsOutputsInOrder() async throws {
        let backend = FakeBackend { spec, _ in
            let item = spec.environment["SC_INPUT__ITEM"] ?? spec.environment.first { $0.key.contains("ITEM") }?.value ?? "?"
            return FakeReply(stdout: "\(item)\n", duration: .milliseconds(80))
        }
        let wf = try workflow(
            """
            name: fan
            inputs: {regions: {type: list, default: [a, b, c, d, e, f]}}
            steps:
              - id: each
                parallel_over: "{input.regions}"
                max_concurrency: 2
                run: echo {input._item}
            """)
        let outcome = try await engine(backend).run(wf)
        #expect(outcome.status == .completed)
        #expect(outcome.steps["each"]?.output == ["a", "b", "c", "d", "e", "f"])
        #expect(backend.created == 6)
        #expect(backend.maxLive == 2)
        let items = try #require(try repository.run(id: outcome.runID)).steps.filter { $0.fanoutIndex != nil }
        #expect(items.count == 6 && items.allSatisfy { $0.status == .completed })
    }

    @Test func upstreamOutputReachesTheNextStepOnlyAsAnEnvironmentValue() async throws {
        let payload = "$(touch /tmp/pwned) `id` \"; rm -rf / '"
        let backend = FakeBackend { spec, _ in stepOf(spec) == "a" ? FakeReply(stdout: payload) : FakeReply() }
        let wf = try workflow(
            """
            name: injection
            steps:
              - {id: a, run: echo hi}
              - {id: b, depends_on: [a], run: "echo {steps.a.output} > out.txt"}
            """)
        let outcome = try await engine(backend).run(wf)
        #expect(outcome.status == .completed)
        let b = try #require(backend.entries(forStep: "b").first)
        #expect(!b.command.contains("touch"))
        #expect(!b.command.contains("rm -rf"))
        #expect(b.command.contains("\"${SC_"))
        #expect(b.spec.environment.values.contains(payload))
    }

    @Test func everyStateChangeIsPersisted() async throws {
        let backend = FakeBackend { spec, _ in FakeReply(stdout: "{\"step\": \"\(stepOf(spec))\"}") }
        let wf = try workflow(
            """
            name: persisted
            steps:
              - {id: a, run: echo a}
              - {id: b, depends_on: [a], run: echo b}
            outputs:
              last: "{steps.b.output.step}"
            """)
        let outcome = try await engine(backend).run(wf, runID: "run-persist")
        #expect(outcome.outputs == ["last": "b"])
        let detail = try #require(try repository.run(id: "run-persist"))
        #expect(detail.run.status == .completed)
        #expect(detail.run.startedAt != nil && detail.run.finishedAt != nil)
        #expect(detail.steps.map(\.status) == [.completed, .completed])
        #expect(detail.steps.first?.outputJSON == "{\"step\":\"a\"}")
        let kinds = try repository.events(runID: "run-persist").map(\.kind)
        #expect(kinds.first == "run_started" && kinds.last == "run_finished")
        #expect(kinds.filter { $0 == "step_started" }.count == 2)
        #expect(kinds.filter { $0 == "step_finished" }.count == 2)
        #expect(backend.log.allSatisfy { $0.spec.workspace == "sandcastle-run-run-persist" })
        #expect(backend.destroyed.count == 2)
    }

    @Test func sessionStepsShareOneSandboxDestroyedAtTheEnd() async throws {
        let backend = FakeBackend { _, _ in FakeReply(stdout: "ok\n") }
        let wf = try workflow(
            """
            name: sessions
            steps:
              - {id: build, run: echo build, session: shell}
              - {id: test, run: "echo {steps.build.output}", session: shell, depends_on: [build]}
              - {id: alone, run: echo alone, depends_on: [test]}
            """)
        let outcome = try await engine(backend).run(wf)
        #expect(outcome.status == .completed, "\(outcome.error ?? "")")
        #expect(backend.created == 2, "one sandbox for the session, one for `alone`")
        #expect(backend.destroyed.count == 2)
        let test = try #require(
            backend.entries(forStep: "build").first.flatMap { first in
                backend.log.first { $0.sandboxID == first.sandboxID && $0.command.contains("SC_STEPS_BUILD_OUTPUT") }
            })
        // The session's later step brings its environment with the command, quoted as data.
        #expect(test.command.hasPrefix("export "))
        #expect(test.command.contains("SC_STEPS_BUILD_OUTPUT='ok'") && test.command.contains("SANDCASTLE_STEP_ID='test'"))
        #expect(SessionSandboxes.command("x", exporting: ["V": "it's $(x)"]) == "export V='it'\\''s $(x)'\nx")
    }

    @Test func aRunCancelledFromAnotherProcessEndsCancelledNotFailed() async throws {
        // `runs cancel` marks the run and removes its containers; the steps then fail under the engine.
        let backend = FakeBackend { _, _ in FakeReply(stderr: "container removed\n", exitCode: 137, duration: .milliseconds(500)) }
        let wf = try workflow(
            """
            name: external-cancel
            steps:
              - {id: a, run: sleep 100}
            """)
        let runID = "external-cancel"
        let run = Task { try await engine(backend).run(wf, runID: runID) }
        while backend.entries(forStep: "a").isEmpty { try await Task.sleep(for: .milliseconds(10)) }
        try repository.updateRunStatus(id: runID, to: .cancelled, at: Date(), error: "cancelled by `sandcastle runs cancel`")
        let outcome = try await run.value
        #expect(outcome.status == .cancelled)
        #expect(outcome.error == "cancelled by `sandcastle runs cancel`")
        #expect(try repository.run(id: runID)?.run.status == .cancelled)
    }

    @Test func invalidInputsAreRejectedBeforeAnythingIsStored() async throws {
        let wf = try workflow(
            """
            name: typed
            inputs: {count: {type: integer}}
            steps:
              - {id: a, run: "echo {input.count}"}
            """)
        await #expect(throws: EngineError.self) { try await engine(FakeBackend()).run(wf, inputs: ["count": .text("many")]) }
        #expect(try repository.listRuns(RunQuery()).isEmpty)
    }

    @Test func cancellingTheRunDestroysSandboxesAndRecordsIt() async throws {
        let backend = FakeBackend { _, _ in FakeReply(duration: .seconds(30)) }
        let wf = try workflow(
            """
            name: cancel
            steps:
              - {id: long, run: sleep 30}
              - {id: later, depends_on: [long], run: echo later}
            """)
        let engine = engine(backend)
        let task = Task { try await engine.run(wf, runID: "run-cancel") }
        while backend.log.isEmpty { try await Task.sleep(for: .milliseconds(10)) }
        task.cancel()
        let outcome = try await task.value
        #expect(outcome.status == .cancelled)
        #expect(backend.destroyed.count == backend.created)
        let detail = try #require(try repository.run(id: "run-cancel"))
        #expect(detail.run.status == .cancelled)
        #expect(detail.steps.map(\.status) == [.cancelled, .cancelled])
    }

    @Test func globalLimitIsSharedAcrossRuns() async throws {
        let backend = FakeBackend { _, _ in FakeReply(duration: .milliseconds(60)) }
        let shared = AsyncSemaphore(limit: 2)
        let wf = try workflow(
            """
            name: wide
            steps:
              - {id: a, run: echo a}
              - {id: b, run: echo b}
              - {id: c, run: echo c}
            """)
        let one = WorkflowEngine(backend: backend, repository: repository, globalLimit: shared)
        let two = WorkflowEngine(backend: backend, repository: repository, globalLimit: shared)
        async let first = one.run(wf)
        async let second = two.run(wf)
        let outcomes = try await [first, second]
        #expect(outcomes.allSatisfy { $0.completed })
        #expect(backend.maxLive <= 2)
    }
}

/// A thread-safe counter for fakes; `increment` returns the new value.
final class Counter: Sendable {
    private let value = Mutex(0)
    func increment() -> Int {
        value.withLock {
            $0 += 1
            return $0
        }
    }
}
