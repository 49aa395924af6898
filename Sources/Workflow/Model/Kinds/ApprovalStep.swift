/// What happens when nobody answers an approval in time.
public enum ApprovalTimeoutAction: String, Sendable, Hashable, CaseIterable {
    /// The run fails, as if rejected. The default.
    case abort
    /// The approval step is skipped (output null) and the run goes on.
    case skip
    /// The step is approved.
    case approve
}

/// A `type: approval` step: the run pauses until a person approves or rejects.
public struct ApprovalStepConfiguration: StepConfiguration {
    /// What the reviewer is asked.
    public var message: Template
    /// Data shown with the request, e.g. `{steps.build.output}`.
    public var showData: Template?
    /// How long to wait; nil waits forever.
    public var timeout: Duration?
    public var onTimeout: ApprovalTimeoutAction
    /// Whether the reviewer may edit the data, which then becomes the step's output.
    public var allowEdit: Bool

    public init(
        message: Template, showData: Template? = nil, timeout: Duration? = nil,
        onTimeout: ApprovalTimeoutAction = .abort, allowEdit: Bool = false
    ) {
        self.message = message
        self.showData = showData
        self.timeout = timeout
        self.onTimeout = onTimeout
        self.allowEdit = allowEdit
    }

    public var templates: [Template] { [message] + (showData.map { [$0] } ?? []) }

    /// The longest wait an approval may ask for.
    public static let maximumTimeout: Duration = .seconds(30 * 86400)
}

/// The `approval` kind. Its settings go in `approval_config`, as in Sandcastle.
public struct ApprovalStepKind: StepKindHandler {
    public init() {}

    public var kind: StepKind { .approval }
    public var summary: String { "pauses the run until a person approves or rejects (survives restarts)" }
    public var fields: Set<String> { ["approval_config"] }
    public var sharedFields: Set<String> { StepFields.control }
    public var impliedByField: String? { "approval_config" }

    public func parseConfiguration(_ step: MappingReader) -> (any StepConfiguration)? {
        let id = step.value("id")?.scalar?.text ?? "?"
        let defaultMessage = Template(literal: "Approve `\(id)` to continue.", location: step.node.location)
        guard step.has("approval_config") else { return ApprovalStepConfiguration(message: defaultMessage) }
        guard let config = step.mapping("approval_config", expectation: "write approval_config: {message: \"…\", timeout: 1h}")
        else { return nil }
        let message = config.template("message") ?? defaultMessage
        let showData = config.template("show_data")
        var timeout = config.duration("timeout", in: .seconds(1)...ApprovalStepConfiguration.maximumTimeout)?.value
        if let hoursNode = config.value("timeout_hours") {
            // Sandcastle's spelling; same meaning, in hours.
            if config.has("timeout") {
                step.session.error(.invalidValue, at: hoursNode.location, "give either `timeout` or `timeout_hours`, not both")
            } else if let hours = hoursNode.scalar?.value.doubleValue, hours > 0, hours <= 720 {
                timeout = .milliseconds(Int64((hours * 3_600_000).rounded()))
            } else {
                step.session.error(
                    .invalidDuration, at: hoursNode.location,
                    "`timeout_hours` must be a number of hours between 0 and 720",
                    hint: "or write timeout: 2h")
            }
        }
        let onTimeout = config.choice("on_timeout", ApprovalTimeoutAction.self)?.value ?? .abort
        if config.has("on_timeout") && timeout == nil && !config.has("timeout_hours") {
            step.session.warning(
                .invalidValue, at: config.keyLocation("on_timeout"),
                "`on_timeout` has no effect without `timeout`", hint: "add timeout: 24h")
        }
        let allowEdit = config.bool("allow_edit")?.value ?? false
        config.reportUnknownFields(allowed: ["message", "show_data", "timeout", "timeout_hours", "on_timeout", "allow_edit"])
        return ApprovalStepConfiguration(
            message: message, showData: showData, timeout: timeout, onTimeout: onTimeout,
            allowEdit: allowEdit)
    }
}
