import JSONValues
import ModelProviders

/// A named helper agent the main agent can hand a task to (Sandstorm's and the Agent SDK's `agents`).
public struct SubagentDefinition: Sendable, Hashable {
    /// What `subagent_type` names it by.
    public var name: String
    /// When to use it, for the model choosing one.
    public var description: String
    /// Its system prompt.
    public var prompt: String
    /// The tools it may use (names as in a `tools:` list); nil gives it all of the caller's
    /// tools. Never the `Agent` tool: subagents cannot start subagents.
    public var tools: [String]?
    /// Its model; nil or `inherit` uses the caller's.
    public var model: String?
    /// Its own turn limit; nil uses the caller's `max_turns`.
    public var maxTurns: Int?

    public init(name: String, description: String, prompt: String, tools: [String]? = nil, model: String? = nil, maxTurns: Int? = nil) {
        self.name = name
        self.description = description
        self.prompt = prompt
        self.tools = tools
        self.model = model
        self.maxTurns = maxTurns
    }

    /// The one used when a call names no `subagent_type` and none is defined under this name.
    public static let generalPurpose = SubagentDefinition(
        name: "general-purpose",
        description: "General-purpose agent for researching questions, searching files and doing multi-step tasks on its own.",
        prompt: """
            You are an agent working on a task handed to you by another agent, in the same sandbox. Use the tools \
            to do the task completely, then answer with a concise report of what you found or did: your final \
            message is all the other agent sees.
            """)

    /// Parses Sandstorm's `agents`: `{name: {description, prompt, tools?, model?, maxTurns?}}`, or a
    /// list of such objects each with its `name`.
    ///
    /// - Throws: ``AgentError`` `invalidConfiguration` naming the agent and the field at fault.
    public static func parse(_ value: JSONValue) throws -> [SubagentDefinition] {
        switch value {
        case .object(let members):
            return try members.keys.sorted().map { name in try parse(name: name, members[name] ?? .null) }
        case .array(let items):
            return try items.enumerated().map { index, item in
                guard case .string(let name)? = item.child("name") else {
                    throw AgentError(.invalidConfiguration, "agents[\(index)] needs a string `name`")
                }
                return try parse(name: name, item)
            }
        default:
            throw AgentError(.invalidConfiguration, "agents must be an object of named agents or a list, got \(value.typeName)")
        }
    }

    private static func parse(name: String, _ value: JSONValue) throws -> SubagentDefinition {
        func fail(_ problem: String) -> AgentError { AgentError(.invalidConfiguration, "agent \(name.debugDescription): \(problem)") }
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw fail("a name may hold only letters, digits, - and _")
        }
        guard case .object(let fields) = value else { throw fail("must be an object, got \(value.typeName)") }
        func string(_ key: String, required: Bool) throws -> String? {
            switch fields[key] {
            case .string(let text)?: return text
            case nil, .null?: if required { throw fail("`\(key)` is required") } else { return nil }
            case let other?: throw fail("`\(key)` must be a string, got \(other.typeName)")
            }
        }
        var tools: [String]?
        switch fields["tools"] {
        case nil, .null?: tools = nil
        case .array(let items)?:
            tools = try items.map { item in
                guard case .string(let tool) = item else { throw fail("`tools` must list tool names") }
                return tool
            }
        case let other?: throw fail("`tools` must be a list of tool names, got \(other.typeName)")
        }
        var maxTurns: Int?
        switch fields["maxTurns"] ?? fields["max_turns"] {
        case nil, .null?: maxTurns = nil
        case .integer(let turns)? where turns >= 1: maxTurns = turns
        case let other?: throw fail("`maxTurns` must be a positive integer, got \(other.jsonText)")
        }
        return SubagentDefinition(
            name: name, description: try string("description", required: true) ?? "", prompt: try string("prompt", required: true) ?? "",
            tools: tools, model: try string("model", required: false), maxTurns: maxTurns)
    }
}

