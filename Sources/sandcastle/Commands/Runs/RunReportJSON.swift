import Engine
import EngineService
import Foundation
import Workflow

/// `runs show --json`: a run as one document for scripts — the run, each step with its output,
/// attempts, tokens and cost, and the transcript of its agents (model turns, tool calls and
/// answers, in order).
enum RunReportJSON {
    static func document(_ report: RunService.RunReport, events: [EventRecord]) -> JSONValue {
        let run = report.detail.run
        var document: [String: JSONValue] = [
            "id": .string(run.id),
            "workflow": .string(run.workflowName),
            "status": .string(run.status.rawValue),
            "created_at": .string(iso(run.createdAt)),
            "inputs": JSONValue.parse(json: run.inputsJSON) ?? .object([:]),
            "usage": usage(report.usage()),
            "steps": .array(report.detail.steps.map { step(report, $0) }),
            "transcript": .array(events.compactMap(transcriptEntry)),
        ]
        document["started_at"] = run.startedAt.map { .string(iso($0)) }
        document["finished_at"] = run.finishedAt.map { .string(iso($0)) }
        document["error"] = run.error.map(JSONValue.string)
        document["parent_run"] = run.parentRunID.map(JSONValue.string)
        document["max_cost_usd"] = run.maxCostUSD.map(JSONValue.number)
        if case .runFinished(let finished)? = events.last.map(RunEvent.init) { document["outputs"] = .object(finished.outputs) }
        return .object(document)
    }

    private static func step(_ report: RunService.RunReport, _ step: StepRecord) -> JSONValue {
        var entry: [String: JSONValue] = [
            "id": .string(step.stepID),
            "status": .string(step.status.rawValue),
            "attempts": .integer(step.attempt),
        ]
        entry["index"] = step.fanoutIndex.map(JSONValue.integer)
        entry["backend"] = step.backend.map(JSONValue.string)
        entry["error"] = step.error.map(JSONValue.string)
        entry["exit_code"] = step.exitCode.map(JSONValue.integer)
        entry["started_at"] = step.startedAt.map { .string(iso($0)) }
        entry["finished_at"] = step.finishedAt.map { .string(iso($0)) }
        if let json = step.outputJSON {
            entry["output"] = JSONValue.parse(json: json) ?? .string(json)
        } else if let text = step.outputText {
            entry["output"] = .string(text)
        }
        entry["output_path"] = step.outputPath.map(JSONValue.string)
        let calls = report.modelCalls.filter { $0.stepID == step.stepID && $0.fanoutIndex == step.fanoutIndex }
        if !calls.isEmpty { entry["usage"] = usage(ModelUsageTotals(summing: calls)) }
        return .object(entry)
    }

    /// Tokens and cost; `cost_usd` is null when some call's cost is unknown (never 0 for unknown).
    static func usage(_ totals: ModelUsageTotals) -> JSONValue {
        [
            "model_calls": .integer(totals.calls),
            "input_tokens": .integer(totals.inputTokens),
            "output_tokens": .integer(totals.outputTokens),
            "cache_read_tokens": .integer(totals.cacheReadTokens),
            "cache_write_tokens": .integer(totals.cacheWriteTokens),
            "cost_usd": totals.costUSD.map(JSONValue.number) ?? .null,
            "priced_cost_usd": .number(totals.pricedCostUSD),
            "unpriced_calls": .integer(totals.unpricedCalls),
        ]
    }

    /// The events an agent's transcript is made of, each as its flat JSON form.
    private static func transcriptEntry(_ record: EventRecord) -> JSONValue? {
        let event = RunEvent(record)
        switch event {
        case .modelTurn, .toolCalled, .toolAnswered, .modelRetried, .budgetWarning, .budgetExceeded:
            guard case .object(var fields)? = JSONValue.parse(json: record.payloadJSON) else { return nil }
            fields["kind"] = .string(record.kind)
            fields["time"] = .string(iso(record.time))
            return .object(fields)
        default:
            return nil
        }
    }

    private static func iso(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }
}
