import Agent
import Foundation
import JSONValues
import ModelProviders
import Sandbox
import TestSupport
import Testing

/// The MCP client against the official MCP Python SDK's server: stdio inside a real sandbox,
/// Streamable HTTP from the host.
@Suite("MCP servers", .serialized, .timeLimit(.minutes(5)))
struct MCPTests {
    @Test("a stdio server runs inside the sandbox; its tools reach the model as mcp__ tools; errors are is_error; it is gone after the run")
    func stdioServerInTheSandbox() async throws {
        try await MCPFixture.withServerSandbox { sandbox in
            _ = try await AgentFixture.shell(sandbox, "echo sandbox-only > /workspace/only-in-the-sandbox.txt")
            let servers = try await MCPServers.start([MCPFixture.stdioServer()], sandbox: sandbox)
            #expect(servers.tools.map(\.name) == ["mcp__t__add", "mcp__t__read_secret_file", "mcp__t__where_am_i", "mcp__t__big"])
            #expect(servers.connections.first?.serverInfo.protocolVersion == MCPOptions.protocolVersion)
            let provider = ScriptedProvider([
                .tools(
                    call("sum", "mcp__t__add", ["a": 2, "b": 40]),
                    call("secret", "mcp__t__read_secret_file", ["path": "/etc/shadow"]),
                    call("where", "mcp__t__where_am_i", [:])),
                .text("done"),
            ])
            let tools = try ToolSet.standard(network: false, mcp: servers.tools, only: ["Bash", "mcp__t"])
            let loop = AgentLoop(provider: provider, configuration: AgentConfiguration(model: "sonnet"), tools: tools, sandbox: sandbox)
            let result = await loop.run(prompt: "use the server")
            await servers.stop()

            let offered = provider.requests.first?.tools.map(\.name) ?? []
            #expect(offered == ["Bash", "mcp__t__add", "mcp__t__read_secret_file", "mcp__t__where_am_i", "mcp__t__big"])
            let addSchema = provider.requests.first?.tools.first { $0.name == "mcp__t__add" }?.inputSchema
            #expect(addSchema?.child("required") == ["a", "b"], "the server's inputSchema is offered as it is")
            #expect(result.toolResult("sum")?.content == "42")
            #expect(result.toolResult("sum")?.isError == false)
            #expect(result.toolResult("secret")?.isError == true)
            #expect(result.toolResult("secret")?.content.contains("access to /etc/shadow is denied") == true)
            let whereabouts = result.toolResult("where")?.content ?? ""
            #expect(whereabouts.contains("init=/sbin/sandcastle-runner") || whereabouts.contains("sandcastle-runner"), "\(whereabouts)")
            #expect(whereabouts.contains("marker=sandbox-only"), "the server reads a file only the sandbox has: \(whereabouts)")
            #expect(whereabouts.contains("greeting=hello"), "the declared env reached the server: \(whereabouts)")
            #expect(result.subtype == "success")
            let left = try await MCPFixture.serverProcesses(in: sandbox)
            #expect(left.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "server processes left: \(left)")
        }
    }

    @Test("a server that exits at once fails to start with its stderr in the error")
    func serverExitingAtOnce() async throws {
        try await AgentFixture.withSandbox(image: "python") { sandbox in
            let broken = MCPServerConfiguration.stdio(
                "broken", command: "python3", arguments: ["-c", "import sys; sys.stderr.write('boom: no config file\\n'); sys.exit(3)"])
            let error = await #expect(throws: MCPError.self) { try await MCPServers.start([broken], sandbox: sandbox) }
            #expect(error?.code == .startFailed)
            #expect(error?.description.contains("\"broken\"") == true, "\(String(describing: error))")
            #expect(error?.message.contains("boom: no config file") == true, "\(String(describing: error))")
            #expect(error?.message.contains("exited with code 3") == true, "\(String(describing: error))")

            let missing = MCPServerConfiguration.stdio("missing", command: "no-such-mcp-server")
            let notFound = await #expect(throws: MCPError.self) { try await MCPServers.start([missing], sandbox: sandbox) }
            #expect(notFound?.code == .startFailed)
            #expect(notFound?.server == "missing")
        }
    }

