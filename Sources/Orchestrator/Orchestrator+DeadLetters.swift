import Engine
import EngineService
import Foundation
import Store
import Workflow

/// What failed steps and runs leave behind (issue 14 §6), and how often one may be retried.
public struct DeadLetterSettings: Sendable, Hashable {
    /// Every failed run leaves a dead letter (its failed step's), not only the steps of workflows
    /// with `on_failure: {dead_letter: true}`: `serve --dead-letter-failed-runs`.
    public var failedRuns: Bool
    /// How many retries one failure may have: a retry's run that fails the same way leaves a new
    /// item, whose retry counts one more (`--dead-letter-max-retries`).
    public var maxRetries: Int

    public static let defaultMaxRetries = 3

    public init(failedRuns: Bool = false, maxRetries: Int = DeadLetterSettings.defaultMaxRetries) {
        self.failedRuns = failedRuns
        self.maxRetries = max(0, maxRetries)
    }
}

/// A page of dead letters and how many pass the filters in all.
public struct DeadLetterPage: Sendable {
    public var items: [DeadLetterRecord]
    public var total: Int
}

/// Dead letters: list, read, retry (a new run of the whole workflow, with its parent), resolve.
/// `tenant` is the caller's: nil for an admin (everything); a tenant sees only the items of the
/// runs it submitted, and another tenant's item is "not found", never "forbidden" (an id must not
/// tell whether it exists).
extension Orchestrator {
    /// Dead letters, newest first: `resolved` false lists the open ones, true the resolved ones,
    /// nil both.
    ///
    /// - Throws: ``OrchestratorError`` `internalFailure`.
    public func deadLetters(resolved: Bool?, tenant: String?, limit: Int, offset: Int) throws -> DeadLetterPage {
        let query = DeadLetterQuery(resolved: resolved, tenant: tenant, limit: limit, offset: offset)
        do {
            return DeadLetterPage(items: try runs.repository.deadLetters(query), total: try runs.repository.countDeadLetters(query))
        } catch {
            throw OrchestratorError(.internalFailure, "the dead letters could not be read: \(error)")
        }
    }

    /// One dead letter the caller may see.
    ///
    /// - Throws: ``OrchestratorError`` `deadLetterNotFound`, `internalFailure`.
    public func deadLetter(id: String, tenant: String?) throws -> DeadLetterRecord {
        let found: DeadLetterRecord?
        do {
            found = try runs.repository.deadLetter(id: id)
        } catch {
            throw OrchestratorError(.internalFailure, "the dead letter could not be read: \(error)")
        }
        guard let item = found, tenant == nil || item.tenant == tenant else {
            throw OrchestratorError(.deadLetterNotFound, "dead letter \(id) not found")
        }
        return item
    }

    /// Queues a new run of the dead letter's whole workflow (the version its run recorded, with
    /// the run's input, tenant and callback), its parent the item's run, and resolves the item as
    /// retried in the same transaction; returns the new run's id.
    ///
    /// - Throws: ``OrchestratorError`` `deadLetterNotFound`, `alreadyResolved`,
    ///   `maxRetriesExceeded` (the failure was retried ``DeadLetterSettings/maxRetries`` times),
    ///   `retryFailed` (the run's workflow cannot be loaded), `notAccepting`, `internalFailure`.
    public func retryDeadLetter(id: String, tenant: String?) async throws -> String {
        let item = try deadLetter(id: id, tenant: tenant)
        guard !item.isResolved else { throw Self.alreadyResolved(item) }
        let retries = retriesBefore(runID: item.runID)
        guard retries < deadLetters.maxRetries else {
            throw OrchestratorError(
                .maxRetriesExceeded,
                "dead letter \(id) comes from a run that retried the failure \(retries) time\(retries == 1 ? "" : "s"); "
                    + "at most \(deadLetters.maxRetries) retries are allowed (resolve it instead)")
        }
        let parent: RunService.RecordedRun
        do {
            parent = try runs.prepareReplay(of: item.runID)
        } catch let error as EngineServiceError where error.code == .notFound {
            throw OrchestratorError(.runNotFound, "run \(item.runID) of dead letter \(id) not found")
        } catch {
            throw OrchestratorError(.retryFailed, "dead letter \(id) cannot be retried: \(error)")
        }
        var inputs: [String: InputValue] = [:]
        if case .object(let values)? = JSONValue.parse(json: parent.run.inputsJSON) { inputs = values.mapValues(InputValue.value) }
        let original = try? runs.repository.submission(runID: item.runID)
        let newRunID = WorkflowEngine.makeRunID()
        let submission = RunSubmissionRecord(
            runID: newRunID, workflowVersion: original?.workflowVersion, tenant: original?.tenant, callbackURL: original?.callbackURL)
        do {
            try await queue.enqueue(
                parent.workflow, inputs: inputs, runID: newRunID, maxCostUSD: parent.run.maxCostUSD, submission: submission,
                lineage: WorkflowEngine.Lineage(parentRunID: item.runID, step: item.stepID, kind: Self.retryLineage),
                alongside: [.resolveDeadLetter(id: id, by: .retry, reason: nil, retryRunID: newRunID, time: Date())])
        } catch let error as OrchestratorError where error.code == .internalFailure {
            // Resolved by someone else meanwhile: the transaction rolled back, no run was made.
            if let now = try? runs.repository.deadLetter(id: id), now.isResolved { throw Self.alreadyResolved(now) }
            throw error
        }
        return newRunID
    }

    /// Marks an open dead letter dealt with, with the caller's reason, and returns it.
    ///
    /// - Throws: ``OrchestratorError`` `deadLetterNotFound`, `alreadyResolved`, `internalFailure`.
    public func resolveDeadLetter(id: String, reason: String?, tenant: String?) throws -> DeadLetterRecord {
        let item = try deadLetter(id: id, tenant: tenant)
        guard !item.isResolved else { throw Self.alreadyResolved(item) }
        do {
            return try runs.repository.resolveDeadLetter(id: id, by: .manual, reason: reason, retryRunID: nil, at: Date())
        } catch let error as StoreError where error.code == .conflict {
            throw Self.alreadyResolved((try? runs.repository.deadLetter(id: id)) ?? item)
        } catch let error as StoreError where error.code == .notFound {
            throw OrchestratorError(.deadLetterNotFound, "dead letter \(id) not found")
        } catch {
            throw OrchestratorError(.internalFailure, "the dead letter could not be resolved: \(error)")
        }
    }

    /// The lineage kind of a dead letter's retry run.
    public static let retryLineage = "retry"

    /// How many dead-letter retries led to run `runID`: its chain of `retry` parents.
    func retriesBefore(runID: String) -> Int {
        var count = 0
        var current = runID
        var seen: Set<String> = []
        while seen.insert(current).inserted, let run = try? runs.repository.run(id: current)?.run, run.lineageKind == Self.retryLineage,
            let parent = run.parentRunID
        {
            count += 1
            current = parent
        }
        return count
    }

    private static func alreadyResolved(_ item: DeadLetterRecord) -> OrchestratorError {
        let how = item.resolvedBy == .retry ? "retried" + (item.retryRunID.map { " as run \($0)" } ?? "") : "resolved"
        return OrchestratorError(.alreadyResolved, "dead letter \(item.id) was \(how) already")
    }
}
