/// The built-in tools, with Claude Code's names and parameters.
extension ToolSet {
    /// Every built-in tool name a `tools:` list may use (`Task` is accepted for `Agent`).
    public static let standardToolNames = ["Bash", "Read", "Write", "Edit", "Glob", "Grep", "WebFetch", "Agent", "Task"]

    /// The built-in tools for one sandbox.
    ///
    /// - Parameters:
    ///   - network: whether the sandbox's profile has network; `WebFetch` is offered only then.
    ///   - subagents: named subagents (Sandstorm's `agents`). The `Agent` tool (alias `Task`) is
    ///     offered when there are some, or when `only` names it (then with a general-purpose one).
    ///   - only: a step's `tools:` list; nil offers them all.
    /// - Throws: ``AgentError`` `unknownTool` for a name that is no tool (listing the valid ones),
    ///   `toolUnavailable` for `WebFetch` without network.
    public static func standard(network: Bool, subagents: [SubagentDefinition] = [], only names: [String]? = nil) throws -> ToolSet {
        var tools: [any AgentTool] = [BashTool(), ReadTool(), WriteTool(), EditTool(), GlobTool(), GrepTool()]
        if network { tools.append(WebFetchTool()) }
        let wantsSubagents = names.map { $0.contains("Agent") || $0.contains("Task") } ?? !subagents.isEmpty
        if wantsSubagents { tools.append(try SubagentTool(subagents)) }
        let set = try ToolSet(tools)
        guard let names else { return set }
        let unknown = names.filter { !standardToolNames.contains($0) }
        if !unknown.isEmpty {
            throw AgentError(
                .unknownTool,
                "unknown tool\(unknown.count == 1 ? "" : "s") \(unknown.joined(separator: ", ")) in tools:; the built-in tools are "
                    + listing(standardToolNames.filter { network || $0 != "WebFetch" }))
        }
        if !network && names.contains("WebFetch") {
            throw AgentError(
                .toolUnavailable, "WebFetch needs a sandbox profile with network, and this one has none (use a networked profile, or drop WebFetch from tools:)"
            )
        }
        return try set.narrowed(to: names)
    }
}
