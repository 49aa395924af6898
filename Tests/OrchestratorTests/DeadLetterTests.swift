import Engine
import EngineService
import Foundation
import JSONValues
import Orchestrator
import Store
import TestSupport
import Testing
import Workflow

/// Dead letters on real runs (SQLite, Docker; no skip path): a step of an `on_failure:
/// {dead_letter: true}` workflow that spends its retries becomes an item and the run goes on; a
/// retry is a new run with its parent, counted against the retry limit; a resolution happens
/// once; a tenant sees only its own; a crash after the failure's commit adds no second item and
/// does not run the step again; `--dead-letter-failed-runs` dead-letters any failed run.
@Suite(.serialized) struct DeadLetterTests {
    /// Fails after two attempts; `after` depends on it and reads its (null) output's status.
    static let flaky = """
        name: flaky
        inputs:
          who: {type: string, default: world}
        on_failure: {dead_letter: true}
        steps:
          - id: fails
            run: echo "trying for {input.who}"; exit 3
            retry: {max_attempts: 2, backoff: fixed, initial_delay: 10ms, jitter: false}
          - id: after
            depends_on: [fails]
            run: echo after
        """

    @Test func aStepThatSpendsItsRetriesBecomesAnItemAndTheRunGoesOn() async throws {
        let harness = try await SchedulerHarness(workflows: ["flaky": Self.flaky], deadLetters: DeadLetterSettings(maxRetries: 1))
        do {
            let repository = harness.repository
            let submitted = try await harness.orchestrator.submit(
                RunSubmission(source: .named("flaky", version: nil), inputs: ["who": .text("ada")], tenant: "acme"))
            #expect(await harness.finished(submitted.runID) == .completed, "the run goes on past the dead-lettered step")
            let detail = try #require(try repository.run(id: submitted.runID))
            #expect(detail.steps.first { $0.stepID == "fails" }?.status == .failed)
            #expect(detail.steps.first { $0.stepID == "after" }?.status == .completed, "its dependent ran")
            #expect(try repository.attempts(runID: submitted.runID, stepID: "fails", fanoutIndex: nil).count == 2)

            let page = try harness.orchestrator.deadLetters(resolved: false, tenant: nil, limit: 50, offset: 0)
            #expect(page.total == 1 && page.items.count == 1)
            let item = try #require(page.items.first)
            #expect(item.runID == submitted.runID && item.stepID == "fails" && item.parallelIndex == nil)
            let stepError = detail.steps.first { $0.stepID == "fails" }?.error
            #expect(item.error == stepError && item.error?.contains("3") == true && item.attempts == 2 && item.tenant == "acme")
            #expect(JSONValue.parse(json: item.inputJSON ?? "") == ["who": "ada"], "the run's input, as Sandcastle's input_data")
            let events = try repository.events(runID: submitted.runID).map { RunEvent($0) }
            #expect(events.contains(.deadLettered(RunEvent.DeadLettered(step: "fails", item: item.id, error: stepError, attempts: 2))))

            // A tenant sees its own items only; another tenant's id is "not found".
            #expect(try harness.orchestrator.deadLetter(id: item.id, tenant: "acme") == item)
            #expect(try harness.orchestrator.deadLetters(resolved: false, tenant: "globex", limit: 50, offset: 0).total == 0)
            #expect(orchestratorError { _ = try harness.orchestrator.deadLetter(id: item.id, tenant: "globex") } == .deadLetterNotFound)
            #expect(await asyncOrchestratorError { _ = try await harness.orchestrator.retryDeadLetter(id: item.id, tenant: "globex") } == .deadLetterNotFound)
            #expect(orchestratorError { _ = try harness.orchestrator.resolveDeadLetter(id: item.id, reason: nil, tenant: "globex") } == .deadLetterNotFound)

            // Retry, twice at once: one new run of the same recorded workflow and input, its parent
            // the item's run; the other retry finds the item resolved.
            let orchestrator = harness.orchestrator
            async let firstRetry = Self.retry(item.id, orchestrator)
            async let secondRetry = Self.retry(item.id, orchestrator)
            let outcomes = await [firstRetry, secondRetry]
            let made = outcomes.compactMap { try? $0.get() }
            #expect(made.count == 1, "\(outcomes)")
            #expect(outcomes.contains { if case .failure(let refusal) = $0 { refusal.code == .alreadyResolved } else { false } }, "\(outcomes)")
            let retryID = try #require(made.first)
            let retried = try #require(try repository.deadLetter(id: item.id))
            #expect(retried.resolvedBy == .retry && retried.retryRunID == retryID && retried.resolvedAt != nil)
            let retryRun = try #require(try repository.run(id: retryID)).run
            #expect(retryRun.parentRunID == submitted.runID && retryRun.lineageKind == "retry")
            #expect(retryRun.workflowPath == detail.run.workflowPath && retryRun.inputsJSON == detail.run.inputsJSON)
            #expect(try repository.submission(runID: retryID)?.tenant == "acme")
            #expect(await asyncOrchestratorError { _ = try await harness.orchestrator.retryDeadLetter(id: item.id, tenant: nil) } == .alreadyResolved)
            #expect(orchestratorError { _ = try harness.orchestrator.resolveDeadLetter(id: item.id, reason: nil, tenant: nil) } == .alreadyResolved)

            // The retry fails the same way: a new item, whose retry would be the second (limit 1).
            #expect(await harness.finished(retryID) == .completed)
            let second = try #require(try harness.orchestrator.deadLetters(resolved: false, tenant: "acme", limit: 50, offset: 0).items.first)
            #expect(second.runID == retryID && second.stepID == "fails")
            #expect(await asyncOrchestratorError { _ = try await harness.orchestrator.retryDeadLetter(id: second.id, tenant: nil) } == .maxRetriesExceeded)
            #expect(try harness.runs().count == 2, "a refused retry makes no run")

            // Resolve by hand, once.
            let resolved = try harness.orchestrator.resolveDeadLetter(id: second.id, reason: "known flake", tenant: "acme")
            #expect(resolved.resolvedBy == .manual && resolved.resolveReason == "known flake")
            #expect(orchestratorError { _ = try harness.orchestrator.resolveDeadLetter(id: second.id, reason: nil, tenant: nil) } == .alreadyResolved)
            #expect(try harness.orchestrator.deadLetters(resolved: false, tenant: nil, limit: 50, offset: 0).total == 0)
            #expect(try harness.orchestrator.deadLetters(resolved: nil, tenant: nil, limit: 50, offset: 0).total == 2)
            #expect(orchestratorError { _ = try harness.orchestrator.deadLetter(id: "nope", tenant: nil) } == .deadLetterNotFound)
        } catch {
            try await harness.finish()
            throw error
        }
        try await harness.finish()
    }

