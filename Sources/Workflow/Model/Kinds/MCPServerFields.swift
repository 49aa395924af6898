/// Reading an agent step's `mcp_servers:` (Sandstorm's `mcp_servers`, Claude Code's `.mcp.json` shape).
enum MCPServerFields {
    static let knownKeys: Set<String> = ["type", "command", "args", "env", "url", "headers"]

    /// The server a `tools:` entry `mcp__<server>` or `mcp__<server>__<tool>` names, if it is one of `servers`.
    static func server(namedBy tool: String, among servers: [String]) -> String? {
        let rest = tool.dropFirst("mcp__".count)
        return servers.first { rest == $0 || rest.hasPrefix($0 + "__") }
    }

    static func servers(_ step: MappingReader) -> [MCPServerDefinition] {
        guard step.has("mcp_servers") else { return [] }
        guard
            let reader = step.mapping(
                "mcp_servers", expectation: "write mcp_servers: {files: {command: npx, args: [...]}, web: {type: http, url: \"https://…\"}}")
        else { return [] }
        var result: [MCPServerDefinition] = []
        for name in reader.keys {
            guard let node = reader.value(name) else { continue }
            let subject = "MCP server `\(name)`"
            guard let server = MappingReader(node, subject: subject, session: step.session) else { continue }
            if name.isEmpty
                || !name.utf8.allSatisfy({ byte in
                    (byte >= 0x30 && byte <= 0x39) || ((byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A) || byte == 0x5F || byte == 0x2D
                })
            {
                step.session.error(.invalidValue, at: node.location, "invalid MCP server name `\(name)`", hint: "use letters, digits, _ and -")
                continue
            }
            server.reportUnknownFields(allowed: knownKeys)
            let type = server.nonEmptyString("type")
            let command = server.nonEmptyString("command")
            let url = server.nonEmptyString("url")
            _ = server.stringList("args", allowSingle: false)
            switch (command, url) {
            case (.some, .some):
                step.session.error(
                    .invalidValue, at: node.location, "\(subject) has both `command` and `url`",
                    hint: "a stdio server (started in the sandbox) has `command`; an HTTP server (called from the host) has `url`")
                continue
            case (nil, nil):
                step.session.error(
                    .missingField, at: node.location, "\(subject) needs `command` or `url`",
                    hint: "write {command: npx, args: [-y, some-server]} or {type: http, url: \"https://…\"}")
                continue
            default:
                break
            }
            if let type {
                switch type.value {
                case "stdio" where command == nil, "http" where url == nil, "streamable-http" where url == nil:
                    step.session.error(
                        .invalidValue, at: type.location, "`type: \(type.value)` does not match the server's \(command == nil ? "`url`" : "`command`")")
                    continue
                case "stdio", "http", "streamable-http":
                    break
                case "sse":
                    step.session.error(
                        .invalidValue, at: type.location, "the older SSE transport (type: sse) is not supported", hint: "use type: http (Streamable HTTP)")
                    continue
                default:
                    step.session.error(.invalidValue, at: type.location, "unknown MCP server type `\(type.value)`", hint: "use stdio or http")
                    continue
                }
            }
            result.append(MCPServerDefinition(name: name, value: node.jsonValue))
        }
        return result
    }
}
