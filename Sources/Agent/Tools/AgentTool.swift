import JSONValues
import ModelProviders
import Sandbox

/// A tool the model can call: its definition, and an executor that works inside the sandbox.
///
/// Executors never touch the host: everything goes through ``ToolContext/sandbox``. The loop
/// checks the input against the definition's schema (object, required fields, field types)
/// before ``run(_:context:)``, and caps the returned text.
public protocol AgentTool: Sendable {
    var definition: ToolDefinition { get }
    /// Other names the model may call it by (`Task` for `Agent`); never offered, only accepted.
    var aliases: [String] { get }
    /// Runs one call. Throw ``ToolFailure`` for a failure the model should read (a missing file,
    /// a bad argument); other errors are reported to the model too, except a sandbox that is
    /// gone or a cancellation, which end the run.
    func run(_ input: ToolInput, context: ToolContext) async throws -> ToolOutput
}

extension AgentTool {
    public var aliases: [String] { [] }
    public var name: String { definition.name }
}

/// What a tool gives back to the model.
public struct ToolOutput: Sendable, Hashable {
    public var content: String
    public var isError: Bool

    public init(_ content: String, isError: Bool = false) {
        self.content = content
        self.isError = isError
    }

    public static func error(_ content: String) -> ToolOutput { ToolOutput(content, isError: true) }
}

/// A failure a tool reports to the model as an `is_error` result, in words the model can act on.
public struct ToolFailure: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// What a tool call runs with.
public struct ToolContext: Sendable {
    public var sandbox: any SandboxInstance
    /// Relative paths resolve here, and commands start here.
    public var workingDirectory: String
    /// Variables added to every process a tool starts.
    public var environment: [String: String]
    public var limits: ToolLimits
    /// The call being run (a subagent's events name it as their parent).
    public var toolCallID: String
    /// Where `Bash` starts and what it updates: shared by the calls of one agent run, so a `cd`
    /// carries over. Nil: every command starts in ``workingDirectory``.
    public var bashDirectory: BashDirectory?
    /// What a subagent needs of the run that calls it; nil outside a loop (and inside a subagent,
    /// which cannot start another).
    var session: AgentSession?

    public init(
        sandbox: any SandboxInstance, workingDirectory: String = AgentConfiguration.defaultWorkingDirectory,
        environment: [String: String] = [:], limits: ToolLimits = ToolLimits(), toolCallID: String = "direct",
        bashDirectory: BashDirectory? = nil
    ) {
        self.sandbox = sandbox
        self.workingDirectory = workingDirectory
        self.environment = environment
        self.limits = limits
        self.toolCallID = toolCallID
        self.bashDirectory = bashDirectory
        self.session = nil
    }

    /// `path` as the sandbox should see it: absolute paths as they are, relative ones under the
    /// working directory, both lexically cleaned (`.` and `..` resolved, repeated `/` folded).
    public func resolve(_ path: String) -> String {
        SandboxPath.resolve(path, against: workingDirectory)
    }
}

/// Paths inside the sandbox, handled as text (the host never touches them).
enum SandboxPath {
    static func resolve(_ path: String, against base: String) -> String {
        clean(path.hasPrefix("/") ? path : base + "/" + path)
    }

    /// Lexically cleaned absolute path; `..` never climbs above `/`.
    static func clean(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..": if !parts.isEmpty { parts.removeLast() }
            default: parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }
}
