/// Why the engine could not run a workflow, or why a run ended badly.
public struct EngineError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure; extensible without breaking `switch`es that use `default`.
    ///
    /// Only this file mints codes (the wrapped enum is private); `description` is the snake_case code.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String, Sendable, Hashable {
            case invalidInputs = "invalid_inputs"
            case unsupported, persistence, cancelled
            case stepFailed = "step_failed"
            case notResumable = "not_resumable"
            case notFound = "not_found"
            case alreadyResolved = "already_resolved"
            case invalidRequest = "invalid_request"
            case backendUnavailable = "backend_unavailable"
            case `internal`
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The input values do not fit the workflow's declared inputs.
        public static let invalidInputs = Code(.invalidInputs)
        /// The workflow uses a feature this engine does not implement (e.g. a step kind from a newer file).
        public static let unsupported = Code(.unsupported)
        /// The run repository refused a write; the run cannot go on durably.
        public static let persistence = Code(.persistence)
        /// The run was cancelled.
        public static let cancelled = Code(.cancelled)
        /// A step failed and its `on_failure` stopped the run.
        public static let stepFailed = Code(.stepFailed)
        /// `resume` refused: unknown or finished run, or its workflow file changed.
        public static let notResumable = Code(.notResumable)
        /// No such run, step or approval.
        public static let notFound = Code(.notFound)
        /// An approval was already decided (or timed out).
        public static let alreadyResolved = Code(.alreadyResolved)
        /// A request that cannot be carried out as given (e.g. edited data where editing is off).
        public static let invalidRequest = Code(.invalidRequest)
        /// No configured backend can take a step (not configured, or its circuit breaker is open).
        public static let backendUnavailable = Code(.backendUnavailable)
        /// A failure inside the engine that the caller cannot fix.
        public static let `internal` = Code(.internal)

        /// The snake_case code, e.g. `step_failed`.
        public var description: String { value.rawValue }
    }

    public let code: Code
    public let message: String
    public let cause: (any Error)?

    public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String { message }
}
