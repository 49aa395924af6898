/// Why an agent could not be set up or could not go on, with a message a person can act on.
///
/// Tool failures the model can react to are not errors of this kind: they go back to the model
/// as `is_error` tool results. These are the failures that end (or prevent) a run.
public struct AgentError: Error, Sendable, CustomStringConvertible {
    /// An open set of failure kinds, so new ones do not break callers' switches.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// A `tools:` list names a tool that does not exist (the message lists the valid ones).
        public static let unknownTool = Code(rawValue: "unknown_tool")
        /// A tool was asked for that this sandbox cannot offer (`WebFetch` without network).
        public static let toolUnavailable = Code(rawValue: "tool_unavailable")
        /// A setting is out of range (`max_turns: 0`, two tools with one name).
        public static let invalidConfiguration = Code(rawValue: "invalid_configuration")
        /// The model provider failed with something other than a ``ModelProviderError``.
        public static let providerFailed = Code(rawValue: "provider_failed")
        /// The sandbox died under a tool (its container is gone): no further tool can run.
        public static let sandboxGone = Code(rawValue: "sandbox_gone")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
