import Suggestions

/// A named helper an agent step may hand work to through its `Task`/`Agent` tool (Sandstorm's
/// `agents`): its own prompt, tool subset and model, in the same sandbox.
public struct SubagentDefinition: Sendable, Hashable {
    public var name: String
    /// When the main agent should use it (shown to the model in the tool's description).
    public var description: String
    /// Its system prompt.
    public var prompt: String
    /// The tools it may use; nil gives it the step's set.
    public var tools: [String]?
    /// Its model; nil uses the step's.
    public var model: String?

    public init(name: String, description: String, prompt: String, tools: [String]? = nil, model: String? = nil) {
        self.name = name
        self.description = description
        self.prompt = prompt
        self.tools = tools
        self.model = model
    }
}

/// An MCP server an agent step declares (`mcp_servers:`, Sandstorm's shape): `{command, args,
/// env}` for a stdio server started in the step's sandbox, or `{type: http, url, headers}` for one
/// called from the host. Values are kept as written: `${VAR}` references are resolved from the
/// host's environment when the step runs.
public struct MCPServerDefinition: Sendable, Hashable {
    public var name: String
    /// The server's object as written (checked: known keys, exactly one of `command` and `url`).
    public var value: JSONValue

    public init(name: String, value: JSONValue) {
        self.name = name
        self.value = value
    }
}

/// What an agent step does when its attempts are spent and `retry.on_failure: fallback` (or
/// `on_failure: fallback`) asks for a second chance: another prompt, usually a cheaper model.
public struct AgentFallback: Sendable {
    public var prompt: Template
    public var model: Located<String>?

    public init(prompt: Template, model: Located<String>?) {
        self.prompt = prompt
        self.model = model
    }
}

/// A `prompt:` step (Sandcastle's `type: standard`): a model works in the step's sandbox
/// through tools, from the host, until it answers.
public struct AgentStepConfiguration: StepConfiguration {
    /// The task. References are spliced in as text (`{steps.x.output}` as JSON), unlike a
    /// `run:` command's, which reach the shell only as environment variables.
    public var prompt: Template
    /// A name from the models file (`sonnet`, `openai/gpt-4o`); nil takes the workflow's
    /// `default_model`, then `sonnet`.
    public var model: Located<String>?
    public var systemPrompt: Template?
    /// nil takes the workflow's `default_max_turns`, then 10.
    public var maxTurns: Located<Int>?
    /// The tools the model may use, by name; nil offers the default set.
    public var tools: [Located<String>]?
    /// A JSON Schema the answer must follow.
    public var outputSchema: Located<JSONValue>?
    public var fallback: AgentFallback?
    public var subagents: [SubagentDefinition]
    /// The most tokens one model call may produce.
    public var maxTokens: Int?
    public var temperature: Double?
    /// MCP servers whose tools are offered beside the built-in ones (`mcp__<server>__<tool>`).
    public var mcpServers: [MCPServerDefinition]

    public init(
        prompt: Template, model: Located<String>? = nil, systemPrompt: Template? = nil, maxTurns: Located<Int>? = nil,
        tools: [Located<String>]? = nil, outputSchema: Located<JSONValue>? = nil, fallback: AgentFallback? = nil,
        subagents: [SubagentDefinition] = [], maxTokens: Int? = nil, temperature: Double? = nil,
        mcpServers: [MCPServerDefinition] = []
    ) {
        self.prompt = prompt
        self.model = model
        self.systemPrompt = systemPrompt
        self.maxTurns = maxTurns
        self.tools = tools
        self.outputSchema = outputSchema
        self.fallback = fallback
        self.subagents = subagents
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.mcpServers = mcpServers
    }

    public var templates: [Template] {
        [prompt] + [systemPrompt, fallback?.prompt].compactMap { $0 }
    }

    /// The built-in tools, by the names Claude Code gives them (`Task` is `Agent`'s old name).
    public static let builtInTools = ["Bash", "Read", "Write", "Edit", "Glob", "Grep", "WebFetch", "Agent", "Task"]

    /// Sandcastle's bounds on `max_turns`.
    public static let maxTurnsRange = 1...1000
    /// Sandcastle's `default_model` and `default_max_turns` when the workflow sets none.
    public static let builtInModel = "sonnet"
    public static let builtInMaxTurns = 10
}

extension StepKind {
    /// A model working in the step's sandbox through tools (`prompt:`; Sandcastle's `type: standard`).
    public static let agent = StepKind("agent")
}

/// The `agent` kind: implied by `prompt:`.
public struct AgentStepKind: StepKindHandler {
    public init() {}

    public var kind: StepKind { .agent }
    public var summary: String { "a model works in the step's sandbox through tools (Bash, Read, Write, Edit, Glob, Grep…)" }
    public var fields: Set<String> {
        ["prompt", "model", "system_prompt", "max_turns", "tools", "output_schema", "fallback", "agents", "max_tokens", "temperature", "mcp_servers"]
    }
    public var sharedFields: Set<String> { StepFields.control.union(StepFields.execution).union(StepFields.sandbox).union(StepFields.guarded) }
    public var impliedByField: String? { "prompt" }

