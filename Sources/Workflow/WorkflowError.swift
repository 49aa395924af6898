/// An error from the workflow layer, with a message a person can act on.
///
/// `code` is an extensible struct: new codes can be added without breaking callers that
/// switch on the ones they know. A workflow that fails validation carries every problem
/// found in `diagnostics`, not only the first.
public struct WorkflowError: Error, CustomStringConvertible {
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The workflow file cannot be read.
        public static let unreadable = Code(rawValue: "unreadable")
        /// The workflow has errors; see `diagnostics`.
        public static let invalidWorkflow = Code(rawValue: "invalid_workflow")
        /// Values given for the inputs do not fit the declarations; see `diagnostics`.
        public static let invalidInput = Code(rawValue: "invalid_input")
        /// A template could not be resolved at run time (a missing path, an unset variable, …).
        public static let templateResolution = Code(rawValue: "template_resolution")
        /// A template reference sits where its value could run as shell code.
        public static let unsafeTemplate = Code(rawValue: "unsafe_template")
        /// A `when` expression failed while evaluating (e.g. comparing a string with a number).
        public static let expressionEvaluation = Code(rawValue: "expression_evaluation")
        /// A failure inside this program that the caller cannot fix.
        public static let `internal` = Code(rawValue: "internal")
    }

    public var code: Code
    public var message: String
    public var cause: (any Error)?
    /// Every problem found, when the error comes from parsing or validation.
    public var diagnostics: [ValidationDiagnostic]

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
