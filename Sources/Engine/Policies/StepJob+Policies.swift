import Foundation
import Store
import Workflow

/// The step's guardrail policies (issue 15 §1), applied to each item's final result after its
/// attempts (so a `block` is final: no retry follows) and before anything is committed or
/// passed on. Violations and alert events join the item's deferred changes, which commit with
/// the step's result.
extension StepJob {
    func applyPolicies(to result: ItemResult, index: Int?, attempt: Int, duration: Duration) -> ItemResult {
        guard !policies.isEmpty, result.status == .completed || result.status == .failed else { return result }
        let (repository, runID, stepID) = (self.repository, self.runID, step.id)
        let facts = PolicyFacts(
            stepID: stepID, fanoutIndex: index, attempt: attempt, durationSeconds: WorkflowEngine.seconds(duration),
            status: result.status == .completed ? "completed" : "failed",
            stepCost: {
                let calls = (try? repository.modelCalls(runID: runID)) ?? []
                return calls.filter { $0.stepID == stepID && $0.fanoutIndex == index }.reduce(0) { $0 + ($1.costUSD ?? 0) }
            })
        let verdict = PolicyEvaluator.evaluate(policies, output: result.output, facts: facts, runID: runID)
        guard !verdict.isClean else { return result }
        var changed = result
        changed.deferred =
            Self.redactingLogs(result.deferred, verdict)
            + verdict.violations.map { RunChange.recordViolation($0) }
            + verdict.alerts.map { RunChange.event(runID, PolicyAlert.eventKind, $0.payloadJSON) }
        changed.alerts = verdict.alerts
        changed.outputTail = result.outputTail.map(verdict.redactingLog)
        if let block = verdict.block {
            changed.status = .failed
            changed.output = .null
            changed.storedOutput = nil
            changed.error = block.message
            return changed
        }
        changed.output = verdict.passedOn
        changed.storedOutput = verdict.stored == verdict.passedOn ? nil : verdict.stored
        if result.status == .completed { changed.gate = verdict.approval }
        return changed
    }

    /// The attempt's recorded output tail (in its `attempt_finished` event) with the log-targeted redactions.
    static func redactingLogs(_ changes: [RunChange], _ verdict: PolicyVerdict) -> [RunChange] {
        guard !verdict.logRedactions.isEmpty else { return changes }
        return changes.map { change in
            guard case .appendEvent(let runID, let kind, let payload, let time) = change, kind == "attempt_finished" else { return change }
            // Replacements are plain text (placeholders), so the JSON stays well formed.
            return .appendEvent(runID: runID, kind: kind, payloadJSON: verdict.redactingLog(payload), time: time)
        }
    }

