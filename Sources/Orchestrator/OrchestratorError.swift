/// Why the orchestrator refused or failed a request, with a message a client can act on. The
/// HTTP layer maps ``code`` to its status and Sandcastle's error codes.
public struct OrchestratorError: Error, Sendable, CustomStringConvertible {
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The workflow text does not parse or validate; ``OrchestratorError/details`` lists why.
        public static let invalidWorkflow = Code(rawValue: "invalid_workflow")
        /// No workflow (or version) by that name.
        public static let workflowNotFound = Code(rawValue: "workflow_not_found")
        /// A name that cannot be a workflow's (path characters, too long).
        public static let invalidName = Code(rawValue: "invalid_name")
        /// The run's inputs do not fit the workflow's.
        public static let invalidInput = Code(rawValue: "invalid_input")
        /// No such run.
        public static let runNotFound = Code(rawValue: "run_not_found")
        /// The run is not in a state that allows it (cancel a finished run, delete a running one).
        public static let invalidStatus = Code(rawValue: "invalid_status")
        /// Runs of the workflow are still queued, running or waiting for an approval.
        public static let activeRuns = Code(rawValue: "active_runs")
        /// The server stopped taking runs (emergency stop) or is shutting down.
        public static let notAccepting = Code(rawValue: "not_accepting")
        /// A `callback_url` the webhook rules refuse (scheme, credentials, a private address).
        public static let invalidCallbackURL = Code(rawValue: "invalid_callback_url")
        /// A step a replay or fork cannot start from.
        public static let invalidStep = Code(rawValue: "invalid_step")
        /// No such approval gate.
        public static let approvalNotFound = Code(rawValue: "approval_not_found")
        /// The gate was decided already (or timed out).
        public static let alreadyResolved = Code(rawValue: "already_resolved")
        /// No such schedule.
        public static let scheduleNotFound = Code(rawValue: "schedule_not_found")
        /// The schedule is disabled (a manual trigger needs it enabled).
        public static let scheduleDisabled = Code(rawValue: "schedule_disabled")
        /// No such dead letter (or not one the caller may see).
        public static let deadLetterNotFound = Code(rawValue: "dead_letter_not_found")
        /// The dead letter's failure was retried as often as the server allows.
        public static let maxRetriesExceeded = Code(rawValue: "max_retries_exceeded")
        /// A dead letter's run cannot be made again (its recorded workflow is gone or invalid).
        public static let retryFailed = Code(rawValue: "retry_failed")
        /// The caller's key may not do this: a tenant key and a workflow name that is not its
        /// own, or a workflow outside the key's `allowed_workflows`.
        public static let forbidden = Code(rawValue: "forbidden")
        /// The workflow's `risk_level` is refused: `unacceptable`, or `high` without an approval
        /// step under `COMPLIANCE_MODE=eu_ai_act` (Sandcastle's 422 `COMPLIANCE_VIOLATION`).
        public static let complianceRefused = Code(rawValue: "compliance_refused")
        /// The store or the engine failed.
        public static let internalFailure = Code(rawValue: "internal_failure")
    }

    public var code: Code
    public var message: String
    /// Itemised problems (a workflow's diagnostics), one line each.
    public var details: [String]

    public init(_ code: Code, _ message: String, details: [String] = []) {
        self.code = code
        self.message = message
        self.details = details
    }

    public var description: String { ([message] + details).joined(separator: "\n") }
}
