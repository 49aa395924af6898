/// One problem found in a workflow before it runs: where, what, and how to fix it.
///
/// Parsing and validation collect every diagnostic instead of stopping at the first, so one
/// `sandcastle validate` shows everything that needs fixing.
public struct ValidationDiagnostic: Sendable, Hashable, CustomStringConvertible {
    /// How bad it is. Only errors make a workflow invalid.
    public enum Severity: String, Sendable, Hashable, Comparable {
        case error
        case warning
        case note

        public static func < (lhs: Severity, rhs: Severity) -> Bool {
            let order: [Severity] = [.error, .warning, .note]
            return (order.firstIndex(of: lhs) ?? 0) < (order.firstIndex(of: rhs) ?? 0)
        }
    }

    /// What kind of problem it is. An extensible struct: step kinds and later modules add
    /// their own codes without touching this file, and callers match the ones they know.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The text is not well-formed YAML.
        public static let yamlSyntax = Code(rawValue: "yaml_syntax")
        /// A mapping has the same key twice.
        public static let duplicateKey = Code(rawValue: "duplicate_key")
        /// A key the schema does not define (usually a typo).
        public static let unknownField = Code(rawValue: "unknown_field")
        /// A field the schema needs is absent.
        public static let missingField = Code(rawValue: "missing_field")
        /// A value of the wrong YAML type (a string where a list is expected, …).
        public static let wrongType = Code(rawValue: "wrong_type")
        /// A value of the right type that is not allowed (an unknown enum value, out of range, …).
        public static let invalidValue = Code(rawValue: "invalid_value")
        /// Two steps with the same id.
        public static let duplicateStepID = Code(rawValue: "duplicate_step_id")
        /// `depends_on` names a step that does not exist.
        public static let unknownDependency = Code(rawValue: "unknown_dependency")
        /// The dependencies form a cycle.
        public static let dependencyCycle = Code(rawValue: "dependency_cycle")
        /// A template or expression names a step that does not exist.
        public static let unknownStep = Code(rawValue: "unknown_step")
        /// A template or expression reads a step that does not run before this one.
        public static let referenceNotUpstream = Code(rawValue: "reference_not_upstream")
        /// A template or expression names an input the workflow does not declare.
        public static let unknownInput = Code(rawValue: "unknown_input")
        /// A template is malformed.
        public static let invalidTemplate = Code(rawValue: "invalid_template")
        /// A `when` expression is malformed.
        public static let invalidExpression = Code(rawValue: "invalid_expression")
        /// A duration such as `timeout` cannot be read.
        public static let invalidDuration = Code(rawValue: "invalid_duration")
        /// A `retry` block is out of range.
        public static let invalidRetry = Code(rawValue: "invalid_retry")
        /// An input declaration is wrong (unknown type, default of the wrong type, …).
        public static let invalidInputDeclaration = Code(rawValue: "invalid_input_declaration")
        /// A value given for an input has the wrong type.
        public static let invalidInputValue = Code(rawValue: "invalid_input_value")
        /// A required input has no value.
        public static let missingInput = Code(rawValue: "missing_input")
        /// A backend this build cannot run yet.
        public static let unavailableBackend = Code(rawValue: "unavailable_backend")
        /// A template reference sits where the shell would run its value as code.
        public static let unsafeShellContext = Code(rawValue: "unsafe_shell_context")
        /// Steps that share a session could run at the same time, or disagree on their sandbox.
        public static let sessionConflict = Code(rawValue: "session_conflict")
        /// A `sub_workflow` cannot be loaded, recurses, or its mapping does not fit it.
        public static let subWorkflow = Code(rawValue: "sub_workflow")
        /// The workflow's `risk_level` is refused (unacceptable, or high without approval under a compliance mode).
        public static let compliance = Code(rawValue: "compliance")
    }

    public var severity: Severity
    public var code: Code
    /// Where the problem is; nil for problems outside any file (e.g. an input given on the command line).
    public var location: SourceLocation?
    public var message: String
    /// A concrete fix, phrased as an instruction.
    public var hint: String?

    public init(
        _ severity: Severity = .error, _ code: Code, at location: SourceLocation?, _ message: String,
        hint: String? = nil
    ) {
        self.severity = severity
        self.code = code
        self.location = location
        self.message = message
        self.hint = hint
    }

    public static func error(_ code: Code, at location: SourceLocation?, _ message: String, hint: String? = nil) -> Self {
        Self(.error, code, at: location, message, hint: hint)
    }

    public static func warning(_ code: Code, at location: SourceLocation?, _ message: String, hint: String? = nil) -> Self {
        Self(.warning, code, at: location, message, hint: hint)
    }

    /// `file:line:column: error: message` and, on the next line, `  hint: …`.
    public var description: String {
        var text = "\(location.map { "\($0): " } ?? "")\(severity.rawValue): \(message)"
        if let hint { text += "\n  hint: \(hint)" }
        return text
    }

    /// Sorts diagnostics by file position, keeping the order of equal positions.
    public static func sorted(_ diagnostics: [ValidationDiagnostic]) -> [ValidationDiagnostic] {
        diagnostics.enumerated().sorted { lhs, rhs in
            switch (lhs.element.location, rhs.element.location) {
            case let (left?, right?) where left != right: return left < right
            case (nil, _?): return true
            case (_?, nil): return false
            default: return lhs.offset < rhs.offset
            }
        }.map(\.element)
    }
}

/// A list that collects diagnostics while parsing and validating.
public struct DiagnosticList: Sendable {
    public private(set) var all: [ValidationDiagnostic] = []

    public init() {}

    public var hasErrors: Bool { all.contains { $0.severity == .error } }
    public var errors: [ValidationDiagnostic] { all.filter { $0.severity == .error } }

    public mutating func append(_ diagnostic: ValidationDiagnostic) {
        // The same problem can be reached twice (a template seen from two checks); say it once.
        if !all.contains(diagnostic) { all.append(diagnostic) }
    }

    public mutating func append(contentsOf diagnostics: [ValidationDiagnostic]) {
        for diagnostic in diagnostics { append(diagnostic) }
    }

    public mutating func error(
        _ code: ValidationDiagnostic.Code, at location: SourceLocation?, _ message: String,
        hint: String? = nil
    ) {
        append(.error(code, at: location, message, hint: hint))
    }

    public mutating func warning(
        _ code: ValidationDiagnostic.Code, at location: SourceLocation?, _ message: String,
        hint: String? = nil
    ) {
        append(.warning(code, at: location, message, hint: hint))
    }
}