    /// The process dies right after the step's failure and its item committed (one transaction):
    /// the run resumes without running the step again, and without a second item.
    @Test func aResumedRunKeepsItsItemAndDoesNotRunTheStepAgain() async throws {
        let harness = try await SchedulerHarness(workflows: ["flaky": Self.flaky])
        do {
            let repository = harness.repository
            let workflow = try harness.orchestrator.catalog.resolve(name: "flaky", version: nil).workflow
            let runID = WorkflowEngine.makeRunID()
            // Queued outside the queue (nothing starts it yet), then the dead process's last commit.
            try await harness.orchestrator.runs.enqueue(workflow, inputs: [:], runID: runID)
            let item = DeadLetterRecord(runID: runID, stepID: "fails", error: "exit code 3", inputJSON: #"{"who":"world"}"#, attempts: 2)
            try repository.write([
                .updateRunStatus(id: runID, status: .running, time: Date(), error: nil),
                .upsertStep(StepRecord(runID: runID, stepID: "fails", status: .failed, finishedAt: Date(), error: "exit code 3")),
                .recordDeadLetter(item),
            ])
            await harness.orchestrator.queue.start()
            #expect(await harness.finished(runID) == .completed)
            #expect(try repository.attempts(runID: runID, stepID: "fails", fanoutIndex: nil).isEmpty, "the dead-lettered step did not run again")
            #expect(try repository.run(id: runID)?.steps.first { $0.stepID == "after" }?.status == .completed)
            let items = try repository.deadLetters(DeadLetterQuery(resolved: nil))
            #expect(items.map(\.id) == [item.id], "still the one item")
        } catch {
            try await harness.finish()
            throw error
        }
        try await harness.finish()
    }

    @Test func aServerThatDeadLettersFailedRunsKeepsAnItemForEach() async throws {
        let harness = try await SchedulerHarness(workflows: ["check": SchedulerHarness.check], deadLetters: DeadLetterSettings(failedRuns: true))
        do {
            let failing = try await harness.orchestrator.submit(RunSubmission(source: .named("check", version: nil), inputs: ["ok": .text("no")]))
            let passing = try await harness.orchestrator.submit(RunSubmission(source: .named("check", version: nil), inputs: ["ok": .text("yes")]))
            #expect(await harness.finished(failing.runID) == .failed)
            #expect(await harness.finished(passing.runID) == .completed)
            let items = try harness.repository.deadLetters(DeadLetterQuery(resolved: nil))
            #expect(items.count == 1)
            let item = try #require(items.first)
            #expect(item.runID == failing.runID && item.stepID == "check" && item.attempts == 1)
            #expect(item.error?.contains("step `check` failed") == true, "the run's error: \(item.error ?? "nil")")
            #expect(JSONValue.parse(json: item.inputJSON ?? "") == ["ok": "no"])
            let events = try harness.repository.events(runID: failing.runID).map { RunEvent($0) }
            #expect(events.contains { if case .deadLettered(let event) = $0 { event.item == item.id } else { false } })
        } catch {
            try await harness.finish()
            throw error
        }
        try await harness.finish()
    }
}

extension DeadLetterTests {
    struct Refusal: Error { var code: OrchestratorError.Code }

    static func retry(_ id: String, _ orchestrator: Orchestrator) async -> Result<String, Refusal> {
        do {
            return .success(try await orchestrator.retryDeadLetter(id: id, tenant: "acme"))
        } catch let error as OrchestratorError {
            return .failure(Refusal(code: error.code))
        } catch {
            return .failure(Refusal(code: OrchestratorError.Code(rawValue: "unexpected: \(error)")))
        }
    }
}

/// The code of the ``OrchestratorError`` `body` threw, or nil.
private func orchestratorError(_ body: () throws -> Void) -> OrchestratorError.Code? {
    do {
        try body()
        return nil
    } catch let error as OrchestratorError {
        return error.code
    } catch {
        return OrchestratorError.Code(rawValue: "unexpected: \(error)")
    }
}

private func asyncOrchestratorError(_ body: () async throws -> Void) async -> OrchestratorError.Code? {
    do {
        try await body()
        return nil
    } catch let error as OrchestratorError {
        return error.code
    } catch {
        return OrchestratorError.Code(rawValue: "unexpected: \(error)")
    }
}
