import Foundation
import Guardrails
import Orchestrator
import Store
import Workflow

/// What `/ui/workflows` and `/ui/workflows/<name>` show (`templates/workflows.mustache`,
/// `templates/workflow.mustache`): every value is text the templates escape, except the DAG
/// preview, which is SVG the server drew.
enum WorkflowPagesModel {
    /// A step of the preview's list (shown when no drawing is, and as the drawing's text form).
    struct StepItem: Sendable {
        var id: String
        var kind: String
        var dependsOn: String?
    }

    struct Card: Sendable {
        var name: String
        var description: String?
        var href: String
        var stepCount: Int
        var stepsLabel: String
        var latestVersion: Int
        var versions: Int
        var versionsLabel: String
        /// The tenant that owns it (an admin's view); nil: shared.
        var tenant: String?
        var preview: Preview
    }

    /// The DAG preview: the SVG when it could be drawn, else the step list.
    struct Preview: Sendable {
        var svg: String?
        var steps: [StepItem]
        var listed: Bool
    }

    struct ListModel {
        var chrome: Chrome
        var cards: [Card]
        var empty: Bool
    }

    struct VersionItem: Sendable {
        var version: Int
        var href: String
        var created: String
        var source: String
        var published: Bool
        var selected: Bool
    }

    struct DetailModel {
        var chrome: Chrome
        var name: String
        var description: String?
        var version: Int
        var isLatest: Bool
        var stepCount: Int
        var preview: Preview
        var versions: [VersionItem]
        /// The text, scrubbed of secrets; nil when the caller may not read it (a tenant and a shared workflow, as the API).
        var yaml: String?
        var yamlHidden: Bool
        var fields: [WorkflowRunForm.Field]
        var hasInputs: Bool
        var budget: String
        var budgetError: String?
        /// Why the last posted run was refused (the orchestrator's message), shown above the form.
        var error: String?
        var runAction: String
        /// The key may run this workflow (its `allowed_workflows`); else the form says why not.
        var mayRun: Bool
    }

    static func card(_ entry: WorkflowCatalog.Entry) -> Card {
        let name = entry.newest.name
        return Card(
            name: name, description: describe(entry), href: "\(Dashboard.root)/workflows/\(Dashboard.urlEncoded(name))",
            stepCount: entry.workflow.steps.count, stepsLabel: entry.workflow.steps.count == 1 ? "step" : "steps",
            latestVersion: entry.newest.version, versions: entry.versions, versionsLabel: entry.versions == 1 ? "version" : "versions",
            tenant: entry.newest.tenant, preview: preview(entry.workflow))
    }

    /// The saved description, else the workflow's own `description:`.
    static func describe(_ entry: WorkflowCatalog.Entry) -> String? {
        let text = entry.newest.description ?? entry.workflow.description
        return text.flatMap { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : $0 }
    }

    static func preview(_ workflow: WorkflowDefinition) -> Preview {
        let steps = workflow.steps.map { step in
            StepItem(
                id: step.id, kind: step.kind.rawValue,
                dependsOn: step.dependsOn.isEmpty ? nil : step.dependsOn.map(\.value).joined(separator: ", "))
        }
        let svg = drawing(workflow)
        return Preview(svg: svg, steps: steps, listed: svg == nil)
    }

    /// The workflow's DAG as SVG, one node per step, linked to nothing (a preview has no run).
    static func drawing(_ workflow: WorkflowDefinition) -> String? {
        // Ids per workflow: several cards share one page. Above the size limit: the step list.
        DAGDrawing.svg(
            nodes: workflow.steps.map { DAGNode(id: $0.id, status: "pending", subtitle: $0.kind.rawValue) },
            edges: workflow.steps.flatMap { step in step.dependsOn.map { DAGEdge(from: $0.value, to: step.id) } },
            options: DAGDrawing.Options(svgID: "dag-\(workflow.name)", nodeIDPrefix: "preview-\(workflow.name)-"))
    }

    /// A version's text as a reader may see it: secrets scrubbed, as the API exports it.
    static func readableYAML(_ record: WorkflowVersionRecord, caller tenant: String?) -> String? {
        guard tenant == nil || record.tenant == tenant else { return nil }
        return ScrubbingSystem.scrub(record.yaml)
    }

    static func versionItem(_ record: WorkflowVersionRecord, selected: Int) -> VersionItem {
        VersionItem(
            version: record.version,
            href: "\(Dashboard.root)/workflows/\(Dashboard.urlEncoded(record.name))?version=\(record.version)",
            created: Formatting.dateTime(record.createdAt), source: record.source.rawValue, published: record.publishedAt != nil,
            selected: record.version == selected)
    }
}
