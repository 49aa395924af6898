import Foundation
import JSONValues

/// Why a script could not be read.
public struct ProviderScriptError: Error, Sendable, CustomStringConvertible {
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The file cannot be read.
        public static let unreadable = Code(rawValue: "unreadable")
        /// Not JSON or YAML.
        public static let syntax = Code(rawValue: "syntax")
        /// JSON or YAML, but not a script: an unknown key, a wrong type, a missing name.
        public static let invalid = Code(rawValue: "invalid")
    }

    public var code: Code
    public var message: String
    public var description: String { message }

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
}

/// A script file: one script for every conversation (`turns:`), or scripts per conversation
/// key (`conversations:`) with an optional `default:` for keys not listed.
///
/// ```yaml
/// conversations:
///   key-tools:
///     turns:
///       - text: "Looking."
///         tool_calls:
///           - {name: Bash, input: {command: ls}}
///           - {name: Read, input: {file_path: /etc/hostname}}
///       - text: "Done."
///   key-busy:
///     - {status: 429, retry_after: "1"}
///     - {text: "Now it works."}
/// default:
///   repeat: true
///   turns: [{text: "Hello."}]
/// ```
public struct ProviderScriptFile: Sendable, Hashable {
    /// For conversations without a script of their own; each gets its own position in it.
    public var defaultScript: ProviderScript?
    public var conversations: [String: ProviderScript]

    public init(defaultScript: ProviderScript? = nil, conversations: [String: ProviderScript] = [:]) {
        self.defaultScript = defaultScript
        self.conversations = conversations
    }

    /// Reads a `.json`, `.yaml` or `.yml` file (JSON is read by the YAML parser too).
    public static func load(path: String) throws -> ProviderScriptFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ProviderScriptError(.unreadable, "cannot read the script file \(path)")
        }
        do {
            return try parse(String(decoding: data, as: UTF8.self))
        } catch let error as ProviderScriptError {
            throw ProviderScriptError(error.code, "\(path): \(error.message)")
        }
    }

    /// Parses JSON or YAML text.
    public static func parse(_ text: String) throws -> ProviderScriptFile {
        try file(try YAMLText.value(text))
    }

    static func file(_ value: JSONValue) throws -> ProviderScriptFile {
        if case .array = value { return ProviderScriptFile(defaultScript: try ScriptReader.script(value, at: "")) }
        guard case .object(let members) = value else { throw invalid("a script file is an object or a list of turns", at: "") }
        if members["turns"] != nil { return ProviderScriptFile(defaultScript: try ScriptReader.script(value, at: "")) }
        try ScriptReader.allow(members, ["conversations", "default"], at: "")
        var file = ProviderScriptFile()
        if let defaultValue = members["default"] { file.defaultScript = try ScriptReader.script(defaultValue, at: "default") }
        if let conversations = members["conversations"] {
            guard case .object(let scripts) = conversations else { throw invalid("must map conversation keys to scripts", at: "conversations") }
            for (key, script) in scripts { file.conversations[key] = try ScriptReader.script(script, at: "conversations.\(key)") }
        }
        return file
    }
}

func invalid(_ message: String, at path: String) -> ProviderScriptError {
    ProviderScriptError(.invalid, path.isEmpty ? message : "\(path): \(message)")
}

/// JSON values → script types, refusing unknown keys (a typo must not silently script nothing).
enum ScriptReader {
    static func script(_ value: JSONValue, at path: String) throws -> ProviderScript {
        switch value {
        case .array(let turns):
            return ProviderScript(turns: try turns.enumerated().map { try turn($1, at: "\(path)[\($0)]") })
        case .object(let members):
            try allow(members, ["turns", "repeat"], at: path)
            guard case .array(let turns)? = members["turns"] else { throw invalid("needs a list of turns", at: path) }
            return ProviderScript(
                turns: try turns.enumerated().map { try turn($1, at: "\(path).turns[\($0)]") },
                repeats: try bool(members["repeat"], at: "\(path).repeat") ?? false)
        default:
            throw invalid("a script is a list of turns or {turns: […], repeat: bool}", at: path)
        }
    }

