import Engine
import Foundation
import EngineService
import Workflow

/// Turns stored records into the lines `runs` prints; pure, so the formats are easy to check.
enum RunsFormat {
    static func stepLabel(_ step: String, _ index: Int?) -> String { index.map { "\(step)[\($0)]" } ?? step }

    /// "1.23s", "2m03s", "1h02m"; "-" when unknown.
    static func duration(from start: Date?, to end: Date?) -> String {
        guard let start, let end else { return "-" }
        let seconds = max(0, end.timeIntervalSince(start))
        if seconds < 60 { return String(format: "%.2fs", seconds) }
        let whole = Int(seconds)
        if whole < 3600 { return String(format: "%dm%02ds", whole / 60, whole % 60) }
        return String(format: "%dh%02dm", whole / 3600, (whole % 3600) / 60)
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone.current
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: date)
    }

    /// The `runs ls` table: id, workflow, status, created, duration (running runs count up to `now`).
    static func table(_ runs: [RunRecord], now: Date) -> [String] {
        let header = ["ID", "WORKFLOW", "STATUS", "CREATED", "DURATION"]
        let rows = runs.map { run in
            [run.id, run.workflowName, run.status.rawValue, timestamp(run.createdAt),
             duration(from: run.startedAt, to: run.finishedAt ?? (run.status.isTerminal ? nil : now))]
        }
        return columns([header] + rows)
    }

    /// Left-aligned columns separated by two spaces.
    static func columns(_ rows: [[String]]) -> [String] {
        let count = rows.map(\.count).max() ?? 0
        let widths = (0..<count).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
    }

    /// `runs show`: the run, its lineage, then one block per step (or fan-out item).
    static func detail(_ detail: RunDetail, attempts: [String: [StepAttemptRecord]], approvals: [ApprovalRecord] = [],
                       now: Date) -> [String] {
        let run = detail.run
        var lines = ["run \(run.id): workflow `\(run.workflowName)` — \(run.status)"]
        if let path = run.workflowPath { lines.append("  file:      \(path)") }
        lines.append("  created:   \(timestamp(run.createdAt))")
        if let started = run.startedAt { lines.append("  started:   \(timestamp(started))") }
        if let finished = run.finishedAt { lines.append("  finished:  \(timestamp(finished))") }
        lines.append("  duration:  \(duration(from: run.startedAt, to: run.finishedAt ?? (run.status.isTerminal ? nil : now)))")
        if run.inputsJSON != "{}" { lines.append("  inputs:    \(run.inputsJSON)") }
        if let parent = run.parentRunID {
            lines.append("  parent:    \(parent)" + (run.forkedFromStep.map { " (\(run.lineageKind ?? "fork") from step `\($0)`)" } ?? ""))
            if let changes = run.forkChangesJSON { lines.append("  changes:   \(changes)") }
        }
        if let error = run.error { lines.append("  error:     \(error)") }
        lines.append("steps:")
        for step in detail.steps {
            let label = stepLabel(step.stepID, step.fanoutIndex)
            // The step's final row does not keep the start time or exit code; its attempts do.
            let tries = attempts[label] ?? []
            var parts = [step.status.rawValue]
            parts.append("attempts \(tries.isEmpty ? step.attempt : tries.count)")
            if let code = step.exitCode ?? tries.last?.exitCode { parts.append("exit \(code)") }
            let start = step.startedAt ?? tries.first?.startedAt
            let end = step.status.isTerminal ? (step.finishedAt ?? tries.last?.finishedAt) : now
            parts.append(duration(from: start, to: end))
            if let backend = step.backend ?? tries.last?.backend { parts.append("on \(backend)") }
            lines.append("  \(label): " + parts.joined(separator: ", "))
            // A retry that failed over ran elsewhere: say where each attempt ran.
            if Set(tries.compactMap(\.backend)).count > 1 {
                lines.append("      backends: " + tries.map { "#\($0.attempt) \($0.backend ?? "?")" }.joined(separator: ", "))
            }
            if let error = step.error { lines.append("      error:  \(error)") }
            if let output = outputSummary(step) { lines.append("      output: \(output)") }
        }
        if !approvals.isEmpty { lines.append("approvals:") }
        for approval in approvals {
            var line = "  \(approval.stepID): \(approval.status)"
            if let by = approval.decidedBy { line += " by \(by)" }
            if let decided = approval.decidedAt { line += " at \(timestamp(decided))" }
            if approval.status == .pending, let deadline = approval.timeoutAt {
                line += ", times out at \(timestamp(deadline)) (on_timeout: \(approval.onTimeout ?? "abort"))"
            }
            lines.append(line)
            if let message = approval.message { lines.append("      asks:    \(message)") }
            if let data = approval.requestJSON { lines.append("      data:    \(data)") }
            if let comment = approval.comment { lines.append("      comment: \(comment)") }
        }
        return lines
    }

    /// A step's output on one line, cut to `limit` characters.
    static func outputSummary(_ step: StepRecord, limit: Int = 120) -> String? {
        let text: String
        if let path = step.outputPath {
            // Too large for the database: its head is inline, the whole of it in the file.
            let head = (step.outputText ?? "").replacingOccurrences(of: "\n", with: "\\n")
            return String(head.prefix(limit)) + "… (in full: \(path))"
        } else if let json = step.outputJSON {
            text = json
        } else if let plain = step.outputText {
            text = plain.debugDescription
        } else {
            return nil
        }
        let flat = text.replacingOccurrences(of: "\n", with: "\\n")
        return flat.count > limit ? String(flat.prefix(limit)) + "…" : flat
    }

    /// One event as a log line: time, kind and its main fields.
    static func eventLine(_ event: EventRecord) -> String {
        let time = timestamp(event.time)
        guard case .object(let payload)? = JSONValue.parse(json: event.payloadJSON) else {
            return "\(time)  \(event.kind) \(event.payloadJSON)"
        }
        func text(_ key: String) -> String? {
            switch payload[key] {
            case .string(let value)?: value
            case .integer(let value)?: String(value)
            case nil, .null?: nil
            case let other?: other.jsonText
            }
        }
        let index: Int? = if case .integer(let value)? = payload["index"] { value } else { nil }
        let step = text("step").map { stepLabel($0, index) } ?? "?"
        let error = text("error").map { ": \($0)" } ?? ""
        var line: String
        switch event.kind {
        case "run_started":
            line = "run started (workflow `\(text("workflow") ?? "?")`)"
            if let parent = text("parent_run") {
                line += ", from step `\(text("from_step") ?? "?")` of run \(parent)" + (text("changes").map { " with \($0)" } ?? "")
            }
        case "run_resumed":
            line = "run resumed (workflow `\(text("workflow") ?? "?")`)"
        case "run_finished":
            line = "run \(text("status") ?? "finished")\(error)"
        case "step_started":
            let attempt = text("attempt").flatMap(Int.init) ?? 1
            line = "▶ \(step) started" + (attempt > 1 ? " (attempt \(attempt))" : "")
        case "attempt_finished":
            line = "  \(step) attempt \(text("attempt") ?? "?") \(text("status") ?? "finished")\(error)"
        case "retry_scheduled":
            line = "↻ \(step) retry after attempt \(text("attempt") ?? "?") in \(text("delay_ms") ?? "?") ms"
        case "step_finished":
            let ms = text("duration_ms").map { " in \($0) ms" } ?? ""
            line = "\(symbol(text("status"))) \(step) \(text("status") ?? "finished")\(ms)\(error)"
            if let reason = text("reason"), text("error") == nil { line += " (\(reason))" }
        case "artifacts_collected":
            let files: [String] = if case .array(let list)? = payload["files"] {
                list.compactMap { if case .string(let name) = $0 { name } else { nil } }
            } else { [] }
            line = "  \(step) kept \(files.count) artifact\(files.count == 1 ? "" : "s") (\(text("bytes") ?? "?") bytes)"
                + (files.isEmpty ? "" : ": " + files.prefix(5).joined(separator: ", ") + (files.count > 5 ? ", …" : ""))
                + (text("problem").map { "; \($0)" } ?? "")
        case "step_reused":
            line = "↺ \(step) reused from run \(text("from_run") ?? "?") (\(text("status") ?? "completed"))"
        case "step_skipped":
            line = "– \(step) skipped" + (text("reason").map { ": \($0)" } ?? "")
        case "approval_requested":
            line = "⏸ \(step) waits for approval: \(text("message") ?? "")"
        case "approval_decided":
            line = "  \(step) \(text("status") ?? "decided")" + (text("by").map { " by \($0)" } ?? "")
                + (text("comment").map { ": \($0)" } ?? "")
        case "run_paused":
            line = "run paused, waiting for approval"
        case "workspace_saved":
            line = "workspace kept for replays (\(text("bytes") ?? "?") bytes)"
        case "workspace_not_saved":
            line = "workspace not kept: \(text("reason") ?? "?")"
        case "workspace_restored":
            line = "workspace restored from run \(text("from_run") ?? "?") (\(text("bytes") ?? "?") bytes)"
        case "workspace_not_restored":
            line = "workspace starts empty: \(text("reason") ?? "?")"
        default:
            line = "\(event.kind) \(event.payloadJSON)"
        }
        var lines = ["\(time)  \(line)"]
        if let tail = text("output_tail") {
            for part in tail.split(separator: "\n").suffix(10) { lines.append("    | \(part)") }
        }
        return lines.joined(separator: "\n")
    }

    private static func symbol(_ status: String?) -> String {
        switch status {
        case "completed": "✔"
        case "skipped": "–"
        default: "✘"
        }
    }
}
