import Foundation
import Store

/// One run as a row of the runs table (`templates/run-row.mustache`): the runs page, the
/// overview's recent runs and the live stream's row updates all render it, so a row looks the
/// same however it arrived.
struct RunRow: Sendable {
    var id: String
    var workflow: String
    var status: String
    var statusLabel: String
    var created: String
    var createdISO: String
    var duration: String
    var cost: String
    var error: String?
    var lineage: String?

    init(_ run: RunRecord, usage: ModelUsageTotals?, now: Date = Date()) {
        id = run.id
        workflow = run.workflowName
        status = run.status.rawValue
        statusLabel = run.status.rawValue.replacingOccurrences(of: "_", with: " ")
        created = Formatting.dateTime(run.createdAt)
        createdISO = Formatting.iso(run.createdAt)
        duration = run.startedAt.map { Formatting.duration(($0, run.finishedAt ?? now)) } ?? "—"
        cost = usage.map { Formatting.cost($0.pricedCostUSD) } ?? "—"
        error = run.error.map { Formatting.clipped($0, 300) }
        lineage = run.lineageKind.map { kind in "\(kind) of \(run.parentRunID ?? "?")" }
    }
}

/// How values read on a page: short, unambiguous, UTC.
enum Formatting {
    /// `2026-12-07 22:50:54 UTC`. Format styles are values: made once, shared by every thread
    /// (a `DateFormatter` per row was most of a live list's cost).
    static func dateTime(_ date: Date) -> String { date.formatted(readable) + " UTC" }

    static func iso(_ date: Date) -> String { date.formatted(isoStyle) }

    private static let readable = Date.ISO8601FormatStyle(timeZone: .gmt).year().month().day().dateSeparator(.dash)
        .dateTimeSeparator(.space).time(includingFractionalSeconds: false)
    private static let isoStyle = Date.ISO8601FormatStyle(timeZone: .gmt)

    static func duration(_ span: (Date, Date)) -> String { seconds(max(0, span.1.timeIntervalSince(span.0))) }

    static func seconds(_ value: Double) -> String {
        switch value {
        case ..<1: return String(format: "%.0f ms", value * 1000)
        case ..<60: return String(format: "%.1f s", value)
        case ..<3600: return "\(Int(value) / 60) min \(Int(value) % 60) s"
        default: return "\(Int(value) / 3600) h \(Int(value) % 3600 / 60) min"
        }
    }

    static func cost(_ usd: Double) -> String { usd < 0.01 && usd > 0 ? String(format: "$%.4f", usd) : String(format: "$%.2f", usd) }

    static func clipped(_ text: String, _ limit: Int) -> String { text.count > limit ? String(text.prefix(limit)) + "…" : text }
}
