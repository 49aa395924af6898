import Foundation

extension ChartDrawing {
    public struct BudgetOptions: Sendable {
        public var svgID: String
        public var width: Double
        public var format: ChartValueFormat
        /// From this share of the budget on, the bar gets the class `near` (a warning colour).
        public var nearFraction: Double

        public init(svgID: String = "budget-bar", width: Double = 480, format: ChartValueFormat = .usd, nearFraction: Double = 0.8) {
            self.svgID = svgID
            self.width = width
            self.format = format
            self.nearFraction = nearFraction
        }
    }

    private static let trackTop = 4.0
    private static let trackHeight = 14.0
    private static let budgetHeight = 40.0

    /// Spent against budget: `svg.budget-bar > rect.track, rect.spent, text.budget-label`. The
    /// `<svg>` has the class `near` from `nearFraction` of the budget and `over` past 100 %;
    /// once over, the track stands for what was spent and a `line.limit` marks the budget, so
    /// the overshoot shows. Without a budget (`nil` or not positive): class `no-budget`, the
    /// amount spent as text.
    public static func budgetBar(spent rawSpent: Double, budget: Double?, options: BudgetOptions = BudgetOptions()) -> String {
        let spent = clamped(rawSpent)
        let trackWidth = max(1, options.width - 2)
        var svg = SVGBuilder(reservingCapacity: 900)
        guard let budget, budget.isFinite, budget > 0 else {
            let label = "\(options.format.text(spent)) spent, no budget"
            DrawingFrame.open(&svg, id: options.svgID, className: "budget-bar no-budget", width: options.width, height: budgetHeight, label: label)
            svg.element("title", text: label)
            DrawingFrame.rect(&svg, className: "track", x: 1, y: trackTop, width: trackWidth, height: trackHeight, rounded: 4)
            DrawingFrame.text(&svg, label, className: "budget-label", x: 1, y: budgetHeight - 6)
            svg.close("svg")
            return svg.text
        }
        let ratio = spent / budget
        let state = ratio > 1 ? " over" : ratio >= options.nearFraction ? " near" : ""
        let percent = Int((ratio * 100).rounded())
        let label = "\(options.format.text(spent)) of \(options.format.text(budget)) (\(percent) %)"
        DrawingFrame.open(&svg, id: options.svgID, className: "budget-bar" + state, width: options.width, height: budgetHeight, label: "Budget: " + label)
        svg.element("title", text: "Budget: " + label)
        DrawingFrame.rect(&svg, className: "track", x: 1, y: trackTop, width: trackWidth, height: trackHeight, rounded: 4)
        DrawingFrame.rect(&svg, className: "spent", x: 1, y: trackTop, width: trackWidth * min(ratio, 1), height: trackHeight, rounded: 4)
        if ratio > 1 {
            let limitX = 1 + trackWidth / ratio
            DrawingFrame.line(&svg, className: "limit", x1: limitX, y1: trackTop - 3, x2: limitX, y2: trackTop + trackHeight + 3)
        }
        DrawingFrame.text(&svg, label, className: "budget-label", x: 1, y: budgetHeight - 6)
        svg.close("svg")
        return svg.text
    }
}
