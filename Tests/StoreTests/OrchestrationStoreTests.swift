import Foundation
import Testing

@testable import Store

/// What the server's run queue keeps in SQLite: workflow versions, submissions with their
/// idempotency rule, the global event feed, the overview's figures, and run deletion.
@Suite struct OrchestrationStoreTests {
    @Test func versionsCountPerNameAndADeletedWorkflowStartsOverWithItsOldVersionsKept() throws {
        try withTemporaryDirectory { dir in
            let repo = try SQLiteRunRepository(path: dir.appendingPathComponent("s.sqlite").path)
            let first = try repo.saveWorkflowVersion(name: "a", yaml: "v1", source: .api)
            let second = try repo.saveWorkflowVersion(name: "a", yaml: "v2", description: "two", source: .file)
            try repo.saveWorkflowVersion(name: "b", yaml: "b1", source: .api)
            #expect(first.version == 1 && second.version == 2 && second.contentHash == SQLiteRunRepository.contentHash("v2"))
            #expect(try repo.workflowVersions(name: "a").map(\.version) == [2, 1])
            #expect(try repo.latestWorkflowVersions().map { "\($0.name)@\($0.version)" } == ["a@2", "b@1"])
            #expect(try repo.workflowVersion(name: "a", version: 1)?.yaml == "v1")
            #expect(try repo.workflowVersion(name: "a", version: 2)?.source == .file)

            #expect(try repo.deleteWorkflow(name: "a") == 2)
            #expect(try repo.workflowVersions(name: "a").isEmpty)
            #expect(try repo.latestWorkflowVersions().map(\.name) == ["b"])
            #expect(try repo.workflowVersion(name: "a", version: 1)?.yaml == "v1", "a run can still read the version it ran")
            let again = try repo.saveWorkflowVersion(name: "a", yaml: "v3", source: .api)
            #expect(again.version == 3, "versions never repeat: a run naming a@1 must not find another text")
            #expect(try repo.workflowVersions(name: "a").map(\.version) == [3])
        }
    }

    @Test func aTenantsIdempotencyKeyNamesOneRun() throws {
        try withTemporaryDirectory { dir in
            let repo = try SQLiteRunRepository(path: dir.appendingPathComponent("s.sqlite").path)
            try repo.write([
                .createRun(RunRecord(id: "r1", workflowName: "w")),
                .recordSubmission(RunSubmissionRecord(runID: "r1", workflowVersion: 4, idempotencyKey: "k", callbackURL: "https://x.example/h")),
            ])
            #expect(throws: StoreError.self, "the same key of the same tenant is refused, and the run with it") {
                try repo.write([.createRun(RunRecord(id: "r2", workflowName: "w")), .recordSubmission(RunSubmissionRecord(runID: "r2", idempotencyKey: "k"))])
            }
            #expect(try repo.run(id: "r2") == nil, "all or nothing")
            try repo.write([
                .createRun(RunRecord(id: "r3", workflowName: "w")), .recordSubmission(RunSubmissionRecord(runID: "r3", tenant: "t1", idempotencyKey: "k")),
            ])
            #expect(try repo.submission(tenant: nil, idempotencyKey: "k")?.runID == "r1")
            #expect(try repo.submission(tenant: "t1", idempotencyKey: "k")?.runID == "r3")
            let kept = try repo.submission(runID: "r1")
            #expect(kept?.workflowVersion == 4 && kept?.callbackURL == "https://x.example/h")
            #expect(try repo.deleteRun(id: "r1"))
            #expect(try repo.submission(runID: "r1") == nil, "the submission goes with its run")
            #expect(try repo.deleteRun(id: "r1") == false)
        }
    }

    @Test func theGlobalFeedOrdersEveryRunsEventsAndFilters() throws {
        try withTemporaryDirectory { dir in
            let repo = try SQLiteRunRepository(path: dir.appendingPathComponent("s.sqlite").path)
            try repo.createRun(RunRecord(id: "a", workflowName: "w"))
            try repo.createRun(RunRecord(id: "b", workflowName: "w"))
            #expect(try repo.latestEventID() == 0)
            for (run, kind) in [("a", "run_started"), ("b", "run_started"), ("a", "model_turn"), ("b", "run_finished")] {
                try repo.appendEvent(runID: run, kind: kind)
            }
            let all = try repo.events(afterID: 0, limit: 10)
            #expect(all.map { "\($0.record.runID) \($0.record.kind)" } == ["a run_started", "b run_started", "a model_turn", "b run_finished"])
            #expect(all.map(\.id) == all.map(\.id).sorted())
            let after = try repo.events(afterID: all[1].id, kinds: ["run_started", "run_finished"], limit: 10)
            #expect(after.map(\.record.kind) == ["run_finished"])
            #expect(try repo.latestEventID() == all.last?.id)
        }
    }

    @Test func theOverviewCountsTodayAndEachDay() throws {
        try withTemporaryDirectory { dir in
            let repo = try SQLiteRunRepository(path: dir.appendingPathComponent("s.sqlite").path)
            let now = Date()
            let yesterday = now.addingTimeInterval(-86_400)
            try repo.createRun(RunRecord(id: "old", workflowName: "w", status: .completed, createdAt: yesterday, startedAt: yesterday, finishedAt: yesterday))
            try repo.createRun(
                RunRecord(id: "ok", workflowName: "w", status: .completed, createdAt: now, startedAt: now, finishedAt: now.addingTimeInterval(2)))
            try repo.createRun(RunRecord(id: "bad", workflowName: "v", status: .failed, createdAt: now, startedAt: now, finishedAt: now.addingTimeInterval(4)))
            try repo.createRun(RunRecord(id: "live", workflowName: "v", status: .running, createdAt: now, startedAt: now))
            try repo.write([.recordModelCall(ModelCallRecord(runID: "bad", stepID: "s", attempt: 1, turn: 1, provider: "p", model: "m", costUSD: 0.25))])
            let stats = try repo.runStats(since: now.addingTimeInterval(-60), daysFrom: yesterday.addingTimeInterval(-60))
            #expect(stats.runsSince == 3)
            #expect(stats.successRate == 0.5, "one of the two finished runs completed; the running one does not count")
            #expect(stats.costSinceUSD == 0.25 && stats.averageDurationSeconds == 3)
            #expect(stats.days.map(\.runs).reduce(0, +) == 4)
            #expect(stats.costByWorkflow.first?.workflow == "v" && stats.costByWorkflow.first?.costUSD == 0.25)
        }
    }
}
