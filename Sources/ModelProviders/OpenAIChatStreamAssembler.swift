import JSONValues

/// Follows one Chat Completions stream (`data:` chunks, `[DONE]`) and assembles the response,
/// tolerating what compatible servers do differently from OpenAI:
///
/// - no usage chunk (usage stays nil, never zero: cost is then unknown);
/// - several calls streamed under one `index` (Ollama, vLLM, LiteLLM put every call at 0): a
///   *new* id at an occupied index starts a new call;
/// - a call's first fragment without an id (an id is made up, stable for the response), and
///   continuation fragments with an empty id;
/// - `finish_reason: stop` although tool calls came (treated as tool use);
/// - an error chunk `{"error": {…}}` in the middle of the stream.
///
/// Comment lines (`: OPENROUTER PROCESSING`) and data-less records never reach the assembler:
/// ``ServerSentEventDecoder`` drops them.
struct OpenAIChatStreamAssembler: StreamAssembler {
    let context: ProviderContext
    private(set) var isFinished = false
    private var id: String?
    private var model = ""
    private var text = ""
    private var finishReason: String?
    private var usage: TokenUsage?
    private var calls: [Call] = []
    /// The call each wire `index` currently continues.
    private var slotByIndex: [Int: Int] = [:]

    private struct Call {
        /// The id the call is known by: the server's, or one made up when it sent none.
        var id: String
        /// The id the server gave the call, once it did.
        var wireID: String?
        var name: String
        var arguments: String
        var announced: Bool
    }

    init(context: ProviderContext) { self.context = context }

    mutating func consume(_ event: ServerSentEvent) throws -> [ModelStreamEvent] {
        let data = event.data.trimmingWhitespace
        if data == "[DONE]" {
            isFinished = true
            return [.finished(response())]
        }
        guard let json = try? JSONValue.wireDecode(Array(data.utf8)) else {
            throw context.error(
                .malformedResponse, "a stream chunk is not JSON: \(ProviderFailures.excerpt(Array(data.utf8), context: context))")
        }
        if json[wire: "error"] != nil { throw ProviderFailures.streamError(json, context: context) }
        if id == nil, let chunkID = json.wireString("id"), !chunkID.isEmpty { id = chunkID }
        if model.isEmpty, let name = json.wireString("model") { model = name }
        if let chunkUsage = json[wire: "usage"], let parsed = OpenAIChatWire.usage(chunkUsage) { usage = parsed }
        // Only the first choice: we never ask for n > 1.
        guard let choice = json[wire: "choices"]?.wireArray?.first(where: { ($0.wireInt("index") ?? 0) == 0 }) else { return [] }
        var out: [ModelStreamEvent] = []
        if let delta = choice[wire: "delta"] {
            if let piece = OpenAIChatWire.content(delta[wire: "content"]), !piece.isEmpty {
                text += piece
                out.append(.textDelta(piece))
            }
            // Reasoning some servers stream beside the answer (DeepSeek, vLLM, OpenRouter): shown
            // as it comes, not kept, since this API cannot take it back.
            if let reasoning = delta.wireString("reasoning_content") ?? delta.wireString("reasoning"), !reasoning.isEmpty {
                out.append(.thinkingDelta(reasoning))
            }
            for fragment in delta[wire: "tool_calls"]?.wireArray ?? [] {
                if let started = merge(fragment) { out.append(started) }
            }
        }
        if let reason = choice.wireString("finish_reason") { finishReason = reason }
        return out
    }

    /// Adds one tool-call fragment; returns `.toolCallStarted` when a call first has its name.
    private mutating func merge(_ fragment: JSONValue) -> ModelStreamEvent? {
        let fragmentID = fragment.wireString("id").flatMap { $0.isEmpty ? nil : $0 }
        let function = fragment[wire: "function"]
        let index = fragment.wireInt("index")
        let slot: Int
        if let current = index.flatMap({ slotByIndex[$0] }) ?? (index == nil ? calls.indices.last : nil) {
            if startsAnotherCall(fragment, after: calls[current], id: fragmentID) {
                slot = newCall(wireID: fragmentID)
                if let index { slotByIndex[index] = slot }
            } else {
                slot = current
                if let fragmentID, calls[current].wireID == nil {
                    // The server's id came after the call's first fragment. Kept as ours unless
                    // the made-up one was already announced: a call's id never changes once seen.
                    calls[current].wireID = fragmentID
                    if !calls[current].announced { calls[current].id = fragmentID }
                }
            }
        } else {
            slot = newCall(wireID: fragmentID)
            if let index { slotByIndex[index] = slot }
        }
        if let name = function?.wireString("name"), !name.isEmpty, name != calls[slot].name {
            // Sent once by OpenAI; some servers repeat it whole in every fragment.
            calls[slot].name = calls[slot].name.isEmpty ? name : calls[slot].name + name
        }
        if let arguments = function?[wire: "arguments"] {
            calls[slot].arguments += arguments.wireString ?? arguments.jsonText
        }
        guard !calls[slot].announced, !calls[slot].name.isEmpty else { return nil }
        calls[slot].announced = true
        return .toolCallStarted(id: calls[slot].id, name: calls[slot].name)
    }

    /// Whether a fragment at a call's index (or, without indices, after it) begins another call.
    /// With an id: unless it is the call's own, or the first id for a call that had none and has
    /// no arguments yet. Without one: only when it names a function while the call already has
    /// a name and whole arguments (servers that send every call complete, at index 0, without ids).
    private func startsAnotherCall(_ fragment: JSONValue, after call: Call, id: String?) -> Bool {
        if let id {
            if let wireID = call.wireID { return wireID != id }
            return !call.arguments.isEmpty
        }
        guard let name = fragment[wire: "function"]?.wireString("name"), !name.isEmpty, !call.name.isEmpty else { return false }
        return (try? JSONValue.wireDecode(Array(call.arguments.utf8)))?.wireObject != nil
    }

    private mutating func newCall(wireID: String?) -> Int {
        let position = calls.count
        calls.append(
            Call(
                id: wireID ?? OpenAIChatWire.generatedID(id, position), wireID: wireID, name: "", arguments: "",
                announced: false))
        return position
    }

    private func response() -> ModelResponse {
        var content: [ContentBlock] = text.isEmpty ? [] : [.text(text)]
        for call in calls where !call.name.isEmpty {
            content.append(.toolCall(ToolCall(id: call.id, name: call.name, input: OpenAIChatWire.arguments(.string(call.arguments)))))
        }
        let hasCalls = content.count > (text.isEmpty ? 0 : 1)
        return ModelResponse(
            id: id ?? "", model: model, message: ModelMessage(role: .assistant, content: content),
            stopReason: OpenAIChatWire.stopReason(finishReason, hasToolCalls: hasCalls), usage: usage)
    }
}

extension String {
    fileprivate var trimmingWhitespace: Substring {
        var text = Substring(self)
        while let first = text.first, first.isWhitespace { text.removeFirst() }
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return text
    }
}
