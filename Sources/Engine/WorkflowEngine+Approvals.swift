import Foundation
import Sandbox
import Store
import Workflow

extension WorkflowEngine {
    /// Records an approval request (or finds the one recorded before a restart) and reports it.
    /// While it is pending, the step's `waiting_approval` state, its event and (with `runWaits`,
    /// for the first gate the run waits at) the run's status commit with it in one transaction.
    func beginApproval(
        _ step: StepDefinition, runID: String, context: TemplateContext,
        runWaits: Bool
    ) throws -> ApprovalStart {
        let config =
            step.configuration(as: ApprovalStepConfiguration.self)
            ?? ApprovalStepConfiguration(message: Template(literal: "Approve `\(step.id)` to continue.", location: step.location))
        let message: String
        let data: JSONValue?
        do throws(WorkflowError) {
            message = try TemplateRenderer.renderString(config.message, context: context)
            data = try config.showData.map { template throws(WorkflowError) in
                try TemplateRenderer.resolveValue(template, context: context)
            }
        } catch {
            return .finished(
                StepCompletion(
                    stepID: step.id, status: .failed,
                    result: StepResult(output: .null, status: .failed, error: error.message),
                    duration: .zero, outputTail: nil))
        }
        let now = Date()
        let timeoutAt = config.timeout.map { now.addingTimeInterval(Self.seconds($0)) }
        var stored = ApprovalRecord(
            runID: runID, stepID: step.id, message: message, requestJSON: data?.jsonText,
            onTimeout: config.onTimeout.rawValue, allowEdit: config.allowEdit,
            requestedAt: now, timeoutAt: timeoutAt)
        try persist {
            // Made from the stored request: one kept from before a restart keeps its first time and deadline.
            stored = try repository.requestApproval(stored) { pending in
                let requested = RunEvent.ApprovalRequested(
                    step: step.id, message: message, data: data,
                    timeoutAt: pending.timeoutAt.map { ISO8601DateFormatter().string(from: $0) })
                var changes: [RunChange] = [
                    .upsertStep(StepRecord(runID: runID, stepID: step.id, status: .waitingApproval, startedAt: pending.requestedAt)),
                    .event(runID, .approvalRequested(requested)),
                ]
                if runWaits { changes.append(.updateRunStatus(id: runID, status: .waitingApproval, time: Date(), error: nil)) }
                return changes
            }
        }
        if stored.status == .pending {
            onEvent(
                .approvalRequested(
                    runID: runID, step: step.id, message: stored.message ?? message,
                    data: stored.requestJSON.flatMap { JSONValue.parse(json: $0) }, timeoutAt: stored.timeoutAt))
        }
        let waiter = ApprovalWait(
            runID: runID, stepID: step.id, timeoutAt: stored.timeoutAt, repository: repository,
            pollInterval: configuration.approvalPollInterval,
            pauseInstead: !configuration.waitForApprovals)
        return .wait(waiter, isPending: stored.status == .pending)
    }
}
