import Engine
import Foundation
import JSONValues
import SandcastleClient

/// A server's runs in the lines and documents `runs` prints for local ones: the same table, the
/// same detail, the same event lines and the same `--json` keys, from Sandcastle's shapes. Its
/// statuses are turned back into ours (`queued` is `pending`, `awaiting_approval` is
/// `waiting_approval`), so a script reads one vocabulary either way.
enum RemoteRunsFormat {
    static func localStatus(_ status: String) -> String {
        switch status {
        case "queued": "pending"
        case "awaiting_approval": "waiting_approval"
        default: status
        }
    }

    /// Our status names as the server's, for `--status`: nil for `orphaned`, which a server never has.
    static func serverStatus(_ status: String) -> String? {
        switch status {
        case "pending", "queued": "queued"
        case "waiting_approval", "awaiting_approval": "awaiting_approval"
        case "orphaned": nil
        default: status
        }
    }

    /// The `runs ls` table.
    static func table(_ runs: [RemoteRunSummary], now: Date) -> [String] {
        let header = ["ID", "WORKFLOW", "STATUS", "CREATED", "DURATION", "COST"]
        let rows = runs.map { run in
            [
                run.runID, run.workflowName, localStatus(run.status), run.createdAt.map(RunsFormat.timestamp) ?? "-",
                RunsFormat.duration(from: run.startedAt, to: run.completedAt ?? (RemoteRunStatus.finished.contains(run.status) ? nil : now)),
                cost(run.totalCostUSD, unpriced: run.unpricedModelCalls),
            ]
        }
        return RunsFormat.columns([header] + rows)
    }

    /// `-` for nothing spent, `$0.0123`, or `≥ $0.0123 (2 calls unpriced)`.
    static func cost(_ total: Double?, unpriced: Int?) -> String {
        let unpriced = unpriced ?? 0
        guard let total, total > 0 || unpriced > 0 else { return "-" }
        if unpriced == 0 { return "$" + RunsFormat.money(total) }
        return "≥ $\(RunsFormat.money(total)) (\(unpriced) call\(unpriced == 1 ? "" : "s") unpriced)"
    }

    /// `runs show`: the run, its lineage, one block per step, its approvals.
    static func detail(_ run: RemoteRun, approvals: [RemoteApproval], server: String, now: Date) -> [String] {
        var lines = ["run \(run.runID): workflow `\(run.workflowName)` — \(localStatus(run.status))"]
        lines.append("  server:    \(server)" + (run.workflowVersion.map { " (workflow version \($0))" } ?? ""))
        if let created = run.createdAt { lines.append("  created:   \(RunsFormat.timestamp(created))") }
        if let started = run.startedAt { lines.append("  started:   \(RunsFormat.timestamp(started))") }
        if let finished = run.completedAt { lines.append("  finished:  \(RunsFormat.timestamp(finished))") }
        lines.append("  duration:  \(RunsFormat.duration(from: run.startedAt, to: run.completedAt ?? (run.isFinished ? nil : now)))")
        if let inputs = run.inputData, inputs != .object([:]), inputs != .null { lines.append("  inputs:    \(inputs.jsonText)") }
        if let parent = run.parentRunID {
            // The API names the step of a replay only; a fork's changes are on the next line.
            lines.append("  parent:    \(parent)" + (run.replayFromStep.map { " (replay from step `\($0)`)" } ?? ""))
            if let changes = run.forkChanges, changes != .null { lines.append("  changes:   \(changes.jsonText)") }
        }
        if let error = run.error { lines.append("  error:     \(error)") }
        if let tokens = run.tokens, tokens.input + tokens.output > 0 {
            lines.append(
                "  models:    \(tokens.input) in / \(tokens.output) out tokens, cost \(cost(run.totalCostUSD, unpriced: run.unpricedModelCalls))")
        }
        if let budget = run.maxCostUSD { lines.append("  budget:    $\(RunsFormat.money(budget))") }
        lines.append("steps:")
        for step in run.steps ?? [] {
            var parts = [localStatus(step.status), "attempts \(step.attempt ?? 1)"]
            // A step that never started here (reused from the parent) has no duration.
            parts.append(step.startedAt.map { RunsFormat.duration(from: $0, to: $0 + (step.durationSeconds ?? 0)) } ?? "-")
            if let model = step.model { parts.append("model \(model)") }
            lines.append("  \(RunsFormat.stepLabel(step.stepID, step.parallelIndex)): " + parts.joined(separator: ", "))
            if let error = step.error { lines.append("      error:  \(error)") }
            if let output = step.output, output != .null { lines.append("      output: \(excerpt(output.jsonText, 120))") }
        }
        if !approvals.isEmpty { lines.append("approvals:") }
        for approval in approvals {
            var line = "  \(approval.stepID): \(approval.status)"
            if let by = approval.reviewerID { line += " by \(by)" }
            if let decided = approval.resolvedAt { line += " at \(RunsFormat.timestamp(decided))" }
            if approval.status == "pending", let deadline = approval.timeoutAt {
                line += ", times out at \(RunsFormat.timestamp(deadline)) (on_timeout: \(approval.onTimeout ?? "abort"))"
            }
            lines.append(line)
            if let message = approval.message { lines.append("      asks:    \(message)") }
            if let data = approval.requestData, data != .null { lines.append("      data:    \(data.jsonText)") }
            if let comment = approval.reviewerComment { lines.append("      comment: \(comment)") }
        }
        return lines
    }