/// `Agent {description, prompt, subagent_type?, model?}` (also called as `Task`): runs a subagent as
/// a nested loop in the same sandbox, with its own prompt, tools and model, and returns its answer.
///
/// The subagent's events reach the run's sink wrapped with this call's id; its model calls count
/// in the run's ``AgentResult/modelCalls``. It cannot start subagents of its own.
public struct SubagentTool: AgentTool {
    public let subagents: [SubagentDefinition]
    public let definition: ToolDefinition
    public var aliases: [String] { ["Task"] }

    /// - Throws: ``AgentError`` `invalidConfiguration` when two subagents share a name.
    public init(_ subagents: [SubagentDefinition]) throws {
        var all = subagents
        if !all.contains(where: { $0.name == SubagentDefinition.generalPurpose.name }) { all.append(.generalPurpose) }
        let names = all.map(\.name)
        if Set(names).count != names.count { throw AgentError(.invalidConfiguration, "two subagents share a name: \(names)") }
        self.subagents = all
        let catalogue = all.map { "- \($0.name): \($0.description)" }.joined(separator: "\n")
        definition = ToolDefinition(
            name: "Agent",
            description: """
                Launches a subagent to handle a task on its own, in the same sandbox, and returns its final report. \
                Use it for searches or multi-step work whose details you do not need to see.

                Available agent types (`subagent_type`):
                \(catalogue)

                - The subagent sees only `prompt`: make it complete (what to do, where, what to report back).
                - Several Agent calls in one message run at the same time.
                """,
            inputSchema: [
                "type": "object",
                "properties": [
                    "description": ["type": "string", "description": "A short (3-5 word) description of the task"],
                    "prompt": ["type": "string", "description": "The task for the agent to perform"],
                    "subagent_type": ["type": "string", "description": "The type of agent to use (default general-purpose)"],
                    "model": ["type": "string", "description": "Optional model for this agent (e.g. sonnet, opus, haiku)"],
                ],
                "required": ["description", "prompt"],
                "additionalProperties": false,
            ])
    }

    public func run(_ input: ToolInput, context: ToolContext) async throws -> ToolOutput {
        _ = try input.string("description")
        let prompt = try input.string("prompt")
        let type = try input.optionalString("subagent_type") ?? SubagentDefinition.generalPurpose.name
        guard let session = context.session else { throw ToolFailure("a subagent cannot start another subagent") }
        guard let subagent = subagents.first(where: { $0.name == type }) else {
            throw ToolFailure("unknown subagent_type \(type.debugDescription); available: \(subagents.map(\.name).joined(separator: ", "))")
        }
        // Depth limit: whatever the definition lists, the subagent gets no tool that starts subagents.
        var tools = session.tools.removing { $0 is SubagentTool }
        if let names = subagent.tools {
            do {
                tools = try tools.narrowed(to: names)
            } catch let error as AgentError {
                throw ToolFailure("subagent \(subagent.name) cannot be set up: \(error.message)")
            }
        }
        let parentModel = session.configuration.model
        let model = try input.optionalString("model") ?? subagent.model.flatMap { $0 == "inherit" ? nil : $0 } ?? parentModel
        var configuration = session.configuration
        configuration.model = model
        configuration.systemPrompt = subagent.prompt
        configuration.maxTurns = subagent.maxTurns ?? configuration.maxTurns
        configuration.timeout = nil // the caller's timeout already bounds the whole run
        configuration.finalAnswer = nil
        let loop = AgentLoop(
            provider: session.provider, configuration: configuration, tools: tools, sandbox: context.sandbox,
            events: session.events.wrapping(parentToolCallID: context.toolCallID, agent: subagent.name), nested: true)
        let result = await loop.run(prompt: prompt)
        session.ledger.append(
            result.modelCalls.map { call in
                var call = call
                call.parentToolCallID = call.parentToolCallID ?? context.toolCallID
                return call
            })
        switch result.outcome {
        case .success:
            return ToolOutput(result.text.isEmpty ? "(the subagent finished without a report)" : result.text)
        case .cancelled, .timedOut:
            throw CancellationError()
        case .failed(let error) where error.code == .sandboxGone:
            throw error
        default:
            let last = result.text.isEmpty ? "" : "\nIts last message:\n" + result.text
            return ToolOutput.error("The subagent \(subagent.name) did not finish: \(result.outcome.summary).\(last)")
        }
    }
}
