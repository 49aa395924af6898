import Foundation
import Testing

@testable import Store

/// Each test runs against both implementations, so the fake stays faithful to SQLite.
@Suite struct RepositoryTests {
    @Test(arguments: RepositoryKind.allCases)
    func createAndReadARun(kind: RepositoryKind) throws {
        try withTemporaryDirectory { dir in
            let repo = try kind.make(in: dir)
            let created = Date(timeIntervalSince1970: 1_700_000_000.1234)
            let run = RunRecord(
                id: "run-1", workflowName: "pipeline", workflowPath: "examples/pipeline.yaml",
                workflowHash: "sha256:abc", inputsJSON: #"{"limit": 3, "name": "ünï 🏰"}"#,
                createdAt: created)
            try repo.createRun(run)
            let detail = try #require(try repo.run(id: "run-1"))
            #expect(detail.run == run)
            #expect(detail.run.createdAt == created.storeRounded)
            #expect(detail.steps.isEmpty)
            #expect(try repo.run(id: "nope") == nil)
            #expect(storeError { try repo.createRun(run) }?.code == .constraint)
        }
    }

    @Test(arguments: RepositoryKind.allCases)
    func statusTransitionsSetTimestamps(kind: RepositoryKind) throws {
        try withTemporaryDirectory { dir in
            let repo = try kind.make(in: dir)
            try repo.createRun(RunRecord(id: "r", workflowName: "wf"))
            let t1 = Date(timeIntervalSince1970: 1000)
            let t2 = Date(timeIntervalSince1970: 2000)
            let t3 = Date(timeIntervalSince1970: 3000)
            try repo.updateRunStatus(id: "r", to: .running, at: t1)
            try repo.updateRunStatus(id: "r", to: .waitingApproval, at: t2)
            try repo.updateRunStatus(id: "r", to: .running, at: t2)
            var run = try #require(try repo.run(id: "r")).run
            #expect(run.status == .running)
            #expect(run.startedAt == t1)
            #expect(run.finishedAt == nil)
            try repo.updateRunStatus(id: "r", to: .failed, at: t3, error: "step build exited 2")
            run = try #require(try repo.run(id: "r")).run
            #expect(run.status == .failed)
            #expect(run.startedAt == t1)
            #expect(run.finishedAt == t3)
            #expect(run.error == "step build exited 2")
            #expect(storeError { try repo.updateRunStatus(id: "ghost", to: .running) }?.code == .notFound)
            // Unknown statuses are kept as they are.
            try repo.updateRunStatus(id: "r", to: RunStatus(rawValue: "paused_by_admin"))
            #expect(try repo.run(id: "r")?.run.status.rawValue == "paused_by_admin")
        }
    }

