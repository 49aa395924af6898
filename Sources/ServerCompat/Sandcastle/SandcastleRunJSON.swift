import Engine
import EngineService
import Foundation
import JSONValues
import Store

/// Runs and steps in the shapes Sandcastle 0.47 answers (`RunStatusResponse`, `StepStatus`,
/// the run list's items), with its lowercase statuses: a run waiting to start is `queued`, one
/// paused at a gate `awaiting_approval`.
enum SandcastleRunJSON {
    static func status(_ status: RunStatus) -> String {
        switch status {
        case .pending: "queued"
        case .waitingApproval: "awaiting_approval"
        default: status.rawValue
        }
    }

    static func stepStatus(_ status: StepStatus) -> String {
        status == .waitingApproval ? "awaiting_approval" : status.rawValue
    }

    /// A priced total, or null when no call was priced (unknown is never 0).
    static func cost(_ usage: ModelUsageTotals?) -> JSONValue {
        guard let usage, usage.calls > usage.unpricedCalls else { return usage == nil ? .number(0) : .null }
        return .number(usage.pricedCostUSD)
    }

    /// An item of `GET /api/runs`.
    static func summary(_ run: RunRecord, usage: ModelUsageTotals?) -> JSONValue {
        [
            "run_id": .string(run.id), "workflow_name": .string(run.workflowName), "status": .string(status(run.status)),
            "total_cost_usd": cost(usage), "started_at": SandcastleEnvelope.timestamp(run.startedAt),
            "completed_at": SandcastleEnvelope.timestamp(run.finishedAt), "created_at": SandcastleEnvelope.timestamp(run.createdAt),
            "parent_run_id": run.parentRunID.map(JSONValue.string) ?? .null,
        ]
    }

    /// `GET /api/runs/{id}`: the run with its steps and outputs.
    static func detail(_ report: RunService.RunReport, submission: RunSubmissionRecord?, withSteps: Bool = true) -> JSONValue {
        let run = report.detail.run
        var outputs: [String: JSONValue] = [:]
        var steps: [JSONValue] = []
        for record in report.detail.steps {
            let output = record.status == .completed ? (WorkflowEngine.recordedOutput(record) ?? .null) : .null
            if record.status == .completed, record.fanoutIndex == nil { outputs[record.stepID] = output }
            let duration: JSONValue =
                if let start = record.startedAt, let end = record.finishedAt { .number(end.timeIntervalSince(start)) } else { .null }
            let usage = report.usage(step: record.stepID)
            steps.append(
                [
                    "step_id": .string(record.stepID), "parallel_index": record.fanoutIndex.map { .integer($0) } ?? .null,
                    "status": .string(stepStatus(record.status)), "output": output,
                    "cost_usd": usage.calls == 0 ? .number(0) : cost(usage), "duration_seconds": duration,
                    "attempt": .integer(record.attempt), "error": record.error.map(JSONValue.string) ?? .null,
                    "started_at": SandcastleEnvelope.timestamp(record.startedAt),
                    "model": report.modelCalls.last { $0.stepID == record.stepID }.map { .string($0.model) } ?? .null,
                ])
        }
        let usage = report.usage()
        var body: [String: JSONValue] = [
            "run_id": .string(run.id), "workflow_name": .string(run.workflowName), "status": .string(status(run.status)),
            "input_data": JSONValue.parse(json: run.inputsJSON) ?? [:], "outputs": .object(outputs),
            "total_cost_usd": usage.calls == 0 ? .number(0) : cost(usage),
            "max_cost_usd": run.maxCostUSD.map(JSONValue.number) ?? .null,
            "started_at": SandcastleEnvelope.timestamp(run.startedAt), "completed_at": SandcastleEnvelope.timestamp(run.finishedAt),
            "created_at": SandcastleEnvelope.timestamp(run.createdAt), "error": run.error.map(JSONValue.string) ?? .null,
            "parent_run_id": run.parentRunID.map(JSONValue.string) ?? .null,
            "replay_from_step": run.lineageKind == "replay" ? (run.forkedFromStep.map(JSONValue.string) ?? .null) : .null,
            "fork_changes": run.forkChangesJSON.flatMap { JSONValue.parse(json: $0) } ?? .null,
            "workflow_version": submission?.workflowVersion.map { .integer($0) } ?? .null,
            "tokens": [
                "input": .integer(usage.inputTokens), "output": .integer(usage.outputTokens), "cache_read": .integer(usage.cacheReadTokens),
                "cache_write": .integer(usage.cacheWriteTokens),
            ],
        ]
        if withSteps { body["steps"] = .array(steps) }
        return .object(body)
    }
}