    @Test("garbage on stdout is skipped and reported; an oversized answer fails only its call")
    func garbageAndOversizedAnswers() async throws {
        try await MCPFixture.withServerSandbox { sandbox in
            // A server that prints a banner before speaking JSON-RPC, wrapped around the real one.
            let noisy = MCPServerConfiguration.stdio(
                "noisy", command: "bash",
                arguments: ["-c", "echo 'Welcome to the noisy server!'; exec python3 \(MCPFixture.sandboxFolder)/mcp_test_server.py stdio"],
                environment: ["PYTHONPATH": SecretValue(MCPFixture.sandboxFolder)])
            let connection = try await MCPServerConnection.connect(noisy, sandbox: sandbox, options: MCPOptions(maxMessageBytes: 4096))
            #expect(connection.diagnostics.contains("Welcome to the noisy server!"))
            let tooBig = await #expect(throws: MCPError.self) { try await connection.callTool("big", arguments: ["size": 10_000]) }
            #expect(tooBig?.code == .messageTooLarge, "\(String(describing: tooBig))")
            let sum = try await connection.callTool("add", arguments: ["a": 1, "b": 1])
            #expect(sum == MCPToolCallResult(text: "2", isError: false), "the session goes on after the oversized answer")
            // FastMCP answers an unknown tool with an error result rather than a JSON-RPC error.
            let unknown = try await connection.callTool("nope", arguments: [:])
            #expect(unknown.isError && unknown.text.contains("nope"))
            await connection.close()
            #expect(try await MCPFixture.serverProcesses(in: sandbox).trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
            let afterClose = await #expect(throws: MCPError.self) { try await connection.callTool("add", arguments: ["a": 1, "b": 1]) }
            #expect(afterClose?.code == .serverExited)
        }
    }

    @Test("a request the server never answers times out, naming the method")
    func requestTimeout() async throws {
        try await AgentFixture.withSandbox(image: "python") { sandbox in
            // Reads requests and never answers.
            let silent = MCPServerConfiguration.stdio("silent", command: "bash", arguments: ["-c", "cat > /dev/null"])
            let start = ContinuousClock.now
            let error = await #expect(throws: MCPError.self) {
                try await MCPServerConnection.connect(silent, sandbox: sandbox, options: MCPOptions(startTimeout: .seconds(1)))
            }
            #expect(error?.code == .startFailed)
            #expect(error?.message.contains("initialize got no answer within 1 s") == true, "\(String(describing: error))")
            #expect(ContinuousClock.now - start < .seconds(20))
            let left = try await AgentFixture.shell(sandbox, "pgrep -x cat || true")
            #expect(left.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "the silent server was not stopped: \(left)")
        }
    }

    @Test("a Streamable HTTP server on the host, answering with SSE and with JSON", arguments: [false, true])
    func httpServer(json: Bool) async throws {
        let host = try await HostMCPServer.start(json: json)
        defer { host.stop() }
        let servers: MCPServers
        do {
            servers = try await MCPServers.start([.http("web", url: host.url, headers: ["X-Test": SecretValue("yes")])], sandbox: NoSandbox())
        } catch {
            Issue.record("\(error)\nthe server's log:\n\(host.logText)")
            throw error
        }
        #expect(servers.tools.map(\.name).contains("mcp__web__add"))
        let provider = ScriptedProvider([
            .tools(call("sum", "mcp__web__add", ["a": 20, "b": 22]), call("secret", "mcp__web__read_secret_file", ["path": "/x"])),
            .tools(call("again", "mcp__web__add", ["a": 1, "b": 2])),
            .text("done"),
        ])
        let tools = try ToolSet.standard(network: false, mcp: servers.tools, only: ["mcp__web__add", "mcp__web__read_secret_file"])
        #expect(tools.names == ["mcp__web__add", "mcp__web__read_secret_file"])
        let loop = AgentLoop(provider: provider, configuration: AgentConfiguration(model: "sonnet"), tools: tools, sandbox: NoSandbox())
        let result = await loop.run(prompt: "add")
        await servers.stop()
        #expect(result.toolResult("sum")?.content == "42")
        #expect(result.toolResult("again")?.content == "3", "the session (Mcp-Session-Id) carried over to a later request")
        #expect(result.toolResult("secret")?.isError == true)
    }

    @Test("an HTTP server that is not there fails to start with a clear error")
    func httpServerMissing() async throws {
        let error = await #expect(throws: MCPError.self) {
            try await MCPServers.start([.http("gone", url: "http://127.0.0.1:9/mcp")], sandbox: NoSandbox(), options: MCPOptions(startTimeout: .seconds(10)))
        }
        #expect(error?.code == .startFailed)
        #expect(error?.server == "gone")
    }
}

