import Foundation
import HTTPTypes
import Hummingbird
import Orchestrator
import ServerCore
import Store
import Workflow

/// `/ui/workflows`: the catalog as cards (steps, newest version, how many versions, a DAG
/// preview); `/ui/workflows/<name>[?version=n]`: one version's text, the versions, and a **Run**
/// form made from its inputs. Posting the form submits a run through the ``Orchestrator`` with
/// the rules `POST /api/workflows/run` applies to the signed-in key (its tenant, its
/// `allowed_workflows`, its budget when the form names none), then goes to the new run's page.
struct WorkflowsController: Sendable {
    let dashboard: Dashboard

    func register(on group: RouterGroup<ServerRequestContext>) {
        let dashboard = self.dashboard
        group.get("workflows") { request, _ -> Response in
            await dashboard.page(request) { visit in
                let entries = try dashboard.orchestrator.catalog.list(tenant: visit.tenant)
                let model = WorkflowPagesModel.ListModel(
                    chrome: dashboard.chrome(visit, title: "Workflows", current: "workflows"), cards: entries.map(WorkflowPagesModel.card),
                    empty: entries.isEmpty)
                return dashboard.html(dashboard.resources.render("workflows", model), visit: visit)
            }
        }
        group.get("workflows/{name}") { request, context -> Response in
            await dashboard.page(request) { visit in
                let name = context.parameters.get("name") ?? ""
                let version = try Self.version(request.uri.queryParameters.get("version"))
                let shown = try Self.shown(dashboard, visit: visit, name: name, version: version)
                return dashboard.html(dashboard.resources.render("workflow", Self.detail(dashboard, visit: visit, shown)), visit: visit)
            }
        }
        group.post("workflows/{name}/run") { request, context -> Response in
            await dashboard.page(request) { visit in
                let form = try await dashboard.form(request, visit)
                let name = context.parameters.get("name") ?? ""
                let shown = try Self.shown(dashboard, visit: visit, name: name, version: try Self.version(form["version"]))
                return try await Self.run(dashboard, visit: visit, shown, form: form)
            }
        }
    }

    /// One version of a workflow the caller may see, with the catalog's entry for its name.
    struct Shown {
        var entry: WorkflowCatalog.Entry
        var record: WorkflowVersionRecord
        var workflow: WorkflowDefinition
        var versions: [WorkflowVersionRecord]
    }

    /// The workflow `name` at `version` (nil: the newest). One the caller's tenant may not see
    /// is not found, as the API answers.
    static func shown(_ dashboard: Dashboard, visit: Visit, name: String, version: Int?) throws -> Shown {
        let entry: WorkflowCatalog.Entry
        let versions: [WorkflowVersionRecord]
        do {
            try WorkflowCatalog.validate(name: name)
            do {
                entry = try dashboard.orchestrator.catalog.entry(name: name, tenant: visit.tenant)
            } catch let error as OrchestratorError where error.code == .complianceRefused {
                // Saved before the compliance rules refused it: still shown, as the catalog lists
                // it; running it is refused (and says why).
                guard let listed = try dashboard.orchestrator.catalog.list(tenant: visit.tenant).first(where: { $0.newest.name == name }) else {
                    throw error
                }
                entry = listed
            }
            versions = try dashboard.orchestrator.runs.repository.workflowVersions(name: name)
        } catch {
            throw Dashboard.dashboardError(error)
        }
        let found = version.map { wanted in versions.first { $0.version == wanted } } ?? versions.first
        guard let record = found else { throw DashboardError(.notFound, "workflow \(name) has no version \(version ?? 0)") }
        // Parsed without the compliance rules, so a version they now refuse can still be read;
        // running it goes through them.
        let parsed = record.version == entry.newest.version ? entry.workflow : WorkflowParser().parse(record.yaml, file: "workflow").workflow
        guard let workflow = parsed else {
            throw DashboardError(.internalFailure, "version \(record.version) of workflow \(name) no longer parses")
        }
        return Shown(entry: entry, record: record, workflow: workflow, versions: versions)
    }

