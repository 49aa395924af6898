import Agent
import JSONValues
import ModelProviders
import Sandbox
import Testing

@Suite("Subagents through Task and Agent, in a real sandbox", .serialized, .timeLimit(.minutes(3)))
struct SubagentTests {
    static let reviewer = SubagentDefinition(
        name: "file-writer", description: "Writes a file and reports", prompt: "You are the file writer.", tools: ["Bash", "Read"],
        model: "haiku")

    /// The model plays both sides: the subagent's requests carry its system prompt.
    static func provider(toolName: String) -> ScriptedProvider {
        ScriptedProvider { request, _ in
            let isSubagent = request.system == reviewer.prompt
            let answered = request.messages.last?.content.contains { if case .toolResult = $0 { true } else { false } } ?? false
            if isSubagent {
                #expect(request.model == "haiku")
                #expect(request.tools.map(\.name) == ["Bash", "Read"], "a subagent gets its own tools and never Agent")
                return answered ? .text("wrote sub.txt with 'from-sub'") : .tools(call("sub-1", "Bash", ["command": "echo from-sub > sub.txt"]))
            }
            if answered { return .text("the subagent said: done") }
            return .tools(
                call(
                    "parent-1", toolName,
                    ["description": "Write a file", "prompt": "Write sub.txt containing from-sub", "subagent_type": "file-writer"]))
        }
    }

    @Test("a subagent runs as a nested loop in the same sandbox, via Task and via Agent", arguments: ["Task", "Agent"])
    func subagent(toolName: String) async throws {
        try await AgentFixture.withSandbox { sandbox in
            let provider = Self.provider(toolName: toolName)
            let events = EventLog()
            let loop = AgentLoop(
                provider: provider, configuration: AgentConfiguration(model: "sonnet"),
                tools: try .standard(network: false, subagents: [Self.reviewer]), sandbox: sandbox, events: events.sink)
            let result = await loop.run(prompt: "delegate")
            #expect(result.subtype == "success")
            #expect(result.toolResult("parent-1")?.content == "wrote sub.txt with 'from-sub'")
            #expect(try await sandbox.readFileBytes("/workspace/sub.txt") == Array("from-sub\n".utf8))

            // The subagent's calls count in the run, marked with the tool call that started them.
            #expect(result.modelCalls.count == 4)
            #expect(result.modelCalls.filter { $0.parentToolCallID == "parent-1" }.map(\.requestedModel) == ["haiku", "haiku"])
            #expect(result.turns == 2, "turns are the parent's own")

            // Its events arrive wrapped with the parent call's id; the parent's own are not.
            let nested = events.all.compactMap { event -> (String, String, AgentEvent)? in
                if case .subagent(let parent, let agent, let inner) = event { (parent, agent, inner) } else { nil }
            }
            #expect(!nested.isEmpty && nested.allSatisfy { $0.0 == "parent-1" && $0.1 == "file-writer" })
            #expect(nested.contains { if case .toolCallStarted(let start) = $0.2 { start.id == "sub-1" } else { false } })
            #expect(nested.contains { if case .result = $0.2 { true } else { false } })
            #expect(events.toolStarts.map(\.id) == ["parent-1"])
        }
    }

    @Test("an unknown subagent_type is answered with the available ones")
    func unknownSubagent() async throws {
        let provider = ScriptedProvider([
            .tools(call("p1", "Agent", ["description": "x", "prompt": "y", "subagent_type": "nobody"])), .text("ok"),
        ])
        let loop = AgentLoop(
            provider: provider, configuration: AgentConfiguration(model: "m"),
            tools: try .standard(network: false, subagents: [Self.reviewer]), sandbox: NoSandbox())
        let result = await loop.run(prompt: "go")
        let answer = try #require(result.toolResult("p1"))
        #expect(answer.isError && answer.content.contains("nobody") && answer.content.contains("file-writer") && answer.content.contains("general-purpose"))
    }
}
