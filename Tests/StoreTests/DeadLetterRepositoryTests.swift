import Foundation
import Testing

@testable import Store

/// Dead letters in both repositories: recording one is idempotent per (run, step, index) and
/// atomic with the changes around it, the tenant comes from the run's submission, listing
/// filters and pages, and a resolution happens once.
@Suite struct DeadLetterRepositoryTests {
    @Test(arguments: RepositoryKind.allCases)
    func recordingIsIdempotentPerStepAndTakesTheSubmissionsTenant(kind: RepositoryKind) throws {
        try withTemporaryDirectory { dir in
            let repo = try kind.make(in: dir)
            try repo.write([
                .createRun(RunRecord(id: "r1", workflowName: "w")), .recordSubmission(RunSubmissionRecord(runID: "r1", tenant: "acme")),
            ])
            let first = try repo.recordDeadLetter(
                DeadLetterRecord(
                    id: "d1", runID: "r1", stepID: "a", error: "exit code 3", inputJSON: #"{"x":1}"#, attempts: 2, tenant: "forged",
                    createdAt: Date(timeIntervalSince1970: 1000)))
            #expect(first.id == "d1" && first.tenant == "acme", "the tenant is the run's, whatever the writer says")
            #expect(first.attempts == 2 && first.error == "exit code 3" && first.inputJSON == #"{"x":1}"# && first.parallelIndex == nil)
            #expect(first.createdAt == Date(timeIntervalSince1970: 1000) && !first.isResolved)
            // The same failure recorded again (a resumed run): the first item stands.
            let again = try repo.recordDeadLetter(DeadLetterRecord(id: "d2", runID: "r1", stepID: "a", error: "other", attempts: 5))
            #expect(again == first)
            try repo.write([.recordDeadLetter(DeadLetterRecord(id: "d3", runID: "r1", stepID: "a", error: "third"))])
            #expect(try repo.countDeadLetters(DeadLetterQuery(resolved: nil)) == 1)
            #expect(try repo.deadLetter(id: "d2") == nil && repo.deadLetter(id: "d3") == nil)
            // Another fan-out index of the same step is another item.
            let item = try repo.recordDeadLetter(DeadLetterRecord(id: "d4", runID: "r1", stepID: "a", parallelIndex: 0, attempts: 0))
            #expect(item.parallelIndex == 0 && item.attempts == 1, "at least the one attempt that failed")
            #expect(try repo.countDeadLetters(DeadLetterQuery(resolved: nil)) == 2)
            #expect(storeError { _ = try repo.recordDeadLetter(DeadLetterRecord(runID: "nope", stepID: "a")) }?.code == .constraint)
        }
    }

