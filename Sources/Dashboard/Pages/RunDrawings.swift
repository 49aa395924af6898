import Foundation

// TEMPORARY (not committed): replaced by adapters over the Drawing files when they land.
enum RunDrawings {
    struct Node {
        var id: String
        var status: String
        var subtitle: String?
        var href: String
    }
    static func dag(nodes: [Node], edges: [(from: String, to: String)]) -> String? { "" }
    static func timeline(_ rows: [(String, String, Date, Date?)], now: Date) -> String { "" }
    static func budget(spent: Double, limit: Double) -> String { "" }
}
enum OverviewCharts {
    static func runsPerDay(_ days: [(label: String, completed: Double, failed: Double)]) -> String { "" }
    static func costPerWorkflow(_ costs: [(String, Double)]) -> String { "" }
}
