import Agent
import JSONValues
import ModelProviders

/// What one one-shot agent session is asked to do: Sandstorm's `POST /query` body and `ds "…"`,
/// already decoded. ``OneShotSession/prepare(_:credentials:)`` checks it.
public struct OneShotRequest: Sendable {
    /// The task (Sandstorm: 1…1,000,000 characters).
    public var prompt: String
    /// Text files put in the workspace before the agent starts.
    public var files: UploadedFiles
    /// A name of the models file (`sonnet`, `openai/gpt-4o`); nil: ``defaultModel``.
    public var model: String?
    /// Model calls at most; nil: ``defaultMaxTurns``.
    public var maxTurns: Int?
    /// The whole run's limit in seconds (Sandstorm: 5…3600); nil: ``defaultTimeoutSeconds``.
    public var timeoutSeconds: Int?
    /// The sandbox's image and isolation profile.
    public var image: String
    public var profile: String
    /// Nil: the `claude_code` preset (``SystemPromptSetting/presetText``).
    public var systemPrompt: SystemPromptSetting?
    /// `{type: json_schema, schema}` already parsed; nil: a free-text answer.
    public var outputFormat: OutputFormat?
    /// Claude Code tool names the agent may use; nil: all of them (``OneShotSession/toolNames``).
    public var allowedTools: [String]?
    /// Named subagents the `Agent` (`Task`) tool can start.
    public var agents: [SubagentDefinition]
    /// MCP servers whose tools the agent gets beside the built-in ones (`sandstorm.json`'s
    /// `mcp_servers`): stdio ones started inside the sandbox, HTTP ones called from the host.
    public var mcpServers: [MCPServerConfiguration]
    /// Stop once this many dollars are spent (`error_max_budget_usd`); nil: no limit.
    public var maxBudgetUSD: Double?
    /// Also emit `stream_event` messages with each text and thinking delta as it arrives
    /// (the Agent SDK's `include_partial_messages`).
    public var partialMessages: Bool

    public static let defaultModel = "sonnet"
    /// Sandstorm passes no limit and relies on its timeout; a bound keeps a confused model from
    /// spending the whole timeout's worth of calls.
    public static let defaultMaxTurns = 50
    /// Sandstorm's and `ds`'s default.
    public static let defaultTimeoutSeconds = 300
    public static let timeoutRange = 5...3600
    public static let defaultImage = "agent"
    public static let defaultProfile = "default"
    /// Sandstorm's `prompt` bounds, in characters (Unicode scalars, as Python counts them).
    public static let promptLength = 1...1_000_000

    public init(
        prompt: String, files: UploadedFiles = .none, model: String? = nil, maxTurns: Int? = nil, timeoutSeconds: Int? = nil,
        image: String = OneShotRequest.defaultImage, profile: String = OneShotRequest.defaultProfile,
        systemPrompt: SystemPromptSetting? = nil, outputFormat: OutputFormat? = nil, allowedTools: [String]? = nil,
        agents: [SubagentDefinition] = [], mcpServers: [MCPServerConfiguration] = [], maxBudgetUSD: Double? = nil,
        partialMessages: Bool = false
    ) {
        self.prompt = prompt
        self.files = files
        self.model = model
        self.maxTurns = maxTurns
        self.timeoutSeconds = timeoutSeconds
        self.image = image
        self.profile = profile
        self.systemPrompt = systemPrompt
        self.outputFormat = outputFormat
        self.allowedTools = allowedTools
        self.agents = agents
        self.mcpServers = mcpServers
        self.maxBudgetUSD = maxBudgetUSD
        self.partialMessages = partialMessages
    }
}
