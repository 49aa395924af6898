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

    /// The priced part of a cost: always a number, because Sandcastle's SDK and CLI format it as
    /// one (`f"{cost:.4f}"` fails on null). A call without a price adds nothing here; how many
    /// there were is ``unpricedCalls(_:)``, so an incomplete total is never mistaken for a whole one.
    static func cost(_ usage: ModelUsageTotals?) -> JSONValue {
        .number(usage?.pricedCostUSD ?? 0)
    }

    /// Model calls whose cost is unknown: when not 0, `total_cost_usd` is a lower bound.
    static func unpricedCalls(_ usage: ModelUsageTotals?) -> JSONValue {
        .integer(usage?.unpricedCalls ?? 0)
    }

    /// An item of `GET /api/runs`.
    static func summary(_ run: RunRecord, usage: ModelUsageTotals?) -> JSONValue {
        [
            "run_id": .string(run.id), "workflow_name": .string(run.workflowName), "status": .string(status(run.status)),
            "total_cost_usd": cost(usage), "unpriced_model_calls": unpricedCalls(usage),
            "started_at": SandcastleEnvelope.timestamp(run.startedAt),
            "completed_at": SandcastleEnvelope.timestamp(run.finishedAt), "created_at": SandcastleEnvelope.timestamp(run.createdAt),
            "parent_run_id": run.parentRunID.map(JSONValue.string) ?? .null,
        ]
    }

    /// `GET /api/runs/{id}`: the run with its steps and outputs.
    ///
    /// - Parameter now: the end of a running step's duration so far.
    static func detail(_ report: RunService.RunReport, submission: RunSubmissionRecord?, withSteps: Bool = true, now: Date = Date())
        -> JSONValue
    {
        let run = report.detail.run
        var outputs: [String: JSONValue] = [:]
        for record in report.detail.steps where record.status == .completed && record.fanoutIndex == nil {
            outputs[record.stepID] = WorkflowEngine.recordedOutput(record) ?? .null
        }
        let steps = executionOrder(report).map { step(report, $0, now: now) }
        let usage = report.usage()
        var body: [String: JSONValue] = [
            "run_id": .string(run.id), "workflow_name": .string(run.workflowName), "status": .string(status(run.status)),
            "input_data": JSONValue.parse(json: run.inputsJSON) ?? [:], "outputs": .object(outputs),
            "total_cost_usd": cost(usage), "unpriced_model_calls": unpricedCalls(usage),
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

    /// A `StepStatus` as Sandcastle answers it. The step's own row keeps neither its start nor
    /// its attempt number; its attempts do: `started_at` is the first attempt's start,
    /// `attempt` the last attempt's number (1 for a step that has not started: Sandcastle's
    /// minimum), and `duration_seconds` a number, never null (its CLI formats it as one), from
    /// the first start to the end, or to `now` while the step runs, 0 before it starts. A fan-out
    /// step's own row sums up its items: their attempts and their model calls.
    static func step(_ report: RunService.RunReport, _ record: StepRecord, now: Date) -> JSONValue {
        let tries = attempts(report, record)
        let start = tries.map(\.startedAt).min() ?? record.startedAt
        let end = record.status.isTerminal ? (record.finishedAt ?? tries.compactMap(\.finishedAt).max()) : (record.status == .running ? now : nil)
        let duration = start.flatMap { start in end.map { max(0, $0.timeIntervalSince(start)) } } ?? 0
        let calls = report.modelCalls.filter { $0.stepID == record.stepID && (record.fanoutIndex == nil || $0.fanoutIndex == record.fanoutIndex) }
        let usage = ModelUsageTotals(summing: calls)
        let output = record.status == .completed ? (WorkflowEngine.recordedOutput(record) ?? .null) : .null
        return [
            "step_id": .string(record.stepID), "parallel_index": record.fanoutIndex.map { .integer($0) } ?? .null,
            "status": .string(stepStatus(record.status)), "output": output, "cost_usd": cost(usage),
            "unpriced_model_calls": unpricedCalls(usage), "duration_seconds": .number(duration),
            "attempt": .integer(max(1, tries.map(\.attempt).max() ?? record.attempt)), "error": record.error.map(JSONValue.string) ?? .null,
            "started_at": SandcastleEnvelope.timestamp(start),
            "model": calls.last.map { .string($0.model) } ?? .null,
        ]
    }

    /// A step's (or item's) attempts; for a fan-out step's own row, which has none, its items'.
    static func attempts(_ report: RunService.RunReport, _ record: StepRecord) -> [StepAttemptRecord] {
        let own = report.attempts[RunService.RunReport.label(record.stepID, record.fanoutIndex)] ?? []
        guard own.isEmpty, record.fanoutIndex == nil else { return own }
        return report.detail.steps.filter { $0.stepID == record.stepID && $0.fanoutIndex != nil }.flatMap { item in
            report.attempts[RunService.RunReport.label(item.stepID, item.fanoutIndex)] ?? []
        }
    }

    /// Steps in the order they started (then those not started, by id), as a person reads a run.
    static func executionOrder(_ report: RunService.RunReport) -> [StepRecord] {
        let steps = report.detail.steps
        let starts = steps.map { attempts(report, $0).map(\.startedAt).min() ?? $0.startedAt }
        // The store's order (step id, then item, the fan-out's own row first) breaks ties.
        return steps.indices.sorted { left, right in
            switch (starts[left], starts[right]) {
            case (let a?, let b?) where a != b: a < b
            case (.some, nil): true
            case (nil, .some): false
            default: left < right
            }
        }.map { steps[$0] }
    }
}
