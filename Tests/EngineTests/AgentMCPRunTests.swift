import Foundation
import JSONValues
import ProviderDouble
import SandboxDocker
import Store
import TestSupport
import Testing
import Workflow

@testable import Engine
@testable import EngineService

/// `mcp_servers` on a `prompt:` step through the engine: the server starts in the step's sandbox
/// after it exists, its tools reach the model beside the built-in ones, and it is stopped when
/// the step ends; a server that cannot start fails the step with its name and stderr.
@Suite(.serialized, .timeLimit(.minutes(5))) struct AgentMCPRunTests {
    /// A stdlib-only MCP server (no SDK in the image), written by a `run:` step into the run's
    /// workspace. No braces: the run command is a template.
    static let writeServer = """
        cat > /workspace/mini_mcp.py <<'PY'
        import json, os, socket, sys
        def answer(id, result): print(json.dumps(dict(jsonrpc="2.0", id=id, result=result)), flush=True)
        for line in sys.stdin:
            m = json.loads(line)
            method, id = m.get("method"), m.get("id")
            if method == "initialize":
                answer(id, dict(protocolVersion="2025-06-18", capabilities=dict(tools=dict()), serverInfo=dict(name="mini", version="1")))
            elif method == "tools/list":
                schema = dict(type="object", properties=dict())
                answer(id, dict(tools=[dict(name="whoami", description="Where the server runs.", inputSchema=schema)]))
            elif method == "tools/call":
                init = open("/proc/1/cmdline", "rb").read().replace(bytes(1), b" ").decode().strip()
                answer(id, dict(content=[dict(type="text", text="init=" + init + " greeting=" + os.environ.get("GREETING", ""))]))
        PY
        echo written
        """

    @Test func aStepsStdioServerRunsInItsSandboxAndItsToolReachesTheModel() async throws {
        let double = try await ProviderDouble.start()
        defer { Task { await double.stop() } }
        let key = AgentStepRunTests.key()
        double.setScript(
            key: key,
            turns: [
                .calls([ScriptedToolCall(name: "mcp__mini__whoami", input: [:])]),
                .reply("done"),
            ])
        let backend = try await DockerSandboxBackend.fromEnvironment()
        let (directory, repository) = try DockerWorkflowRunTests.scratchRepository()
        defer { try? FileManager.default.removeItem(at: directory) }
        let wf = try workflow(
            """
            name: mcp-chain
            defaults: {image: python}
            steps:
              - id: setup
                run: |
            \(Self.writeServer.split(separator: "\n", omittingEmptySubsequences: false).map { "          " + $0 }.joined(separator: "\n"))
              - id: ask
                depends_on: [setup]
                prompt: Ask the server where it runs.
                tools: [Bash, mcp__mini]
                mcp_servers:
                  mini:
                    command: python3
                    args: [/workspace/mini_mcp.py]
                    env: {GREETING: "${MCP_TEST_GREETING:-unset}"}
            """)
        var configuration = EngineConfiguration(removesWorkspace: true)
        configuration.models = try AgentStepRunTests.models(double, key: key)
        configuration.environment = ["MCP_TEST_GREETING": "hello-from-the-host"]
        let engine = WorkflowEngine(backend: backend, repository: repository, configuration: configuration)
        let outcome = try await engine.run(wf)
        #expect(outcome.status == .completed, "\(outcome.error ?? "")")

        let requests = double.requests(key: key)
        let toolNames = requests.first?.body?.child("tools").flatMap { tools -> [String]? in
            guard case .array(let list) = tools else { return nil }
            return list.compactMap { if case .string(let name)? = $0.child("name") { name } else { nil } }
        }
        #expect(toolNames == ["Bash", "mcp__mini__whoami"])
        let answer = requests.count > 1 ? requests[1].bodyText : ""
        #expect(answer.contains("sandcastle-runner"), "the server ran inside the sandbox (PID 1 is the runner): \(answer.suffix(400))")
        #expect(answer.contains("greeting=hello-from-the-host"), "${VAR:-default} was resolved from the host's environment")
        let events = try repository.events(runID: outcome.runID).map(RunEvent.init)
        let called = events.compactMap { if case .toolCalled(let call) = $0 { call.name } else { nil } }
        #expect(called == ["mcp__mini__whoami"])
        let left = try await DockerWorkflowRunTests.leftovers(of: outcome.runID, in: backend)
        #expect(left.containers.isEmpty && left.volumes.isEmpty, "left behind: \(left)")
    }

    @Test func aServerThatCannotStartFailsTheStepWithItsNameAndStderr() async throws {
        let double = try await ProviderDouble.start()
        defer { Task { await double.stop() } }
        let key = AgentStepRunTests.key()
        double.setScript(key: key, turns: [.reply("never asked")])
        let backend = try await DockerSandboxBackend.fromEnvironment()
        let (directory, repository) = try DockerWorkflowRunTests.scratchRepository()
        defer { try? FileManager.default.removeItem(at: directory) }
        let wf = try workflow(
            """
            name: mcp-broken
            steps:
              - id: ask
                image: python
                prompt: Use the broken server.
                mcp_servers:
                  broken:
                    command: python3
                    args: ["-c", "import sys; sys.stderr.write('boom: missing API token'); sys.exit(4)"]
            """)
        let outcome = try await AgentStepRunTests.engine(backend, repository, models: try AgentStepRunTests.models(double, key: key)).run(wf)
        #expect(outcome.status == .failed)
        let error = outcome.steps["ask"]?.error ?? outcome.error ?? ""
        #expect(error.contains("\"broken\""), "\(error)")
        #expect(error.contains("boom: missing API token"), "\(error)")
        #expect(double.requests(key: key).isEmpty, "no model call when a server fails to start")
        let left = try await DockerWorkflowRunTests.leftovers(of: outcome.runID, in: backend)
        #expect(left.containers.isEmpty && left.volumes.isEmpty, "left behind: \(left)")
    }
}
