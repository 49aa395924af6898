import Foundation

/// The run page's drawings from its records: the DAG, the timeline and the budget bar (the
/// layout and the SVG are ``DAGDrawing``'s, ``TimelineDrawing``'s and ``ChartDrawing``'s).
enum RunDrawings {
    struct Node {
        var id: String
        var status: String
        var subtitle: String?
        var href: String
    }

    /// The DAG; nil above ``DAGDrawing/defaultMaxNodes`` steps (the page lists them instead).
    static func dag(nodes: [Node], edges: [(from: String, to: String)]) -> String? {
        DAGDrawing.svg(
            nodes: nodes.map { DAGNode(id: $0.id, status: $0.status, subtitle: $0.subtitle, href: $0.href) },
            edges: edges.map { DAGEdge(from: $0.from, to: $0.to) })
    }

    /// Each started step's bar: (step, status, start, end or nil while it runs).
    static func timeline(_ rows: [(String, String, Date, Date?)], now: Date) -> String {
        TimelineDrawing.svg(rows: rows.map { TimelineRow(stepID: $0.0, status: $0.1, start: $0.2, end: $0.3) }, now: now)
    }

    static func budget(spent: Double, limit: Double) -> String { ChartDrawing.budgetBar(spent: spent, budget: limit) }
}

/// The overview's two charts.
enum OverviewCharts {
    static func runsPerDay(_ days: [(label: String, completed: Double, failed: Double)]) -> String {
        ChartDrawing.stackedColumns(
            days.map { ChartPoint(label: $0.label, value: $0.completed, secondary: $0.failed) },
            options: .init(primaryName: "completed", secondaryName: "not completed"))
    }

    static func costPerWorkflow(_ costs: [(String, Double)]) -> String {
        ChartDrawing.horizontalBars(
            costs.map { ChartItem(label: $0.0, value: $0.1, href: "\(Dashboard.root)/runs?workflow=\(Dashboard.urlEncoded($0.0))") })
    }
}
