import Engine
import Foundation
import Store

extension RunService {
    /// Runs, newest first.
    public func runs(_ query: RunQuery) throws -> [RunRecord] {
        do {
            return try repository.listRuns(query)
        } catch {
            throw EngineServiceError(.persistence, "cannot list runs: \(error)", cause: error)
        }
    }

    /// Tokens and cost per run, for the runs named (runs without model calls are absent).
    public func usage(runIDs: [String]) -> [String: ModelUsageTotals] {
        (try? repository.modelUsage(runIDs: runIDs)) ?? [:]
    }

    /// One run with its steps.
    ///
    /// - Throws: ``EngineServiceError`` `.notFound` naming the database, `.persistence`.
    public func run(id: String) throws -> RunDetail {
        let detail: RunDetail?
        do {
            detail = try repository.run(id: id)
        } catch {
            throw EngineServiceError(.persistence, "cannot read run \(id): \(error)", cause: error)
        }
        guard let detail else { throw EngineServiceError(.notFound, "no run \(id) in \(settings.databasePath)") }
        return detail
    }

    /// Everything known about one run, for `runs show` and the API.
    public struct RunReport: Sendable {
        public var detail: RunDetail
        /// Each step's (or fan-out item's) attempts, by ``RunReport/label(_:_:)``.
        public var attempts: [String: [StepAttemptRecord]]
        public var approvals: [ApprovalRecord]
        /// Runs that came from this one: sub-workflow runs of its steps, replays and forks, oldest first.
        public var derived: [RunRecord]
        /// Files its steps kept, relative to ``artifactsDirectory``.
        public var artifacts: [(path: String, size: Int)]
        public var artifactsDirectory: String
        /// The model calls of its agent and `llm` steps, in order (tokens and cost of each).
        public var modelCalls: [ModelCallRecord]

        /// Tokens and cost of the whole run, or of one step (all its items and attempts).
        public func usage(step: String? = nil) -> ModelUsageTotals {
            ModelUsageTotals(summing: modelCalls.filter { step == nil || $0.stepID == step })
        }

        /// `step` or `step[index]`.
        public static func label(_ step: String, _ index: Int?) -> String { index.map { "\(step)[\($0)]" } ?? step }
    }

    public func report(id: String) throws -> RunReport {
        let detail = try run(id: id)
        let attempts: [String: [StepAttemptRecord]] = Dictionary(
            uniqueKeysWithValues: detail.steps.map { step in
                (
                    RunReport.label(step.stepID, step.fanoutIndex),
                    (try? repository.attempts(runID: id, stepID: step.stepID, fanoutIndex: step.fanoutIndex)) ?? []
                )
            })
        let files = RunFiles(dataDirectory: settings.dataDirectory)
        let derived = ((try? repository.listRuns(RunQuery(limit: 10_000))) ?? []).filter { $0.parentRunID == id }.reversed()
        return RunReport(
            detail: detail, attempts: attempts,
            approvals: (try? repository.approvals(runID: id, statuses: nil)) ?? [],
            derived: Array(derived), artifacts: files.artifacts(id),
            artifactsDirectory: files.artifactsDirectory(id), modelCalls: (try? repository.modelCalls(runID: id)) ?? [])
    }

    /// A run's events after `afterSeq`, in order, at most `limit`.
    public func events(runID: String, afterSeq: Int64 = 0, limit: Int = 500) throws -> [EventRecord] {
        do {
            return try repository.events(runID: runID, afterSeq: afterSeq, limit: limit)
        } catch {
            throw EngineServiceError(.persistence, "cannot read the events of run \(runID): \(error)", cause: error)
        }
    }

    /// A run's events from the first, then new ones as they are recorded (by any process), until
    /// the run ends: the stream finishes after the run's last event.
    public func follow(runID: String, pollInterval: Duration = .milliseconds(200)) -> AsyncThrowingStream<EventRecord, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    _ = try run(id: runID)
                    var lastSeq: Int64 = 0
                    while !Task.isCancelled {
                        let page = try events(runID: runID, afterSeq: lastSeq)
                        for event in page { continuation.yield(event) }
                        lastSeq = page.last?.seq ?? lastSeq
                        // A full page means more are waiting: read on before sleeping.
                        if page.count == 500 { continue }
                        // Read the status after the events: a run that ended has written its last event by then.
                        if (try? repository.run(id: runID))??.run.status.isTerminal ?? true {
                            for event in try events(runID: runID, afterSeq: lastSeq, limit: Int.max) { continuation.yield(event) }
                            break
                        }
                        try await Task.sleep(for: pollInterval)
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