    /// One frame of the run's stream as the lines `runs logs` prints for the same event locally.
    static func frameLines(_ frame: RunStreamFrame) -> [String] {
        let data = frame.data
        func text(_ key: String) -> String? {
            guard case .string(let value)? = data.child(key) else { return nil }
            return value
        }
        switch frame.event {
        case "status":
            return ["run \(localStatus(text("status") ?? "?"))"]
        case "result":
            let status = localStatus(text("status") ?? "?")
            return ["run \(status)" + (text("error").map { ": \($0)" } ?? "")]
        case "step":
            let label = RunsFormat.stepLabel(text("step_id") ?? "?", data.child("parallel_index").flatMap(\.doubleValue).map { Int($0) })
            let status = text("status") ?? "?"
            let milliseconds = Int(((data.child("duration_seconds")?.doubleValue) ?? 0) * 1000)
            switch status {
            case "running":
                let attempt = data.child("attempt").flatMap(\.doubleValue).map { Int($0) } ?? 1
                return ["▶ \(label) started" + (attempt > 1 ? " (attempt \(attempt))" : "")]
            case "skipped":
                return ["– \(label) skipped" + (text("reason").map { ": \($0)" } ?? "")]
            case "awaiting_approval":
                return ["⏸ \(label) waits for approval" + (text("message").map { ": \($0)" } ?? "")]
            default:
                let symbol = status == "completed" ? "✔" : "✘"
                var lines = ["\(symbol) \(label) \(status) in \(milliseconds) ms" + (text("error").map { ": \($0)" } ?? "")]
                if case .string(let output)? = data.child("output") {
                    for part in output.split(separator: "\n").suffix(10) { lines.append("    | \(part)") }
                }
                return lines
            }
        default:
            // Agent events come with the engine's own payload: formatted as the local log does.
            guard case .object(var fields) = data else { return ["\(frame.event) \(data.jsonText)"] }
            fields.removeValue(forKey: "run_id")
            return RunsFormat.eventText(RunEvent(kind: frame.event, payloadJSON: JSONValue.object(fields).jsonText))
        }
    }

    /// `runs show --json` for a server's run: the keys of the local document; `transcript` from
    /// the agent events the server's stream replays.
    static func document(_ run: RemoteRun, transcript: [RunStreamFrame]) -> JSONValue {
        var document: [String: JSONValue] = [
            "id": .string(run.runID), "workflow": .string(run.workflowName), "status": .string(localStatus(run.status)),
            "inputs": run.inputData ?? .object([:]),
            "steps": .array((run.steps ?? []).map(step)),
            "transcript": .array(
                transcript.compactMap { frame in
                    guard !["status", "step", "result"].contains(frame.event), case .object(var fields) = frame.data else { return nil }
                    fields.removeValue(forKey: "run_id")
                    fields["kind"] = .string(frame.event)
                    return .object(fields)
                }),
            "usage": [
                "input_tokens": .integer(run.tokens?.input ?? 0), "output_tokens": .integer(run.tokens?.output ?? 0),
                "cache_read_tokens": .integer(run.tokens?.cacheRead ?? 0), "cache_write_tokens": .integer(run.tokens?.cacheWrite ?? 0),
                "cost_usd": (run.unpricedModelCalls ?? 0) > 0 ? .null : .number(run.totalCostUSD ?? 0),
                "priced_cost_usd": .number(run.totalCostUSD ?? 0), "unpriced_calls": .integer(run.unpricedModelCalls ?? 0),
            ],
        ]
        document["created_at"] = run.createdAt.map { .string(iso($0)) }
        document["started_at"] = run.startedAt.map { .string(iso($0)) }
        document["finished_at"] = run.completedAt.map { .string(iso($0)) }
        document["error"] = run.error.map(JSONValue.string)
        document["parent_run"] = run.parentRunID.map(JSONValue.string)
        document["max_cost_usd"] = run.maxCostUSD.map(JSONValue.number)
        if let outputs = run.outputs, run.status == "completed" { document["outputs"] = .object(outputs) }
        return .object(document)
    }

    private static func step(_ step: RemoteStep) -> JSONValue {
        var entry: [String: JSONValue] = [
            "id": .string(step.stepID), "status": .string(localStatus(step.status)), "attempts": .integer(step.attempt ?? 1),
        ]
        entry["index"] = step.parallelIndex.map(JSONValue.integer)
        entry["error"] = step.error.map(JSONValue.string)
        entry["started_at"] = step.startedAt.map { .string(iso($0)) }
        entry["duration_seconds"] = step.durationSeconds.map(JSONValue.number)
        if let output = step.output, output != .null { entry["output"] = output }
        entry["model"] = step.model.map(JSONValue.string)
        return .object(entry)
    }

    static func excerpt(_ text: String, _ limit: Int) -> String {
        let flat = text.replacingOccurrences(of: "\n", with: "\\n")
        return flat.count <= limit ? flat : String(flat.prefix(limit)) + "…"
    }

    static func iso(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }
}