    public func parseConfiguration(_ step: MappingReader) -> (any StepConfiguration)? {
        guard let prompt = step.template("prompt", required: true, hint: "add `prompt: <what the agent should do>`") else {
            return nil
        }
        guard !prompt.source.trimmingSpaces.isEmpty else {
            step.session.error(.invalidValue, at: prompt.location, "`prompt` must not be empty", hint: "write the task for the agent")
            return nil
        }
        let model = ModelFields.model(step)
        let maxTurns = step.integer("max_turns", in: AgentStepConfiguration.maxTurnsRange)
        let tools = step.stringList("tools", allowSingle: false)
        let outputSchema = ModelFields.schema(step, "output_schema")
        let fallback = Self.fallback(step)
        let subagents = Self.subagents(step)
        let maxTokens = step.integer("max_tokens", in: ModelFields.maxTokensRange)?.value
        let temperature = ModelFields.temperature(step, "temperature")
        let mcpServers = MCPServerFields.servers(step)
        return AgentStepConfiguration(
            prompt: prompt, model: model, systemPrompt: step.template("system_prompt"), maxTurns: maxTurns, tools: tools,
            outputSchema: outputSchema, fallback: fallback, subagents: subagents, maxTokens: maxTokens, temperature: temperature,
            mcpServers: mcpServers)
    }

    public func validate(_ step: StepDefinition, in context: ValidationContext, diagnostics: inout DiagnosticList) {
        guard let configuration = step.configuration(as: AgentStepConfiguration.self) else { return }
        let known = AgentStepConfiguration.builtInTools
        let servers = configuration.mcpServers.map(\.name)
        for tool in configuration.tools ?? [] where !known.contains(tool.value) {
            if tool.value.hasPrefix("mcp__") {
                if MCPServerFields.server(namedBy: tool.value, among: servers) != nil { continue }
                diagnostics.error(
                    .invalidValue, at: tool.location, "`\(tool.value)` names no server of this step's mcp_servers",
                    hint: servers.isEmpty
                        ? "declare the server under mcp_servers:" : "write mcp__<server> or mcp__<server>__<tool> for one of " + servers.joined(separator: ", ")
                )
                continue
            }
            diagnostics.error(
                .invalidValue, at: tool.location, "unknown tool `\(tool.value)`",
                hint: EditDistance.suggestion(for: tool.value, among: known) ?? "use some of \(known.joined(separator: ", "))")
        }
        for agent in configuration.subagents {
            for tool in agent.tools ?? [] where !known.contains(tool) {
                diagnostics.error(
                    .invalidValue, at: step.fieldLocations["agents"], "agent `\(agent.name)` names an unknown tool `\(tool)`",
                    hint: "use some of \(known.joined(separator: ", "))")
            }
        }
        if configuration.fallback != nil, step.onFailure?.value != .fallback {
            diagnostics.warning(
                .invalidValue, at: step.fieldLocations["fallback"], "`fallback` is used only with `on_failure: fallback`",
                hint: "add retry: {on_failure: fallback}")
        }
    }

    private static func fallback(_ step: MappingReader) -> AgentFallback? {
        guard step.has("fallback") else { return nil }
        guard let reader = step.mapping("fallback", expectation: "write fallback: {prompt: \"…\", model: haiku}") else { return nil }
        guard let prompt = reader.template("prompt", required: true, hint: "write the fallback's own prompt") else { return nil }
        let model = ModelFields.model(reader)
        reader.reportUnknownFields(allowed: ["prompt", "model"])
        return AgentFallback(prompt: prompt, model: model)
    }

    /// `agents:` as a mapping `{name: {description, prompt, tools, model}}` (Sandstorm's form).
    private static func subagents(_ step: MappingReader) -> [SubagentDefinition] {
        guard step.has("agents") else { return [] }
        guard let reader = step.mapping("agents", expectation: "write agents: {reviewer: {description: …, prompt: …}}") else {
            return []
        }
        var result: [SubagentDefinition] = []
        for name in reader.keys {
            guard let node = reader.value(name) else { continue }
            guard let agent = MappingReader(node, subject: "agent `\(name)`", session: step.session) else { continue }
            if name.isEmpty || !name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) || !name.allSatisfy(\.isASCII) {
                step.session.error(.invalidValue, at: node.location, "invalid agent name `\(name)`", hint: "use letters, digits, _ and -")
                continue
            }
            let description = agent.nonEmptyString("description", required: true, hint: "say when to use it")
            let prompt = agent.nonEmptyString("prompt", required: true, hint: "write its system prompt")
            let tools = agent.stringList("tools", allowSingle: false)?.map(\.value)
            let model = agent.nonEmptyString("model")?.value
            agent.reportUnknownFields(allowed: ["description", "prompt", "tools", "model"])
            guard let description, let prompt else { continue }
            result.append(
                SubagentDefinition(name: name, description: description.value, prompt: prompt.value, tools: tools, model: model))
        }
        return result
    }
}

/// Readers for the fields agent and `llm` steps share.
enum ModelFields {
    static let maxTokensRange = 1...1_000_000

    static func model(_ reader: MappingReader) -> Located<String>? {
        reader.nonEmptyString("model", hint: "name a model: sonnet, haiku, opus, openai/gpt-4o, ollama/llama3.2")
    }

    /// A JSON Schema written in YAML: a mapping (or `true`/`false`).
    static func schema(_ reader: MappingReader, _ key: String) -> Located<JSONValue>? {
        guard let node = reader.value(key) else { return nil }
        let value = node.jsonValue
        switch value {
        case .object, .bool:
            return Located(value, at: node.location)
        default:
            reader.session.error(
                .wrongType, at: node.location, "`\(key)` must be a JSON Schema (a mapping), found \(node.typeName)",
                hint: "write \(key): {type: object, properties: {name: {type: string}}, required: [name]}")
            return nil
        }
    }

    static func temperature(_ reader: MappingReader, _ key: String) -> Double? {
        guard let node = reader.value(key) else { return nil }
        guard let number = node.scalar?.value.doubleValue, (0...2).contains(number) else {
            reader.session.error(
                .invalidValue, at: node.location, "`\(key)` must be a number from 0 to 2, found \(node.scalar?.text ?? node.typeName)")
            return nil
        }
        return number
    }
}
