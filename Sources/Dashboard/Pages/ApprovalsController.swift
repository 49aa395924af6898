import Engine
import Foundation
import Hummingbird
import JSONValues
import ServerCore
import Store

/// `/ui/approvals`: the gates the caller may decide, pending first (oldest first: who waits
/// longest), then the last decided ones; approve, reject or skip with a comment, and edit the
/// data when the gate allows it. The run page posts to the same action.
struct ApprovalsController: Sendable {
    let dashboard: Dashboard

    struct Item {
        var runID: String
        var step: String
        var message: String
        var data: String?
        var allowEdit: Bool
        var requested: String
        var timeout: String?
        var status: String
        var pending: Bool
        var decidedBy: String?
        var comment: String?
    }

    struct Model {
        var chrome: Chrome
        var pending: [Item]
        var decided: [Item]
        var nonePending: Bool
    }

    func register(on group: RouterGroup<ServerRequestContext>) {
        let dashboard = self.dashboard
        group.get("approvals") { request, _ -> Response in
            await dashboard.page(request) { visit in
                let all = try dashboard.orchestrator.runs.repository.approvals(runID: nil, statuses: nil)
                    .filter { visit.tenant == nil || dashboard.orchestrator.isVisible(runID: $0.runID, to: visit.tenant) }
                let pending = all.filter { $0.status == .pending }.sorted { $0.requestedAt < $1.requestedAt }
                let decided = all.filter { $0.status != .pending }.sorted { ($0.decidedAt ?? $0.requestedAt) > ($1.decidedAt ?? $1.requestedAt) }
                let model = Model(
                    chrome: dashboard.chrome(visit, title: "Approvals", current: "approvals", stream: "\(Dashboard.root)/stream?scope=runs"),
                    pending: pending.map(Self.item), decided: decided.prefix(50).map(Self.item), nonePending: pending.isEmpty)
                return dashboard.html(dashboard.resources.render("approvals", model), visit: visit)
            }
        }
        group.post("runs/{id}/approvals/{step}") { request, context -> Response in
            await dashboard.page(request) { visit in
                let runID = try RunController.visibleRun(context, visit, dashboard)
                let step = context.parameters.get("step") ?? ""
                let form = try await dashboard.form(request, visit)
                let decision: ApprovalDecision
                switch form["decision"] {
                case "approve":
                    var edited: JSONValue?
                    if let text = form["data"] {
                        guard let value = JSONValue.parse(json: text) else { throw DashboardError(.invalidInput, "the edited data is not valid JSON") }
                        edited = value
                    }
                    decision = .approve(data: edited)
                case "reject": decision = .reject
                case "skip": decision = .skip
                default: throw DashboardError(.invalidInput, "the decision must be approve, reject or skip")
                }
                let by = visit.caller.keyID ?? "dashboard"
                try await dashboard.acting(visit) {
                    try await dashboard.orchestrator.decide(decision, runID: runID, stepID: step, by: by, comment: form["comment"])
                }
                return dashboard.redirect(to: SignInController.next(form["back"]), visit: visit)
            }
        }
    }

    static func item(_ approval: ApprovalRecord) -> Item {
        Item(
            runID: approval.runID, step: approval.stepID, message: approval.message ?? "", data: approval.requestJSON.map(RunPageModel.pretty),
            allowEdit: approval.allowEdit, requested: Formatting.dateTime(approval.requestedAt),
            timeout: approval.timeoutAt.map(Formatting.dateTime), status: approval.status.rawValue, pending: approval.status == .pending,
            decidedBy: approval.decidedBy, comment: approval.comment)
    }
}
