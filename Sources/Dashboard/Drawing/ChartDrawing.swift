import Foundation

/// One column of a column chart: a day's runs, `value` succeeded (drawn at the bottom) and
/// `secondary` failed (stacked on top).
public struct ChartPoint: Sendable, Hashable {
    public var label: String
    public var value: Double
    public var secondary: Double?

    public init(label: String, value: Double, secondary: Double? = nil) {
        self.label = label
        self.value = value
        self.secondary = secondary
    }
}

/// One bar of a horizontal bar chart (a workflow and its cost).
public struct ChartItem: Sendable, Hashable {
    public var label: String
    public var value: Double
    /// Where the row links to (the workflow's page); only relative or http(s) addresses are kept.
    public var href: String?

    public init(label: String, value: Double, href: String? = nil) {
        self.label = label
        self.value = value
        self.href = href
    }
}

/// The overview's charts as inline SVG, drawn on the server (no chart library in the browser):
/// ``stackedColumns(_:options:)`` for runs per day, ``horizontalBars(_:options:)`` for cost per
/// workflow, ``budgetBar(spent:budget:options:)`` for a run's spend. Values and axis labels are
/// text in the drawing, every mark has a `<title>`, and an empty series draws "No data" rather
/// than an empty frame. The `<svg>` id is a parameter; defaults follow the dashboard contract.
public enum ChartDrawing {
    /// A negative or non-finite value (bad data) draws as zero instead of a bar pointing the
    /// wrong way.
    static func clamped(_ value: Double) -> Double {
        value.isFinite ? max(0, value) : 0
    }
}
