import Foundation
import JSONValues
import Orchestrator

/// What `/ui/schedules` shows (`templates/schedules.mustache`): one row per schedule with its
/// expression in words, and the forms that create and change them. A refused form comes back
/// with the values as typed and the reason next to it.
struct SchedulesModel {
    struct Row: Sendable {
        var id: String
        var rowID: String
        var workflow: String
        var workflowHref: String
        var cron: String
        /// The expression in words (the scheduler's describer); the expression itself when it has none.
        var cronText: String
        var timezone: String
        var enabled: Bool
        var enabledLabel: String
        var status: String
        var next: String
        var lastRunID: String?
        var lastRunAt: String?
        var lastRunStatus: String?
        var successRate: String?
        /// The inputs as indented JSON, for the edit form.
        var inputs: String
        var toggleAction: String
        var toggleTo: String
        var toggleLabel: String
        var triggerAction: String
        /// Manual triggers are an admin's, as `POST /api/schedules/{id}/trigger`; and need it enabled.
        var canTrigger: Bool
        var editAction: String
        var deleteAction: String
        var deleteConfirm: String
        /// The edit form is open (it was posted and refused), with its values and error.
        var editing: Bool
        var editError: String?
    }

    /// The new-schedule form's values (empty, or as posted) and error.
    struct NewForm: Sendable {
        var workflowName = ""
        var cronExpression = ""
        var timezone = ""
        var inputs = ""
        var enabled = true
        var error: String?
    }

    var chrome: Chrome
    /// The server keeps schedules (it was started with a scheduler).
    var available: Bool
    var rows: [Row]
    var empty: Bool
    var newForm: NewForm
    /// Workflow names for the new form's suggestions.
    var workflowNames: [String]
    /// A run just triggered from this page, to link to.
    var triggeredRunID: String?
    var page: Int
    var previous: String?
    var next: String?

    /// An edit posted and refused: which schedule, the values as typed, and why.
    struct RefusedEdit {
        var id: String
        var cron: String
        var timezone: String
        var inputs: String
        var error: String
    }

    static func row(_ info: ScheduleInfo, isAdmin: Bool, refused: RefusedEdit? = nil) -> Row {
        let record = info.record
        let base = "\(Dashboard.root)/schedules/\(record.id)"
        let editing = refused?.id == record.id
        return Row(
            id: record.id, rowID: "schedule-\(record.id)", workflow: record.workflowName,
            workflowHref: "\(Dashboard.root)/workflows/\(Dashboard.urlEncoded(record.workflowName))",
            cron: editing ? refused?.cron ?? record.cronExpression : record.cronExpression,
            cronText: info.description.isEmpty ? record.cronExpression : info.description,
            timezone: editing ? refused?.timezone ?? record.timeZone : record.timeZone, enabled: record.enabled,
            enabledLabel: record.enabled ? "enabled" : "disabled", status: info.status.rawValue,
            next: info.nextRunAt.map(Formatting.dateTime) ?? "—", lastRunID: record.lastRunID,
            lastRunAt: record.lastRunAt.map(Formatting.dateTime), lastRunStatus: record.lastRunStatus?.rawValue,
            successRate: info.successRate.map { String(format: "%.0f %%", $0 * 100) },
            inputs: editing ? refused?.inputs ?? "" : (info.inputs.isEmpty ? "" : RunPageModel.pretty(JSONValue.object(info.inputs).jsonText)),
            toggleAction: "\(base)/enabled", toggleTo: record.enabled ? "false" : "true", toggleLabel: record.enabled ? "Disable" : "Enable",
            triggerAction: "\(base)/trigger", canTrigger: isAdmin && record.enabled, editAction: "\(base)/edit", deleteAction: "\(base)/delete",
            deleteConfirm: "Delete the schedule of \(record.workflowName) (\(record.cronExpression))? The runs it made stay.", editing: editing,
            editError: editing ? refused?.error : nil)
    }
}
