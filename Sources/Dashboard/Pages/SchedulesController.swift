import Foundation
import HTTPTypes
import Hummingbird
import JSONValues
import Orchestrator
import Schedules
import ServerCore

/// `/ui/schedules`: the caller's schedules with their expression in words, next and last fire;
/// create one, enable or disable it, trigger it now, edit its expression, zone and inputs, delete
/// it. Everything goes through the server's ``Scheduler`` with the rules `/api/schedules` applies:
/// a tenant key sees and changes only its tenant's schedules (another's is not found), may
/// schedule only the workflows it may run, and a manual trigger is an admin's.
struct SchedulesController: Sendable {
    let dashboard: Dashboard
    static let pageSize = 100
    /// `/api/schedules`' caps on `input_data`: nesting depth and size as JSON.
    static let maxInputDepth = 20
    static let maxInputBytes = 1 << 20

    func register(on group: RouterGroup<ServerRequestContext>) {
        let dashboard = self.dashboard
        group.get("schedules") { request, _ -> Response in
            await dashboard.page(request) { visit in
                let query = request.uri.queryParameters
                let page = max(1, min(10_000, query.get("page").flatMap(Int.init) ?? 1))
                return try await Self.render(dashboard, visit: visit, page: page, triggered: query.get("triggered"))
            }
        }
        group.post("schedules") { request, _ -> Response in
            await dashboard.page(request) { visit in
                let form = try await dashboard.form(request, visit)
                let scheduler = try Self.scheduler(dashboard)
                var posted = SchedulesModel.NewForm(
                    workflowName: form["workflow_name"]?.trimmingCharacters(in: .whitespaces) ?? "",
                    cronExpression: form["cron_expression"] ?? "", timezone: form["timezone"]?.trimmingCharacters(in: .whitespaces) ?? "",
                    inputs: form["input_data"] ?? "", enabled: form["enabled"] != nil)
                do {
                    let name = try form.required("workflow_name", label: "the workflow")
                    guard visit.caller.mayRun(workflow: name) else {
                        throw DashboardError(.forbidden, "this API key may not run workflow \(name)")
                    }
                    let schedule = NewSchedule(
                        workflowName: name, cronExpression: try form.required("cron_expression", label: "the cron expression"),
                        timeZone: posted.timezone.isEmpty ? nil : posted.timezone, inputs: try Self.inputs(form["input_data"]) ?? [:],
                        enabled: posted.enabled, tenant: visit.tenant)
                    try await Self.changing(dashboard, visit) { _ = try await scheduler.create(schedule) }
                } catch let error as DashboardError where error.code != .internalFailure {
                    posted.error = error.message
                    return try await Self.render(dashboard, visit: visit, newForm: posted, status: error.status)
                }
                return dashboard.redirect(to: "\(Dashboard.root)/schedules", visit: visit)
            }
        }
        group.post("schedules/{id}/enabled") { request, context -> Response in
            await dashboard.page(request) { visit in
                let form = try await dashboard.form(request, visit)
                let (scheduler, info) = try await Self.visibleSchedule(dashboard, visit, context)
                let enabled = try form.required("enabled") == "true"
                try await Self.changing(dashboard, visit) { _ = try await scheduler.update(id: info.record.id, ScheduleChanges(enabled: enabled)) }
                return dashboard.redirect(to: "\(Dashboard.root)/schedules#schedule-\(info.record.id)", visit: visit)
            }
        }
        group.post("schedules/{id}/trigger") { request, context -> Response in
            await dashboard.page(request) { visit in
                _ = try await dashboard.form(request, visit)
                guard visit.caller.isAdmin else { throw DashboardError(.forbidden, "triggering a schedule needs an admin key") }
                let (scheduler, info) = try await Self.visibleSchedule(dashboard, visit, context)
                let submitted = try await dashboard.acting(visit) { try await scheduler.trigger(id: info.record.id) }
                return dashboard.redirect(to: "\(Dashboard.root)/schedules?triggered=\(Dashboard.urlEncoded(submitted.runID))", visit: visit)
            }
        }
        group.post("schedules/{id}/edit") { request, context -> Response in
            await dashboard.page(request) { visit in
                let form = try await dashboard.form(request, visit)
                let (scheduler, info) = try await Self.visibleSchedule(dashboard, visit, context)
                let timezone = form["timezone"]?.trimmingCharacters(in: .whitespaces)
                do {
                    let changes = ScheduleChanges(
                        cronExpression: try form.required("cron_expression", label: "the cron expression"), timeZone: timezone,
                        inputs: try Self.inputs(form["input_data"]) ?? [:])
                    try await Self.changing(dashboard, visit) { _ = try await scheduler.update(id: info.record.id, changes) }
                } catch let error as DashboardError where error.code != .internalFailure && error.code != .notFound {
                    let refused = SchedulesModel.RefusedEdit(
                        id: info.record.id, cron: form.values["cron_expression"] ?? "", timezone: form.values["timezone"] ?? "",
                        inputs: form.values["input_data"] ?? "", error: error.message)
                    return try await Self.render(dashboard, visit: visit, refused: refused, status: error.status)
                }
                return dashboard.redirect(to: "\(Dashboard.root)/schedules#schedule-\(info.record.id)", visit: visit)
            }
        }
        group.post("schedules/{id}/delete") { request, context -> Response in
            await dashboard.page(request) { visit in
                _ = try await dashboard.form(request, visit)
                let (scheduler, info) = try await Self.visibleSchedule(dashboard, visit, context)
                try await Self.changing(dashboard, visit) { try await scheduler.delete(id: info.record.id) }
                return dashboard.redirect(to: "\(Dashboard.root)/schedules", visit: visit)
            }
        }
    }

