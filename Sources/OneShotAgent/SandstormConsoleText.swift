import JSONValues

/// Sandstorm's messages as `ds` shows them on a terminal: the agent's text on stdout as it
/// comes, `[tool: X]` lines and the closing `--- Result: … ---` on stderr, and the structured
/// answer (pretty JSON) on stdout, so `sandcastle agent "…" > answer.txt` keeps only the answer.
public struct SandstormConsoleText: Sendable {
    public enum Stream: Sendable, Hashable {
        case standardOutput, standardError
    }

    /// Whether the text of the message being streamed was already shown from its deltas.
    private var streamedText = false
    /// Whether the last thing written to stdout ended a line.
    private var atLineStart = true

    public init() {}

    /// What to write for `message`, in order.
    public mutating func render(_ message: JSONValue) -> [(Stream, String)] {
        guard case .string(let type)? = message.child("type") else { return [] }
        let topLevel = message.child("parent_tool_use_id") == nil || message.child("parent_tool_use_id") == .null
        switch type {
        case "stream_event" where topLevel:
            guard message.child("event")?.child("delta")?.child("type") == .string("text_delta"),
                case .string(let text)? = message.child("event")?.child("delta")?.child("text")
            else { return [] }
            streamedText = true
            return write(text)
        case "assistant":
            var out: [(Stream, String)] = []
            guard case .array(let blocks)? = message.child("message")?.child("content") else { return [] }
            for block in blocks {
                switch block.child("type") {
                case .string("text")? where topLevel && !streamedText:
                    if case .string(let text)? = block.child("text") { out += write(text) }
                case .string("tool_use")?:
                    let name = block.child("name").flatMap { if case .string(let name) = $0 { name } else { nil } } ?? "unknown"
                    out += newline()
                    out.append((.standardError, "\(topLevel ? "" : "  ")[tool: \(name)]\(Self.summary(of: block.child("input")))\n"))
                default:
                    continue
                }
            }
            if topLevel { streamedText = false }
            return out
        case "result":
            var out = newline()
            let subtype = message.child("subtype").flatMap { if case .string(let text) = $0 { text } else { nil } } ?? "unknown"
            let turns = message.child("num_turns").flatMap { if case .integer(let count) = $0 { count } else { nil } }
            let cost = message.child("total_cost_usd")?.doubleValue.map { "$" + Self.dollars($0) } ?? "cost unknown"
            let turnText = turns.map { "\($0) turn\($0 == 1 ? "" : "s")" } ?? "? turns"
            out.append((.standardError, "--- Result: \(subtype) | \(turnText) | \(cost) ---\n"))
            if let structured = message.child("structured_output"), structured != .null {
                out.append((.standardOutput, Self.pretty(structured) + "\n"))
                atLineStart = true
            } else if case .array(let errors)? = message.child("errors") {
                for case .string(let error) in errors { out.append((.standardError, "Error: \(error)\n")) }
            }
            return out
        case "error":
            let text = message.child("error").flatMap { if case .string(let text) = $0 { text } else { nil } } ?? "unknown"
            return newline() + [(.standardError, "Error: \(text)\n")]
        case "warning":
            let text = message.child("message").flatMap { if case .string(let text) = $0 { text } else { nil } } ?? ""
            return [(.standardError, "Warning: \(text)\n")]
        default:
            return []
        }
    }

    private mutating func write(_ text: String) -> [(Stream, String)] {
        guard !text.isEmpty else { return [] }
        atLineStart = text.hasSuffix("\n")
        return [(.standardOutput, text)]
    }

    /// Ends the agent's current line of text before a line of our own.
    private mutating func newline() -> [(Stream, String)] {
        guard !atLineStart else { return [] }
        atLineStart = true
        return [(.standardOutput, "\n")]
    }

    /// The part of a tool's input a person recognises the call by (the command, the path).
    static func summary(of input: JSONValue?) -> String {
        for key in ["command", "file_path", "pattern", "url", "description"] {
            if case .string(let value)? = input?.child(key) {
                let line = value.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
                return " " + (line.count > 100 ? String(line.prefix(100)) + "…" : line)
            }
        }
        return ""
    }

    static func dollars(_ value: Double) -> String {
        let cents = (value * 10_000).rounded()
        let whole = Int(cents) / 10_000
        let fraction = String(Int(cents) % 10_000)
        return "\(whole)." + String(repeating: "0", count: 4 - fraction.count) + fraction
    }

    /// JSON with two-space indentation and sorted keys, as `json.dumps(…, indent=2)` reads.
    static func pretty(_ value: JSONValue, indent: String = "") -> String {
        let inner = indent + "  "
        switch value {
        case .array(let items) where !items.isEmpty:
            return "[\n" + items.map { inner + pretty($0, indent: inner) }.joined(separator: ",\n") + "\n" + indent + "]"
        case .object(let members) where !members.isEmpty:
            let lines = members.keys.sorted().map { key in
                inner + JSONValue.string(key).jsonText + ": " + pretty(members[key] ?? .null, indent: inner)
            }
            return "{\n" + lines.joined(separator: ",\n") + "\n" + indent + "}"
        default:
            return value.jsonText
        }
    }
}
