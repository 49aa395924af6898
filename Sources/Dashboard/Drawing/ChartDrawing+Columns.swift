import Foundation

extension ChartDrawing {
    public struct ColumnOptions: Sendable {
        public var svgID: String
        public var width: Double
        public var height: Double
        /// Names of the two stacked series, used in the legend and the tooltips.
        public var primaryName: String
        public var secondaryName: String
        public var format: ChartValueFormat
        public var ariaLabel: String

        public init(
            svgID: String = "chart-runs-per-day", width: Double = 640, height: Double = 220, primaryName: String = "succeeded",
            secondaryName: String = "failed", format: ChartValueFormat = .number, ariaLabel: String = "Runs per day"
        ) {
            self.svgID = svgID
            self.width = width
            self.height = height
            self.primaryName = primaryName
            self.secondaryName = secondaryName
            self.format = format
            self.ariaLabel = ariaLabel
        }
    }

    private static let plotLeft = 48.0
    private static let plotRight = 8.0
    private static let plotTop = 28.0
    private static let plotBottom = 24.0

    /// Columns in the given order (oldest day first), `value` at the bottom and `secondary` on
    /// top (`g.column > rect.primary, rect.secondary`), a y axis with round ticks, x labels
    /// thinned to what fits (the newest always labelled), and each column's total written
    /// above it when there is room.
    public static func stackedColumns(_ points: [ChartPoint], options: ColumnOptions = ColumnOptions()) -> String {
        guard !points.isEmpty else {
            return DrawingFrame.empty(id: options.svgID, className: "chart columns", width: options.width, height: options.height, message: "No data")
        }
        let totals = points.map { clamped($0.value) + clamped($0.secondary ?? 0) }
        let wholeNumbers = options.format == .number && totals.allSatisfy { $0 == $0.rounded() }
        let ticks = AxisTicks.linear(upTo: totals.max() ?? 0, integerSteps: wholeNumbers)
        let scaleTop = ticks.last ?? 1
        let plotWidth = max(1, options.width - plotLeft - plotRight)
        let plotHeight = max(1, options.height - plotTop - plotBottom)
        let baseline = plotTop + plotHeight
        func y(_ value: Double) -> Double { baseline - value / scaleTop * plotHeight }
        let slot = plotWidth / Double(points.count)
        let columnWidth = min(slot * 0.72, 48)

        var svg = SVGBuilder(reservingCapacity: 1200 + points.count * 400)
        DrawingFrame.open(&svg, id: options.svgID, className: "chart columns", width: options.width, height: options.height, label: options.ariaLabel)
        drawLegend(&svg, options: options, hasSecondary: points.contains { $0.secondary != nil })

        svg.open("g", ["class": "axis"])
        for tick in ticks {
            DrawingFrame.line(&svg, className: "grid", x1: plotLeft, y1: y(tick), x2: options.width - plotRight, y2: y(tick))
            DrawingFrame.text(&svg, options.format.text(tick), className: "tick-label", x: plotLeft - 6, y: y(tick) + 4, anchor: "end")
        }
        DrawingFrame.line(&svg, className: "baseline", x1: plotLeft, y1: baseline, x2: options.width - plotRight, y2: baseline)
        svg.close("g")

        // Label every k-th column so that labels (about 6.5 units a character) do not collide, with
        // room for the newest label, which moves left when it would run past the right edge.
        let longestLabel = Double(points.map { $0.label.count }.max() ?? 1)
        let labelStride = max(1, Int((longestLabel * 6.5 + 28) / slot) + 1)
        let labelBudget = TextFitting.characterBudget(width: slot * Double(labelStride) - 4, characterWidth: 6.5)
        for (index, point) in points.enumerated() {
            let center = plotLeft + slot * (Double(index) + 0.5)
            let primary = clamped(point.value)
            svg.open("g", ["class": "column", "data-label": point.label])
            svg.element("title", text: columnTooltip(point, total: totals[index], options: options))
            DrawingFrame.rect(&svg, className: "primary", x: center - columnWidth / 2, y: y(primary), width: columnWidth, height: baseline - y(primary))
            if let secondary = point.secondary {
                let top = y(primary + clamped(secondary))
                DrawingFrame.rect(&svg, className: "secondary", x: center - columnWidth / 2, y: top, width: columnWidth, height: y(primary) - top)
            }
            if slot >= 26 {
                DrawingFrame.text(&svg, options.format.text(totals[index]), className: "value", x: center, y: y(totals[index]) - 4, anchor: "middle")
            }
            if (points.count - 1 - index).isMultiple(of: labelStride) {
                drawAxisLabel(&svg, TextFitting.truncated(point.label, maxCharacters: labelBudget), center: center, y: baseline + 16, width: options.width)
            }
            svg.close("g")
        }
        svg.close("svg")
        return svg.text
    }

    /// Centred under its column, unless that would run past an edge of the drawing (the
    /// newest day's label, always drawn, sits at the right edge): then aligned to that edge.
    private static func drawAxisLabel(_ svg: inout SVGBuilder, _ label: String, center: Double, y: Double, width: Double) {
        let halfWidth = Double(label.count) * 6.5 / 2
        if center + halfWidth > width - 2 {
            DrawingFrame.text(&svg, label, className: "axis-label", x: width - 2, y: y, anchor: "end")
        } else if center - halfWidth < 2 {
            DrawingFrame.text(&svg, label, className: "axis-label", x: 2, y: y)
        } else {
            DrawingFrame.text(&svg, label, className: "axis-label", x: center, y: y, anchor: "middle")
        }
    }

    private static func drawLegend(_ svg: inout SVGBuilder, options: ColumnOptions, hasSecondary: Bool) {
        svg.open("g", ["class": "legend"])
        DrawingFrame.rect(&svg, className: "primary", x: plotLeft, y: 6, width: 10, height: 10, rounded: 2)
        DrawingFrame.text(&svg, options.primaryName, className: "legend-label", x: plotLeft + 14, y: 15)
        if hasSecondary {
            let secondX = plotLeft + 14 + Double(options.primaryName.count) * 7 + 16
            DrawingFrame.rect(&svg, className: "secondary", x: secondX, y: 6, width: 10, height: 10, rounded: 2)
            DrawingFrame.text(&svg, options.secondaryName, className: "legend-label", x: secondX + 14, y: 15)
        }
        svg.close("g")
    }

    /// `2026-04-12: 15 — 12 succeeded, 3 failed`.
    static func columnTooltip(_ point: ChartPoint, total: Double, options: ColumnOptions) -> String {
        var text = "\(point.label): \(options.format.text(total))"
        if let secondary = point.secondary {
            text +=
                " — \(options.format.text(clamped(point.value))) \(options.primaryName), \(options.format.text(clamped(secondary))) \(options.secondaryName)"
        }
        return text
    }
}
