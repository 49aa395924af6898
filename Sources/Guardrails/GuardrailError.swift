/// What the guardrails refuse: a pattern that does not compile, an entity name that does not exist.
public struct GuardrailError: Error, Sendable, CustomStringConvertible {
    /// An extensible code: callers match on it, messages are for people.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// A regular expression that RE2 does not accept (syntax, or a feature it refuses such as
        /// backreferences and lookaround, which cannot run in linear time).
        public static let invalidPattern = Code("invalid_pattern")
        /// A PII entity name that is none of `PIIEntity`'s.
        public static let invalidEntity = Code("invalid_entity")
    }

    public let code: Code
    /// A sentence for a person, e.g. "the regex `(a` is invalid: missing )".
    public let message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
