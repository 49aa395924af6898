import Foundation
import Guardrails
import JSONValues
import SandboxDocker
import Store
import Synchronization
import TestSupport
import Testing
import Workflow

@testable import Engine

/// Guardrail policies (issue 15 §1) on real runs: Docker sandboxes, a SQLite store, each action.
@Suite(.timeLimit(.minutes(5)))
struct PolicyRunTests {
    static let email = "alice.smith@example.com"

    /// Runs `yaml` on Docker with a fresh SQLite store; returns the outcome, the store and the live events.
    func run(
        _ yaml: String, decide: (@Sendable (SQLiteRunRepository, String) async throws -> Void)? = nil
    ) async throws -> (RunOutcome, SQLiteRunRepository, [EngineEvent]) {
        let backend = try await DockerSandboxBackend.fromEnvironment()
        let (directory, repository) = try DockerWorkflowRunTests.scratchRepository()
        defer { try? FileManager.default.removeItem(at: directory) }
        let events = Mutex<[EngineEvent]>([])
        let engine = WorkflowEngine(
            backend: backend, repository: repository,
            configuration: EngineConfiguration(removesWorkspace: true, approvalPollInterval: .milliseconds(20)),
            onEvent: { event in events.withLock { $0.append(event) } })
        let wf = try workflow(yaml)
        let runID = WorkflowEngine.makeRunID()
        async let outcome = engine.run(wf, runID: runID)
        if let decide { try await decide(repository, runID) }
        let result = try await outcome
        let left = try await DockerWorkflowRunTests.leftovers(of: runID, in: backend)
        #expect(left.containers.isEmpty && left.volumes.isEmpty, "the run left \(left)")
        return (result, repository, events.withLock { $0 })
    }

    static func storedOutput(_ repository: SQLiteRunRepository, _ runID: String, _ step: String) throws -> String {
        let record = try #require(try repository.run(id: runID)?.steps.first { $0.stepID == step })
        return record.outputJSON ?? record.outputText ?? ""
    }

    @Test func redactRemovesTheEmailFromStorageAndFromWhatDependentsReceive() async throws {
        let (outcome, repository, _) = try await run(
            """
            name: redact
            defaults: {image: base, timeout: 60s}
            policies:
              - id: no-email
                severity: high
                trigger: {type: pattern, patterns: [{type: email}]}
                action: {type: redact}
            steps:
              - {id: leak, run: "echo 'contact \(Self.email) now'"}
              - {id: reader, depends_on: [leak], run: "echo 'got: {steps.leak.output}'", policies: []}
            """)
        #expect(outcome.status == .completed, "\(outcome.error ?? "")")
        #expect(outcome.steps["leak"]?.output == "contact [EMAIL] now")
        #expect(outcome.steps["reader"]?.output == "got: contact [EMAIL] now")
        let stored = try Self.storedOutput(repository, outcome.runID, "leak")
        #expect(!stored.contains(Self.email) && stored.contains("[EMAIL]"), "\(stored)")
        let violations = try repository.violations(ViolationQuery(runID: outcome.runID))
        #expect(violations.count == 1)
        let violation = try #require(violations.first)
        #expect(violation.policyID == "no-email" && violation.stepID == "leak" && violation.severity == "high")
        #expect(violation.trigger == "email" && violation.action == "redact" && violation.outputModified)
        #expect(violation.matched == maskedSecret(Self.email) && violation.matched != Self.email)
        // Nothing the store holds of the run has the address.
        let events = try repository.events(runID: outcome.runID).map(\.payloadJSON).joined()
        #expect(!events.contains(Self.email))
    }

    @Test func redactOnlyInStorageLeavesTheOutputForDependents() async throws {
        let (outcome, repository, _) = try await run(
            """
            name: redact-storage
            defaults: {image: base, timeout: 60s}
            steps:
              - id: leak
                run: "echo 'id ACME-1234 and ACME-9876'"
                policies:
                  - {id: acme, trigger: {type: pattern, patterns: [{type: regex, pattern: "ACME-[0-9]{4}"}]}, action: {type: redact, replacement: "<id>", apply_to: [storage]}}
            """)
        #expect(outcome.status == .completed, "\(outcome.error ?? "")")
        #expect(outcome.steps["leak"]?.output == "id ACME-1234 and ACME-9876")
        #expect(try Self.storedOutput(repository, outcome.runID, "leak") == "id <id> and <id>")
        let violation = try #require(try repository.violations(ViolationQuery(runID: outcome.runID)).first)
        #expect(violation.matchCount == 2 && violation.trigger == "regex" && violation.matched == "****")
    }

