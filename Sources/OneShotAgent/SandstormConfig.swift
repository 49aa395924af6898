import Agent
import Foundation
import JSONValues

/// A project's `sandstorm.json` (Sandstorm's `config.py::_validate_sandstorm_config`), as
/// `sandcastle agent` honours it from the working directory.
///
/// Sandstorm's rules: a key whose value has the wrong type is dropped with a warning (a boolean
/// is not an integer), an unknown key is ignored with a warning. Keys that belong to Sandstorm's
/// server (`webhook_url`, `triggers`, `channels`) or to Claude Code features Sandcastle lacks
/// (`skills_dir`, `template_skills`) are ignored with a warning. `mcp_servers` is checked in
/// full when the file is read (`${VAR}` resolved then, a server that is not valid is an error):
/// its tools are part of the task, so a server that cannot be used is never silently left out.
/// A file that is not a JSON object is an error, not silently skipped.
public struct SandstormConfig: Sendable {
    public var systemPrompt: SystemPromptSetting?
    public var systemPromptAppend: String?
    public var model: String?
    public var maxTurns: Int?
    public var timeout: Int?
    /// `{}` (turned off) or `{type: json_schema, schema}`; checked by ``OutputFormat/parse(_:)``.
    public var outputFormat: JSONValue?
    /// Subagents, an object of named agents or a list; checked by `SubagentDefinition.parse`.
    public var agents: JSONValue?
    public var allowedTools: [String]?
    /// MCP servers, `${VAR}` already resolved from the environment the file was read with.
    public var mcpServers: [MCPServerConfiguration] = []
    /// What was dropped or ignored, one line each.
    public var warnings: [String] = []

    public static let fileName = "sandstorm.json"
    /// Sandstorm's own keys that do nothing here.
    static let ignoredKeys: Set<String> = ["skills_dir", "template_skills", "webhook_url", "triggers", "channels"]
    /// The largest file read (a config, not a data file).
    static let maxBytes = 1 << 20

    public init() {}

    /// The system prompt with `system_prompt_append` applied (Sandstorm's order).
    public var effectiveSystemPrompt: SystemPromptSetting? {
        guard let append = systemPromptAppend, !append.isEmpty else { return systemPrompt }
        return (systemPrompt ?? .text("")).appending(append)
    }

    /// `sandstorm.json` in `directory`, or nil when there is none.
    ///
    /// - Throws: ``OneShotError`` for a file that cannot be read, is not a JSON object, or asks
    ///   with an MCP server that is not valid (or names a variable that is not set).
    public static func load(
        directory: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> SandstormConfig? {
        let path = (directory as NSString).appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        return try load(file: path, environment: environment)
    }

    /// The file at `path` (`sandcastle serve --sandstorm-config`).
    public static func load(
        file path: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> SandstormConfig {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw OneShotError(.invalidSetting, "\(path): cannot be read: \(error.localizedDescription)")
        }
        guard data.count <= maxBytes else { throw OneShotError(.invalidSetting, "\(path): over \(maxBytes) bytes; is it the right file?") }
        do {
            return try parse(String(decoding: data, as: UTF8.self), environment: environment)
        } catch let error as OneShotError {
            throw OneShotError(error.code, "\(path): \(error.message)")
        }
    }

    public static func parse(_ text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> SandstormConfig {
        guard let value = JSONValue.parse(json: text) else { throw OneShotError(.invalidSetting, "not valid JSON") }
        guard case .object(let members) = value else { throw OneShotError(.invalidSetting, "must be a JSON object, not \(value.typeName)") }
        var config = SandstormConfig()
        for key in members.keys.sorted() {
            guard let field = members[key] else { continue }
            try config.take(key, field, environment: environment)
        }
        return config
    }

    private mutating func take(_ key: String, _ value: JSONValue, environment: [String: String]) throws {
        func wrongType(_ expected: String) {
            warnings.append("sandstorm.json: field '\(key)' should be \(expected), got \(value.typeName) — skipping")
        }
        switch key {
        case "system_prompt":
            switch value {
            case .string, .object: systemPrompt = try SystemPromptSetting.parse(value)
            default: wrongType("str or dict")
            }
        case "system_prompt_append":
            if case .string(let text) = value { systemPromptAppend = text } else { wrongType("str") }
        case "model":
            guard case .string(let name) = value else { return wrongType("str") }
            if name.trimmingCharacters(in: .whitespaces).isEmpty {
                warnings.append("sandstorm.json: model must be a non-empty string — skipping")
            } else {
                model = name
            }
        case "max_turns":
            guard case .integer(let turns) = value else { return wrongType("int") }
            if turns >= 1 { maxTurns = turns } else { warnings.append("sandstorm.json: max_turns must be >= 1 — skipping") }
        case "timeout":
            guard case .integer(let seconds) = value else { return wrongType("int") }
            if OneShotRequest.timeoutRange.contains(seconds) {
                timeout = seconds
            } else {
                warnings.append("sandstorm.json: timeout must be between 5 and 3600 — skipping")
            }
        case "output_format":
            if case .object = value { outputFormat = value } else { wrongType("dict") }
        case "agents":
            switch value {
            case .object, .array: agents = value
            default: wrongType("dict or list")
            }
        case "allowed_tools":
            guard case .array(let items) = value else { return wrongType("list") }
            let names = items.compactMap { if case .string(let name) = $0 { name } else { nil } }
            if names.count == items.count {
                allowedTools = names
            } else {
                warnings.append("sandstorm.json: allowed_tools entries must be strings — skipping")
            }
        case "mcp_servers":
            guard case .object = value else { return wrongType("dict") }
            do {
                mcpServers = try MCPServerConfiguration.parse(value, environment: environment)
            } catch {
                throw OneShotError(.invalidSetting, "mcp_servers: \(error)")
            }
        case _ where Self.ignoredKeys.contains(key):
            warnings.append("sandstorm.json: field '\(key)' is not supported by sandcastle agent — ignoring")
        default:
            warnings.append("sandstorm.json: unknown field '\(key)' — ignoring")
        }
    }
}