    static func scheduler(_ dashboard: Dashboard) throws -> Scheduler {
        guard let scheduler = dashboard.scheduler else { throw DashboardError(.notFound, "this server keeps no schedules") }
        return scheduler
    }

    /// The schedule of the path, which must be the caller's tenant's (an admin sees all): another
    /// tenant's is not found, as one that does not exist (as `/api/schedules/{id}`).
    static func visibleSchedule(_ dashboard: Dashboard, _ visit: Visit, _ context: ServerRequestContext) async throws -> (Scheduler, ScheduleInfo) {
        let scheduler = try scheduler(dashboard)
        let text = context.parameters.get("id") ?? ""
        guard text.count <= 64, let id = UUID(uuidString: text)?.uuidString.lowercased() else {
            throw DashboardError(.notFound, "no schedule \(text.prefix(64))")
        }
        let info: ScheduleInfo
        do {
            info = try await scheduler.schedule(id: id)
        } catch {
            throw Dashboard.dashboardError(error)
        }
        guard visit.caller.isAdmin || info.record.tenant == visit.tenant else { throw DashboardError(.notFound, "schedule \(id) not found") }
        return (scheduler, info)
    }

    /// A change through the scheduler as the signed-in key; an invalid expression or zone is the
    /// form's error, worded as the API words it.
    static func changing(_ dashboard: Dashboard, _ visit: Visit, _ change: () async throws -> Void) async throws {
        try await dashboard.acting(visit) {
            do {
                try await change()
            } catch let error as CronError {
                throw DashboardError(
                    .invalidInput, error.code == .unknownTimeZone ? error.message : "Invalid cron expression: \(error.message)")
            }
        }
    }

    /// The inputs field: a JSON object (empty: none), within the API's caps.
    static func inputs(_ text: String?) throws -> [String: JSONValue]? {
        guard let text, !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return nil }
        guard case .object(let members)? = JSONValue.parse(json: text) else {
            throw DashboardError(.invalidInput, "the inputs must be a JSON object ({\"name\": value, …})")
        }
        guard depth(.object(members)) <= maxInputDepth, text.utf8.count <= maxInputBytes else {
            throw DashboardError(.invalidInput, "the inputs are nested deeper than \(maxInputDepth) levels or larger than 1 MiB")
        }
        return members
    }

    static func depth(_ value: JSONValue) -> Int {
        switch value {
        case .object(let members): 1 + (members.values.map(depth).max() ?? 0)
        case .array(let items): 1 + (items.map(depth).max() ?? 0)
        default: 0
        }
    }

    /// The page, with a refused form shown again when there is one.
    static func render(
        _ dashboard: Dashboard, visit: Visit, page: Int = 1, triggered: String? = nil, newForm: SchedulesModel.NewForm = .init(),
        refused: SchedulesModel.RefusedEdit? = nil, status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        var rows: [SchedulesModel.Row] = []
        var total = 0
        if let scheduler = dashboard.scheduler {
            do {
                let listed = try await scheduler.list(limit: pageSize, offset: (page - 1) * pageSize, tenant: visit.tenant)
                rows = listed.items.map { SchedulesModel.row($0, isAdmin: visit.caller.isAdmin, refused: refused) }
                total = listed.total
            } catch {
                throw Dashboard.dashboardError(error)
            }
        }
        let names = ((try? dashboard.orchestrator.catalog.list(tenant: visit.tenant)) ?? []).map(\.newest.name)
            .filter { visit.caller.mayRun(workflow: $0) }
        func link(_ page: Int) -> String { "\(Dashboard.root)/schedules?page=\(page)" }
        let model = SchedulesModel(
            chrome: dashboard.chrome(visit, title: "Schedules", current: "schedules"), available: dashboard.scheduler != nil, rows: rows,
            empty: rows.isEmpty, newForm: newForm, workflowNames: names,
            triggeredRunID: triggered.flatMap { dashboard.orchestrator.isVisible(runID: $0, to: visit.tenant) ? $0 : nil }, page: page,
            previous: page > 1 ? link(page - 1) : nil, next: page * pageSize < total ? link(page + 1) : nil)
        return dashboard.html(dashboard.resources.render("schedules", model), visit: visit, status: status)
    }
}