    @Test func blockFailsTheStepWithTheMessageAndDependentsDoNotRun() async throws {
        let (outcome, repository, _) = try await run(
            """
            name: block
            defaults: {image: base, timeout: 60s}
            policies:
              - id: no-ssn
                severity: critical
                trigger: {type: pattern, patterns: [ssn]}
                action: {type: block, message: "SSNs may not leave this step"}
            steps:
              - {id: leak, run: "echo 'ssn 123-45-6789'", retry: {max_attempts: 3, initial_delay: 1ms}}
              - {id: after, depends_on: [leak], run: echo after}
            """)
        #expect(outcome.status == .failed)
        #expect(outcome.steps["leak"]?.status == .failed)
        #expect(outcome.steps["leak"]?.error == "SSNs may not leave this step")
        #expect(outcome.steps["after"] == nil)
        let detail = try #require(try repository.run(id: outcome.runID))
        #expect(detail.steps.first { $0.stepID == "after" }?.status != .completed)
        #expect(try repository.attempts(runID: outcome.runID, stepID: "leak", fanoutIndex: nil).count == 1, "a block is final: no retry")
        #expect(!(try Self.storedOutput(repository, outcome.runID, "leak")).contains("123-45-6789"))
        let violation = try #require(try repository.violations(ViolationQuery(runID: outcome.runID)).first)
        #expect(violation.action == "block" && violation.severity == "critical" && violation.outputModified)
    }

    @Test func alertRecordsAnEventAndReportsItAndTheStepGoesOn() async throws {
        let (outcome, repository, events) = try await run(
            """
            name: alert
            defaults: {image: base, timeout: 60s}
            policies:
              - id: watch-ip
                severity: low
                trigger: {type: pattern, patterns: [ip_address]}
                action: {type: alert, message: an address leaked}
              - id: log-phone
                trigger: {type: pattern, patterns: [email]}
                action: {type: log}
            steps:
              - {id: leak, run: "echo 'from 10.1.2.3 and \(Self.email)'"}
            """)
        #expect(outcome.status == .completed, "\(outcome.error ?? "")")
        #expect(outcome.steps["leak"]?.output == .string("from 10.1.2.3 and \(Self.email)"), "alert and log change nothing")
        let recorded = try repository.events(runID: outcome.runID).filter { $0.kind == PolicyAlert.eventKind }
        #expect(recorded.count == 1)
        let payload = try #require(recorded.first.flatMap { JSONValue.parse(json: $0.payloadJSON) })
        #expect(payload.child("policy_id") == "watch-ip" && payload.child("severity") == "low")
        #expect(payload.child("message") == "an address leaked")
        #expect(!(recorded.first?.payloadJSON.contains("10.1.2.3") ?? true), "the match is masked in the event")
        let live = events.compactMap { event -> PolicyAlert? in
            if case .policyAlert(_, let alert) = event { return alert }
            return nil
        }
        #expect(live.map(\.policyID) == ["watch-ip"])
        let violations = try repository.violations(ViolationQuery(runID: outcome.runID))
        #expect(Set(violations.map(\.action)) == ["alert", "log"] && violations.allSatisfy { !$0.outputModified })
    }

    @Test func injectApprovalWaitsThenApproveContinues() async throws {
        let (outcome, repository, _) = try await run(Self.gatedWorkflow) { repository, runID in
            try await Self.decideWhenPending(.approve(), repository, runID)
        }
        #expect(outcome.status == .completed, "\(outcome.error ?? "")")
        #expect(outcome.steps["after"]?.output == "after")
        let approval = try #require(try repository.approval(runID: outcome.runID, stepID: "leak"))
        #expect(approval.status == .approved && approval.message == "a person must look at this")
        #expect(try repository.violations(ViolationQuery(runID: outcome.runID)).first?.action == "inject_approval")
    }

    @Test func injectApprovalRejectFailsTheStep() async throws {
        let (outcome, _, _) = try await run(Self.gatedWorkflow) { repository, runID in
            try await Self.decideWhenPending(.reject, repository, runID)
        }
        #expect(outcome.status == .failed)
        #expect(outcome.steps["leak"]?.status == .failed)
        #expect(outcome.steps["leak"]?.error?.contains("rejected") == true, "\(outcome.steps["leak"]?.error ?? "")")
        #expect(outcome.steps["after"] == nil)
    }

