/// Why the engine service could not do what it was asked, with a message a person can act on
/// (the CLI prints it as is; the server maps the code to an HTTP status).
public struct EngineServiceError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure; extensible without breaking `switch`es that use `default`.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String, Sendable, Hashable {
            case invalidSetting = "invalid_setting"
            case noDatabase = "no_database"
            case notFound = "not_found"
            case notResumable = "not_resumable"
            case ownedElsewhere = "owned_elsewhere"
            case alreadyFinished = "already_finished"
            case invalidWorkflow = "invalid_workflow"
            case backendUnavailable = "backend_unavailable"
            case persistence
            case invalidInputs = "invalid_inputs"
            case conflict
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// A setting (environment variable, flag or config key) has a value that cannot be used;
        /// the message names the setting and the value.
        public static let invalidSetting = Code(.invalidSetting)
        /// The data folder has no state database (a mistyped `--data-dir` is not "no runs").
        public static let noDatabase = Code(.noDatabase)
        /// No such run.
        public static let notFound = Code(.notFound)
        /// The run cannot be continued (finished, or its workflow file changed or is gone).
        public static let notResumable = Code(.notResumable)
        /// A live process is executing the run; continuing it here would run its steps twice.
        public static let ownedElsewhere = Code(.ownedElsewhere)
        /// The run already ended; there is nothing to cancel.
        public static let alreadyFinished = Code(.alreadyFinished)
        /// The workflow file a run recorded cannot be loaded or is not valid any more.
        public static let invalidWorkflow = Code(.invalidWorkflow)
        /// A sandbox backend (Docker, E2B) cannot be reached or set up.
        public static let backendUnavailable = Code(.backendUnavailable)
        /// The store could not be read or written.
        public static let persistence = Code(.persistence)
        /// A run's inputs do not fit the workflow's (unknown names, missing required ones, wrong types).
        public static let invalidInputs = Code(.invalidInputs)
        /// What was to be recorded clashes with what is (an idempotency key already used).
        public static let conflict = Code(.conflict)

        public var description: String { value.rawValue }
    }

    public var code: Code
    public var message: String
    public var cause: (any Error)?

    public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String { message }
}