    static func turn(_ value: JSONValue, at path: String) throws -> ScriptedTurn {
        guard case .object(let members) = value else { throw invalid("a turn is an object", at: path) }
        try allow(
            members,
            [
                "text", "thinking", "tool_calls", "stop_reason", "usage", "status", "error_type", "error_message",
                "retry_after", "retry_after_ms", "malformed", "cut_after_events", "stream_error", "quirks", "token_delay_ms",
            ], at: path)
        var turn = ScriptedTurn()
        turn.text = try string(members["text"], at: "\(path).text")
        turn.thinking = try string(members["thinking"], at: "\(path).thinking")
        if let calls = members["tool_calls"] {
            guard case .array(let items) = calls else { throw invalid("must be a list", at: "\(path).tool_calls") }
            turn.toolCalls = try items.enumerated().map { try toolCall($1, at: "\(path).tool_calls[\($0)]") }
        }
        turn.stopReason = try string(members["stop_reason"], at: "\(path).stop_reason")
        if let usage = members["usage"] { turn.usage = try self.usage(usage, at: "\(path).usage") }
        turn.status = try int(members["status"], at: "\(path).status")
        if let status = turn.status, !(100...599).contains(status) { throw invalid("\(status) is not an HTTP status", at: "\(path).status") }
        turn.errorType = try string(members["error_type"], at: "\(path).error_type")
        turn.errorMessage = try string(members["error_message"], at: "\(path).error_message")
        switch members["retry_after"] {
        case nil, .null?: break
        case .string(let text)?: turn.retryAfter = text
        case .integer(let seconds)?: turn.retryAfter = String(seconds)
        case .number(let seconds)?: turn.retryAfter = String(seconds)
        default: throw invalid("must be seconds or an HTTP date", at: "\(path).retry_after")
        }
        turn.retryAfterMs = try int(members["retry_after_ms"], at: "\(path).retry_after_ms")
        turn.malformed = try bool(members["malformed"], at: "\(path).malformed") ?? false
        turn.cutAfterEvents = try int(members["cut_after_events"], at: "\(path).cut_after_events")
        if let streamError = members["stream_error"] { turn.streamError = try self.streamError(streamError, at: "\(path).stream_error") }
        if let quirks = members["quirks"] {
            guard case .array(let names) = quirks else { throw invalid("must be a list", at: "\(path).quirks") }
            for name in names {
                guard case .string(let text) = name, let quirk = ProviderQuirk(rawValue: text) else {
                    let known = ProviderQuirk.allCases.map(\.rawValue).joined(separator: ", ")
                    throw invalid("unknown quirk \(name.jsonText) (known: \(known))", at: "\(path).quirks")
                }
                turn.quirks.insert(quirk)
            }
        }
        turn.tokenDelayMs = try int(members["token_delay_ms"], at: "\(path).token_delay_ms")
        return turn
    }

    static func toolCall(_ value: JSONValue, at path: String) throws -> ScriptedToolCall {
        guard case .object(let members) = value else { throw invalid("a tool call is an object", at: path) }
        try allow(members, ["name", "input", "id"], at: path)
        guard let name = try string(members["name"], at: "\(path).name") else { throw invalid("needs a name", at: path) }
        let input = members["input"] ?? .object([:])
        guard case .object = input else { throw invalid("must be an object", at: "\(path).input") }
        return ScriptedToolCall(name: name, input: input, id: try string(members["id"], at: "\(path).id"))
    }

    static func usage(_ value: JSONValue, at path: String) throws -> ScriptedUsage {
        guard case .object(let members) = value else { throw invalid("usage is an object", at: path) }
        try allow(members, ["input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"], at: path)
        return ScriptedUsage(
            inputTokens: try int(members["input_tokens"], at: "\(path).input_tokens") ?? 0,
            outputTokens: try int(members["output_tokens"], at: "\(path).output_tokens") ?? 0,
            cacheReadTokens: try int(members["cache_read_input_tokens"], at: "\(path).cache_read_input_tokens") ?? 0,
            cacheWriteTokens: try int(members["cache_creation_input_tokens"], at: "\(path).cache_creation_input_tokens") ?? 0)
    }

    static func streamError(_ value: JSONValue, at path: String) throws -> ScriptedStreamError {
        guard case .object(let members) = value else { throw invalid("stream_error is an object", at: path) }
        try allow(members, ["type", "message", "after_events"], at: path)
        var error = ScriptedStreamError()
        if let type = try string(members["type"], at: "\(path).type") { error.type = type }
        if let message = try string(members["message"], at: "\(path).message") { error.message = message }
        if let after = try int(members["after_events"], at: "\(path).after_events") { error.afterEvents = after }
        return error
    }

    static func allow(_ members: [String: JSONValue], _ keys: Set<String>, at path: String) throws {
        if let unknown = members.keys.sorted().first(where: { !keys.contains($0) }) {
            throw invalid("unknown key '\(unknown)' (allowed: \(keys.sorted().joined(separator: ", ")))", at: path)
        }
    }

    static func string(_ value: JSONValue?, at path: String) throws -> String? {
        switch value {
        case nil, .null?: return nil
        case .string(let text)?: return text
        case let other?: throw invalid("must be a string, not \(other.typeName)", at: path)
        }
    }

    static func int(_ value: JSONValue?, at path: String) throws -> Int? {
        switch value {
        case nil, .null?: return nil
        case .integer(let number)? where number >= 0: return number
        case let other?: throw invalid("must be a whole number ≥ 0, not \(other.jsonText)", at: path)
        }
    }

    static func bool(_ value: JSONValue?, at path: String) throws -> Bool? {
        switch value {
        case nil, .null?: return nil
        case .bool(let flag)?: return flag
        case let other?: throw invalid("must be true or false, not \(other.jsonText)", at: path)
        }
    }
}
