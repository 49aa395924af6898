import EngineService
import Foundation
import Logging
import Orchestrator
import ProviderDouble
import TestSupport
import Testing

@testable import Server
@testable import ServerCore

/// An agent step's transcript reaches `GET /api/runs/{id}/stream` as it happens: its model turns
/// and tool calls under their own event names, between the step's frames and before the result.
/// A real run on Docker, the real provider client and router, the provider double as the model.
@Suite struct SandcastleAgentStreamTests {
    static let workflow = """
        name: agent-stream
        default_model: sonnet
        steps:
          - id: look
            prompt: Say hello from the sandbox.
            tools: [Bash]
        """

    @Test func theRunStreamCarriesTheAgentsTurnsAndToolCalls() async throws {
        let double = try await ProviderDouble.start()
        defer { Task { await double.stop() } }
        let key = "sk-ant-test-\(UUID().uuidString.lowercased())"
        double.setScript(
            key: key,
            turns: [
                .calls([ScriptedToolCall(name: "Bash", input: ["command": "echo hello-from-the-sandbox"])]),
                .reply("It said hello-from-the-sandbox."),
            ])
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sc-agent-stream-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let folder = directory + "/workflows"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Self.workflow.write(toFile: folder + "/agent-stream.yaml", atomically: true, encoding: .utf8)
        // No HOME here: only the shipped models file is read; the double is the only provider.
        let settings = EngineSettings(
            dataDirectory: directory + "/data", environment: ["ANTHROPIC_API_KEY": key, "ANTHROPIC_BASE_URL": double.anthropicBaseURL])
        let runs = try await RunService.open(settings, sandboxes: .required, creatingStore: true)
        let orchestrator = Orchestrator(runs: runs, workflowsFolder: folder, maxConcurrentRuns: 2, logger: Logger(label: "test.runs"))
        try await orchestrator.start()
        var dependencies = ServerFixture.fake()
        dependencies.orchestrator = orchestrator
        try await ServerFixture.with(ServerFixture.configuration(open: true), dependencies) { server in
            let submitted = try await server.call(.post, "/api/workflows/run", json: #"{"workflow_name":"agent-stream"}"#, key: ServerFixture.key)
            let id = try #require(SandcastleAPITests.data(submitted.body)["run_id"] as? String, "\(submitted.text)")
            let frames = try await SandcastleAPITests.frames(server, "/api/runs/\(id)/stream")
            let events = frames.map(\.event)
            #expect(events.first == "status" && events.last == "result", "\(events)")
            #expect(frames.last?.data["status"] as? String == "completed", "\(frames.last?.data ?? [:])")
            for name in ["model_turn", "tool_called", "tool_answered"] {
                #expect(events.contains(name), "no \(name) frame: \(events)")
            }
            let called = try #require(frames.first { $0.event == "tool_called" }, "\(events)")
            #expect("\(called.data)".contains("Bash") && "\(called.data)".contains("hello-from-the-sandbox"), "\(called.data)")
            // The transcript comes while the step runs: after its start, before its end.
            let started = events.firstIndex(of: "step") ?? events.count
            let turn = events.firstIndex(of: "model_turn") ?? -1
            let result = events.lastIndex(of: "result") ?? -1
            #expect(started < turn && turn < result, "\(events)")
        }
        try await SandcastleAPIFixture.expectNoLeftovers(orchestrator)
    }
}
