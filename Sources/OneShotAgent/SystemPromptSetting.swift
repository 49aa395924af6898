import JSONValues

/// A one-shot agent's system prompt as Sandstorm (and the Claude Agent SDK) write it: text, or
/// `{"type": "preset", "preset": "claude_code", "append": "…"}`.
///
/// Claude Code's own preset is Anthropic's and not ours to ship; the `claude_code` preset here is
/// Sandcastle's equivalent (``presetText``): what the agent is, where it works, how to use the
/// tools. It is also what an agent gets when no system prompt is given.
public enum SystemPromptSetting: Sendable, Hashable {
    case text(String)
    /// The `claude_code` preset, with text added after it.
    case preset(append: String?)

    public static let presetName = "claude_code"

    /// What the `claude_code` preset stands for here.
    public static let presetText = """
        You are an autonomous agent working inside an isolated Linux sandbox, with tools to run commands and to read, \
        write, search and edit files. Your working directory is /workspace; the files you were given are there. Use the \
        tools to inspect, run and change things rather than guessing, and finish with your answer to the task.
        """

    /// - Throws: ``OneShotError`` `invalidSystemPrompt` for anything but a string or a
    ///   `claude_code` preset object (whose `append`, when present, is a string).
    public static func parse(_ value: JSONValue) throws -> SystemPromptSetting {
        switch value {
        case .string(let text):
            return .text(text)
        case .object(let members):
            guard members["type"] == .string("preset") else {
                throw OneShotError(.invalidSystemPrompt, #"system_prompt: an object must be {"type": "preset", "preset": "claude_code", "append": "…"}"#)
            }
            guard case .string(let name)? = members["preset"], name == presetName else {
                throw OneShotError(
                    .invalidSystemPrompt, "system_prompt: the only preset is \(presetName), not \(members["preset"]?.jsonText ?? "none")")
            }
            switch members["append"] {
            case nil, .null?: return .preset(append: nil)
            case .string(let append)?: return .preset(append: append)
            case let other?: throw OneShotError(.invalidSystemPrompt, "system_prompt.append must be a string, not \(other.typeName)")
            }
        default:
            throw OneShotError(.invalidSystemPrompt, "system_prompt must be a string or a preset object, not \(value.typeName)")
        }
    }

    /// Sandstorm's `system_prompt_append`: after the text, or after the preset's own append,
    /// joined with a blank line.
    public func appending(_ extra: String) -> SystemPromptSetting {
        switch self {
        case .text(let text): .text(text.isEmpty ? extra : text + "\n\n" + extra)
        case .preset(let append?): .preset(append: append + "\n\n" + extra)
        case .preset(nil): .preset(append: extra)
        }
    }

    /// The system prompt the model is sent.
    public var rendered: String {
        switch self {
        case .text(let text): text
        case .preset(let append?): Self.presetText + "\n\n" + append
        case .preset(nil): Self.presetText
        }
    }
}