    @Test(arguments: RepositoryKind.allCases)
    func anItemCommitsWithItsStepsFailureOrNotAtAll(kind: RepositoryKind) throws {
        try withTemporaryDirectory { dir in
            let repo = try kind.make(in: dir)
            try repo.createRun(RunRecord(id: "r", workflowName: "w"))
            // The step's failure, its item and a change that fails: nothing is kept.
            #expect(throws: StoreError.self) {
                try repo.write([
                    .upsertStep(StepRecord(runID: "r", stepID: "a", status: .failed, error: "boom")),
                    .recordDeadLetter(DeadLetterRecord(id: "d", runID: "r", stepID: "a", error: "boom")),
                    .updateRunStatus(id: "missing", status: .failed, time: Date(), error: nil),
                ])
            }
            #expect(try repo.deadLetter(id: "d") == nil)
            #expect(try repo.run(id: "r")?.steps.isEmpty == true)
            try repo.write([
                .upsertStep(StepRecord(runID: "r", stepID: "a", status: .failed, error: "boom")),
                .recordDeadLetter(DeadLetterRecord(id: "d", runID: "r", stepID: "a", error: "boom")),
            ])
            #expect(try repo.deadLetter(id: "d")?.error == "boom")
            #expect(try repo.run(id: "r")?.steps.first?.status == .failed)
        }
    }

    @Test(arguments: RepositoryKind.allCases)
    func listingFiltersByResolutionAndTenantNewestFirstInPages(kind: RepositoryKind) throws {
        try withTemporaryDirectory { dir in
            let repo = try kind.make(in: dir)
            for (run, tenant) in [("r1", "acme"), ("r2", "globex"), ("r3", nil)] as [(String, String?)] {
                try repo.write([.createRun(RunRecord(id: run, workflowName: "w")), .recordSubmission(RunSubmissionRecord(runID: run, tenant: tenant))])
            }
            for index in 0..<5 {
                let run = ["r1", "r2", "r3", "r1", "r1"][index]
                _ = try repo.recordDeadLetter(
                    DeadLetterRecord(id: "d\(index)", runID: run, stepID: "s\(index)", createdAt: Date(timeIntervalSince1970: Double(1000 + index))))
            }
            _ = try repo.resolveDeadLetter(id: "d3", by: .manual, reason: "fixed by hand", retryRunID: nil, at: Date())
            #expect(try repo.deadLetters(DeadLetterQuery()).map(\.id) == ["d4", "d2", "d1", "d0"], "open ones, newest first")
            #expect(try repo.deadLetters(DeadLetterQuery(resolved: true)).map(\.id) == ["d3"])
            #expect(try repo.deadLetters(DeadLetterQuery(resolved: nil)).map(\.id) == ["d4", "d3", "d2", "d1", "d0"])
            #expect(try repo.deadLetters(DeadLetterQuery(tenant: "acme")).map(\.id) == ["d4", "d0"])
            #expect(try repo.deadLetters(DeadLetterQuery(resolved: nil, tenant: "acme")).map(\.id) == ["d4", "d3", "d0"])
            #expect(try repo.deadLetters(DeadLetterQuery(tenant: "nobody")).isEmpty)
            #expect(try repo.deadLetters(DeadLetterQuery(resolved: nil, limit: 2, offset: 1)).map(\.id) == ["d3", "d2"])
            #expect(try repo.countDeadLetters(DeadLetterQuery(limit: 1)) == 4, "the count ignores the page")
            #expect(try repo.countDeadLetters(DeadLetterQuery(resolved: nil, tenant: "acme")) == 3)
            #expect(try repo.deadLetter(id: "d1")?.tenant == "globex" && repo.deadLetter(id: "d2")?.tenant == nil)
        }
    }

    @Test(arguments: RepositoryKind.allCases)
    func anItemIsResolvedOnceManuallyOrByARetry(kind: RepositoryKind) throws {
        try withTemporaryDirectory { dir in
            let repo = try kind.make(in: dir)
            try repo.createRun(RunRecord(id: "r", workflowName: "w"))
            _ = try repo.recordDeadLetter(DeadLetterRecord(id: "m", runID: "r", stepID: "a"))
            _ = try repo.recordDeadLetter(DeadLetterRecord(id: "t", runID: "r", stepID: "b"))
            let time = Date(timeIntervalSince1970: 5000)
            let manual = try repo.resolveDeadLetter(id: "m", by: .manual, reason: "won't fix", retryRunID: nil, at: time)
            #expect(manual.resolvedAt == time && manual.resolvedBy == .manual && manual.resolveReason == "won't fix" && manual.retryRunID == nil)
            #expect(storeError { _ = try repo.resolveDeadLetter(id: "m", by: .manual, reason: nil, retryRunID: nil, at: Date()) }?.code == .conflict)
            #expect(try repo.deadLetter(id: "m") == manual, "a second resolution changes nothing")
            #expect(storeError { _ = try repo.resolveDeadLetter(id: "nope", by: .manual, reason: nil, retryRunID: nil, at: Date()) }?.code == .notFound)

            // A retry's run and the item's resolution commit together: a clash undoes both.
            try repo.write([
                .createRun(RunRecord(id: "retry-1", workflowName: "w", parentRunID: "r")),
                .resolveDeadLetter(id: "t", by: .retry, reason: nil, retryRunID: "retry-1", time: time),
            ])
            let retried = try #require(try repo.deadLetter(id: "t"))
            #expect(retried.resolvedBy == .retry && retried.retryRunID == "retry-1" && retried.resolvedAt == time)
            #expect(throws: StoreError.self) {
                try repo.write([
                    .createRun(RunRecord(id: "retry-2", workflowName: "w", parentRunID: "r")),
                    .resolveDeadLetter(id: "t", by: .retry, reason: nil, retryRunID: "retry-2", time: Date()),
                ])
            }
            #expect(try repo.run(id: "retry-2") == nil, "no second run for an item retried already")
            #expect(storeError { try repo.markDeadLetterRetried(id: "t", retryRunID: "x") }?.code == .conflict)
        }
    }

    @Test func anItemGoesWithItsRun() throws {
        try withTemporaryDirectory { dir in
            let repo = try SQLiteRunRepository(path: dir.appendingPathComponent("s.sqlite").path)
            try repo.createRun(RunRecord(id: "r", workflowName: "w"))
            _ = try repo.recordDeadLetter(DeadLetterRecord(id: "d", runID: "r", stepID: "a"))
            #expect(try repo.deleteRun(id: "r"))
            #expect(try repo.deadLetter(id: "d") == nil)
            #expect(try repo.countDeadLetters(DeadLetterQuery(resolved: nil)) == 0)
        }
    }
}
