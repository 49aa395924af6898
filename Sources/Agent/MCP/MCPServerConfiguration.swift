import JSONValues
import ModelProviders

/// One MCP server an agent may use (Sandstorm's and Claude Code's `mcp_servers` entry): started
/// inside the sandbox over stdio, or reached from the host over Streamable HTTP.
///
/// Values are final here: `${VAR}` references are resolved by ``parse(_:environment:)`` (or by
/// whoever builds this), never later. Environment values and header values are ``SecretValue``s,
/// so printing a configuration never shows them.
public struct MCPServerConfiguration: Sendable, Hashable, CustomStringConvertible {
    public enum Transport: Sendable, Hashable {
        /// `command` and `arguments` started inside the sandbox (under its isolation profile),
        /// JSON-RPC as lines on its stdin and stdout. `environment` enters the sandbox: the step
        /// declared it for this server.
        case stdio(command: String, arguments: [String], environment: [String: SecretValue])
        /// A Streamable HTTP endpoint called from the host, so the sandbox's network policy does
        /// not apply to it. `headers` are sent with every request (and never logged).
        case http(url: String, headers: [String: SecretValue])
    }

    /// The key in `mcp_servers`; tools are offered as `mcp__<name>__<tool>`.
    public var name: String
    public var transport: Transport

    public init(name: String, transport: Transport) {
        self.name = name
        self.transport = transport
    }

    public static func stdio(
        _ name: String, command: String, arguments: [String] = [], environment: [String: SecretValue] = [:]
    ) -> MCPServerConfiguration {
        MCPServerConfiguration(name: name, transport: .stdio(command: command, arguments: arguments, environment: environment))
    }

    public static func http(_ name: String, url: String, headers: [String: SecretValue] = [:]) -> MCPServerConfiguration {
        MCPServerConfiguration(name: name, transport: .http(url: url, headers: headers))
    }

    /// The server without its secrets: the name and the command or the URL (without a query).
    public var description: String {
        switch transport {
        case .stdio(let command, let arguments, _):
            "\(name) (stdio: \(([command] + arguments).joined(separator: " ")))"
        case .http(let url, _):
            "\(name) (http: \(url.split(separator: "?", maxSplits: 1).first.map(String.init) ?? url))"
        }
    }