    /// A server's runs pause at a gate instead of holding a slot (`waitForApprovals: false`) and are
    /// resumed once it is decided: the held step does not run again — one attempt, one violation,
    /// one side effect — and the decision applies to the output it produced, fanned out or not.
    @Test(arguments: [(ApprovalDecision.approve(), false), (.approve(), true), (.reject, true)])
    func injectApprovalInPauseModeResumesAtTheGateWithoutRunningTheStepAgain(decision: ApprovalDecision, fannedOut: Bool) async throws {
        let backend = try await DockerSandboxBackend.fromEnvironment()
        let (directory, repository) = try DockerWorkflowRunTests.scratchRepository()
        defer { try? FileManager.default.removeItem(at: directory) }
        // Every run of the step leaves a line in the run's workspace: the side effect that must happen once.
        let leak =
            fannedOut
            ? #"{id: leak, parallel_over: "{input.items}", run: "echo x >> /workspace/ran; echo '\#(Self.email) {input._item}'"}"#
            : #"{id: leak, run: "echo x >> /workspace/ran; echo '\#(Self.email)'"}"#
        let wf = try workflow(
            """
            name: paused-gate
            inputs:
              items: {type: list, default: [1, 2]}
            defaults: {image: base, timeout: 60s}
            policies:
              - id: review-email
                trigger: {type: pattern, patterns: [email]}
                action: {type: inject_approval}
            steps:
              - \(leak)
              - id: after
                depends_on: [leak]
                policies: []
                run: echo "$(wc -l < /workspace/ran) got {steps.leak.output}"
            """)
        let engine = WorkflowEngine(
            backend: backend, repository: repository,
            configuration: EngineConfiguration(removesWorkspace: true, waitForApprovals: false))
        let runID = WorkflowEngine.makeRunID()
        let paused = try await engine.run(wf, runID: runID)
        #expect(paused.status == .waitingApproval, "\(paused.error ?? "")")
        try Approvals.decide(decision, runID: runID, stepID: "leak", by: "reviewer", comment: nil, repository: repository)
        let outcome = try await engine.resume(runID: runID, workflow: wf)

        let attempts = try repository.attempts(runID: runID, stepID: "leak", fanoutIndex: fannedOut ? 0 : nil)
        #expect(attempts.map(\.attempt) == [1])
        #expect(try repository.violations(ViolationQuery(runID: runID)).count == (fannedOut ? 2 : 1), "one per item, none again on resume")
        if decision == .reject {
            #expect(outcome.status == .failed)
            #expect(outcome.steps["leak"]?.error?.contains("review-email") == true, "\(outcome.steps["leak"]?.error ?? "")")
            #expect(outcome.steps["after"] == nil)
        } else {
            #expect(outcome.status == .completed, "\(outcome.error ?? "")")
            // The line count is how many times the held step ran: once per item, none on resume.
            let expected = fannedOut ? #"2 got ["\#(Self.email) 1","\#(Self.email) 2"]"# : "1 got \(Self.email)"
            #expect(outcome.steps["after"]?.output == .string(expected))
        }
        let left = try await DockerWorkflowRunTests.leftovers(of: runID, in: backend)
        #expect(left.containers.isEmpty && left.volumes.isEmpty, "the run left \(left)")
    }

    static let gatedWorkflow = """
        name: gated-by-policy
        defaults: {image: base, timeout: 60s}
        policies:
          - id: review-email
            trigger: {type: pattern, patterns: [email]}
            action: {type: inject_approval, approval_config: {message: "a person must look at this"}}
        steps:
          - {id: leak, run: "echo '\(email)'"}
          - {id: after, depends_on: [leak], run: echo after, policies: []}
        """

    static func decideWhenPending(_ decision: ApprovalDecision, _ repository: SQLiteRunRepository, _ runID: String) async throws {
        let pending = try await eventually {
            try repository.approvals(runID: runID, statuses: [.pending]).count == 1
                && repository.run(id: runID)?.run.status == .waitingApproval
        }
        #expect(pending, "the run never waited for the policy's approval")
        try Approvals.decide(decision, runID: runID, stepID: "leak", by: "reviewer", comment: nil, repository: repository)
    }

    @Test func conditionTriggersReadDurationAndAttempt() async throws {
        let (outcome, repository, _) = try await run(
            """
            name: conditions
            defaults: {image: base, timeout: 60s}
            policies:
              - id: retried
                trigger: {type: condition, expression: "attempt >= 2 and status == 'completed'"}
                action: {type: log}
              - id: quick
                trigger: {type: condition, expression: "duration < 600 and step_id == 'flaky'"}
                action: {type: alert}
            steps:
              - id: flaky
                run: "test -e second || { touch second; exit 1; }; echo ok"
                retry: {max_attempts: 2, initial_delay: 1ms}
              - {id: steady, run: echo fine}
            """)
        #expect(outcome.status == .completed, "\(outcome.error ?? "")")
        let violations = try repository.violations(ViolationQuery(runID: outcome.runID))
        #expect(Set(violations.map { "\($0.stepID):\($0.policyID)" }) == ["flaky:retried", "flaky:quick"], "\(violations)")
        #expect(violations.allSatisfy { $0.trigger == "condition" && $0.matched == nil })
    }
}
