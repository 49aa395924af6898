import Foundation
import Store
import Workflow

/// A person's answer to an approval gate.
public enum ApprovalDecision: Sendable, Hashable {
    /// Let the run go on. `data` replaces the shown data as the step's output, when the step
    /// has `allow_edit: true`.
    case approve(data: JSONValue? = nil)
    /// Stop here: the step fails (and with the default `on_failure: abort`, the run).
    case reject
    /// Go on without the step: it is skipped with a null output and its dependents run
    /// (Sandcastle's `skip`).
    case skip
}

/// Deciding approval gates from outside the engine: the CLI (`sandcastle runs approve|reject`),
/// the server, or a test. The decision goes into the store only; the engine waiting on the gate
/// (in any process) sees it on its next poll, and a paused run picks it up when it is resumed.
public enum Approvals {
    /// Records `decision` for a pending approval of `runID`.
    ///
    /// - Parameters:
    ///   - stepID: the approval step; nil picks the run's only pending approval.
    ///   - by: who decided, for the record.
    /// - Returns: the approval as stored after the decision.
    /// - Throws: ``EngineError`` `.notFound` (no such run or approval), `.alreadyResolved` (decided
    ///   before, or its deadline passed — it is then recorded as timed out), `.invalidRequest`
    ///   (edited data for a step without `allow_edit`, or several pending approvals and no step),
    ///   `.persistence`.
    @discardableResult
    public static func decide(
        _ decision: ApprovalDecision, runID: String, stepID: String?, by: String?,
        comment: String?, repository: any RunRepository,
        now: Date = Date()
    ) throws -> ApprovalRecord {
        let approval = try find(runID: runID, stepID: stepID, repository: repository)
        guard approval.status == .pending else {
            throw EngineError(
                .alreadyResolved,
                "step `\(approval.stepID)` of run \(runID) is already \(approval.status)"
                    + (approval.decidedBy.map { " (by \($0))" } ?? ""))
        }
        if let deadline = approval.timeoutAt, deadline <= now {
            // Too late to decide: the gate's own timeout rule applies, as if the engine had seen it first.
            _ = try? expire(approval, repository: repository, now: now)
            throw EngineError(
                .alreadyResolved,
                "the approval of step `\(approval.stepID)` timed out at \(deadline) "
                    + "(on_timeout: \(approval.onTimeout ?? "abort"))")
        }
        var status = ApprovalStatus.rejected
        if decision == .skip { status = .skipped }
        var responseJSON: String?
        if case .approve(let data) = decision {
            status = .approved
            if let data {
                guard approval.allowEdit else {
                    throw EngineError(
                        .invalidRequest,
                        "step `\(approval.stepID)` does not allow editing its data "
                            + "(set approval_config.allow_edit: true)")
                }
                responseJSON = data.jsonText
            }
        }
        let changed: Bool
        do {
            changed = try repository.decideApproval(
                runID: runID, stepID: approval.stepID, status: status, decidedBy: by,
                comment: comment, responseJSON: responseJSON, at: now)
        } catch {
            throw EngineError(.persistence, "cannot record the decision: \(error)", cause: error)
        }
        guard changed else {
            throw EngineError(.alreadyResolved, "step `\(approval.stepID)` of run \(runID) was decided meanwhile")
        }
        try recordDecidedEvent(
            runID: runID, stepID: approval.stepID, status: status, by: by, comment: comment,
            repository: repository)
        guard let stored = try? repository.approval(runID: runID, stepID: approval.stepID) else {
            throw EngineError(.persistence, "cannot read back the approval of step `\(approval.stepID)`")
        }
        return stored
    }

    /// What ``expireOverdue(repository:now:)`` did: the runs whose gates it timed out, and when
    /// the next pending gate's deadline falls (nil: no pending gate has one).
    public struct OverdueSweep: Sendable, Equatable {
        public var expiredRunIDs: [String]
        public var nextDeadline: Date?
    }

