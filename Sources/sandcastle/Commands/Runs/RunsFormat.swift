import Engine
import EngineService
import Foundation
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
    static func table(_ runs: [RunRecord], usage: [String: ModelUsageTotals] = [:], now: Date) -> [String] {
        let header = ["ID", "WORKFLOW", "STATUS", "CREATED", "DURATION", "COST"]
        let rows = runs.map { run in
            [
                run.id, run.workflowName, statusLabel(run), timestamp(run.createdAt),
                duration(from: run.startedAt, to: run.finishedAt ?? (run.status.isTerminal ? nil : now)),
                cost(usage[run.id]),
            ]
        }
        return columns([header] + rows)
    }

    /// The status a person should read: `orphaned` for a run whose process died while running it.
    static func statusLabel(_ run: RunRecord) -> String { run.isOrphaned ? "orphaned" : run.status.rawValue }

    /// The lines under the `runs ls` table when some runs are orphaned: what happened and what to do.
    static func orphanedHint(_ runs: [RunRecord]) -> [String] {
        let orphaned = runs.filter(\.isOrphaned)
        guard !orphaned.isEmpty else { return [] }
        return [
            "",
            "\(orphaned.count) orphaned run\(orphaned.count == 1 ? "" : "s"): the process running "
                + "\(orphaned.count == 1 ? "it" : "them") is gone (killed, or the machine restarted).",
            "  `sandcastle runs resume --all` continues them, `sandcastle runs cancel ID` ends one; the sandboxes they left",
            "  are removed by either, by the next `sandcastle run` or `serve` on this data folder, or by `sandcastle doctor --clean`.",
        ]
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
    /// A run's model spending as a person reads it: `-` without model calls, `$0.0123`, or
    /// `≥ $0.0123 (2 calls unpriced)` when some call's cost is unknown.
    static func cost(_ usage: ModelUsageTotals?) -> String {
        guard let usage, usage.calls > 0 else { return "-" }
        if let known = usage.costUSD { return "$" + money(known) }
        return "≥ $\(money(usage.pricedCostUSD)) (\(usage.unpricedCalls) call\(usage.unpricedCalls == 1 ? "" : "s") unpriced)"
    }

    /// Tokens and cost in one line.
    static func usageLine(_ usage: ModelUsageTotals) -> String {
        "\(usage.calls) model call\(usage.calls == 1 ? "" : "s"), \(usage.inputTokens) in / \(usage.outputTokens) out tokens"
            + (usage.cacheReadTokens + usage.cacheWriteTokens > 0
                ? " (cache \(usage.cacheReadTokens) read / \(usage.cacheWriteTokens) written)" : "") + ", cost \(cost(usage))"
    }

    static func detail(
        _ detail: RunDetail, attempts: [String: [StepAttemptRecord]], approvals: [ApprovalRecord] = [],
        modelCalls: [ModelCallRecord] = [], now: Date
    ) -> [String] {
        let run = detail.run
        var lines = ["run \(run.id): workflow `\(run.workflowName)` — \(run.status)"]
        if run.isOrphaned, let owner = run.owner {
            lines[0] += " (orphaned: process \(ProcessOwner.pid(of: owner).map(String.init) ?? owner) is gone; `sandcastle runs resume \(run.id)` continues it)"
        }
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
        if !modelCalls.isEmpty {
            lines.append("  models:    " + usageLine(ModelUsageTotals(summing: modelCalls)))
        }
        if let budget = run.maxCostUSD { lines.append("  budget:    $\(money(budget))") }
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
            let calls = modelCalls.filter { $0.stepID == step.stepID && $0.fanoutIndex == step.fanoutIndex }
            if !calls.isEmpty { lines.append("      models: " + usageLine(ModelUsageTotals(summing: calls))) }
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

    /// One event as a log line: time, what happened and its main fields (the last lines of a
    /// failed attempt's output under it).
    static func eventLine(_ record: EventRecord) -> String {
        let lines = eventText(RunEvent(record))
        return (["\(timestamp(record.time))  \(lines[0])"] + lines.dropFirst()).joined(separator: "\n")
    }

    /// One event as its line, then the last lines of output under it (`    | …`); shared by the
    /// local log and the remote stream (whose frames carry no time).
    static func eventText(_ event: RunEvent) -> [String] {
        var tail: String?
        let line: String
        switch event {
        case .runStarted(let started):
            var text = "run started (workflow `\(started.workflow)`)"
            if let parent = started.parentRun {
                text += ", from step `\(started.fromStep ?? "?")` of run \(parent)" + (started.changes.map { " with \($0.jsonText)" } ?? "")
            }
            line = text
        case .runResumed(let resumed):
            line = "run resumed (workflow `\(resumed.workflow)`)"
        case .runFinished(let finished):
            line = "run \(finished.status)" + suffix(finished.error)
        case .runPaused:
            line = "run paused, waiting for approval"
        case .runCancelRequested:
            line = "run cancel requested"
        case .stepStarted(let started):
            line = "▶ \(stepLabel(started.step, started.index)) started" + (started.attempt > 1 ? " (attempt \(started.attempt))" : "")
        case .attemptFinished(let attempt):
            line = "  \(stepLabel(attempt.step, attempt.index)) attempt \(attempt.attempt) \(attempt.status)" + suffix(attempt.error)
            tail = attempt.outputTail
        case .retryScheduled(let retry):
            line =
                "↻ \(stepLabel(retry.step, retry.index)) retry after attempt \(retry.attempt)"
                + (retry.delayMs.map { " in \($0) ms" } ?? "") + suffix(retry.error)
        case .stepFinished(let finished):
            var text = "\(symbol(finished.status)) \(finished.step) \(finished.status) in \(finished.durationMs) ms" + suffix(finished.error)
            if let reason = finished.reason, finished.error == nil { text += " (\(reason))" }
            line = text
            tail = finished.outputTail
        case .artifactsCollected(let kept):
            let files = kept.files
            line =
                "  \(stepLabel(kept.step, kept.index)) kept \(files.count) artifact\(files.count == 1 ? "" : "s") (\(kept.bytes) bytes)"
                + (files.isEmpty ? "" : ": " + files.prefix(5).joined(separator: ", ") + (files.count > 5 ? ", …" : ""))
                + (kept.problem.map { "; \($0)" } ?? "")
        case .stepReused(let reused):
            line = "↺ \(reused.step) reused from run \(reused.fromRun) (\(reused.status))"
        case .stepSkipped(let skipped):
            line = "– \(skipped.step) skipped: \(skipped.reason)"
        case .approvalRequested(let requested):
            line = "⏸ \(requested.step) waits for approval: \(requested.message)"
        case .approvalDecided(let decided):
            line = "  \(decided.step) \(decided.status)" + (decided.by.map { " by \($0)" } ?? "") + (decided.comment.map { ": \($0)" } ?? "")
        case .workspaceSaved(let saved):
            line = "workspace kept for replays (\(saved.bytes) bytes)"
        case .workspaceNotSaved(let skipped):
            line = "workspace not kept: \(skipped.reason)"
        case .workspaceRestored(let restored):
            line = "workspace restored from run \(restored.fromRun) (\(restored.bytes) bytes)"
        case .workspaceNotRestored(let skipped):
            line = "workspace starts empty: \(skipped.reason)"
        case .modelTurn(let turn):
            line = "  \(agentLabel(turn.place)) turn \(turn.turn) \(turn.model): \(usageText(turn))"
            tail = turn.text.isEmpty ? nil : turn.text
        case .toolCalled(let call):
            line = "  \(agentLabel(call.place)) → \(call.name) \(excerpt(call.input.jsonText, 160))"
        case .toolAnswered(let answer):
            line =
                "  \(agentLabel(answer.place)) ← \(answer.name)\(answer.isError ? " error" : "") "
                + "(\(answer.outputCharacters) chars, \(answer.durationMs) ms)"
            tail = answer.output.isEmpty ? nil : answer.output
        case .modelRetried(let retry):
            line =
                "↻ \(agentLabel(retry.place)) \(retry.action) \(retry.model)"
                + (retry.toModel.map { " → \($0)" } ?? "") + (retry.delayMs.map { " in \($0) ms" } ?? "") + suffix(retry.error)
        case .budgetWarning(let budget):
            line = "⚠ budget: $\(money(budget.spentUSD)) of $\(money(budget.maxUSD)) spent"
        case .budgetExceeded(let budget):
            line = "✘ budget exceeded: $\(money(budget.spentUSD)) of $\(money(budget.maxUSD)); running steps interrupted"
        case .deadLettered(let item):
            line =
                "✉ \(stepLabel(item.step, item.index)) dead-lettered as \(item.item) after \(item.attempts) attempt\(item.attempts == 1 ? "" : "s")"
                + suffix(item.error)
        case .unrecognized(let kind, let payloadJSON):
            line = "\(kind) \(payloadJSON)"
        }
        var lines = [line]
        for part in (tail ?? "").split(separator: "\n").suffix(10) { lines.append("    | \(part)") }
        return lines
    }

    private static func suffix(_ error: String?) -> String { error.map { ": \($0)" } ?? "" }

    private static func agentLabel(_ place: RunEvent.AgentPlace) -> String {
        stepLabel(place.step, place.index) + (place.parentToolCall.map { " (subagent of \($0))" } ?? "")
    }

    private static func usageText(_ turn: RunEvent.ModelTurn) -> String {
        guard let input = turn.inputTokens, let output = turn.outputTokens else { return "usage not reported, \(turn.durationMs) ms" }
        return "\(input) in / \(output) out tokens, " + (turn.costUSD.map { "$\(money($0))" } ?? "cost unknown") + ", \(turn.durationMs) ms"
    }

    /// Dollars with enough digits for a cent's fraction (model calls cost fractions of a cent).
    static func money(_ amount: Double) -> String {
        amount >= 1 ? String(format: "%.2f", amount) : String(format: "%.4f", amount)
    }

    private static func excerpt(_ text: String, _ limit: Int) -> String {
        let flat = text.replacingOccurrences(of: "\n", with: " ")
        return flat.count <= limit ? flat : String(flat.prefix(limit)) + "…"
    }

    private static func symbol(_ status: StepStatus) -> String {
        switch status {
        case .completed: "✔"
        case .skipped: "–"
        default: "✘"
        }
    }
}
