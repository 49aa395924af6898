import Foundation

/// One step (or one fan-out item) on a run's timeline.
public struct TimelineRow: Sendable, Hashable {
    public var stepID: String
    public var status: String
    public var start: Date
    /// `nil` while the step runs: its bar reaches the drawing's `now`.
    public var end: Date?
    public var attempts: Int
    /// Where the row links to (the step's view); only relative or http(s) addresses are kept.
    public var href: String?

    public init(stepID: String, status: String, start: Date, end: Date?, attempts: Int = 1, href: String? = nil) {
        self.stepID = stepID
        self.status = status
        self.start = start
        self.end = end
        self.attempts = attempts
        self.href = href
    }
}

/// A run's steps as a Gantt chart (`svg#timeline`): one row per step in the caller's order, a
/// bar from its start to its end on an axis of seconds since the first step started, so steps
/// that ran side by side show side by side.
public enum TimelineDrawing {
    public struct Options: Sendable {
        public var svgID: String
        public var width: Double
        public var rowHeight: Double
        /// Room on the left for the status glyph and the step id.
        public var labelWidth: Double

        public init(svgID: String = "timeline", width: Double = 960, rowHeight: Double = 24, labelWidth: Double = 200) {
            self.svgID = svgID
            self.width = width
            self.rowHeight = rowHeight
            self.labelWidth = labelWidth
        }
    }

    private static let axisHeight = 24.0
    private static let rightPadding = 56.0
    private static let barHeight = 14.0

    /// - Parameter now: where running steps' bars end. Passed in, not read from the clock, so
    ///   the same rows always draw the same SVG.
    public static func svg(rows: [TimelineRow], now: Date, options: Options = Options()) -> String {
        guard let origin = rows.map(\.start).min() else {
            return DrawingFrame.empty(id: options.svgID, className: "timeline", width: options.width, height: 60, message: "No step has started yet")
        }
        let latest = rows.map { $0.end ?? now }.max() ?? now
        let span = max(latest.timeIntervalSince(origin), 0.001)
        let ticks = AxisTicks.duration(upTo: span)
        let scaleEnd = ticks.last ?? span
        let plotLeft = options.labelWidth
        let plotWidth = max(1, options.width - plotLeft - rightPadding)
        func x(_ seconds: Double) -> Double { plotLeft + seconds / scaleEnd * plotWidth }
        let height = axisHeight + Double(rows.count) * options.rowHeight + 8

        var svg = SVGBuilder(reservingCapacity: 800 + rows.count * 600)
        let noun = rows.count == 1 ? "step" : "steps"
        DrawingFrame.open(
            &svg, id: options.svgID, className: "timeline", width: options.width, height: height,
            label: "Step timeline, \(rows.count) \(noun) over \(ValueText.duration(span))")

        svg.open("g", ["class": "axis"])
        for tick in ticks {
            DrawingFrame.line(&svg, className: "grid", x1: x(tick), y1: axisHeight - 4, x2: x(tick), y2: height - 8)
            DrawingFrame.text(&svg, ValueText.duration(tick), className: "tick-label", x: x(tick), y: axisHeight - 10, anchor: "middle")
        }
        svg.close("g")

        let labelBudget = TextFitting.characterBudget(width: options.labelWidth - 30)
        for (index, row) in rows.enumerated() {
            let top = axisHeight + Double(index) * options.rowHeight
            let startOffset = row.start.timeIntervalSince(origin)
            let duration = max(0, (row.end ?? now).timeIntervalSince(row.start))
            let appearance = StatusAppearance(status: row.status)
            let link = row.href.flatMap(LinkFilter.safeHref)
            if let link { svg.open("a", ["href": link]) }
            svg.open(
                "g",
                ["class": "bar " + appearance.className + (row.end == nil ? " open" : ""), "data-step": row.stepID, "data-status": row.status])
            svg.element("title", text: tooltip(row, startOffset: startOffset, duration: duration))
            let baseline = top + options.rowHeight / 2 + 4
            DrawingFrame.text(&svg, appearance.glyph, className: "glyph", x: 4, y: baseline)
            DrawingFrame.text(&svg, TextFitting.truncated(row.stepID, maxCharacters: labelBudget), className: "row-label", x: 20, y: baseline)
            let barStart = x(startOffset)
            // Never thinner than 2 units: a 40 ms step on a one-hour axis must still be seen.
            let barWidth = max(2, x(startOffset + duration) - barStart)
            DrawingFrame.rect(
                &svg, className: "span", x: barStart, y: top + (options.rowHeight - barHeight) / 2, width: barWidth, height: barHeight, rounded: 3)
            let note = ValueText.duration(duration) + (row.attempts > 1 ? " ×\(row.attempts)" : "")
            let noteFitsAfter = barStart + barWidth + 4 + Double(note.count) * 6.5 <= options.width
            DrawingFrame.text(
                &svg, note, className: "duration", x: noteFitsAfter ? barStart + barWidth + 4 : barStart - 4, y: baseline,
                anchor: noteFitsAfter ? "start" : "end")
            svg.close("g")
            if link != nil { svg.close("a") }
        }
        svg.close("svg")
        return svg.text
    }

    /// `fetch: completed — started at +12s, took 1m 5s, 2 attempts`.
    static func tooltip(_ row: TimelineRow, startOffset: Double, duration: Double) -> String {
        let timing = row.end == nil ? "running for \(ValueText.duration(duration))" : "took \(ValueText.duration(duration))"
        let attempts = row.attempts == 1 ? "1 attempt" : "\(row.attempts) attempts"
        return "\(row.stepID): \(row.status) — started at +\(ValueText.duration(startOffset)), \(timing), \(attempts)"
    }
}
