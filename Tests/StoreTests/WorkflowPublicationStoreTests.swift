import Foundation
import Testing

@testable import Store

/// Store v9 (issue 14 §8): a published workflow version, and the endpoint a run came through,
/// counted by day, cost and outcome.
@Suite struct WorkflowPublicationStoreTests {
    @Test func theNewestPublishedVersionIsServedAndALaterSaveWaitsForItsOwnPublishing() throws {
        try withTemporaryDirectory { dir in
            let repo = try SQLiteRunRepository(path: dir.appendingPathComponent("s.sqlite").path)
            try repo.saveWorkflowVersion(name: "a", yaml: "v1", source: .api)
            #expect(try repo.publishedWorkflowVersion(name: "a") == nil, "saved is not published")
            let when = Date(timeIntervalSince1970: 1_800_000_000)
            #expect(try repo.publishWorkflowVersion(name: "a", version: 1, at: when))
            try repo.saveWorkflowVersion(name: "a", yaml: "v2", source: .api)
            let served = try #require(try repo.publishedWorkflowVersion(name: "a"))
            #expect(served.version == 1 && served.yaml == "v1" && served.publishedAt == when)
            #expect(try repo.workflowVersions(name: "a").first?.publishedAt == nil, "version 2 is not published")
            #expect(try repo.publishWorkflowVersion(name: "a", version: 2))
            #expect(try repo.publishedWorkflowVersion(name: "a")?.version == 2)
            #expect(try repo.publishWorkflowVersion(name: "a", version: 9) == false, "no such version")
            #expect(try repo.publishWorkflowVersion(name: "nope", version: 1) == false)
            try repo.deleteWorkflow(name: "a")
            #expect(try repo.publishedWorkflowVersion(name: "a") == nil, "a deleted workflow serves nothing")
            #expect(try repo.publishWorkflowVersion(name: "a", version: 2) == false)
        }
    }

    @Test func usageCountsOnlyTheEndpointsRunsSinceTheStart() throws {
        try withTemporaryDirectory { dir in
            let repo = try SQLiteRunRepository(path: dir.appendingPathComponent("s.sqlite").path)
            let now = Date()
            let old = now.addingTimeInterval(-10 * 86_400)
            func run(_ id: String, _ status: RunStatus, endpoint: String?, at time: Date, seconds: Double) throws {
                try repo.write([
                    .createRun(
                        RunRecord(
                            id: id, workflowName: "w", status: status, createdAt: time, startedAt: time, finishedAt: time.addingTimeInterval(seconds))),
                    .recordSubmission(RunSubmissionRecord(runID: id, workflowVersion: 1, submittedAt: time, endpoint: endpoint)),
                ])
            }
            try run("ok", .completed, endpoint: "w", at: now, seconds: 2)
            try run("bad", .failed, endpoint: "w", at: now, seconds: 4)
            try run("old", .completed, endpoint: "w", at: old, seconds: 8)
            try run("direct", .completed, endpoint: nil, at: now, seconds: 8)
            try run("other", .completed, endpoint: "v", at: now, seconds: 8)
            try repo.write([.recordModelCall(ModelCallRecord(runID: "bad", stepID: "s", attempt: 1, turn: 1, provider: "p", model: "m", costUSD: 0.25))])
            #expect(try repo.submission(runID: "ok")?.endpoint == "w" && repo.submission(runID: "direct")?.endpoint == nil)

            let usage = try repo.endpointUsage(endpoint: "w", since: now.addingTimeInterval(-86_400))
            #expect(usage.calls == 2 && usage.completed == 1 && usage.failed == 1)
            #expect(usage.costUSD == 0.25 && usage.averageDurationSeconds == 3)
            #expect(usage.days.map(\.calls).reduce(0, +) == 2 && usage.days.map(\.costUSD).reduce(0, +) == 0.25)
            let longer = try repo.endpointUsage(endpoint: "w", since: old.addingTimeInterval(-60))
            #expect(longer.calls == 3 && longer.days.count == 2, "one entry per day with calls: \(longer.days)")
            let none = try repo.endpointUsage(endpoint: "never", since: old)
            #expect(none.calls == 0 && none.averageDurationSeconds == nil && none.days.isEmpty)
        }
    }

    @Test func bothRepositoriesKeepASubmissionsEndpoint() throws {
        try withTemporaryDirectory { dir in
            let changes: [RunChange] = [
                .createRun(RunRecord(id: "r1", workflowName: "w")), .recordSubmission(RunSubmissionRecord(runID: "r1", endpoint: "w")),
            ]
            let sqlite = try SQLiteRunRepository(path: dir.appendingPathComponent("s.sqlite").path)
            try sqlite.write(changes)
            #expect(try sqlite.submission(runID: "r1")?.endpoint == "w")
            let memory = InMemoryRunRepository()
            try memory.write(changes)
            #expect(memory.submission(runID: "r1")?.endpoint == "w")
        }
    }
}
