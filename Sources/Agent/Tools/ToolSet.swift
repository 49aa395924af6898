import ModelProviders

/// The tools one agent may use, looked up by name or alias.
public struct ToolSet: Sendable {
    public let tools: [any AgentTool]

    /// - Throws: ``AgentError`` `invalidConfiguration` when two tools answer to one name.
    public init(_ tools: [any AgentTool]) throws {
        var seen: Set<String> = []
        for tool in tools {
            for name in [tool.name] + tool.aliases where !seen.insert(name).inserted {
                throw AgentError(.invalidConfiguration, "two tools are named \(name)")
            }
        }
        self.tools = tools
    }

    public static let empty = ToolSet(unchecked: [])

    private init(unchecked tools: [any AgentTool]) { self.tools = tools }

    /// What the model is offered, in order.
    public var definitions: [ToolDefinition] { tools.map(\.definition) }
    public var names: [String] { tools.map(\.name) }

    /// The tool the model means by `name` (its name or an alias).
    public func tool(named name: String) -> (any AgentTool)? {
        tools.first { $0.name == name || $0.aliases.contains(name) }
    }

    /// Only the tools `names` lists (by name or alias), in this set's order: a step's `tools:`.
    ///
    /// - Throws: ``AgentError`` `unknownTool` naming what is not here and listing what is.
    public func narrowed(to names: [String]) throws -> ToolSet {
        let unknown = names.filter { tool(named: $0) == nil }
        if !unknown.isEmpty {
            throw AgentError(
                .unknownTool,
                "unknown tool\(unknown.count == 1 ? "" : "s") \(unknown.joined(separator: ", ")); the tools available here are "
                    + Self.listing(self.names))
        }
        return ToolSet(unchecked: tools.filter { tool in names.contains { $0 == tool.name || tool.aliases.contains($0) } })
    }

    /// This set without the tools `predicate` picks.
    func removing(where predicate: (any AgentTool) -> Bool) -> ToolSet {
        ToolSet(unchecked: tools.filter { !predicate($0) })
    }

    /// This set with `tool` added at the end.
    func adding(_ tool: any AgentTool) throws -> ToolSet {
        try ToolSet(tools + [tool])
    }

    static func listing(_ names: [String]) -> String {
        names.isEmpty ? "none" : names.joined(separator: ", ")
    }
}
