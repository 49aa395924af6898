import Agent
import JSONValues
import ModelProviders
import Testing

@testable import OneShotAgent

/// `sandstorm.json` as Sandstorm reads it: wrong types dropped with a warning, unknown keys
/// warned about, MCP servers checked in full as the file is read.
@Suite struct SandstormConfigTests {
    @Test func knownKeysAreTakenAndWrongTypesDroppedWithAWarning() throws {
        let config = try SandstormConfig.parse(
            """
            {"system_prompt": "Be brief.", "system_prompt_append": "Answer in French.", "model": "haiku", "max_turns": 7,
             "timeout": 60, "output_format": {"type": "json_schema", "schema": {"type": "object"}},
             "agents": {"reviewer": {"description": "Reviews", "prompt": "Review it."}}, "allowed_tools": ["Bash", "Read"],
             "webhook_url": "https://example.com", "colour": "blue"}
            """)
        #expect(config.model == "haiku" && config.maxTurns == 7 && config.timeout == 60)
        #expect(config.allowedTools == ["Bash", "Read"])
        #expect(config.effectiveSystemPrompt == .text("Be brief.\n\nAnswer in French."))
        #expect(config.outputFormat?.child("type") == "json_schema")
        #expect(config.agents?.child("reviewer")?.child("prompt") == "Review it.")
        #expect(config.warnings.contains("sandstorm.json: unknown field 'colour' — ignoring"))
        #expect(config.warnings.contains { $0.contains("'webhook_url' is not supported") })
    }

    @Test func wrongTypesAndOutOfRangeValuesAreSkipped() throws {
        let config = try SandstormConfig.parse(
            #"{"max_turns": true, "timeout": 4000, "model": "  ", "allowed_tools": ["Bash", 3], "agents": "x", "output_format": []}"#)
        #expect(config.maxTurns == nil && config.timeout == nil && config.model == nil && config.allowedTools == nil)
        #expect(config.agents == nil && config.outputFormat == nil)
        #expect(config.warnings.contains("sandstorm.json: field 'max_turns' should be int, got boolean — skipping"))
        #expect(config.warnings.contains("sandstorm.json: timeout must be between 5 and 3600 — skipping"))
        #expect(config.warnings.contains("sandstorm.json: model must be a non-empty string — skipping"))
        #expect(config.warnings.contains("sandstorm.json: allowed_tools entries must be strings — skipping"))
        #expect(config.warnings.count == 6, "\(config.warnings)")
    }

    @Test func mcpServersAreReadWithTheirVariablesAndABadOneIsAnError() throws {
        let text = #"""
            {"mcp_servers": {"notes": {"command": "python3", "args": ["/workspace/notes.py", "${NOTES_MODE:-quick}"], "env": {"TOKEN": "${NOTES_TOKEN}"}},
                             "search": {"type": "http", "url": "${SEARCH_URL}", "headers": {"Authorization": "Bearer ${SEARCH_TOKEN}"}}}}
            """#
        let config = try SandstormConfig.parse(text, environment: ["NOTES_TOKEN": "tok-1", "SEARCH_URL": "https://mcp.example/mcp", "SEARCH_TOKEN": "s3"])
        #expect(config.warnings.isEmpty)
        #expect(config.mcpServers.map(\.name) == ["notes", "search"])
        #expect(
            config.mcpServers.first?.transport
                == .stdio(command: "python3", arguments: ["/workspace/notes.py", "quick"], environment: ["TOKEN": SecretValue("tok-1")]))
        #expect(config.mcpServers.last?.transport == .http(url: "https://mcp.example/mcp", headers: ["Authorization": SecretValue("Bearer s3")]))

        let missing = #expect(throws: OneShotError.self) { try SandstormConfig.parse(text, environment: ["NOTES_TOKEN": "tok-1"]) }
        #expect(missing?.code == .invalidSetting)
        #expect(missing?.message.contains("mcp_servers") == true && missing?.message.contains("SEARCH_URL") == true, "\(String(describing: missing))")
        let both = #expect(throws: OneShotError.self) {
            try SandstormConfig.parse(#"{"mcp_servers": {"x": {"command": "a", "url": "http://b"}}}"#, environment: [:])
        }
        #expect(both?.message.contains("not both") == true, "\(String(describing: both))")
        let wrongType = try SandstormConfig.parse(#"{"mcp_servers": ["x"]}"#, environment: [:])
        #expect(wrongType.mcpServers.isEmpty && wrongType.warnings == ["sandstorm.json: field 'mcp_servers' should be dict, got list — skipping"])
        #expect(try SandstormConfig.parse(#"{"mcp_servers": {}}"#, environment: [:]).mcpServers.isEmpty)
    }

    @Test func aFileThatIsNotAnObjectIsAnErrorAndABadPresetToo() {
        #expect(throws: OneShotError.self) { try SandstormConfig.parse("[1, 2]") }
        #expect(throws: OneShotError.self) { try SandstormConfig.parse("{not json") }
        #expect(throws: OneShotError.self) { try SandstormConfig.parse(#"{"system_prompt": {"type": "preset", "preset": "other"}}"#) }
    }

    @Test func systemPromptAppendFollowsSandstormsRules() throws {
        #expect(SystemPromptSetting.text("A").appending("B") == .text("A\n\nB"))
        #expect(SystemPromptSetting.preset(append: nil).appending("B") == .preset(append: "B"))
        #expect(SystemPromptSetting.preset(append: "A").appending("B") == .preset(append: "A\n\nB"))
        let appendOnly = try SandstormConfig.parse(#"{"system_prompt_append": "Only this."}"#)
        #expect(appendOnly.effectiveSystemPrompt?.rendered == "Only this.")
        let preset = try SystemPromptSetting.parse(["type": "preset", "preset": "claude_code", "append": "Extra."])
        #expect(preset.rendered == SystemPromptSetting.presetText + "\n\nExtra.")
        #expect(preset.rendered.contains("/workspace"))
    }
}
