import Agent
import JSONValues
import ModelProviders
import Testing

/// The structured-output seam, with a tiny check instead of a schema library: "must have key x".
@Suite("The final-answer seam", .timeLimit(.minutes(1)))
struct FinalAnswerTests {
    static let answerTool = ToolDefinition(
        name: "StructuredOutput", description: "Give the final answer",
        inputSchema: ["type": "object", "properties": ["x": ["type": "integer"]], "required": ["x"]])

    static func requirement(budget: Int = 2) -> FinalAnswerRequirement {
        FinalAnswerRequirement(tool: answerTool, repairBudget: budget) { value in
            value.child("x") == nil ? ["must have key x"] : []
        }
    }

    func run(_ turns: [ScriptedTurn], budget: Int = 2, tools: [any AgentTool] = []) async throws -> (AgentResult, ScriptedProvider) {
        let provider = ScriptedProvider(turns)
        let configuration = AgentConfiguration(model: "haiku", maxTurns: 10, finalAnswer: Self.requirement(budget: budget))
        let loop = AgentLoop(provider: provider, configuration: configuration, tools: try ToolSet(tools), sandbox: NoSandbox())
        return (await loop.run(prompt: "answer"), provider)
    }

    @Test("the tool is offered; an invalid answer goes back as an error and the repaired one ends the run")
    func repairThenSuccess() async throws {
        let (result, provider) = try await run([
            .tools(call("a1", "StructuredOutput", ["y": 1])),
            .tools(call("a2", "StructuredOutput", ["x": 7])),
        ])
        #expect(provider.requests.first?.tools.map(\.name) == ["StructuredOutput"])
        let rejection = try #require(result.toolResult("a1"))
        #expect(rejection.isError && rejection.content.contains("must have key x") && rejection.content.contains("again"))
        #expect(result.subtype == "success")
        #expect(result.structuredOutput == ["x": 7])
        #expect(result.toolResult("a2")?.isError == false)
    }

    @Test("after the repair budget the run ends with the last errors")
    func budgetExhausted() async throws {
        let (result, provider) = try await run([
            .tools(call("a1", "StructuredOutput", ["y": 1])),
            .tools(call("a2", "StructuredOutput", ["z": 2])),
            .tools(call("a3", "StructuredOutput", [:])),
            .text("never asked"),
        ])
        guard case .structuredOutputInvalid(let errors) = result.outcome else {
            Issue.record("outcome \(result.outcome)")
            return
        }
        #expect(errors == ["must have key x"])
        #expect(result.subtype == "error_max_structured_output_retries")
        #expect(provider.requests.count == 3, "two repairs, then the end")
        #expect(result.structuredOutput == nil)
    }

    @Test("an answer in prose is answered with a reminder to call the tool, which spends a repair")
    func proseAnswer() async throws {
        let (result, provider) = try await run([.text("x is 3"), .tools(call("a1", "StructuredOutput", ["x": 3]))], budget: 1)
        #expect(result.subtype == "success" && result.structuredOutput == ["x": 3])
        let reminder = try #require(provider.requests.last?.messages.last)
        #expect(reminder.role == .user && reminder.text.contains("StructuredOutput"))

        let (stubborn, _) = try await run([.text("x is 3"), .text("still prose")], budget: 1)
        guard case .structuredOutputInvalid(let errors) = stubborn.outcome else {
            Issue.record("outcome \(stubborn.outcome)")
            return
        }
        #expect(errors.first?.contains("without calling StructuredOutput") == true)
    }

    @Test("a valid answer beside other calls ends the run; the others are answered, not run")
    func answerBesideOtherCalls() async throws {
        let echo = EchoTool()
        let (result, _) = try await run(
            [.tools(call("e1", "Echo", ["text": "side"]), call("a1", "StructuredOutput", ["x": 1]), call("a2", "StructuredOutput", ["x": 2]))],
            tools: [echo])
        #expect(result.subtype == "success" && result.structuredOutput == ["x": 1])
        #expect(echo.runCount == 0)
        #expect(result.toolResult("e1")?.isError == true && result.toolResult("a2")?.isError == true)
        #expect(result.toolResults.count == 3)
    }

    @Test("a final-answer tool named like another tool is refused")
    func nameClash() async throws {
        let provider = ScriptedProvider([.text("x")])
        var requirement = Self.requirement()
        requirement.tool.name = "Echo"
        let loop = AgentLoop(
            provider: provider, configuration: AgentConfiguration(model: "m", finalAnswer: requirement), tools: try ToolSet([EchoTool()]),
            sandbox: NoSandbox())
        let result = await loop.run(prompt: "go")
        guard case .failed(let error) = result.outcome else {
            Issue.record("outcome \(result.outcome)")
            return
        }
        #expect(error.code == .invalidConfiguration)
    }
}