    /// Whether `name` may name a server (Sandstorm's rule): ASCII letters, digits, `_` and `-`.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty
            && name.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F
                    || byte == 0x2D
            }
    }

    /// Throws ``MCPError`` `invalidConfiguration` naming what is wrong.
    public func validate() throws {
        func fail(_ message: String) -> MCPError { MCPError(.invalidConfiguration, server: name, message) }
        guard Self.isValidName(name) else { throw fail("a server name may hold only letters, digits, _ and -") }
        switch transport {
        case .stdio(let command, _, _):
            if command.allSatisfy(\.isWhitespace) { throw fail("`command` is empty") }
        case .http(let url, _):
            guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                throw fail("`url` must start with http:// or https://, got \(Self.clip(url))")
            }
        }
    }

    /// The servers of a `mcp_servers` object, `{name: {command, args?, env?} | {type: http, url, headers?}}`,
    /// sorted by name, with `${VAR}` and `${VAR:-default}` in every string resolved from `environment`.
    ///
    /// - Throws: ``MCPError`` `invalidConfiguration` naming the server and field at fault (a
    ///   variable that is not set, both or neither of `command` and `url`, an unknown key).
    public static func parse(_ value: JSONValue, environment: [String: String]) throws -> [MCPServerConfiguration] {
        guard case .object(let servers) = value else {
            throw MCPError(.invalidConfiguration, server: "mcp_servers", "mcp_servers must be an object of named servers, got \(value.typeName)")
        }
        return try servers.keys.sorted().map { name in try parse(name: name, servers[name] ?? .null, environment: environment) }
    }

    private static let knownKeys: Set<String> = ["type", "command", "args", "env", "url", "headers"]

    /// One server of `mcp_servers` (see ``parse(_:environment:)``).
    public static func parse(name: String, _ value: JSONValue, environment: [String: String]) throws -> MCPServerConfiguration {
        func fail(_ message: String) -> MCPError { MCPError(.invalidConfiguration, server: name, message) }
        guard isValidName(name) else { throw fail("a server name may hold only letters, digits, _ and -") }
        guard case .object(let fields) = value else { throw fail("must be an object like {command, args, env} or {type: http, url}") }
        if let unknown = fields.keys.sorted().first(where: { !knownKeys.contains($0) }) {
            throw fail("unknown key `\(unknown)` (known: \(knownKeys.sorted().joined(separator: ", ")))")
        }
        func string(_ key: String) throws -> String? {
            switch fields[key] {
            case nil, .null?: return nil
            case .string(let text)?: return try resolve(text, environment: environment, server: name, field: key)
            case let other?: throw fail("`\(key)` must be a string, got \(other.typeName)")
            }
        }
        func strings(_ key: String) throws -> [String] {
            switch fields[key] {
            case nil, .null?: return []
            case .array(let items)?:
                return try items.enumerated().map { index, item in
                    guard case .string(let text) = item else { throw fail("`\(key)[\(index)]` must be a string, got \(item.typeName)") }
                    return try resolve(text, environment: environment, server: name, field: "\(key)[\(index)]")
                }
            case let other?: throw fail("`\(key)` must be a list of strings, got \(other.typeName)")
            }
        }
        func secrets(_ key: String) throws -> [String: SecretValue] {
            switch fields[key] {
            case nil, .null?: return [:]
            case .object(let members)?:
                var result: [String: SecretValue] = [:]
                for (field, member) in members {
                    guard case .string(let text) = member else { throw fail("`\(key).\(field)` must be a string, got \(member.typeName)") }
                    result[field] = SecretValue(try resolve(text, environment: environment, server: name, field: "\(key).\(field)"))
                }
                return result
            case let other?: throw fail("`\(key)` must be an object of strings, got \(other.typeName)")
            }
        }
        let type = try string("type")
        let command = try string("command")
        let url = try string("url")
        let configuration: MCPServerConfiguration
        switch (type, command, url) {
        case (_, .some, .some):
            throw fail("give either `command` (a stdio server started in the sandbox) or `url` (an HTTP server), not both")
        case ("sse"?, _, _):
            throw fail("the older SSE transport (type: sse) is not supported; use type: http (Streamable HTTP)")
        case (let type?, _, _) where !["stdio", "http", "streamable-http"].contains(type):
            throw fail("unknown type `\(clip(type))` (use stdio or http)")
        case (_, let command?, nil):
            if type == "http" || type == "streamable-http" { throw fail("type: \(type ?? "") needs `url`, not `command`") }
            if fields["headers"] != nil { throw fail("`headers` belongs to an HTTP server; a stdio server takes `env`") }
            configuration = .stdio(name, command: command, arguments: try strings("args"), environment: try secrets("env"))
        case (_, nil, let url?):
            if type == "stdio" { throw fail("type: stdio needs `command`, not `url`") }
            if fields["args"] != nil || fields["env"] != nil {
                throw fail("`args` and `env` belong to a stdio server; an HTTP server takes `headers`")
            }
            configuration = .http(name, url: url, headers: try secrets("headers"))
        case (_, nil, nil):
            throw fail("needs `command` (a stdio server started in the sandbox) or `url` (an HTTP server)")
        }
        try configuration.validate()
        return configuration
    }

    /// `text` with `${VAR}` and `${VAR:-default}` replaced from `environment` (Sandstorm's rule;
    /// text that is not such a reference stays as written).
    ///
    /// - Throws: ``MCPError`` `invalidConfiguration` for a variable that is not set and has no default.
    public static func resolve(_ text: String, environment: [String: String], server: String, field: String) throws -> String {
        guard text.contains("${") else { return text }
        var result = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            result += rest[..<start.lowerBound]
            let body = rest[start.upperBound...]
            guard let close = body.firstIndex(of: "}") else {
                result += rest[start.lowerBound...]
                return result
            }
            let inside = body[..<close]
            let (variable, fallback): (Substring, Substring?)
            if let separator = inside.range(of: ":-") {
                (variable, fallback) = (inside[..<separator.lowerBound], inside[separator.upperBound...])
            } else {
                (variable, fallback) = (inside, nil)
            }
            if isVariableName(variable) {
                if let value = environment[String(variable)] {
                    result += value
                } else if let fallback {
                    result += fallback
                } else {
                    throw MCPError(
                        .invalidConfiguration, server: server,
                        "`\(field)` uses ${\(variable)}, which is not set in the environment (set it, or write ${\(variable):-default})")
                }
            } else {
                result += rest[start.lowerBound...close]
            }
            rest = body[body.index(after: close)...]
        }
        return result + rest
    }

    private static func isVariableName(_ name: Substring) -> Bool {
        guard let first = name.utf8.first, first == 0x5F || (first | 0x20) >= 0x61 && (first | 0x20) <= 0x7A else { return false }
        return name.utf8.allSatisfy { byte in
            byte == 0x5F || (byte >= 0x30 && byte <= 0x39) || ((byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A)
        }
    }

    static func clip(_ text: String, _ limit: Int = 120) -> String {
        text.count > limit ? String(text.prefix(limit)).debugDescription + "…" : text.debugDescription
    }
}
