import Foundation
import Hummingbird
import ServerCore
import Store

/// `/ui/runs`: every run the caller may see, newest first, filtered by status, workflow and (for
/// an admin) tenant, 50 a page; the filters live in the address, so a view can be linked. The
/// page follows `/ui/stream?scope=runs`, which replaces rows as runs change and adds new ones.
struct RunsController: Sendable {
    let dashboard: Dashboard
    static let pageSize = 50
    static let statuses = ["pending", "running", "waiting_approval", "completed", "failed", "cancelled", "budget_exceeded"]

    struct Option {
        var value: String
        var label: String
        var selected: Bool
    }

    struct Model {
        var chrome: Chrome
        var runs: [RunRow]
        var statuses: [Option]
        var workflow: String
        var tenant: String
        var showTenant: Bool
        /// The created-on range (`yyyy-MM-dd`, UTC days, both ends included).
        var from: String
        var to: String
        var page: Int
        var previous: String?
        var next: String?
        var empty: Bool
    }

    func register(on group: RouterGroup<ServerRequestContext>) {
        let dashboard = self.dashboard
        group.get("runs") { request, _ -> Response in
            await dashboard.page(request) { visit in
                let query = request.uri.queryParameters
                let status = query.get("status").flatMap { Self.statuses.contains($0) ? $0 : nil }
                // Read as browsers encode a GET form (`+` is a space).
                let workflow = try Dashboard.queryValue(request, "workflow") ?? ""
                let tenantFilter = visit.tenant == nil ? (try Dashboard.queryValue(request, "tenant") ?? "") : ""
                let paging = PageLinks(asked: query.get("page"), size: Self.pageSize)
                let from = try Dashboard.queryValue(request, "from") ?? ""
                let to = try Dashboard.queryValue(request, "to") ?? ""
                let since = try Self.day(from, name: "from")
                let before = try Self.day(to, name: "to").map { $0.addingTimeInterval(86_400) }
                let runs = try dashboard.orchestrator.runs.runs(
                    RunQuery(
                        statuses: status.map { [RunStatus(rawValue: $0)] }, workflowName: workflow.isEmpty ? nil : workflow,
                        createdSince: since, createdBefore: before,
                        limit: Self.pageSize + 1, offset: paging.offset,
                        tenant: visit.tenant ?? (tenantFilter.isEmpty ? nil : tenantFilter)))
                let shown = Array(runs.prefix(Self.pageSize))
                let usage = dashboard.orchestrator.runs.usage(runIDs: shown.map(\.id))
                let path = "\(Dashboard.root)/runs"
                let filters = [("status", status ?? ""), ("workflow", workflow), ("tenant", tenantFilter), ("from", from), ("to", to)]
                let stream = PageLinks.link("\(Dashboard.root)/stream", [("scope", "runs"), ("status", status ?? ""), ("workflow", workflow)])
                let model = Model(
                    chrome: dashboard.chrome(visit, title: "Runs", current: "runs", stream: stream),
                    runs: shown.map { RunRow($0, usage: usage[$0.id]) },
                    statuses: [Option(value: "", label: "any status", selected: status == nil)]
                        + Self.statuses.map { Option(value: $0, label: $0.replacingOccurrences(of: "_", with: " "), selected: $0 == status) },
                    workflow: workflow, tenant: tenantFilter, showTenant: visit.tenant == nil, from: from, to: to, page: paging.page,
                    previous: paging.previous(path, filters),
                    next: runs.count > Self.pageSize ? PageLinks.link(path, filters, page: paging.page + 1) : nil,
                    empty: shown.isEmpty)
                return dashboard.html(dashboard.resources.render("runs", model), visit: visit)
            }
        }
    }

    /// A `yyyy-MM-dd` day's start (UTC); nil for an empty field; a clear 400 for anything else.
    static func day(_ text: String, name: String) throws -> Date? {
        guard !text.isEmpty else { return nil }
        guard let date = try? Date(text + "T00:00:00Z", strategy: .iso8601) else {
            throw DashboardError(.invalidInput, "\(name) must be a day like 2026-12-07, not \(text)")
        }
        return date
    }
}
