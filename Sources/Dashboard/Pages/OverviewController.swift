import Foundation
import Hummingbird
import ServerCore
import Store

/// `/ui`: today's runs, the success rate and average duration over 30 days, today's cost, runs
/// per day and cost per workflow as drawings, and the latest runs. Computed from the runs of
/// the last 30 days the caller may see.
struct OverviewController: Sendable {
    let dashboard: Dashboard
    /// The most runs the overview reads (30 days of a busy server still fits).
    static let maxRuns = 20_000

    struct Model {
        var chrome: Chrome
        var runsToday: Int
        var successRate: String
        var costToday: String
        var averageDuration: String
        var runsPerDay: String
        var costPerWorkflow: String
        var recent: [RunRow]
        var noRuns: Bool
    }

    func register(on group: RouterGroup<ServerRequestContext>) {
        let dashboard = self.dashboard
        group.get("") { request, _ -> Response in
            await dashboard.page(request) { visit in
                let model = try Self.model(dashboard, visit: visit)
                return dashboard.html(dashboard.resources.render("overview", model), visit: visit)
            }
        }
    }

    static func model(_ dashboard: Dashboard, visit: Visit, now: Date = Date()) throws -> Model {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
        let today = calendar.startOfDay(for: now)
        let since = calendar.date(byAdding: .day, value: -29, to: today) ?? today
        let runs = try dashboard.orchestrator.runs.runs(RunQuery(createdSince: since, limit: maxRuns, tenant: visit.tenant))
        let usage = dashboard.orchestrator.runs.usage(runIDs: runs.map(\.id))
        let finished = runs.filter { [.completed, .failed, .cancelled, .budgetExceeded].contains($0.status) }
        let succeeded = finished.filter { $0.status == .completed }.count
        let durations = finished.compactMap { run in run.startedAt.flatMap { start in run.finishedAt.map { $0.timeIntervalSince(start) } } }
        let todays = runs.filter { $0.createdAt >= today }
        var perDay: [(label: String, completed: Double, failed: Double)] = []
        for offset in 0..<30 {
            guard let day = calendar.date(byAdding: .day, value: offset, to: since), let end = calendar.date(byAdding: .day, value: 1, to: day)
            else { continue }
            let ofDay = runs.filter { $0.createdAt >= day && $0.createdAt < end }
            let label = String(Formatting.iso(day).prefix(10).dropFirst(5))
            perDay.append((label, Double(ofDay.filter { $0.status == .completed }.count), Double(ofDay.filter { $0.status != .completed }.count)))
        }
        var costs: [String: Double] = [:]
        for run in runs { costs[run.workflowName, default: 0] += usage[run.id]?.pricedCostUSD ?? 0 }
        let topCosts = costs.sorted { $0.value == $1.value ? $0.key < $1.key : $0.value > $1.value }.prefix(10).map { ($0.key, $0.value) }
        return Model(
            chrome: dashboard.chrome(visit, title: "Overview", current: "overview", stream: "\(Dashboard.root)/stream?scope=runs"),
            runsToday: todays.count,
            successRate: finished.isEmpty ? "—" : String(format: "%.0f %%", Double(succeeded) * 100 / Double(finished.count)),
            costToday: Formatting.cost(todays.reduce(0) { $0 + (usage[$1.id]?.pricedCostUSD ?? 0) }),
            averageDuration: durations.isEmpty ? "—" : Formatting.seconds(durations.reduce(0, +) / Double(durations.count)),
            runsPerDay: OverviewCharts.runsPerDay(perDay),
            costPerWorkflow: OverviewCharts.costPerWorkflow(Array(topCosts)),
            recent: runs.prefix(10).map { RunRow($0, usage: usage[$0.id], now: now) },
            noRuns: runs.isEmpty)
    }
}
