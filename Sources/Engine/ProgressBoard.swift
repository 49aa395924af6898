import Foundation
import Store

/// What a live progress view shows: one row per step with its status, duration and the last
/// line of its output, built from ``EngineEvent``s. Pure (no terminal), so it can be tested;
/// the CLI redraws it in place on a TTY.
public struct ProgressBoard: Sendable {
    public struct Row: Sendable, Equatable {
        public var id: String
        public var status: String
        public var started: ContinuousClock.Instant?
        public var took: Duration?
        public var attempt: Int
        public var lastLine: String
    }

    public private(set) var rows: [Row]
    private var position: [String: Int]

    public init(stepIDs: [String]) {
        rows = stepIDs.map { Row(id: $0, status: "pending", attempt: 0, lastLine: "") }
        position = Dictionary(stepIDs.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public mutating func apply(_ event: EngineEvent, at now: ContinuousClock.Instant) {
        switch event {
        case .stepStarted(let step, let index, let attempt):
            update(step) { row in
                if row.started == nil || row.status != "running" { row.started = now }
                row.status = "running"
                row.attempt = max(row.attempt, attempt)
                if attempt > 1 { row.lastLine = "" }
                if let index { row.lastLine = "item \(index) started" }
            }
        case .stepOutput(let step, let index, let text):
            let line = text.split(whereSeparator: \.isNewline).last.map(String.init) ?? ""
            guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { return }
            update(step) { $0.lastLine = (index.map { "[\($0)] " } ?? "") + line }
        case .attemptFailed(let step, _, let attempt, let error, _, let willRetry, _):
            update(step) { row in
                row.status = willRetry ? "retrying" : row.status
                row.lastLine = "attempt \(attempt): \(error)"
            }
        case .stepFinished(let step, let status, let duration, let error, _):
            update(step) { row in
                row.status = status.rawValue
                row.took = duration ?? row.started.map { now - $0 }
                if let error { row.lastLine = error }
            }
        case .approvalRequested(_, let step, let message, _, _):
            update(step) { row in
                row.status = "waiting approval"
                row.started = row.started ?? now
                row.lastLine = message
            }
        case .policyAlert(_, let alert):
            update(alert.step) { row in row.lastLine = "policy `\(alert.policyID)` alert (\(alert.severity))" }
        case .runStarted, .runFinished:
            break
        }
    }

    private mutating func update(_ step: String, _ change: (inout Row) -> Void) {
        guard let index = position[step] else { return }
        change(&rows[index])
    }

    /// The rows as lines at most `width` characters wide: symbol, step, status, time, output tail.
    public func render(now: ContinuousClock.Instant, width: Int) -> [String] {
        let idWidth = min(24, rows.map(\.id.count).max() ?? 4)
        return rows.map { row in
            let symbol =
                switch row.status {
                case "completed": "✔"
                case "failed", "cancelled": "✘"
                case "skipped": "–"
                case "running", "retrying": "▶"
                case "waiting approval": "⏸"
                default: "·"
                }
            let took =
                row.took
                ?? (row.status == "running" || row.status == "retrying" || row.status == "waiting approval"
                    ? row.started.map { now - $0 } : nil)
            let time =
                took.map { String(format: "%6.1fs", Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18) }
                ?? "       "
            let attempt = row.attempt > 1 ? " (attempt \(row.attempt))" : ""
            let id = row.id.count > idWidth ? String(row.id.prefix(idWidth - 1)) + "…" : row.id.padding(toLength: idWidth, withPad: " ", startingAt: 0)
            let status = row.status + attempt
            let padded = status.count >= 18 ? status : status.padding(toLength: 18, withPad: " ", startingAt: 0)
            var line = "\(symbol) \(id)  \(padded) \(time)"
            if !row.lastLine.isEmpty { line += "  │ " + row.lastLine }
            return line.count > width ? String(line.prefix(max(1, width - 1))) + "…" : line
        }
    }
}
