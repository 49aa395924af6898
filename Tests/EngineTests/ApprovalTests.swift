import Foundation
import Store
import Testing
import Workflow

@testable import Engine

/// Approval gates on the in-memory fake: waiting, deciding from "another process" (another task
/// sharing only the store), timeouts, pausing and resuming.
@Suite(.timeLimit(.minutes(2)))
struct ApprovalTests {
    static func gated(_ approvalConfig: String = "") -> String {
        """
        name: gated
        steps:
          - id: build
            run: |
              echo '{"sha": "abc123"}'
          - id: gate
            type: approval
            depends_on: [build]
            approval_config:
              message: "Ship {steps.build.output.sha}?"
              show_data: "{steps.build.output}"
        \(approvalConfig)
          - id: deploy
            depends_on: [gate]
            run: echo "deploying {steps.build.output.sha}"
        """
    }

    func engine(_ backend: FakeBackend, _ repository: any RunRepository, wait: Bool = true) -> WorkflowEngine {
        WorkflowEngine(
            backend: backend, repository: repository,
            configuration: EngineConfiguration(waitForApprovals: wait, approvalPollInterval: .milliseconds(20)))
    }

    /// Polls the store until the run's gate is pending (as a second process would see it).
    func pendingApproval(_ repository: any RunRepository, runID: String) async throws -> ApprovalRecord {
        let deadline = ContinuousClock.now + .seconds(20)
        // The approval, its step's status and the run's status are separate writes: wait for all three.
        while ContinuousClock.now < deadline {
            if let found = try repository.approvals(runID: runID, statuses: [.pending]).first,
                let detail = try repository.run(id: runID), detail.run.status == .waitingApproval,
                detail.steps.contains(where: { $0.stepID == found.stepID && $0.status == .waitingApproval })
            {
                return found
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw EngineError(.internal, "no pending approval with its step and run waiting appeared")
    }

    @Test func approvingFromOutsideContinuesTheWaitingRun() async throws {
        let repository = InMemoryRunRepository()
        let backend = FakeBackend { spec, _ in
            stepOf(spec) == "build" ? FakeReply(stdout: #"{"sha": "abc123"}"#) : FakeReply(stdout: "deployed\n")
        }
        let wf = try workflow(Self.gated())
        let runID = WorkflowEngine.makeRunID()
        let run = Task { try await engine(backend, repository).run(wf, runID: runID) }

        let approval = try await pendingApproval(repository, runID: runID)
        #expect(approval.stepID == "gate")
        #expect(approval.message == "Ship abc123?")
        #expect(JSONValue.parse(json: approval.requestJSON ?? "") == ["sha": "abc123"])
        let waiting = try #require(try repository.run(id: runID))
        #expect(waiting.run.status == .waitingApproval)
        #expect(waiting.steps.first { $0.stepID == "gate" }?.status == .waitingApproval)
        #expect(backend.entries(forStep: "deploy").isEmpty, "deploy must wait for the gate")

        try Approvals.decide(.approve(), runID: runID, stepID: nil, by: "ada", comment: "looks good", repository: repository)
        let outcome = try await run.value

        #expect(outcome.status == .completed, "\(outcome.error ?? "")")
        #expect(outcome.steps["gate"]?.output == ["sha": "abc123"], "an approved gate outputs the shown data")
        #expect(backend.entries(forStep: "deploy").count == 1)
        let stored = try #require(try repository.approval(runID: runID, stepID: "gate"))
        #expect(stored.status == .approved && stored.decidedBy == "ada" && stored.comment == "looks good")
        let kinds = try repository.events(runID: runID).map(\.kind)
        #expect(kinds.contains("approval_requested") && kinds.contains("approval_decided"))
        #expect(try repository.run(id: runID)?.run.status == .completed)
    }

    @Test func rejectingFailsTheRunAndSkipsWhatFollows() async throws {
        let repository = InMemoryRunRepository()
        let backend = FakeBackend { _, _ in FakeReply(stdout: #"{"sha": "abc123"}"#) }
        let runID = WorkflowEngine.makeRunID()
        let wf = try workflow(Self.gated())
        let run = Task { try await engine(backend, repository).run(wf, runID: runID) }
        _ = try await pendingApproval(repository, runID: runID)
        try Approvals.decide(.reject, runID: runID, stepID: "gate", by: "bob", comment: "not today", repository: repository)
        let outcome = try await run.value

        #expect(outcome.status == .failed)
        #expect(outcome.error?.contains("rejected by bob: not today") == true, "\(outcome.error ?? "")")
        #expect(backend.entries(forStep: "deploy").isEmpty)
        let detail = try #require(try repository.run(id: runID))
        #expect(detail.steps.first { $0.stepID == "gate" }?.status == .failed)
    }

    @Test(arguments: [
        ("abort", StepStatus.failed, RunStatus.failed, false),
        ("skip", StepStatus.skipped, RunStatus.completed, true),
        ("approve", StepStatus.completed, RunStatus.completed, true),
    ])
    func aTimeoutAppliesItsAction(action: String, gate: StepStatus, run: RunStatus, deployRuns: Bool) async throws {
        let repository = InMemoryRunRepository()
        let backend = FakeBackend { _, _ in FakeReply(stdout: #"{"sha": "abc123"}"#) }
        let wf = try workflow(Self.gated("      timeout: 1s\n      on_timeout: \(action)"))
        let clock = ContinuousClock()
        let start = clock.now
        let outcome = try await engine(backend, repository).run(wf)
        #expect(clock.now - start >= .seconds(1))
        #expect(outcome.status == run, "\(outcome.error ?? "")")
        let detail = try #require(try repository.run(id: outcome.runID))
        #expect(detail.steps.first { $0.stepID == "gate" }?.status == gate)
        #expect(backend.entries(forStep: "deploy").count == (deployRuns ? 1 : 0))
        #expect(try repository.approval(runID: outcome.runID, stepID: "gate")?.status == .timedOut)
        if action == "abort" { #expect(outcome.error?.contains("approval timed out") == true) }
    }

    @Test func aPausedRunResumesAfterTheDecisionWithoutRerunningDoneSteps() async throws {
        let repository = InMemoryRunRepository()
        let first = FakeBackend { _, _ in FakeReply(stdout: #"{"sha": "abc123"}"#) }
        let wf = try workflow(Self.gated())
        let paused = try await engine(first, repository, wait: false).run(wf)
        #expect(paused.status == .waitingApproval)
        #expect(try repository.run(id: paused.runID)?.run.status == .waitingApproval)
        #expect(first.entries(forStep: "build").count == 1)
        #expect(first.destroyed.count == first.created, "no sandbox stays up while the run is paused")

        // Resuming before anyone decided pauses again, without asking twice.
        let second = FakeBackend { _, _ in FakeReply(stdout: "x\n") }
        let again = try await engine(second, repository, wait: false).resume(runID: paused.runID, workflow: wf)
        #expect(again.status == .waitingApproval)
        #expect(second.created == 0)
        #expect(try repository.approvals(runID: paused.runID, statuses: nil).count == 1)

        try Approvals.decide(.approve(), runID: paused.runID, stepID: "gate", by: "ada", comment: nil, repository: repository)
        let third = FakeBackend { _, _ in FakeReply(stdout: "deployed\n") }
        let outcome = try await engine(third, repository, wait: false).resume(runID: paused.runID, workflow: wf)
        #expect(outcome.status == .completed, "\(outcome.error ?? "")")
        #expect(third.entries(forStep: "build").isEmpty, "build completed before the pause")
        #expect(third.entries(forStep: "deploy").count == 1)
        // The deploy command read build's output, recorded before the pause, through its environment.
        #expect(third.entries(forStep: "deploy").first?.spec.environment.values.contains("abc123") == true)
    }

    @Test func otherBranchesRunWhileAGateWaits() async throws {
        let repository = InMemoryRunRepository()
        let backend = FakeBackend { _, _ in FakeReply(stdout: "ok\n") }
        let wf = try workflow(
            """
            name: branches
            steps:
              - {id: gate, type: approval}
              - {id: side, run: echo side}
              - {id: after_side, depends_on: [side], run: echo after}
              - {id: after_gate, depends_on: [gate], run: echo gated}
            """)
        let outcome = try await engine(backend, repository, wait: false).run(wf)
        #expect(outcome.status == .waitingApproval)
        #expect(backend.entries(forStep: "after_side").count == 1)
        #expect(backend.entries(forStep: "after_gate").isEmpty)
        #expect(try repository.approval(runID: outcome.runID, stepID: "gate")?.message == "Approve `gate` to continue.")
    }

    @Test func decisionsAreCheckedBeforeTheyAreRecorded() async throws {
        let repository = InMemoryRunRepository()
        let backend = FakeBackend { _, _ in FakeReply(stdout: #"{"sha": "abc123"}"#) }
        let wf = try workflow(
            """
            name: two-gates
            steps:
              - {id: one, type: approval}
              - id: two
                type: approval
                approval_config: {allow_edit: true, show_data: "{run_id}"}
              - {id: after, depends_on: [one, two], run: "echo {steps.two.output.version}"}
            """)
        let paused = try await engine(backend, repository, wait: false).run(wf)
        #expect(paused.status == .waitingApproval)
        let runID = paused.runID
        func code(_ body: () throws -> Void) -> EngineError.Code? {
            do {
                try body()
                return nil
            } catch let error as EngineError { return error.code } catch { return .internal }
        }
        #expect(
            code { try Approvals.decide(.approve(), runID: runID, stepID: nil, by: nil, comment: nil, repository: repository) }
                == .invalidRequest, "two pending gates: the step must be named")
        #expect(
            code {
                try Approvals.decide(
                    .approve(data: ["x": 1]), runID: runID, stepID: "one", by: nil, comment: nil,
                    repository: repository)
            } == .invalidRequest, "`one` does not allow edits")
        #expect(
            code { try Approvals.decide(.approve(), runID: runID, stepID: "nope", by: nil, comment: nil, repository: repository) }
                == .notFound)
        #expect(
            code { try Approvals.decide(.approve(), runID: "no-run", stepID: nil, by: nil, comment: nil, repository: repository) }
                == .notFound)
        try Approvals.decide(.approve(), runID: runID, stepID: "one", by: nil, comment: nil, repository: repository)
        #expect(
            code { try Approvals.decide(.reject, runID: runID, stepID: "one", by: nil, comment: nil, repository: repository) }
                == .alreadyResolved)
        try Approvals.decide(
            .approve(data: ["version": "2.0"]), runID: runID, stepID: nil, by: nil, comment: nil,
            repository: repository)
        let outcome = try await engine(backend, repository).resume(runID: runID, workflow: wf)
        #expect(outcome.status == .completed, "\(outcome.error ?? "")")
        #expect(outcome.steps["two"]?.output == ["version": "2.0"], "the edited data is the step's output")
        #expect(backend.entries(forStep: "after").first?.spec.environment.values.contains("2.0") == true)
    }

    @Test func cancellingAWaitingRunCancelsItsGate() async throws {
        let repository = InMemoryRunRepository()
        let backend = FakeBackend { _, _ in FakeReply(stdout: #"{"sha": "abc123"}"#) }
        let runID = WorkflowEngine.makeRunID()
        let wf = try workflow(Self.gated())
        let run = Task { try await engine(backend, repository).run(wf, runID: runID) }
        _ = try await pendingApproval(repository, runID: runID)
        run.cancel()
        let outcome = try await run.value
        #expect(outcome.status == .cancelled)
        #expect(try repository.approval(runID: runID, stepID: "gate")?.status == .cancelled)
    }
}