    /// An `inject_approval` gate before a completed step's output flows on: the request is
    /// recorded (idempotent per step: a resumed run finds the first request and its decision),
    /// then the decision decides the step. Approve → the step completes as it was; reject or a
    /// timeout that aborts → it fails; skip → it is skipped.
    func passGate(_ gate: PolicyVerdict.Gate, completion: WorkflowEngine.StepCompletion) async -> WorkflowEngine.StepCompletion {
        let (runID, stepID) = (self.runID, step.id)
        let message = gate.settings.message ?? "Policy `\(gate.policyID)` asks for approval of step `\(stepID)`'s output."
        let now = Date()
        // What the policy holds is kept with the gate (the step's row and the request's data), so
        // a resumed run decides on it without running the step again.
        let held = completion.storedOutput ?? completion.result.output
        var stored = ApprovalRecord(
            runID: runID, stepID: step.id, message: message,
            requestJSON: JSONValue.object([Self.gatePolicyKey: .string(gate.policyID), "output": held]).jsonText,
            onTimeout: gate.settings.onTimeout.rawValue,
            requestedAt: now, timeoutAt: gate.settings.timeout.map { now.addingTimeInterval(WorkflowEngine.seconds($0)) })
        func failed(_ error: String) -> WorkflowEngine.StepCompletion {
            var result = completion
            result.status = .failed
            result.result = StepResult(output: .null, status: .failed, error: error)
            result.storedOutput = nil
            return result
        }
        do {
            let kept = try WorkflowEngine.storedOutput(held, runID: runID, name: stepID, configuration: configuration)
            stored = try repository.requestApproval(stored) { pending in
                let requested = RunEvent.ApprovalRequested(
                    step: stepID, message: message, data: nil,
                    timeoutAt: pending.timeoutAt.map { ISO8601DateFormatter().string(from: $0) })
                // The attempts and violations so far commit with the request: the reviewer can read why.
                return completion.deferred + [
                    .upsertStep(
                        StepRecord(
                            runID: runID, stepID: stepID, status: .waitingApproval, backend: completion.backend,
                            exitCode: completion.result.exitCode, outputJSON: kept.json, outputText: kept.text,
                            outputPath: kept.path, startedAt: pending.requestedAt)),
                    .event(runID, .approvalRequested(requested)),
                    .updateRunStatus(id: runID, status: .waitingApproval, time: Date(), error: nil),
                ]
            }
        } catch {
            return failed("cannot record the approval policy `\(gate.policyID)` asks for: \(error)")
        }
        var waiting = completion
        if stored.status == .pending {
            waiting.deferred = []
            onEvent(
                .approvalRequested(runID: runID, step: stepID, message: stored.message ?? message, data: nil, timeoutAt: stored.timeoutAt))
        }
        let decided = await ApprovalWait(
            runID: runID, stepID: stepID, timeoutAt: stored.timeoutAt, repository: repository,
            pollInterval: configuration.approvalPollInterval, pauseInstead: !configuration.waitForApprovals
        ).wait()
        var result = waiting
        // The run waits no longer (unless another gate of it still does).
        let othersPending = ((try? repository.approvals(runID: runID, statuses: [.pending])) ?? []).contains { $0.stepID != stepID }
        if decided.status != .waitingApproval, !othersPending {
            result.deferred.append(.updateRunStatus(id: runID, status: .running, time: Date(), error: nil))
        }
        switch decided.status {
        case .completed:
            return result
        case .waitingApproval:
            // Pause mode: the run ends paused; on resume the step goes straight back to this gate
            // with the output it holds (``resumedAtGate()``) and finds the decision.
            result.status = .waitingApproval
            return result
        case .failed:
            var failedResult = result
            failedResult.status = .failed
            failedResult.result = StepResult(
                output: .null, status: .failed, error: "\(decided.result.error ?? "rejected") (approval asked by policy `\(gate.policyID)`)")
            failedResult.storedOutput = nil
            return failedResult
        default:
            var other = result
            other.status = decided.status
            other.result = decided.result
            other.storedOutput = nil
            return other
        }
    }

    /// The key of an `inject_approval` request's data naming the policy (beside `output`).
    static let gatePolicyKey = "policy"

    /// A resumed step that was held at a policy's approval gate: the gate and the completion it
    /// held, rebuilt from the step's row and the request. The step does not run again — its
    /// side effects, attempts and violations happened once — and the decision (or the wait for
    /// one) applies to the output it produced. Nil when the step was not held at a gate.
    func resumedAtGate() -> (PolicyVerdict.Gate, WorkflowEngine.StepCompletion)? {
        guard let held = prior.heldAtGate,
            let approval = try? repository.approval(runID: runID, stepID: step.id),
            case .object(let request)? = approval.requestJSON.flatMap({ JSONValue.parse(json: $0) }),
            case .string(let policyID)? = request[Self.gatePolicyKey]
        else { return nil }
        let settings = policies.first { $0.id == policyID }?.definition.action.approval ?? PolicyApprovalSettings()
        var completion = WorkflowEngine.StepCompletion(
            stepID: step.id, status: .completed,
            result: StepResult(output: held.output, status: .completed, exitCode: held.exitCode),
            duration: .zero, outputTail: nil)
        completion.backend = held.backend
        return (PolicyVerdict.Gate(policyID: policyID, settings: settings), completion)
    }
}
