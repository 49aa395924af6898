import Agent
import Foundation
import JSONValues
import ModelProviders
import OneShotAgent
import Testing

@testable import ServerCompat

/// A `/query` body over the server's `sandstorm.json`, merged as Sandstorm merges them: the body's
/// fields win, `output_format: {}` turns the file's off, `extra_agents` join the file's agents
/// before `allowed_agents`, `allowed_mcp_servers` keeps some of the file's servers.
@Suite struct SandstormConfigDefaultsTests {

    static func config() throws -> SandstormConfig {
        try SandstormConfig.parse(
            #"""
            {"model": "haiku", "max_turns": 7, "timeout": 60, "system_prompt": "Be terse.", "system_prompt_append": "Use metric units.",
             "allowed_tools": ["Bash", "Read"],
             "output_format": {"type": "json_schema", "schema": {"type": "object"}},
             "agents": {"reviewer": {"description": "Reviews", "prompt": "Review it."}},
             "mcp_servers": {"notes": {"command": "python3", "args": ["notes.py"]}, "search": {"type": "http", "url": "http://127.0.0.1:9/mcp"}}}
            """#, environment: [:])
    }

    static func prepare(_ json: String, config: SandstormConfig) throws -> Result<SandstormQuery, SandstormValidationFailure> {
        let session = OneShotSession(router: try ModelRouter.fromEnvironment(["ANTHROPIC_API_KEY": "sk-ant-defaults"]))
        return SandstormQueryBody.decode(Array(json.utf8)).flatMap { SandstormQuery.prepare($0, session: session, config: config) }
    }

    @Test func theFileGivesTheDefaultsAndTheBodyWins() throws {
        let config = try Self.config()
        let defaults = try Self.prepare(#"{"prompt": "x"}"#, config: config).get().prepared
        #expect(defaults.request.model == "haiku" && defaults.model.provider == "anthropic")
        #expect(defaults.request.maxTurns == 7 && defaults.request.timeoutSeconds == 60)
        #expect(defaults.request.systemPrompt == .text("Be terse.\n\nUse metric units."))
        #expect(defaults.request.allowedTools == ["Bash", "Read"] && defaults.request.outputFormat != nil)
        #expect(defaults.request.agents.map(\.name) == ["reviewer"])
        #expect(defaults.request.mcpServers.map(\.name) == ["notes", "search"])

        let overridden = try Self.prepare(
            #"{"prompt": "x", "model": "sonnet", "max_turns": 2, "timeout": 30, "allowed_tools": [], "output_format": {}, "allowed_mcp_servers": ["search"]}"#,
            config: config
        ).get().prepared
        #expect(overridden.request.model == "sonnet" && overridden.request.maxTurns == 2 && overridden.request.timeoutSeconds == 30)
        #expect(overridden.request.allowedTools == [] && overridden.request.outputFormat == nil, "allowed_tools: [] and output_format: {} are honoured")
        #expect(overridden.request.mcpServers.map(\.name) == ["search"])
        let none = try Self.prepare(#"{"prompt": "x", "allowed_mcp_servers": []}"#, config: config).get().prepared
        #expect(none.request.mcpServers.isEmpty)
    }

    @Test func extraAgentsJoinTheFilesBeforeTheWhitelist() throws {
        let config = try Self.config()
        let merged = try Self.prepare(
            #"{"prompt": "x", "extra_agents": {"tester": {"description": "Tests", "prompt": "Test it."}}}"#, config: config
        ).get().prepared
        #expect(merged.request.agents.map(\.name) == ["reviewer", "tester"])
        let kept = try Self.prepare(
            #"{"prompt": "x", "extra_agents": {"tester": {"description": "Tests", "prompt": "Test it."}}, "allowed_agents": ["tester"]}"#,
            config: config
        ).get().prepared
        #expect(kept.request.agents.map(\.name) == ["tester"])

        var listed = SandstormConfig()
        listed.agents = [["name": "reviewer", "description": "Reviews", "prompt": "Review it."]]
        #expect(try Self.prepare(#"{"prompt": "x"}"#, config: listed).get().prepared.request.agents.map(\.name) == ["reviewer"])
        guard case .failure(let failure) = try Self.prepare(#"{"prompt": "x", "extra_agents": {"t": {"description": "d", "prompt": "p"}}}"#, config: listed)
        else {
            Issue.record("extra_agents over a list of agents was accepted")
            return
        }
        #expect(failure.errors.first?.location == ["body", "extra_agents"])
        #expect(failure.errors.first?.message.contains("as a list") == true, "\(failure.errors)")
    }
}
