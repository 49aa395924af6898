import JSONValues

/// A scripted reply made concrete for one request, the same for both protocols: ids, the
/// calls' JSON (the last one cut when the turn stops at max_tokens), usage, pieces to stream.
struct DoubleReply {
    let turn: ScriptedTurn
    let model: String
    let messageID: String
    let calls: [Call]
    /// Anthropic's name for why the turn stopped.
    let stopReason: String
    /// The last call's JSON is cut short (max_tokens inside a tool call).
    let cutsLastCall: Bool
    let usage: ScriptedUsage

    struct Call {
        let id: String
        let name: String
        let input: JSONValue
        /// The arguments as the model would have written them; cut short for a cut call.
        let json: String
    }

    init(_ turn: ScriptedTurn, api: DoubleAPI, sequence: Int, model: String, requestBytes: Int) {
        self.turn = turn
        self.model = model
        messageID = api == .anthropic ? "msg_double_\(sequence)" : "chatcmpl-double-\(sequence)"
        let stopReason = turn.stopReason ?? (turn.toolCalls.isEmpty ? "end_turn" : "tool_use")
        self.stopReason = stopReason
        cutsLastCall = stopReason == "max_tokens" && !turn.toolCalls.isEmpty
        let last = turn.toolCalls.count - 1
        calls = turn.toolCalls.enumerated().map { position, call in
            let json = call.input.jsonText
            let cut = stopReason == "max_tokens" && position == last
            return Call(
                id: call.id ?? (api == .anthropic ? "toolu_double_\(sequence)_\(position)" : "call_double_\(sequence)_\(position)"),
                name: call.name, input: call.input,
                // Half of it: enough to be a plausible start, never a whole object.
                json: cut ? String(json.prefix(max(1, json.count / 2))) : json)
        }
        let written = (turn.text ?? "").count + (turn.thinking ?? "").count + calls.reduce(0) { $0 + $1.json.count }
        usage =
            turn.usage
            ?? ScriptedUsage(inputTokens: max(1, requestBytes / 4), outputTokens: max(1, written / 4))
    }

    /// OpenAI's name for why the turn stopped.
    var finishReason: String {
        if turn.quirks.contains(.finishStopWithTools) && !calls.isEmpty && stopReason == "tool_use" { return "stop" }
        switch stopReason {
        case "tool_use": return "tool_calls"
        case "max_tokens": return "length"
        case "refusal": return "content_filter"
        case "end_turn", "stop_sequence": return "stop"
        default: return stopReason
        }
    }

    /// Text as a model streams it: a word and the spaces after it per piece.
    static func pieces(_ text: String) -> [String] {
        var pieces: [String] = []
        var current = ""
        for character in text {
            if !character.isWhitespace && current.last?.isWhitespace == true {
                pieces.append(current)
                current = ""
            }
            current.append(character)
        }
        if !current.isEmpty { pieces.append(current) }
        return pieces
    }

    /// A call's JSON as it streams: short fragments that are rarely JSON on their own.
    static func fragments(_ json: String, size: Int = 12) -> [String] {
        var fragments: [String] = []
        var rest = Substring(json)
        while !rest.isEmpty {
            fragments.append(String(rest.prefix(size)))
            rest = rest.dropFirst(size)
        }
        return fragments
    }
}

/// One piece of an event stream as the double writes it.
enum StreamFrame {
    /// An event: `event:` (when named) and `data:` lines. Token events are the ones a per-token
    /// delay comes before.
    case event(name: String?, data: String, token: Bool)
    /// A raw line, not an event: a comment or a data-less record; the blank line follows.
    case line(String)

    static func event(_ name: String?, _ json: JSONValue, token: Bool = false) -> StreamFrame {
        .event(name: name, data: json.jsonText, token: token)
    }

    var isEvent: Bool {
        if case .event = self { true } else { false }
    }

    /// The frame's bytes with the given line ending.
    func text(lineEnding: String) -> String {
        switch self {
        case .event(let name, let data, _):
            var text = name.map { "event: \($0)\(lineEnding)" } ?? ""
            for line in data.split(separator: "\n", omittingEmptySubsequences: false) { text += "data: \(line)\(lineEnding)" }
            return text + lineEnding
        case .line(let line):
            return line + lineEnding + lineEnding
        }
    }
}

/// An error the double answers instead of a reply: a scripted failure or a request the real
/// API would refuse.
struct DoubleFailure: Error {
    let status: Int
    let type: String?
    let message: String
}
