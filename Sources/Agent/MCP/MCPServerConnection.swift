import JSONValues
import Sandbox
import Synchronization

/// A tool as an MCP server describes it (`tools/list`).
public struct MCPToolDescription: Sendable, Hashable {
    public var name: String
    public var description: String
    /// The JSON Schema of its arguments (an object schema; `{type: object}` when the server gave none).
    public var inputSchema: JSONValue

    public init(name: String, description: String, inputSchema: JSONValue) {
        self.name = name
        self.description = description
        self.inputSchema = inputSchema
    }
}

/// What a `tools/call` returned: its content blocks made text, and whether the tool failed.
public struct MCPToolCallResult: Sendable, Hashable {
    public var text: String
    public var isError: Bool

    public init(text: String, isError: Bool) {
        self.text = text
        self.isError = isError
    }
}

/// One live session with an MCP server: JSON-RPC 2.0 requests matched to their answers by id,
/// each under its own time limit, over stdio inside the sandbox or Streamable HTTP from the host.
///
/// ```swift
/// let server = try await MCPServerConnection.connect(.stdio("files", command: "python3", arguments: ["server.py"]),
///                                                    sandbox: sandbox)
/// defer { Task { await server.close() } }
/// let tools = try await server.listTools()
/// ```
public final class MCPServerConnection: Sendable {
    public let name: String
    public let options: MCPOptions
    /// What the server answered to `initialize`.
    public let serverInfo: ServerInfo

    public struct ServerInfo: Sendable, Hashable {
        /// The version the server chose (its answer is accepted as it is).
        public var protocolVersion: String
        public var name: String
        public var version: String
        /// Whether it declared the `tools` capability.
        public var hasTools: Bool
        public var instructions: String?
    }

    let core: RPCCore

    private init(name: String, options: MCPOptions, core: RPCCore, serverInfo: ServerInfo) {
        self.name = name
        self.options = options
        self.core = core
        self.serverInfo = serverInfo
    }

    /// Starts (stdio) or reaches (HTTP) the server and runs the `initialize` handshake.
    ///
    /// - Throws: ``MCPError`` `startFailed` with the server's stderr when it cannot be started or
    ///   does not complete the handshake in ``MCPOptions/startTimeout``; `invalidConfiguration`.
    public static func connect(
        _ configuration: MCPServerConfiguration, sandbox: any SandboxInstance, options: MCPOptions = MCPOptions()
    ) async throws -> MCPServerConnection {
        try configuration.validate()
        let core = RPCCore(server: configuration.name, options: options)
        let transport: any MCPTransport
        do {
            switch configuration.transport {
            case .stdio(let command, let arguments, let environment):
                transport = try await MCPStdioTransport.start(
                    server: configuration.name, argv: [command] + arguments, environment: environment.mapValues { $0.reveal() },
                    sandbox: sandbox, options: options, inbox: core.inbox)
            case .http(let url, let headers):
                transport = try MCPHTTPTransport(
                    server: configuration.name, url: url, headers: headers.mapValues { $0.reveal() }, options: options, inbox: core.inbox)
            }
        } catch let error as MCPError {
            throw MCPError(.startFailed, server: configuration.name, error.message)
        } catch {
            throw MCPError(.startFailed, server: configuration.name, "could not be started: \(error)")
        }
        core.attach(transport)
        do {
            let info = try await initialize(core, options: options)
            return MCPServerConnection(name: configuration.name, options: options, core: core, serverInfo: info)
        } catch {
            // Stopping it first also waits for a process that died to report how, with its stderr.
            await transport.close()
            if error is CancellationError { throw error }
            let failure = error as? MCPError
            if failure?.code == .serverExited, let exit = core.closedError {
                throw MCPError(.startFailed, server: configuration.name, exit.message)
            }
            throw MCPError(
                .startFailed, server: configuration.name,
                "did not complete the MCP handshake: \(failure?.message ?? "\(error)")" + core.diagnosticsSuffix)
        }
    }

    private static func initialize(_ core: RPCCore, options: MCPOptions) async throws -> ServerInfo {
        let result = try await core.request(
            "initialize",
            params: [
                "protocolVersion": .string(MCPOptions.protocolVersion),
                "capabilities": [:],
                "clientInfo": ["name": "sandcastle", "version": "1.0"],
            ], timeout: options.startTimeout)
        guard case .string(let version)? = result.child("protocolVersion") else {
            throw MCPError(.protocolViolation, server: core.server, "the initialize result has no protocolVersion")
        }
        let serverInfo = result.child("serverInfo")
        let info = ServerInfo(
            protocolVersion: version, name: serverInfo?.child("name")?.stringValue ?? "",
            version: serverInfo?.child("version")?.stringValue ?? "",
            hasTools: result.child("capabilities")?.child("tools") != nil, instructions: result.child("instructions")?.stringValue)
        core.transport?.negotiated(protocolVersion: version)
        try await core.notify("notifications/initialized")
        return info
    }

    /// Every tool the server offers, following `nextCursor` (at most ``MCPOptions/maxTools``).
    public func listTools() async throws -> [MCPToolDescription] {
        guard serverInfo.hasTools else { return [] }
        var tools: [MCPToolDescription] = []
        var cursor: String?
        repeat {
            let params: JSONValue = cursor.map { ["cursor": .string($0)] } ?? [:]
            let result = try await core.request("tools/list", params: params, timeout: options.requestTimeout)
            guard case .array(let page)? = result.child("tools") else {
                throw MCPError(.protocolViolation, server: name, "the tools/list result has no `tools` list")
            }
            for item in page {
                guard case .string(let toolName)? = item.child("name"), !toolName.isEmpty else {
                    throw MCPError(.protocolViolation, server: name, "a tool in tools/list has no name")
                }
                var schema = item.child("inputSchema") ?? ["type": "object"]
                if case .object(var members) = schema, members["type"] == nil {
                    members["type"] = "object"
                    schema = .object(members)
                }
                tools.append(MCPToolDescription(name: toolName, description: item.child("description")?.stringValue ?? "", inputSchema: schema))
            }
            cursor = result.child("nextCursor")?.stringValue
            if tools.count >= options.maxTools { break }
        } while cursor != nil
        return Array(tools.prefix(options.maxTools))
    }

    /// Calls one tool. A JSON-RPC error, a timeout or a dead server throws ``MCPError``; a tool
    /// that fails in its own way returns `isError`.
    public func callTool(_ name: String, arguments: JSONValue) async throws -> MCPToolCallResult {
        let result = try await core.request(
            "tools/call", params: ["name": .string(name), "arguments": arguments], timeout: options.toolCallTimeout)
        return MCPToolCallResult(text: MCPContent.text(of: result), isError: result.child("isError") == .bool(true))
    }

    /// What the server wrote on the side (stderr, stray stdout lines), capped; empty when nothing.
    public var diagnostics: String { core.transport?.diagnostics ?? "" }

    /// Ends the session; a stdio server's process is stopped (stdin closed, then SIGTERM and
    /// SIGKILL). Requests still waiting fail with `server_exited`.
    public func close() async {
        await core.close()
    }
}

extension JSONValue {
    var stringValue: String? {
        if case .string(let text) = self { text } else { nil }
    }
}
