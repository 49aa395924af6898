/// A schema that cannot be used: not a schema, a `$ref` to nowhere, a pattern that does not
/// compile, a keyword form we do not implement. Names the place in the schema.
public struct JSONSchemaError: Error, Sendable, Hashable, CustomStringConvertible {
    /// An open set of failure kinds, so new ones do not break callers' switches.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// A keyword has a value of the wrong kind (`type: 5`, `minLength: -1`, `required: "a"`).
        public static let invalidKeyword = Code(rawValue: "invalid_keyword")
        /// A `$ref` whose target does not exist in this document.
        public static let unresolvedReference = Code(rawValue: "unresolved_reference")
        /// `$ref`s (or other in-place applicators) that lead back to themselves without
        /// descending into the instance: validating with them could never finish.
        public static let referenceCycle = Code(rawValue: "reference_cycle")
        /// A `pattern` or `patternProperties` key that is not a usable regular expression.
        public static let invalidPattern = Code(rawValue: "invalid_pattern")
        /// A keyword or form this validator deliberately does not implement (remote `$ref`,
        /// `$dynamicRef`, `unevaluatedProperties`, …): refused rather than silently ignored.
        public static let unsupported = Code(rawValue: "unsupported")
        /// The schema nests deeper than the validator allows.
        public static let tooDeep = Code(rawValue: "too_deep")
    }

    public var code: Code
    /// JSON Pointer to the offending place in the schema (`""` is the whole schema).
    public var schemaLocation: String
    public var message: String

    public init(_ code: Code, at schemaLocation: String, _ message: String) {
        self.code = code
        self.schemaLocation = schemaLocation
        self.message = message
    }

    public var description: String { "schema \(JSONPointer.display(schemaLocation)): \(message)" }
}

/// One way an instance fails its schema, phrased so a model can fix its answer.
public struct JSONSchemaViolation: Sendable, Hashable, CustomStringConvertible {
    /// JSON Pointer to the offending value in the instance (`""` is the whole instance).
    public var instanceLocation: String
    /// The keyword that failed (`type`, `required`, `pattern`, …).
    public var keyword: String
    /// JSON Pointer to that keyword in the schema, through any `$ref`s taken.
    public var schemaLocation: String
    /// What is wrong, with what was expected and what was found (`expected number, got string "12"`).
    public var message: String

    public init(instanceLocation: String, keyword: String, schemaLocation: String, message: String) {
        self.instanceLocation = instanceLocation
        self.keyword = keyword
        self.schemaLocation = schemaLocation
        self.message = message
    }

    /// `/items/2/price: expected number, got string "12"`.
    public var description: String { "\(JSONPointer.display(instanceLocation)): \(message)" }
}

/// The outcome of validating one instance.
public struct JSONSchemaValidationResult: Sendable, Hashable, CustomStringConvertible {
    /// The violations found, at most the validator's `maxViolations`.
    public var violations: [JSONSchemaViolation]
    /// More violations existed than were kept.
    public var truncated: Bool

    public var isValid: Bool { violations.isEmpty }

    /// One violation a line, with a note when the list was cut: text to send back to a model.
    public var description: String {
        var lines = violations.map(\.description)
        if truncated { lines.append("(more violations not shown)") }
        return lines.joined(separator: "\n")
    }
}
