import Foundation
import Testing

@testable import Dashboard

@Suite struct TimelineDrawingTests {
    static let origin = Date(timeIntervalSince1970: 1_700_000_000)

    static let rows = [
        TimelineRow(stepID: "fetch", status: "completed", start: origin, end: origin + 12, href: "/ui/runs/r1?step=fetch"),
        TimelineRow(stepID: "summarize", status: "failed", start: origin + 12, end: origin + 72, attempts: 3),
        TimelineRow(stepID: "classify", status: "running", start: origin + 12, end: nil),
    ]

    @Test func oneBarPerRowWithItsStepAndStatus() throws {
        let svg = TimelineDrawing.svg(rows: Self.rows, now: Self.origin + 100)
        #expect(cspSafe(svg))
        let root = try ParsedSVG(svg).root
        #expect(root.attributes["id"] == "timeline")
        #expect(root.attributes["role"] == "img")
        #expect(root.attributes["aria-label"] == "Step timeline, 3 steps over 1m 40s")
        let bars = root.all(class: "bar")
        #expect(bars.map { $0.attributes["data-step"] } == ["fetch", "summarize", "classify"])
        #expect(bars.map { $0.attributes["data-status"] } == ["completed", "failed", "running"])
        #expect(bars.map(\.classes) == [["bar", "status-completed"], ["bar", "status-failed"], ["bar", "status-running", "open"]])
        #expect(bars.map { $0.all(class: "glyph").first?.text } == ["✓", "✗", "◐"])
        #expect(root.all("a").first?.attributes["href"] == "/ui/runs/r1?step=fetch")
    }

    @Test func titlesGiveStartDurationAndAttempts() throws {
        let root = try ParsedSVG(TimelineDrawing.svg(rows: Self.rows, now: Self.origin + 100)).root
        let titles = root.all(class: "bar").map { $0.child("title")?.text }
        #expect(
            titles == [
                "fetch: completed — started at +0s, took 12s, 1 attempt",
                "summarize: failed — started at +12s, took 1m, 3 attempts",
                "classify: running — started at +12s, running for 1m 28s, 1 attempt",
            ])
        let notes = root.all(class: "duration").map(\.text)
        #expect(notes == ["12s", "1m ×3", "1m 28s"])
    }

    @Test func barsSitOnTheTimeAxis() throws {
        let options = TimelineDrawing.Options(width: 1000, labelWidth: 200)
        let root = try ParsedSVG(TimelineDrawing.svg(rows: Self.rows, now: Self.origin + 100, options: options)).root
        let ticks = root.all(class: "tick-label").map(\.text)
        #expect(ticks == ["0s", "30s", "1m", "1m 30s", "2m"])
        // The axis runs from 0 to its last tick (120 s) over the plot width.
        let spans = root.all(class: "span")
        let x = spans.compactMap { $0.attributes["x"].flatMap(Double.init) }
        let widths = spans.compactMap { $0.attributes["width"].flatMap(Double.init) }
        let plotWidth = 1000.0 - 200 - 56
        #expect(x == [200, 200 + 12 / 120 * plotWidth, 200 + 12 / 120 * plotWidth].map { ($0 * 10).rounded() / 10 })
        #expect(abs(widths[1] - 60 / 120 * plotWidth) < 0.1)
        #expect(abs(widths[2] - 88 / 120 * plotWidth) < 0.1, "a running step reaches now")
    }

    @Test func aBlinkOfAStepIsStillVisible() throws {
        let rows = [
            TimelineRow(stepID: "long", status: "completed", start: Self.origin, end: Self.origin + 3600),
            TimelineRow(stepID: "quick", status: "completed", start: Self.origin + 10, end: Self.origin + 10.04),
        ]
        let root = try ParsedSVG(TimelineDrawing.svg(rows: rows, now: Self.origin + 3600)).root
        #expect(root.all(class: "span").last?.attributes["width"] == "2")
    }

    @Test func noRowsSaysSo() throws {
        let root = try ParsedSVG(TimelineDrawing.svg(rows: [], now: Self.origin)).root
        #expect(root.attributes["id"] == "timeline")
        #expect(root.classes.contains("empty"))
        #expect(root.all(class: "empty-message").first?.text == "No step has started yet")
        #expect(root.all(class: "bar").isEmpty)
    }

    @Test func hostileStepIdsStayText() throws {
        let hostile = "<img src=x onerror=alert(1)>"
        let svg = TimelineDrawing.svg(rows: [TimelineRow(stepID: hostile, status: "x\"><script>", start: Self.origin, end: nil)], now: Self.origin + 1)
        #expect(!svg.contains("<img") && !svg.contains("<script"))
        let bar = try #require(try ParsedSVG(svg).root.all(class: "bar").first)
        #expect(bar.attributes["data-step"] == hostile)
        #expect(bar.attributes["data-status"] == "x\"><script>")
    }

    @Test func sameRowsSameSVG() {
        #expect(TimelineDrawing.svg(rows: Self.rows, now: Self.origin + 100) == TimelineDrawing.svg(rows: Self.rows, now: Self.origin + 100))
    }
}
