import Foundation
import JSONValues
import Store

/// `?run=<id>`: the run page's live parts, re-rendered whole from the run's report when
/// anything of the run was recorded (a run's page is small; rendering it is cheaper than
/// working out which part changed).
struct RunLiveSource: LiveSource {
    let dashboard: Dashboard
    let visit: Visit
    let runID: String?
    var step: String?
    var coalesce: Duration { .milliseconds(250) }

    init(dashboard: Dashboard, visit: Visit, runID: String, step: String? = nil) {
        self.dashboard = dashboard
        self.visit = visit
        self.runID = runID
        self.step = step
    }

    func fragments(changedAfter cursor: Int64) -> [JSONValue] {
        guard let runID, let model = try? RunController.model(dashboard, visit: visit, runID: runID, step: step) else { return [] }
        let resources = dashboard.resources
        var fragments = [
            Self.replace("run-header", resources.render("run-header", model)),
            Self.replace("run-graph", resources.render("run-graph", model)),
            Self.replace("steps-body", resources.render("run-steps", model)),
            Self.replace("run-approvals", resources.render("run-approvals", model)),
        ]
        // The selected step's log follows its output (the panel's other parts keep what the reader opened).
        if let selected = model.selected { fragments.append(Self.replace("step-log", resources.render("run-step-log", selected))) }
        return fragments
    }

    func outputVersion() -> Int { runID.map { dashboard.orchestrator.liveOutput.version(runID: $0) } ?? 0 }
}

/// `?scope=runs`: the rows of runs recorded anything after the cursor (and that the list's
/// filters and the caller's tenant let through); a row not on the page yet is inserted at the top.
struct RunsLiveSource: LiveSource {
    let dashboard: Dashboard
    let visit: Visit
    var status: RunStatus?
    var workflow: String?
    var runID: String? { nil }
    var coalesce: Duration { .seconds(1) }

    func fragments(changedAfter cursor: Int64) -> [JSONValue] {
        let repository = dashboard.orchestrator.runs.repository
        let changed = Set((try? repository.runIDs(withEventsAfter: cursor)) ?? [])
        var runs: [RunRecord] = []
        for id in changed.sorted() {
            guard dashboard.orchestrator.isVisible(runID: id, to: visit.tenant), let run = try? repository.run(id: id)?.run else { continue }
            if let status, run.status != status { continue }
            if let workflow, run.workflowName != workflow { continue }
            runs.append(run)
        }
        let usage = dashboard.orchestrator.runs.usage(runIDs: runs.map(\.id))
        // The sidebar's counts (pending approvals, unresolved dead letters) move with the runs.
        let badges = changed.isEmpty ? [] : dashboard.chrome(visit, title: "", current: "").nav.filter { $0.badgeID != nil }
        // Oldest first, so inserting each at the top leaves the newest on top.
        return badges.map { Self.replace($0.badgeID ?? "", dashboard.resources.render("badge", $0)) }
            + runs.sorted { $0.createdAt < $1.createdAt }.map { run in
                .object([
                    "target": .string("run-\(run.id)"), "insert": "runs-body",
                    "html": .string(dashboard.resources.render("run-row", RunRow(run, usage: usage[run.id]))),
                ])
            }
    }
}
