import Foundation
import Sandbox
import Store
import Synchronization
import Testing
import Workflow

@testable import Engine

/// A repository that stops writing when frozen, as if the process died at that moment:
/// reads still work, writes are dropped without an error so the engine carries on blind.
final class CrashingRepository: RunRepository {
    let inner: InMemoryRunRepository
    private let frozen = Mutex(false)

    init(_ inner: InMemoryRunRepository) { self.inner = inner }

    func crash() { frozen.withLock { $0 = true } }
    private var isFrozen: Bool { frozen.withLock { $0 } }

    func createRun(_ run: RunRecord) throws { if !isFrozen { try inner.createRun(run) } }
    func updateRunStatus(id: String, to status: RunStatus, at time: Date, error: String?) throws {
        if !isFrozen { try inner.updateRunStatus(id: id, to: status, at: time, error: error) }
    }
    func upsertStep(_ step: StepRecord) throws { if !isFrozen { try inner.upsertStep(step) } }
    func recordAttempt(_ attempt: StepAttemptRecord) throws { if !isFrozen { try inner.recordAttempt(attempt) } }
    func appendEvent(runID: String, kind: String, payloadJSON: String, at time: Date) throws -> Int64 {
        isFrozen ? 0 : try inner.appendEvent(runID: runID, kind: kind, payloadJSON: payloadJSON, at: time)
    }
    func listRuns(_ query: RunQuery) throws -> [RunRecord] { try inner.listRuns(query) }
    func run(id: String) throws -> RunDetail? { try inner.run(id: id) }
    func attempts(runID: String, stepID: String, fanoutIndex: Int?) throws -> [StepAttemptRecord] {
        try inner.attempts(runID: runID, stepID: stepID, fanoutIndex: fanoutIndex)
    }
    func events(runID: String, afterSeq: Int64, limit: Int) throws -> [EventRecord] {
        try inner.events(runID: runID, afterSeq: afterSeq, limit: limit)
    }
    func modelCalls(runID: String) throws -> [ModelCallRecord] { try inner.modelCalls(runID: runID) }
    func modelUsage(runIDs: [String]) throws -> [String: ModelUsageTotals] { try inner.modelUsage(runIDs: runIDs) }
    func write(_ changes: [RunChange]) throws { if !isFrozen { try inner.write(changes) } }
    func requestApproval(_ approval: ApprovalRecord, whilePending: (ApprovalRecord) throws -> [RunChange]) throws -> ApprovalRecord {
        isFrozen ? approval : try inner.requestApproval(approval, whilePending: whilePending)
    }
    func recordDeadLetter(_ item: DeadLetterRecord) throws -> DeadLetterRecord { isFrozen ? item : try inner.recordDeadLetter(item) }
    func deadLetters(_ query: DeadLetterQuery) throws -> [DeadLetterRecord] { try inner.deadLetters(query) }
    func countDeadLetters(_ query: DeadLetterQuery) throws -> Int { try inner.countDeadLetters(query) }
    func deadLetter(id: String) throws -> DeadLetterRecord? { try inner.deadLetter(id: id) }
    func violations(_ query: ViolationQuery) throws -> [ViolationRecord] { try inner.violations(query) }
    func countViolations(_ query: ViolationQuery) throws -> Int { try inner.countViolations(query) }
    func violationStats(_ query: ViolationQuery) throws -> ViolationStats { try inner.violationStats(query) }
    func resolveDeadLetter(
        id: String, by resolution: DeadLetterResolution, reason: String?, retryRunID: String?, at time: Date
    ) throws -> DeadLetterRecord {
        if isFrozen, let item = try inner.deadLetter(id: id) { return item }
        return try inner.resolveDeadLetter(id: id, by: resolution, reason: reason, retryRunID: retryRunID, at: time)
    }
    func approval(runID: String, stepID: String) throws -> ApprovalRecord? { try inner.approval(runID: runID, stepID: stepID) }
    func approvals(runID: String?, statuses: Set<ApprovalStatus>?) throws -> [ApprovalRecord] {
        try inner.approvals(runID: runID, statuses: statuses)
    }
    func decideApproval(
        runID: String, stepID: String, status: ApprovalStatus, decidedBy: String?, comment: String?,
        responseJSON: String?, at time: Date
    ) throws -> Bool {
        isFrozen
            ? false
            : try inner.decideApproval(
                runID: runID, stepID: stepID, status: status, decidedBy: decidedBy,
                comment: comment, responseJSON: responseJSON, at: time)
    }
}

