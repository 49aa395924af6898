/// Why a one-shot agent session cannot start, with a message a person can act on. Everything
/// that can be checked before a sandbox exists is checked first (``OneShotSession/prepare(_:)``),
/// so bad input never costs a sandbox.
public struct OneShotError: Error, Sendable, CustomStringConvertible {
    /// An open set of failure kinds, so new ones do not break callers' switches.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// An uploaded file's path leaves the workspace (`..`), or is empty or `.`.
        public static let pathTraversal = Code(rawValue: "path_traversal")
        /// An uploaded file's path is absolute (`/x`, `\x`, `C:\x`, `\\server\share`).
        public static let absolutePath = Code(rawValue: "absolute_path")
        /// More than ``UploadedFiles/maxFiles`` files.
        public static let tooManyFiles = Code(rawValue: "too_many_files")
        /// The files together are over ``UploadedFiles/maxTotalBytes``.
        public static let filesTooLarge = Code(rawValue: "files_too_large")
        /// A model name the models file does not know.
        public static let unknownModel = Code(rawValue: "unknown_model")
        /// The model's provider has no credential (see ``OneShotError/provider``, ``OneShotError/variable``).
        public static let providerNotConfigured = Code(rawValue: "provider_not_configured")
        /// `allowed_tools` names something that is not a tool here.
        public static let unknownTool = Code(rawValue: "unknown_tool")
        /// `output_format` is not `{type: json_schema, schema}` with a schema that compiles.
        public static let invalidOutputFormat = Code(rawValue: "invalid_output_format")
        /// `system_prompt` is neither text nor a `claude_code` preset.
        public static let invalidSystemPrompt = Code(rawValue: "invalid_system_prompt")
        /// `agents` (subagents) cannot be read.
        public static let invalidAgents = Code(rawValue: "invalid_agents")
        /// A setting out of range (`max_turns: 0`, a timeout outside 5…3600 s).
        public static let invalidSetting = Code(rawValue: "invalid_setting")
        /// Something Sandstorm offers that Sandcastle does not do yet (MCP servers, session resume).
        public static let unsupported = Code(rawValue: "unsupported")
    }

    public var code: Code
    public var message: String
    /// For ``Code/providerNotConfigured``: the provider (`anthropic`) and the variable that
    /// configures it (`ANTHROPIC_API_KEY`).
    public var provider: String?
    public var variable: String?

    public init(_ code: Code, _ message: String, provider: String? = nil, variable: String? = nil) {
        self.code = code
        self.message = message
        self.provider = provider
        self.variable = variable
    }

    public var description: String { message }
}
