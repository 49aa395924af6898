import Engine
import EngineService
import Foundation
import Hummingbird
import ServerCore
import Store
import Workflow

/// `/ui/runs/<id>`: one run explained (``RunPageModel``), and the actions where a problem shows:
/// cancel, replay from a step, fork it with changes, decide its pending approvals. Every action
/// is a form posted with the session's CSRF token, done through the ``Orchestrator`` as the API
/// would do it, and recorded in the audit chain as the signed-in key's doing.
struct RunController: Sendable {
    let dashboard: Dashboard

    func register(on group: RouterGroup<ServerRequestContext>) {
        let dashboard = self.dashboard
        group.get("runs/{id}") { request, context -> Response in
            await dashboard.page(request) { visit in
                let runID = try Self.visibleRun(context, visit, dashboard)
                let model = try Self.model(dashboard, visit: visit, runID: runID, step: request.uri.queryParameters.get("step"))
                return dashboard.html(dashboard.resources.render("run", model), visit: visit)
            }
        }
        group.get("runs/{id}/artifacts") { request, context -> Response in
            await dashboard.page(request) { visit in
                let runID = try Self.visibleRun(context, visit, dashboard)
                let report: RunService.RunReport
                do {
                    report = try dashboard.orchestrator.run(id: runID)
                } catch {
                    throw Dashboard.dashboardError(error)
                }
                let asked = request.uri.queryParameters.get("path") ?? ""
                // Only a file the run's report lists: no path from the address reaches the disk unchecked.
                guard report.artifacts.contains(where: { $0.path == asked }),
                    let data = FileManager.default.contents(atPath: (report.artifactsDirectory as NSString).appendingPathComponent(asked))
                else { throw DashboardError(.notFound, "run \(runID) kept no file \(asked)") }
                var headers = HTTPFields()
                headers[.contentType] = "application/octet-stream"
                headers[.contentDisposition] = "attachment; filename=\"\(Self.attachmentName(asked))\""
                headers[.cacheControl] = "no-store"
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
            }
        }
        group.post("runs/{id}/cancel") { request, context -> Response in
            await dashboard.page(request) { visit in
                let runID = try Self.visibleRun(context, visit, dashboard)
                _ = try await dashboard.form(request, visit)
                try await dashboard.acting(visit) { try await dashboard.orchestrator.cancel(runID: runID, reason: "cancelled from the dashboard") }
                return dashboard.redirect(to: "\(Dashboard.root)/runs/\(Dashboard.urlEncoded(runID))", visit: visit)
            }
        }
        group.post("runs/{id}/replay") { request, context -> Response in
            await dashboard.page(request) { visit in
                let runID = try Self.visibleRun(context, visit, dashboard)
                let form = try await dashboard.form(request, visit)
                let step = try form.required("step")
                let changes = try Self.forkChanges(form)
                let newRunID = try await dashboard.acting(visit) {
                    try await dashboard.orchestrator.replay(runID: runID, fromStep: step, changes: changes.isEmpty ? nil : changes)
                }
                return dashboard.redirect(to: "\(Dashboard.root)/runs/\(Dashboard.urlEncoded(newRunID))", visit: visit)
            }
        }
    }

    /// The run the path names, if the caller may see it (else "not found", as the API answers).
    static func visibleRun(_ context: ServerRequestContext, _ visit: Visit, _ dashboard: Dashboard) throws -> String {
        let runID = context.parameters.get("id") ?? ""
        guard !runID.isEmpty, dashboard.orchestrator.isVisible(runID: runID, to: visit.tenant) else {
            throw DashboardError(.notFound, "no run \(runID)")
        }
        return runID
    }

    static func model(_ dashboard: Dashboard, visit: Visit, runID: String, step: String?) throws -> RunPageModel {
        let report: RunService.RunReport
        do {
            report = try dashboard.orchestrator.run(id: runID)
        } catch {
            throw Dashboard.dashboardError(error)
        }
        let run = report.detail.run
        let workflow = run.workflowPath.flatMap { dashboard.workflows.workflow(at: $0) }
        // The events feed only the selected step's logs and transcript.
        let events = step == nil ? [] : ((try? dashboard.orchestrator.runs.events(runID: runID, limit: 20_000)) ?? []).map { RunEvent($0) }
        let violations = (try? dashboard.orchestrator.violations(ViolationQuery(runID: runID, tenant: visit.tenant, limit: 500)).items) ?? []
        return RunPageModel(
            report: report, events: events, workflow: workflow, violations: violations, selectedStep: step, live: dashboard.orchestrator.liveOutput,
            chrome: dashboard.chrome(
                visit, title: "Run \(runID)", current: "runs", stream: "\(Dashboard.root)/stream?run=\(Dashboard.urlEncoded(runID))"))
    }

    /// A file's last path component fit for a `Content-Disposition` header.
    static func attachmentName(_ path: String) -> String {
        let name = (path as NSString).lastPathComponent
        let safe = name.unicodeScalars.map { CharacterSet.alphanumerics.contains($0) && $0.isASCII || "-_.".unicodeScalars.contains($0) ? Character($0) : "_" }
        return safe.isEmpty ? "artifact" : String(safe)
    }

    /// A fork's changes from the replay form: command or prompt, model, turns, image, `KEY=value` lines, timeout.
    static func forkChanges(_ form: FormInput) throws -> ForkChanges {
        var changes = ForkChanges(command: form["command"], image: form["image"], prompt: form["prompt"], model: form["model"])
        if let turns = form["max_turns"] {
            guard let value = Int(turns) else { throw DashboardError(.invalidInput, "max turns must be a whole number, not \(turns)") }
            changes.maxTurns = value
        }
        for line in (form["env"] ?? "").split(whereSeparator: \.isNewline) where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            let parts = line.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, !parts[0].trimmingCharacters(in: .whitespaces).isEmpty else {
                throw DashboardError(.invalidInput, "environment lines are KEY=value, not \(line)")
            }
            changes.environment[parts[0].trimmingCharacters(in: .whitespaces)] = String(parts[1])
        }
        if let timeout = form["timeout"] {
            guard let duration = DurationParser.parse(timeout), duration > .zero, duration <= .seconds(86_400) else {
                throw DashboardError(.invalidInput, "the timeout must be a duration up to a day (30s, 5m, 2h), not \(timeout)")
            }
            changes.timeout = duration
        }
        return changes
    }
}

extension Dashboard {
    /// Runs a service action as the signed-in key (the audit chain's actor), mapping its errors.
    @discardableResult
    func acting<T: Sendable>(_ visit: Visit, _ action: () async throws -> T) async throws -> T {
        let actor = AuditActor(id: visit.caller.keyID ?? "open", keyPrefix: visit.caller.keyPrefix)
        do {
            return try await AuditActor.$current.withValue(actor) { try await action() }
        } catch {
            throw Dashboard.dashboardError(error)
        }
    }
}
