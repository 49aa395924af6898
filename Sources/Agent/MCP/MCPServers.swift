import ModelProviders
import Sandbox

/// The MCP servers of one agent run: started together once the sandbox exists, their tools
/// offered beside the built-in ones, stopped together when the run ends.
///
/// ```swift
/// let servers = try await MCPServers.start(configurations, sandbox: sandbox)
/// let tools = try ToolSet.standard(network: false, mcp: servers.tools, only: step.tools)
/// let result = await AgentLoop(provider: provider, configuration: configuration, tools: tools, sandbox: sandbox).run(prompt: prompt)
/// await servers.stop()
/// ```
public final class MCPServers: Sendable {
    public let connections: [MCPServerConnection]
    /// Every server's tools, servers in configuration order, each server's tools in its order.
    public let tools: [MCPTool]

    public static let none = MCPServers(connections: [], tools: [])

    private init(connections: [MCPServerConnection], tools: [MCPTool]) {
        self.connections = connections
        self.tools = tools
    }

    /// Starts every server (concurrently) and lists its tools. When one fails, the others are
    /// stopped and the first failure (in configuration order) is thrown.
    ///
    /// - Throws: ``MCPError`` naming the server, with its stderr when it explains the failure.
    public static func start(
        _ configurations: [MCPServerConfiguration], sandbox: any SandboxInstance, options: MCPOptions = MCPOptions()
    ) async throws -> MCPServers {
        guard !configurations.isEmpty else { return .none }
        var seen: Set<String> = []
        for configuration in configurations where !seen.insert(configuration.name).inserted {
            throw MCPError(.invalidConfiguration, server: configuration.name, "is declared twice")
        }
        let outcomes = await withTaskGroup(of: (Int, Result<(MCPServerConnection, [MCPTool]), any Error>).self) { group in
            for (index, configuration) in configurations.enumerated() {
                group.addTask {
                    do {
                        let connection = try await MCPServerConnection.connect(configuration, sandbox: sandbox, options: options)
                        do {
                            let tools = try await connection.listTools().map { MCPTool($0, connection: connection) }
                            return (index, .success((connection, tools)))
                        } catch {
                            await connection.close()
                            throw error
                        }
                    } catch {
                        return (index, .failure(error))
                    }
                }
            }
            var outcomes: [Int: Result<(MCPServerConnection, [MCPTool]), any Error>] = [:]
            for await (index, outcome) in group { outcomes[index] = outcome }
            return configurations.indices.compactMap { outcomes[$0] }
        }
        let started = outcomes.compactMap { try? $0.get() }
        if let failure = outcomes.lazy.compactMap({ outcome -> (any Error)? in
            if case .failure(let error) = outcome { error } else { nil }
        }).first {
            for (connection, _) in started { await connection.close() }
            throw failure
        }
        let tools = started.flatMap(\.1)
        var names: Set<String> = []
        for tool in tools where !names.insert(tool.name).inserted {
            for (connection, _) in started { await connection.close() }
            throw MCPError(
                .invalidConfiguration, server: tool.connection.name,
                "offers two tools that are both named \(tool.name) once made safe for a model (tool names may hold only letters, digits, _ and -)")
        }
        return MCPServers(connections: started.map(\.0), tools: tools)
    }

    /// Stops every server (stdio processes end; HTTP sessions are closed).
    public func stop() async {
        await withTaskGroup(of: Void.self) { group in
            for connection in connections { group.addTask { await connection.close() } }
        }
    }
}

extension ToolSet {
    /// The built-in tools and MCP tools together, narrowed by a step's `tools:` list, where
    /// `mcp__<server>` stands for all of a server's tools and `mcp__<server>__<tool>` for one.
    ///
    /// - Throws: ``AgentError`` `unknownTool` naming what matches nothing (listing the MCP tools
    ///   there are), and the errors of ``standard(network:subagents:only:)``.
    public static func standard(
        network: Bool, subagents: [SubagentDefinition] = [], mcp: [MCPTool], only names: [String]? = nil
    ) throws -> ToolSet {
        guard let names else {
            return try ToolSet(try standard(network: network, subagents: subagents).tools + mcp)
        }
        let mcpNames = names.filter { $0.hasPrefix("mcp__") }
        let builtIn = try standard(network: network, subagents: subagents, only: names.filter { !$0.hasPrefix("mcp__") })
        var chosen: [MCPTool] = []
        var unknown: [String] = []
        for name in mcpNames {
            let matches = mcp.filter { $0.name == name || name == "mcp__" + $0.connection.name }
            if matches.isEmpty { unknown.append(name) }
            for tool in matches where !chosen.contains(where: { $0.name == tool.name }) { chosen.append(tool) }
        }
        if !unknown.isEmpty {
            let servers = Set(mcp.map { "mcp__" + $0.connection.name }).sorted()
            throw AgentError(
                .unknownTool,
                "unknown MCP tool\(unknown.count == 1 ? "" : "s") \(unknown.joined(separator: ", ")) in tools:; the MCP tools here are "
                    + listing(servers + mcp.map(\.name)))
        }
        let ordered = mcp.filter { tool in chosen.contains { $0.name == tool.name } }
        return try ToolSet(builtIn.tools + ordered)
    }
}