    /// `?version=`: a version number, or absent for the newest.
    static func version(_ text: String?) throws -> Int? {
        guard let text, !text.isEmpty, text != "latest" else { return nil }
        guard let number = Int(text), number >= 1 else { throw DashboardError(.invalidInput, "a version is a number from 1, not \(text.prefix(40))") }
        return number
    }

    static func detail(
        _ dashboard: Dashboard, visit: Visit, _ shown: Shown, posted: FormInput? = nil, reading: WorkflowRunForm.Reading? = nil,
        error: String? = nil
    ) -> WorkflowPagesModel.DetailModel {
        let name = shown.entry.newest.name
        let yaml = WorkflowPagesModel.readableYAML(shown.record, caller: visit.tenant)
        let fields = WorkflowRunForm.fields(shown.workflow, posted: posted, errors: reading?.fieldErrors ?? [:])
        let mayRun = visit.caller.mayRun(workflow: name)
        return WorkflowPagesModel.DetailModel(
            chrome: dashboard.chrome(visit, title: "Workflow \(name)", current: "workflows"), name: name,
            description: WorkflowPagesModel.describe(shown.entry), version: shown.record.version,
            isLatest: shown.record.version == shown.entry.newest.version, stepCount: shown.workflow.steps.count,
            preview: WorkflowPagesModel.preview(shown.workflow),
            versions: shown.versions.map { WorkflowPagesModel.versionItem($0, selected: shown.record.version) }, yaml: yaml,
            yamlHidden: yaml == nil, fields: fields, hasInputs: !fields.isEmpty, budget: posted?.values[WorkflowRunForm.budgetField] ?? "",
            budgetError: reading?.budgetError, error: error ?? (mayRun ? nil : "This API key may not run workflow \(name)."),
            runAction: "\(Dashboard.root)/workflows/\(Dashboard.urlEncoded(name))/run", mayRun: mayRun)
    }

    /// Submits the posted run form, or shows it again with what is wrong and the values as typed.
    static func run(_ dashboard: Dashboard, visit: Visit, _ shown: Shown, form: FormInput) async throws -> Response {
        let name = shown.entry.newest.name
        func again(_ reading: WorkflowRunForm.Reading?, _ error: String?, _ status: HTTPResponse.Status) -> Response {
            let model = detail(dashboard, visit: visit, shown, posted: form, reading: reading, error: error)
            return dashboard.html(dashboard.resources.render("workflow", model), visit: visit, status: status)
        }
        let reading = WorkflowRunForm.read(form, for: shown.workflow)
        guard reading.isValid else {
            return again(reading, "Some values cannot be read; nothing was run.", .badRequest)
        }
        // The key's rules, as `POST /api/workflows/run` applies them (SandcastleAPIController+Access):
        // its allowed workflows by name, its tenant, its budget when the request names none.
        guard visit.caller.mayRun(workflow: name) else {
            return again(reading, "This API key may not run workflow \(name).", .forbidden)
        }
        let submission = RunSubmission(
            source: .named(name, version: shown.record.version), inputs: reading.inputs,
            maxCostUSD: reading.maxCostUSD ?? visit.caller.maxCostPerRunUSD, tenant: visit.tenant)
        let submitted: SubmittedRun
        do {
            submitted = try await dashboard.acting(visit) {
                do {
                    return try await dashboard.orchestrator.submit(submission)
                } catch let error as OrchestratorError where error.code == .complianceRefused {
                    throw DashboardError(
                        .invalidInput, (["The server's compliance rules refuse this workflow: \(error.message)"] + error.details).joined(separator: "; "))
                }
            }
        } catch let error as DashboardError where error.code != .notFound && error.code != .internalFailure {
            return again(reading, error.message, error.status)
        }
        return dashboard.redirect(to: "\(Dashboard.root)/runs/\(Dashboard.urlEncoded(submitted.runID))", visit: visit)
    }
}
