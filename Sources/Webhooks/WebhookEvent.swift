/// What a webhook announces, sent as the body's `event` and as `X-Sandcastle-Event`.
public struct WebhookEvent: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    public static let workflowCompleted = WebhookEvent(rawValue: "workflow.completed")
    public static let workflowFailed = WebhookEvent(rawValue: "workflow.failed")
    public static let workflowCancelled = WebhookEvent(rawValue: "workflow.cancelled")
    public static let workflowBudgetExceeded = WebhookEvent(rawValue: "workflow.budget_exceeded")
    public static let workflowAwaitingApproval = WebhookEvent(rawValue: "workflow.awaiting_approval")
    /// An approval gate is waiting: `status` is `awaiting_approval`, `outputs` is
    /// `{approval_id, step_id, message}`.
    public static let approvalRequested = WebhookEvent(rawValue: "approval.requested")
    /// A `notify` step with `service: webhook`: `outputs` is `{step_id, message}`.
    public static let workflowNotification = WebhookEvent(rawValue: "workflow.notification")
    /// An `alert` policy fired on a step's result: `status` is the run's, `outputs` is the alert
    /// (`{policy_id, severity, step, trigger, matched (masked), message, violation_id}`).
    public static let policyAlert = WebhookEvent(rawValue: "policy.alert")

    /// The event for a run that ended (or paused) with `status`, as Sandcastle maps it:
    /// `completed`, `failed`, `cancelled`, `budget_exceeded`, `awaiting_approval`; any other
    /// status is reported as `workflow.failed`.
    public static func forRunStatus(_ status: String) -> WebhookEvent {
        switch status {
        case "completed": .workflowCompleted
        case "cancelled": .workflowCancelled
        case "budget_exceeded": .workflowBudgetExceeded
        case "awaiting_approval": .workflowAwaitingApproval
        default: .workflowFailed
        }
    }
}
