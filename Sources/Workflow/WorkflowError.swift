/// An error from the workflow layer, with a message a person can act on.
///
/// A workflow that fails validation carries every problem found in `diagnostics`, not only the first.
public struct WorkflowError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure; extensible without breaking `switch`es that use `default`.
    ///
    /// Only this file mints codes (the wrapped enum is private); `description` is the snake_case code.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String, Sendable, Hashable {
            case unreadable
            case invalidWorkflow = "invalid_workflow"
            case invalidInput = "invalid_input"
            case templateResolution = "template_resolution"
            case unsafeTemplate = "unsafe_template"
            case expressionEvaluation = "expression_evaluation"
            case `internal`
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The workflow file cannot be read.
        public static let unreadable = Code(.unreadable)
        /// The workflow has errors; see `diagnostics`.
        public static let invalidWorkflow = Code(.invalidWorkflow)
        /// Values given for the inputs do not fit the declarations; see `diagnostics`.
        public static let invalidInput = Code(.invalidInput)
        /// A template could not be resolved at run time (a missing path, an unset variable, …).
        public static let templateResolution = Code(.templateResolution)
        /// A template reference sits where its value could run as shell code.
        public static let unsafeTemplate = Code(.unsafeTemplate)
        /// A `when` expression failed while evaluating (e.g. comparing a string with a number).
        public static let expressionEvaluation = Code(.expressionEvaluation)
        /// A failure inside this program that the caller cannot fix.
        public static let `internal` = Code(.internal)

        /// The snake_case code, e.g. `invalid_workflow`.
        public var description: String { value.rawValue }
    }

    public let code: Code
    public let message: String
    public let cause: (any Error)?
    /// Every problem found, when the error comes from parsing or validation.
    public let diagnostics: [ValidationDiagnostic]

    public init(_ code: Code, _ message: String, cause: (any Error)? = nil, diagnostics: [ValidationDiagnostic] = []) {
        self.code = code
        self.message = message
        self.cause = cause
        self.diagnostics = diagnostics
    }

    public var description: String {
        guard !diagnostics.isEmpty else { return message }
        return ([message] + diagnostics.map(\.description)).joined(separator: "\n")
    }
}
