import JSONValues
import ModelProviders

/// How one agent run behaves: the model, its prompt, and the limits of the loop.
public struct AgentConfiguration: Sendable {
    /// Opaque to the loop: a catalog name (`sonnet`) the router resolves, or a provider's model id.
    public var model: String
    public var systemPrompt: String?
    /// At most this many model calls; the run ends `.maxTurns` after the last one's tools ran.
    public var maxTurns: Int
    /// `max_tokens` of each model call.
    public var maxTokens: Int
    public var temperature: Double?
    /// The whole run's limit (the step's `timeout`): when it runs out the model call or the
    /// tools in flight are interrupted and the run ends `.timedOut`. Nil: no limit.
    public var timeout: Duration?
    /// Where relative paths resolve and where commands start.
    public var workingDirectory: String
    /// Variables added to every process the tools start (never a provider key: the loop has none).
    public var toolEnvironment: [String: String]
    public var limits: ToolLimits
    /// When set, the run must end with a valid call of this tool (structured output).
    public var finalAnswer: FinalAnswerRequirement?

    public static let defaultMaxTurns = 10
    public static let defaultMaxTokens = 8192
    public static let defaultWorkingDirectory = "/workspace"

    public init(
        model: String, systemPrompt: String? = nil, maxTurns: Int = AgentConfiguration.defaultMaxTurns,
        maxTokens: Int = AgentConfiguration.defaultMaxTokens, temperature: Double? = nil, timeout: Duration? = nil,
        workingDirectory: String = AgentConfiguration.defaultWorkingDirectory, toolEnvironment: [String: String] = [:],
        limits: ToolLimits = ToolLimits(), finalAnswer: FinalAnswerRequirement? = nil
    ) {
        self.model = model
        self.systemPrompt = systemPrompt
        self.maxTurns = maxTurns
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.timeout = timeout
        self.workingDirectory = workingDirectory
        self.toolEnvironment = toolEnvironment
        self.limits = limits
        self.finalAnswer = finalAnswer
    }

    /// Throws ``AgentError`` `invalidConfiguration` naming the first setting out of range.
    public func validate() throws {
        if maxTurns < 1 { throw AgentError(.invalidConfiguration, "max_turns must be at least 1, got \(maxTurns)") }
        if maxTokens < 1 { throw AgentError(.invalidConfiguration, "max_tokens must be at least 1, got \(maxTokens)") }
        if let timeout, timeout <= .zero { throw AgentError(.invalidConfiguration, "timeout must be positive, got \(timeout)") }
        if !workingDirectory.hasPrefix("/") {
            throw AgentError(.invalidConfiguration, "the working directory must be absolute, got \(workingDirectory.debugDescription)")
        }
        if let finalAnswer, finalAnswer.repairBudget < 0 {
            throw AgentError(.invalidConfiguration, "the final answer's repair budget must not be negative, got \(finalAnswer.repairBudget)")
        }
    }
}

/// The structured-output seam: a tool the model must end the run with, and the check its input
/// must pass. The loop knows nothing of JSON Schema; whoever builds this (the schema validator)
/// supplies both the tool's `input_schema` and the check.
///
/// The tool is offered beside the others. When the model calls it, `validate` judges the input:
/// no errors ends the run with the input as ``AgentResult/structuredOutput``; errors go back to
/// the model as an `is_error` result for up to ``repairBudget`` repairs, after which the run ends
/// `.structuredOutputInvalid(errors)`. A turn that ends without calling it is answered with a
/// reminder to call it, which also spends one repair.
public struct FinalAnswerRequirement: Sendable {
    public var tool: ToolDefinition
    /// The input's problems, one message each; empty means valid.
    public var validate: @Sendable (JSONValue) -> [String]
    public var repairBudget: Int

    public static let defaultRepairBudget = 2

    public init(tool: ToolDefinition, repairBudget: Int = FinalAnswerRequirement.defaultRepairBudget, validate: @escaping @Sendable (JSONValue) -> [String]) {
        self.tool = tool
        self.validate = validate
        self.repairBudget = repairBudget
    }
}

/// Caps on what tools read and return, so no tool can flood the model's context or the host's memory.
public struct ToolLimits: Sendable, Hashable {
    /// Every tool result is cut to this many characters, with a note to the model.
    public var maxResultCharacters: Int
    /// The most bytes a tool pulls out of the sandbox for one call (command output, file
    /// contents); the rest is never transferred.
    public var maxReadBytes: UInt64
    /// `Read` stops after pulling this many bytes of a file (lines skipped to reach `offset`, or
    /// one endless line), with a note pointing to `Bash` for the far parts of huge files.
    public var maxScanBytes: UInt64
    /// `Read` without `limit` returns this many lines.
    public var readDefaultLines: Int
    /// `Read` cuts longer lines.
    public var maxLineCharacters: Int
    /// `Edit` refuses files larger than this (it holds the file in memory to change it).
    public var maxEditFileBytes: UInt64
    /// `Bash` without `timeout`, and the most `timeout` may ask for.
    public var bashDefaultTimeout: Duration
    public var bashMaxTimeout: Duration
    /// `Glob` lists at most this many paths.
    public var globMaxResults: Int
    /// `Grep`'s `head_limit` when none is given.
    public var grepDefaultHeadLimit: Int
    /// `WebFetch`'s whole-request limit.
    public var webFetchTimeout: Duration
    /// A tool result shown in a ``AgentEvent/ToolCallFinish`` event is cut to this many bytes.
    public var eventOutputBytes: Int

    public init(
        maxResultCharacters: Int = 30_000, maxReadBytes: UInt64 = 256 * 1024, maxScanBytes: UInt64 = 64 * 1024 * 1024, readDefaultLines: Int = 2000,
        maxLineCharacters: Int = 2000, maxEditFileBytes: UInt64 = 16 * 1024 * 1024,
        bashDefaultTimeout: Duration = .milliseconds(120_000), bashMaxTimeout: Duration = .milliseconds(600_000),
        globMaxResults: Int = 100, grepDefaultHeadLimit: Int = 250, webFetchTimeout: Duration = .seconds(60),
        eventOutputBytes: Int = 2048
    ) {
        self.maxResultCharacters = maxResultCharacters
        self.maxReadBytes = maxReadBytes
        self.maxScanBytes = maxScanBytes
        self.readDefaultLines = readDefaultLines
        self.maxLineCharacters = maxLineCharacters
        self.maxEditFileBytes = maxEditFileBytes
        self.bashDefaultTimeout = bashDefaultTimeout
        self.bashMaxTimeout = bashMaxTimeout
        self.globMaxResults = globMaxResults
        self.grepDefaultHeadLimit = grepDefaultHeadLimit
        self.webFetchTimeout = webFetchTimeout
        self.eventOutputBytes = eventOutputBytes
    }
}