    /// Applies the timeout rule of every pending gate whose deadline passed. A run paused at a
    /// gate (the server's runs free their slot while they wait) has no engine watching the clock,
    /// so the server calls this and then puts the returned runs back in its queue; their
    /// `on_timeout` (abort, skip, approve) takes effect when they go on.
    ///
    /// - Throws: ``EngineError`` `.persistence` when the store cannot be read or written.
    public static func expireOverdue(repository: any RunRepository, now: Date = Date()) throws -> OverdueSweep {
        let pending: [ApprovalRecord]
        do {
            pending = try repository.approvals(runID: nil, statuses: [.pending])
        } catch {
            throw EngineError(.persistence, "cannot read the pending approvals: \(error)", cause: error)
        }
        var sweep = OverdueSweep(expiredRunIDs: [], nextDeadline: nil)
        for approval in pending {
            guard let deadline = approval.timeoutAt else { continue }
            guard deadline <= now else {
                sweep.nextDeadline = min(sweep.nextDeadline ?? deadline, deadline)
                continue
            }
            do {
                if try expire(approval, repository: repository, now: now), !sweep.expiredRunIDs.contains(approval.runID) {
                    sweep.expiredRunIDs.append(approval.runID)
                }
            } catch let error as EngineError {
                throw error
            } catch {
                throw EngineError(.persistence, "cannot record the timeout of step `\(approval.stepID)`: \(error)", cause: error)
            }
        }
        return sweep
    }

    /// The approval `stepID` names, or the run's only pending one.
    static func find(runID: String, stepID: String?, repository: any RunRepository) throws -> ApprovalRecord {
        do {
            guard let detail = try repository.run(id: runID) else {
                throw EngineError(.notFound, "no run \(runID)")
            }
            if let stepID {
                guard let approval = try repository.approval(runID: runID, stepID: stepID) else {
                    let known = try repository.approvals(runID: runID, statuses: nil).map(\.stepID)
                    throw EngineError(
                        .notFound,
                        "run \(runID) has no approval for step `\(stepID)`"
                            + (known.isEmpty ? "" : "; it has: \(known.joined(separator: ", "))"))
                }
                return approval
            }
            let pending = try repository.approvals(runID: runID, statuses: [.pending])
            switch pending.count {
            case 1: return pending[0]
            case 0: throw EngineError(.notFound, "run \(runID) (\(detail.run.status)) has no pending approval")
            default:
                throw EngineError(
                    .invalidRequest,
                    "run \(runID) waits for several approvals; name the step: "
                        + pending.map(\.stepID).joined(separator: ", "))
            }
        } catch let error as EngineError {
            throw error
        } catch {
            throw EngineError(.persistence, "cannot read the approvals of run \(runID): \(error)", cause: error)
        }
    }

    /// Marks a pending approval whose deadline passed as timed out; false if someone decided first.
    static func expire(_ approval: ApprovalRecord, repository: any RunRepository, now: Date) throws -> Bool {
        let changed = try repository.decideApproval(
            runID: approval.runID, stepID: approval.stepID, status: .timedOut,
            decidedBy: nil, comment: "no decision before \(approval.timeoutAt ?? now)",
            responseJSON: nil, at: now)
        if changed {
            try recordDecidedEvent(
                runID: approval.runID, stepID: approval.stepID, status: .timedOut, by: nil,
                comment: "on_timeout: \(approval.onTimeout ?? "abort")", repository: repository)
        }
        return changed
    }

    static func recordDecidedEvent(
        runID: String, stepID: String, status: ApprovalStatus, by: String?, comment: String?,
        repository: any RunRepository
    ) throws {
        do {
            try repository.append(
                .approvalDecided(RunEvent.ApprovalDecided(step: stepID, status: status, by: by, comment: comment)),
                runID: runID)
        } catch {
            throw EngineError(.persistence, "cannot record the decision's event: \(error)", cause: error)
        }
    }
}

/// Waits for the decision on one approval gate, polling the store so that another process can
/// decide; applies the gate's timeout rule when its deadline passes.
struct ApprovalWait: Sendable {
    var runID: String
    var stepID: String
    var timeoutAt: Date?
    var repository: any RunRepository
    var pollInterval: Duration
    /// Return `.waitingApproval` at once instead of waiting (the run pauses; `resume` continues it).
    var pauseInstead: Bool