/// `mcp_servers` as Sandstorm writes it, and `tools:` narrowing.
@Suite("MCP configuration")
struct MCPConfigurationTests {
    @Test func parsesBothShapesAndResolvesVariables() throws {
        let value = JSONValue.parse(
            json: #"""
                {"files": {"command": "npx", "args": ["-y", "server", "${ROOT:-/workspace}"], "env": {"TOKEN": "${GH_TOKEN}"}},
                 "web": {"type": "http", "url": "https://${HOST}/mcp", "headers": {"Authorization": "Bearer ${GH_TOKEN}"}}}
                """#)
        let servers = try MCPServerConfiguration.parse(value ?? .null, environment: ["GH_TOKEN": "ghp_secret", "HOST": "example.com"])
        #expect(servers.map(\.name) == ["files", "web"])
        #expect(servers[0].transport == .stdio(command: "npx", arguments: ["-y", "server", "/workspace"], environment: ["TOKEN": SecretValue("ghp_secret")]))
        #expect(servers[1].transport == .http(url: "https://example.com/mcp", headers: ["Authorization": SecretValue("Bearer ghp_secret")]))
        #expect(!"\(servers)".contains("ghp_secret"), "secrets never print")
    }

    @Test func refusesWhatIsWrong() throws {
        func problem(_ json: String, _ environment: [String: String] = [:]) -> String {
            do {
                _ = try MCPServerConfiguration.parse(JSONValue.parse(json: json) ?? .null, environment: environment)
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        #expect(problem(#"{"a": {"command": "x", "env": {"K": "${MISSING}"}}}"#).contains("${MISSING}, which is not set"))
        #expect(problem(#"{"a": {"command": "x", "url": "http://h"}}"#).contains("not both"))
        #expect(problem(#"{"a": {}}"#).contains("needs `command`"))
        #expect(problem(#"{"bad name": {"command": "x"}}"#).contains("letters, digits"))
        #expect(problem(#"{"a": {"type": "sse", "url": "http://h"}}"#).contains("SSE transport"))
        #expect(problem(#"{"a": {"command": "x", "cwd": "/"}}"#).contains("unknown key `cwd`"))
        #expect(problem(#"{"a": {"url": "ftp://h"}}"#).contains("http://"))
        #expect(try MCPServerConfiguration.resolve("${A}-${B:-b}-${not a var}-$C", environment: ["A": "a"], server: "s", field: "f") == "a-b-${not a var}-$C")
    }

    @Test func toolNamesAreMadeSafe() {
        #expect(MCPTool.qualifiedName(server: "gh", tool: "issues.list") == "mcp__gh__issues_list")
        #expect(MCPTool.qualifiedName(server: "gh", tool: String(repeating: "a", count: 100)).count == 64)
    }

    @Test func unknownMCPNamesInToolsAreRefused() throws {
        let error = #expect(throws: AgentError.self) { try ToolSet.standard(network: false, mcp: [], only: ["Bash", "mcp__nope"]) }
        #expect(error?.code == .unknownTool)
        #expect(error?.message.contains("mcp__nope") == true)
    }
}
