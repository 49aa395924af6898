/// Why the engine could not run a workflow, or why a run ended badly.
///
/// The code is an open set (like the other modules' errors) so new failure kinds do not
/// break callers that switch on it.
public struct EngineError: Error, CustomStringConvertible {
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The input values do not fit the workflow's declared inputs.
        public static let invalidInputs = Code(rawValue: "invalid_inputs")
        /// The workflow uses a feature this engine does not implement (e.g. a step kind from a newer file).
        public static let unsupported = Code(rawValue: "unsupported")
        /// The run repository refused a write; the run cannot go on durably.
        public static let persistence = Code(rawValue: "persistence")
        /// The run was cancelled.
        public static let cancelled = Code(rawValue: "cancelled")
        /// A step failed and its `on_failure` stopped the run.
        public static let stepFailed = Code(rawValue: "step_failed")
        /// `resume` refused: unknown or finished run, or its workflow file changed.
        public static let notResumable = Code(rawValue: "not_resumable")
        /// No such run, step or approval.
        public static let notFound = Code(rawValue: "not_found")
        /// An approval was already decided (or timed out).
        public static let alreadyResolved = Code(rawValue: "already_resolved")
        /// A request that cannot be carried out as given (e.g. edited data where editing is off).
        public static let invalidRequest = Code(rawValue: "invalid_request")
        /// No configured backend can take a step (not configured, or its circuit breaker is open).
        public static let backendUnavailable = Code(rawValue: "backend_unavailable")
        public static let `internal` = Code(rawValue: "internal")
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