    func wait() async -> WorkflowEngine.StepCompletion {
        let clock = ContinuousClock()
        let start = clock.now
        func done(_ status: StepStatus, _ result: StepResult) -> WorkflowEngine.StepCompletion {
            WorkflowEngine.StepCompletion(
                stepID: stepID, status: status, result: result, duration: clock.now - start,
                outputTail: nil)
        }
        while true {
            if Task.isCancelled { return done(.cancelled, StepResult(output: .null, status: .failed, error: "cancelled")) }
            let approval: ApprovalRecord
            do {
                guard let found = try repository.approval(runID: runID, stepID: stepID) else {
                    return done(.failed, StepResult(output: .null, status: .failed, error: "the approval request vanished from the store"))
                }
                approval = found
            } catch {
                return done(.failed, StepResult(output: .null, status: .failed, error: "cannot read the approval: \(error)"))
            }
            if let resolved = Self.resolution(of: approval) { return done(resolved.0, resolved.1) }
            let now = Date()
            if let deadline = approval.timeoutAt, deadline <= now {
                do {
                    _ = try Approvals.expire(approval, repository: repository, now: now)
                } catch {
                    return done(.failed, StepResult(output: .null, status: .failed, error: "cannot record the timeout: \(error)"))
                }
                continue // read back whichever decision won
            }
            // `sandcastle runs cancel` from another process ends the wait too.
            if let status = (try? repository.run(id: runID))??.run.status, status == .cancelled {
                return done(.cancelled, StepResult(output: .null, status: .failed, error: "cancelled"))
            }
            if pauseInstead { return done(.waitingApproval, StepResult(output: .null, status: .failed)) }
            var nap = pollInterval
            if let deadline = approval.timeoutAt {
                let left = Duration.milliseconds(Int64(max(0, deadline.timeIntervalSince(now)) * 1000) + 1)
                nap = min(nap, left)
            }
            do {
                try await Task.sleep(for: nap)
            } catch {
                return done(.cancelled, StepResult(output: .null, status: .failed, error: "cancelled"))
            }
        }
    }

    /// What a decided approval means for its step; nil while it is pending.
    static func resolution(of approval: ApprovalRecord) -> (StepStatus, StepResult)? {
        let shown = approval.requestJSON.flatMap { JSONValue.parse(json: $0) }
        let approvedOutput = approval.responseJSON.flatMap { JSONValue.parse(json: $0) } ?? shown ?? ["approved": true]
        let who = approval.decidedBy.map { " by \($0)" } ?? ""
        let why = approval.comment.map { ": \($0)" } ?? ""
        switch approval.status {
        case .pending:
            return nil
        case .approved:
            return (.completed, StepResult(output: approvedOutput, status: .completed))
        case .rejected:
            return (.failed, StepResult(output: .null, status: .failed, error: "rejected\(who)\(why)"))
        case .skipped:
            return (.skipped, StepResult(output: .null, status: .skipped, error: "\(skippedPrefix)\(who)\(why)"))
        case .timedOut:
            let action = approval.onTimeout.flatMap(ApprovalTimeoutAction.init(rawValue:)) ?? .abort
            switch action {
            case .abort:
                return (.failed, StepResult(output: .null, status: .failed, error: "\(timedOutPrefix) (on_timeout: abort)"))
            case .skip:
                return (.skipped, StepResult(output: .null, status: .skipped, error: "\(timedOutPrefix) (on_timeout: skip)"))
            case .approve:
                return (.completed, StepResult(output: shown ?? ["approved": true], status: .completed))
            }
        default:
            return (.cancelled, StepResult(output: .null, status: .failed, error: "the approval was \(approval.status)"))
        }
    }

    /// Starts the error of a gate that timed out; `resume` reads it to tell a timeout skip
    /// (dependents run) from an `on_failure: skip` (dependents are pruned).
    static let timedOutPrefix = "approval timed out"
    /// Starts the error of a gate a person skipped; like a timeout skip, its dependents run.
    static let skippedPrefix = "approval skipped"
}