@Suite struct ResumeTests {
    static let yaml = """
        name: resumable
        steps:
          - {id: a, run: echo from-a}
          - {id: b, depends_on: [a], run: echo b}
          - {id: c, depends_on: [b], run: "echo {steps.a.output}"}
        """

    /// Runs until step b is under way, then "kills" the process: the store keeps what it had.
    func crashedRun(_ store: InMemoryRunRepository, first: FakeBackend) async throws -> String {
        let crashing = CrashingRepository(store)
        let engine = WorkflowEngine(backend: first, repository: crashing)
        let wf = try workflow(Self.yaml)
        let runID = WorkflowEngine.makeRunID()
        let task = Task { try await engine.run(wf, runID: runID) }
        // Polls until b starts (at once on a quiet machine); the deadline only ends a broken run.
        let deadline = ContinuousClock.now + .seconds(120)
        while first.entries(forStep: "b").isEmpty && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        try #require(!first.entries(forStep: "b").isEmpty, "step b never started")
        crashing.crash()
        task.cancel()
        _ = try? await task.value
        return runID
    }

    @Test func resumeSkipsCompletedStepsAndRetriesTheInterruptedOne() async throws {
        let store = InMemoryRunRepository()
        let first = FakeBackend { spec, _ in
            switch stepOf(spec) {
            case "a": FakeReply(stdout: "from-a\n")
            case "b": FakeReply(stdout: "b\n", duration: .seconds(60))
            default: FakeReply(stdout: "ok\n")
            }
        }
        let runID = try await crashedRun(store, first: first)
        let crashed = try #require(try store.run(id: runID))
        #expect(crashed.run.status == .running)
        #expect(crashed.steps.first { $0.stepID == "a" }?.status == .completed)
        #expect(crashed.steps.first { $0.stepID == "b" }?.status == .running)

        let second = FakeBackend { spec, _ in FakeReply(stdout: "\(stepOf(spec))-again\n") }
        let engine = WorkflowEngine(backend: second, repository: store)
        let outcome = try await engine.resume(runID: runID, workflow: try workflow(Self.yaml))

        #expect(outcome.status == .completed)
        #expect(first.entries(forStep: "a").count == 1)
        #expect(second.entries(forStep: "a").isEmpty, "a completed before the crash and must not run again")
        #expect(second.entries(forStep: "b").count == 1)
        #expect(second.entries(forStep: "c").count == 1)
        // a's persisted output feeds c's template.
        let c = try #require(second.entries(forStep: "c").first)
        #expect(c.spec.environment.values.contains("from-a"))
        #expect(outcome.steps["a"]?.output == "from-a")
        let final = try #require(try store.run(id: runID))
        #expect(final.run.status == .completed)
        #expect(final.steps.allSatisfy { $0.status == .completed })
        #expect(second.destroyed.count == second.created)
    }

    @Test func resumeRefusesFinishedAndUnknownRuns() async throws {
        let store = InMemoryRunRepository()
        let backend = FakeBackend()
        let engine = WorkflowEngine(backend: backend, repository: store)
        let wf = try workflow(Self.yaml)
        let outcome = try await engine.run(wf)
        #expect(outcome.status == .completed)
        await #expect(throws: EngineError.self) { try await engine.resume(runID: outcome.runID, workflow: wf) }
        await #expect(throws: EngineError.self) { try await engine.resume(runID: "nope", workflow: wf) }
    }

    @Test func resumeRefusesAChangedWorkflowFile() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("resume-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("wf.yaml").path
        try Self.yaml.write(toFile: path, atomically: true, encoding: .utf8)
        let original = try #require(WorkflowLoader().load(path: path).workflow)
        let store = InMemoryRunRepository()
        let runID = "changed1"
        // A run recorded as started on the original file, then interrupted before any step.
        try store.createRun(
            RunRecord(
                id: runID, workflowName: original.name, workflowPath: path,
                workflowHash: WorkflowEngine.contentHash(ofFile: path), status: .running))
        try (Self.yaml + "\n# edited\n").write(toFile: path, atomically: true, encoding: .utf8)
        let edited = try #require(WorkflowLoader().load(path: path).workflow)
        let engine = WorkflowEngine(backend: FakeBackend(), repository: store)
        do {
            _ = try await engine.resume(runID: runID, workflow: edited)
            Issue.record("resume accepted a changed workflow file")
        } catch let error as EngineError {
            #expect(error.code == .notResumable)
            #expect(error.message.contains("changed"))
        }
    }
}