    @Test(arguments: RepositoryKind.allCases)
    func stepsUpsertPerFanoutIndex(kind: RepositoryKind) throws {
        try withTemporaryDirectory { dir in
            let repo = try kind.make(in: dir)
            try repo.createRun(RunRecord(id: "r", workflowName: "wf"))
            try repo.upsertStep(StepRecord(runID: "r", stepID: "build", status: .pending))
            try repo.upsertStep(StepRecord(runID: "r", stepID: "analyze", fanoutIndex: 1, status: .running, attempt: 1))
            try repo.upsertStep(StepRecord(runID: "r", stepID: "analyze", fanoutIndex: 0, status: .running, attempt: 1))
            let started = Date(timeIntervalSince1970: 50)
            let done = StepRecord(
                runID: "r", stepID: "build", status: .completed, attempt: 2, backend: "docker",
                sandboxID: "sb-1", exitCode: 0, outputJSON: #"{"ok":true}"#, outputText: "ok\n",
                outputPath: "outputs/r/build.txt", startedAt: started,
                finishedAt: started.addingTimeInterval(1.5), error: nil)
            try repo.upsertStep(done)
            let steps = try #require(try repo.run(id: "r")).steps
            #expect(steps.map(\.stepID) == ["analyze", "analyze", "build"])
            #expect(steps.map(\.fanoutIndex) == [0, 1, nil])
            #expect(steps[2] == done)
            #expect(
                storeError {
                    try repo.upsertStep(StepRecord(runID: "ghost", stepID: "x", status: .pending))
                }?.code == .constraint)
        }
    }

    @Test(arguments: RepositoryKind.allCases)
    func attemptsAreRecordedInOrder(kind: RepositoryKind) throws {
        try withTemporaryDirectory { dir in
            let repo = try kind.make(in: dir)
            try repo.createRun(RunRecord(id: "r", workflowName: "wf"))
            let t = Date(timeIntervalSince1970: 10)
            let second = StepAttemptRecord(
                runID: "r", stepID: "s", attempt: 2, backend: "docker", sandboxID: "sb-2",
                exitCode: 0, startedAt: t, finishedAt: t.addingTimeInterval(2), durationMs: 2000)
            let first = StepAttemptRecord(
                runID: "r", stepID: "s", attempt: 1, backend: "docker", sandboxID: "sb-1",
                exitCode: 137, startedAt: t, finishedAt: t.addingTimeInterval(1),
                durationMs: 1000, error: "killed (out of memory)")
            try repo.recordAttempt(second)
            try repo.recordAttempt(first)
            try repo.recordAttempt(StepAttemptRecord(runID: "r", stepID: "s", fanoutIndex: 3, attempt: 1, startedAt: t))
            #expect(try repo.attempts(runID: "r", stepID: "s", fanoutIndex: nil) == [first, second])
            #expect(try repo.attempts(runID: "r", stepID: "s", fanoutIndex: 3).count == 1)
            #expect(
                storeError {
                    try repo.recordAttempt(StepAttemptRecord(runID: "ghost", stepID: "s", attempt: 1, startedAt: t))
                }?.code == .constraint)
        }
    }

    @Test(arguments: RepositoryKind.allCases)
    func eventsAreNumberedPerRunAndTailable(kind: RepositoryKind) throws {
        try withTemporaryDirectory { dir in
            let repo = try kind.make(in: dir)
            try repo.createRun(RunRecord(id: "a", workflowName: "wf"))
            try repo.createRun(RunRecord(id: "b", workflowName: "wf"))
            #expect(try repo.appendEvent(runID: "a", kind: "run.started") == 1)
            #expect(try repo.appendEvent(runID: "b", kind: "run.started") == 1)
            #expect(try repo.appendEvent(runID: "a", kind: "step.output", payloadJSON: #"{"chunk":"héllo\n"}"#) == 2)
            #expect(try repo.appendEvent(runID: "a", kind: "run.completed") == 3)
            let all = try repo.events(runID: "a")
            #expect(all.map(\.seq) == [1, 2, 3])
            #expect(all[1].payloadJSON == #"{"chunk":"héllo\n"}"#)
            #expect(try repo.events(runID: "a", afterSeq: 1, limit: 1).map(\.kind) == ["step.output"])
            #expect(try repo.events(runID: "a", afterSeq: 3).isEmpty)
            #expect(try repo.events(runID: "ghost").isEmpty)
            #expect(storeError { try repo.appendEvent(runID: "ghost", kind: "x") }?.code == .constraint)
        }
    }

    @Test(arguments: RepositoryKind.allCases)
    func listRunsFiltersAndPaginatesNewestFirst(kind: RepositoryKind) throws {
        try withTemporaryDirectory { dir in
            let repo = try kind.make(in: dir)
            for i in 0..<7 {
                try repo.createRun(
                    RunRecord(
                        id: "run-\(i)", workflowName: "wf",
                        createdAt: Date(timeIntervalSince1970: Double(1000 + i))))
            }
            try repo.updateRunStatus(id: "run-2", to: .running)
            try repo.updateRunStatus(id: "run-5", to: .running)
            try repo.updateRunStatus(id: "run-6", to: .failed)
            #expect(try repo.listRuns(RunQuery()).map(\.id) == (0..<7).reversed().map { "run-\($0)" })
            #expect(try repo.listRuns(RunQuery(limit: 3)).map(\.id) == ["run-6", "run-5", "run-4"])
            #expect(try repo.listRuns(RunQuery(limit: 3, offset: 3)).map(\.id) == ["run-3", "run-2", "run-1"])
            #expect(try repo.listRuns(RunQuery(limit: 3, offset: 6)).map(\.id) == ["run-0"])
            #expect(try repo.listRuns(RunQuery(statuses: [.running])).map(\.id) == ["run-5", "run-2"])
            #expect(try repo.listRuns(RunQuery(statuses: [.running, .failed])).map(\.id) == ["run-6", "run-5", "run-2"])
            #expect(try repo.listRuns(RunQuery(statuses: [])).isEmpty)
        }
    }

    @Test(arguments: RepositoryKind.allCases)
    func lineageIsRecorded(kind: RepositoryKind) throws {
        try withTemporaryDirectory { dir in
            let repo = try kind.make(in: dir)
            try repo.createRun(RunRecord(id: "parent", workflowName: "wf"))
            try repo.createRun(
                RunRecord(
                    id: "child", workflowName: "wf", parentRunID: "parent", forkedFromStep: "test",
                    lineageKind: "fork", forkChangesJSON: #"{"image":"python"}"#))
            let child = try #require(try repo.run(id: "child")).run
            #expect(child.parentRunID == "parent")
            #expect(child.forkedFromStep == "test")
            #expect(child.lineageKind == "fork")
            #expect(child.forkChangesJSON == #"{"image":"python"}"#)
            #expect(
                storeError {
                    try repo.createRun(RunRecord(id: "orphan", workflowName: "wf", parentRunID: "missing"))
                }?.code == .constraint)
        }
    }

    @Test(arguments: RepositoryKind.allCases)
    func concurrentWritersKeepSeqStrictlyIncreasing(kind: RepositoryKind) async throws {
        try await withTemporaryDirectory { dir in
            let repo = try kind.make(in: dir)
            try repo.createRun(RunRecord(id: "r", workflowName: "wf"))
            try repo.createRun(RunRecord(id: "other", workflowName: "wf"))
            let tasks = 8, perTask = 200
            try await withThrowingTaskGroup(of: [Int64].self) { group in
                for t in 0..<tasks {
                    group.addTask {
                        var seqs: [Int64] = []
                        for i in 0..<perTask {
                            seqs.append(
                                try repo.appendEvent(
                                    runID: t % 4 == 3 ? "other" : "r", kind: "tick",
                                    payloadJSON: #"{"task":\#(t),"i":\#(i)}"#))
                        }
                        return seqs
                    }
                }
                for try await seqs in group {
                    // Each writer sees its own appends in order.
                    #expect(zip(seqs, seqs.dropFirst()).allSatisfy { $0 < $1 })
                }
            }
            let r = try repo.events(runID: "r")
            let other = try repo.events(runID: "other")
            #expect(r.map(\.seq) == Array(1...Int64(6 * perTask)))
            #expect(other.map(\.seq) == Array(1...Int64(2 * perTask)))
            // No event lost or duplicated.
            #expect(Set((r + other).map(\.payloadJSON)).count == tasks * perTask)
        }
    }

    @Test(arguments: RepositoryKind.allCases)
    func approvalsAreRequestedOnceAndDecidedOnce(kind: RepositoryKind) throws {
        try withTemporaryDirectory { dir in
            let repo = try kind.make(in: dir)
            try repo.createRun(RunRecord(id: "r", workflowName: "wf"))
            let asked = Date(timeIntervalSince1970: 1_000)
            let first = ApprovalRecord(
                runID: "r", stepID: "gate", message: "Ship it?", requestJSON: #"{"sha":"abc"}"#,
                onTimeout: "skip", allowEdit: true, requestedAt: asked,
                timeoutAt: asked.addingTimeInterval(60))
            #expect(try repo.requestApproval(first) == first)
            // Asking again (after a restart) keeps the first request and its deadline.
            var second = first
            second.message = "changed"
            second.timeoutAt = asked.addingTimeInterval(999)
            #expect(try repo.requestApproval(second) == first)
            #expect(try repo.approvals(runID: "r", statuses: [.pending]).map(\.stepID) == ["gate"])
            #expect(try repo.approvals(runID: nil, statuses: [.approved]).isEmpty)

            let decided = Date(timeIntervalSince1970: 2_000)
            #expect(
                try repo.decideApproval(
                    runID: "r", stepID: "gate", status: .approved, decidedBy: "ada",
                    comment: "ok", responseJSON: #"{"sha":"def"}"#, at: decided))
            #expect(
                try !repo.decideApproval(
                    runID: "r", stepID: "gate", status: .rejected, decidedBy: "bob",
                    comment: nil, responseJSON: nil, at: decided), "the first decision wins")
            let stored = try #require(try repo.approval(runID: "r", stepID: "gate"))
            #expect(stored.status == .approved && stored.decidedBy == "ada" && stored.comment == "ok")
            #expect(stored.decidedAt == decided && stored.responseJSON == #"{"sha":"def"}"#)
            #expect(stored.allowEdit && stored.onTimeout == "skip" && stored.message == "Ship it?")
            #expect(try repo.approval(runID: "r", stepID: "other") == nil)
            #expect(
                storeError {
                    _ = try repo.decideApproval(
                        runID: "r", stepID: "other", status: .approved, decidedBy: nil,
                        comment: nil, responseJSON: nil, at: decided)
                }?.code == .notFound)
            #expect(storeError { _ = try repo.requestApproval(ApprovalRecord(runID: "nope", stepID: "g")) }?.code == .constraint)
        }
    }

    @Test(arguments: RepositoryKind.allCases)
    func aPendingApprovalCommitsWithTheStateThatGoesWithItOrNotAtAll(kind: RepositoryKind) throws {
        try withTemporaryDirectory { dir in
            let repo = try kind.make(in: dir)
            try repo.createRun(RunRecord(id: "r", workflowName: "wf"))
            let request = ApprovalRecord(runID: "r", stepID: "gate", requestedAt: Date(timeIntervalSince1970: 1_000))
            func waiting(_ pending: ApprovalRecord) -> [RunChange] {
                [
                    .upsertStep(StepRecord(runID: "r", stepID: pending.stepID, status: .waitingApproval, startedAt: pending.requestedAt)),
                    .updateRunStatus(id: "r", status: .waitingApproval, time: Date(), error: nil),
                ]
            }
            // A change that fails rolls the request back with it.
            #expect(
                storeError {
                    _ = try repo.requestApproval(request) { _ in [.setRunOwner(id: "no-such-run", owner: nil)] }
                }?.code == .notFound)
            #expect(try repo.approval(runID: "r", stepID: "gate") == nil)

            #expect(try repo.requestApproval(request, whilePending: waiting) == request)
            let detail = try #require(try repo.run(id: "r"))
            #expect(detail.run.status == .waitingApproval)
            #expect(detail.steps.map(\.status) == [.waitingApproval])

            // Decided: asking again (a resumed run) changes nothing else.
            #expect(
                try repo.decideApproval(
                    runID: "r", stepID: "gate", status: .approved, decidedBy: nil, comment: nil,
                    responseJSON: nil, at: Date()))
            try repo.updateRunStatus(id: "r", to: .running)
            var applied = false
            let again = try repo.requestApproval(request) { pending in
                applied = true
                return waiting(pending)
            }
            #expect(again.status == .approved && !applied)
            #expect(try repo.run(id: "r")?.run.status == .running)
        }
    }
}
