import JSONValues
import ModelProviders

/// One tool of an MCP server, offered to the model as `mcp__<server>__<tool>` (Claude Code's
/// naming); a call goes to the server as `tools/call` and its content comes back as text, capped
/// like every tool's result by the loop.
public struct MCPTool: AgentTool {
    public let definition: ToolDefinition
    /// The tool's name on its server.
    public let remoteName: String
    let connection: MCPServerConnection

    /// The name of the server the tool belongs to.
    public var server: String { connection.name }

    init(_ tool: MCPToolDescription, connection: MCPServerConnection) {
        remoteName = tool.name
        self.connection = connection
        definition = ToolDefinition(
            name: Self.qualifiedName(server: connection.name, tool: tool.name),
            description: tool.description.isEmpty ? "Tool \(tool.name) of the MCP server \(connection.name)." : tool.description,
            inputSchema: tool.inputSchema)
    }

    /// The prefix of every tool of `server`.
    public static func prefix(server: String) -> String { "mcp__\(server)__" }

    /// `mcp__<server>__<tool>`, with characters model APIs refuse in a tool name (outside
    /// `[A-Za-z0-9_-]`) replaced by `_`, as Claude Code does, and cut to the 64 they allow.
    public static func qualifiedName(server: String, tool: String) -> String {
        let safe = String(
            tool.unicodeScalars.map { scalar -> Character in
                scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "_" || scalar == "-")
                    ? Character(scalar) : "_"
            })
        return String((prefix(server: server) + safe).prefix(64))
    }

    public func run(_ input: ToolInput, context: ToolContext) async throws -> ToolOutput {
        do {
            let result = try await connection.callTool(remoteName, arguments: input.value)
            if result.text.isEmpty { return ToolOutput(result.isError ? "(the tool failed without a message)" : "(no output)", isError: result.isError) }
            return ToolOutput(result.text, isError: result.isError)
        } catch let error as MCPError {
            throw ToolFailure(error.description)
        }
    }
}
