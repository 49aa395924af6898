import Foundation
import Hummingbird
import ServerCore
import Store

/// `/ui/violations`: what the guardrail policies caught. The last 30 days counted by severity,
/// by action and by policy (tables with a bar each), then the violations themselves, newest first,
/// filtered by `severity`, `policy` and `run` in the address, each linked to its run and step.
/// Read through the ``Orchestrator`` with the caller's tenant, as `/api/violations` does: a
/// tenant sees its own runs' violations, and filtering by another tenant's run is "not found".
struct ViolationsController: Sendable {
    let dashboard: Dashboard
    static let pageSize = 50
    static let statsDays = 30
    static let severities = ["critical", "high", "medium", "low"]
    static let actions = ["block", "inject_approval", "redact", "alert", "log"]

    struct Count {
        var key: String
        var count: Int
        /// The largest count of its table: the bar's scale.
        var max: Int
        /// Where a click on the row leads (the list filtered by it), nil for actions (no filter).
        var link: String?
    }

    struct Violation {
        var id: String
        var runID: String
        var step: String
        var fanoutIndex: Int?
        var policy: String
        var severity: String
        var action: String
        var trigger: String
        var matched: String?
        var matchCount: Int
        var outputModified: Bool
        var created: String
        var createdISO: String
    }

    struct Option {
        var value: String
        var label: String
        var selected: Bool
    }

    struct Model {
        var chrome: Chrome
        var total: Int
        var bySeverity: [Count]
        var byAction: [Count]
        var byPolicy: [Count]
        var noStats: Bool
        var severities: [Option]
        var policy: String
        var run: String
        var filtered: Bool
        var items: [Violation]
        var matching: Int
        var empty: Bool
        var page: Int
        var previous: String?
        var next: String?
    }

    func register(on group: RouterGroup<ServerRequestContext>) {
        let dashboard = self.dashboard
        group.get("violations") { request, _ -> Response in
            await dashboard.page(request) { visit in
                let model = try Self.model(dashboard, visit: visit, request: request)
                return dashboard.html(dashboard.resources.render("violations", model), visit: visit)
            }
        }
    }

    static func model(_ dashboard: Dashboard, visit: Visit, request: Request, now: Date = Date()) throws -> Model {
        let severity = try Dashboard.queryValue(request, "severity")
        if let severity, !severities.contains(severity) {
            throw DashboardError(.invalidInput, "severity must be critical, high, medium or low")
        }
        let policy = try Dashboard.queryValue(request, "policy")
        let run = try Dashboard.queryValue(request, "run", limit: 128)
        let paging = PageLinks(asked: request.uri.queryParameters.get("page"), size: pageSize)
        let stats = try dashboard.orchestrator.violationStats(
            ViolationQuery(since: now.addingTimeInterval(-Double(statsDays) * 86_400), tenant: visit.tenant))
        let query = ViolationQuery(
            runID: run, policyID: policy, severity: severity, tenant: visit.tenant, limit: pageSize, offset: paging.offset)
        let page = try dashboard.orchestrator.violations(query)
        let path = "\(Dashboard.root)/violations"
        let filters = [("severity", severity ?? ""), ("policy", policy ?? ""), ("run", run ?? "")]
        func counts(_ values: [String: Int], order: [String], filter: String?) -> [Count] {
            let known = order.filter { values[$0] != nil }
            let others = values.keys.filter { !order.contains($0) }.sorted {
                values[$0, default: 0] == values[$1, default: 0] ? $0 < $1 : values[$0, default: 0] > values[$1, default: 0]
            }
            let largest = values.values.max() ?? 0
            return (known + others).prefix(20).map { key in
                Count(key: key, count: values[key, default: 0], max: largest, link: filter.map { PageLinks.link(path, [($0, key)]) })
            }
        }
        return Model(
            chrome: dashboard.chrome(visit, title: "Violations", current: "violations"), total: stats.total,
            bySeverity: counts(stats.bySeverity, order: severities, filter: "severity"), byAction: counts(stats.byAction, order: actions, filter: nil),
            byPolicy: counts(stats.byPolicy, order: [], filter: "policy"), noStats: stats.total == 0,
            severities: [Option(value: "", label: "any severity", selected: severity == nil)]
                + severities.map { Option(value: $0, label: $0, selected: $0 == severity) },
            policy: policy ?? "", run: run ?? "", filtered: severity != nil || policy != nil || run != nil,
            items: page.items.map(Self.violation), matching: page.total, empty: page.items.isEmpty, page: paging.page,
            previous: paging.previous(path, filters), next: paging.next(path, filters, total: page.total))
    }

    static func violation(_ record: ViolationRecord) -> Violation {
        Violation(
            id: record.id, runID: record.runID, step: record.stepID, fanoutIndex: record.fanoutIndex, policy: record.policyID,
            severity: record.severity, action: record.action, trigger: record.trigger, matched: record.matched, matchCount: record.matchCount,
            outputModified: record.outputModified, created: Formatting.dateTime(record.createdAt), createdISO: Formatting.iso(record.createdAt))
    }
}
