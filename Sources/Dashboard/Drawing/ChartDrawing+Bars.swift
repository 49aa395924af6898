import Foundation

extension ChartDrawing {
    public struct BarOptions: Sendable {
        public var svgID: String
        public var width: Double
        /// Room on the left for the row labels.
        public var labelWidth: Double
        public var rowHeight: Double
        public var format: ChartValueFormat
        public var ariaLabel: String

        public init(
            svgID: String = "chart-cost-per-workflow", width: Double = 640, labelWidth: Double = 160, rowHeight: Double = 26,
            format: ChartValueFormat = .usd, ariaLabel: String = "Cost per workflow"
        ) {
            self.svgID = svgID
            self.width = width
            self.labelWidth = labelWidth
            self.rowHeight = rowHeight
            self.format = format
            self.ariaLabel = ariaLabel
        }
    }

    /// Room on the right for the value written after the longest bar.
    private static let valueWidth = 72.0
    private static let barThickness = 16.0

    /// One row per item in the given order (sort them first: largest on top reads best):
    /// `g.row > text.row-label, rect.bar-fill, text.value`. Bars scale to the largest value.
    public static func horizontalBars(_ items: [ChartItem], options: BarOptions = BarOptions()) -> String {
        let padding = 8.0
        guard !items.isEmpty else {
            return DrawingFrame.empty(id: options.svgID, className: "chart bars", width: options.width, height: 60, message: "No data")
        }
        let height = padding * 2 + Double(items.count) * options.rowHeight
        let largest = items.map { clamped($0.value) }.max() ?? 0
        let scale = largest > 0 ? largest : 1
        let barLeft = options.labelWidth
        let barSpace = max(1, options.width - barLeft - valueWidth)
        let labelBudget = TextFitting.characterBudget(width: options.labelWidth - 12)

        var svg = SVGBuilder(reservingCapacity: 600 + items.count * 400)
        DrawingFrame.open(&svg, id: options.svgID, className: "chart bars", width: options.width, height: height, label: options.ariaLabel)
        for (index, item) in items.enumerated() {
            let top = padding + Double(index) * options.rowHeight
            let baselineY = top + options.rowHeight / 2 + 4
            let value = clamped(item.value)
            let length = value / scale * barSpace
            let valueText = options.format.text(item.value.isFinite ? item.value : 0)
            let link = item.href.flatMap(LinkFilter.safeHref)
            if let link { svg.open("a", ["href": link]) }
            svg.open("g", ["class": "row", "data-label": item.label])
            svg.element("title", text: "\(item.label): \(valueText)")
            DrawingFrame.text(
                &svg, TextFitting.truncated(item.label, maxCharacters: labelBudget), className: "row-label", x: barLeft - 8, y: baselineY, anchor: "end")
            DrawingFrame.rect(
                &svg, className: "bar-fill", x: barLeft, y: top + (options.rowHeight - barThickness) / 2, width: length, height: barThickness, rounded: 2)
            DrawingFrame.text(&svg, valueText, className: "value", x: barLeft + length + 6, y: baselineY)
            svg.close("g")
            if link != nil { svg.close("a") }
        }
        svg.close("svg")
        return svg.text
    }
}
