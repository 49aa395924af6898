import Agent
import Foundation
import JSONValues
import ModelProviders
import Synchronization

/// Turns one session's ``AgentEvent``s into Sandstorm's stream messages, which are the Claude
/// Agent SDK's (notes §3.3, §4.3): the one place both `sandcastle agent --json-output` and
/// `POST /query` take them from.
///
/// | message | when | carries |
/// |---|---|---|
/// | `system` (`init`) | the sandbox is ready | `session_id`, `model`, `tools`, `cwd`, `agents` |
/// | `assistant` | each model turn (a subagent's too, with `parent_tool_use_id`) | the Anthropic message: `id`, `model`, `content` (text, tool_use, thinking), `stop_reason`, `usage` |
/// | `user` | each turn's tool results | `tool_result` blocks (`tool_use_id`, `content`, `is_error`) |
/// | `stream_event` | only with partial messages: each text/thinking delta | a `content_block_delta` event |
/// | `result` | the end | `subtype`, `is_error`, `duration_ms`, `num_turns`, `total_cost_usd` (null when unknown), `usage`, `modelUsage`, `result`, `structured_output`, … |
/// | `error` | the session could not run | `error` |
///
/// Safe to call from the loop's concurrently running tools (its state is behind a lock).
public final class SandstormMessages: Sendable {
    public let sessionID: String
    let catalog: ModelCatalog
    let outputFormat: OutputFormat?
    let partialMessages: Bool
    private let state = Mutex(State())

    private struct State {
        var lastStopReason: String?
        /// For partial messages: the kind of the block being streamed and its index, per agent
        /// (nil key: the session's own agent).
        var streaming: [String: (kind: String, index: Int)] = [:]
    }

    public init(sessionID: String, catalog: ModelCatalog, outputFormat: OutputFormat? = nil, partialMessages: Bool = false) {
        self.sessionID = sessionID
        self.catalog = catalog
        self.outputFormat = outputFormat
        self.partialMessages = partialMessages
    }

    // MARK: - Messages of the session itself

    /// `{"type": "system", "subtype": "init", …}`: what the agent has to work with.
    /// `mcpServers`: the MCP servers started for the session, each `{name, status: "connected"}`
    /// as Claude Code lists them (a server that fails to start ends the session before this).
    public func initMessage(model: String, tools: [String], cwd: String, agents: [String], mcpServers: [String] = []) -> JSONValue {
        [
            "type": "system", "subtype": "init", "session_id": .string(sessionID), "uuid": .string(Self.uuid()),
            "cwd": .string(cwd), "model": .string(model), "tools": .array(tools.map(JSONValue.string)),
            "agents": .array(agents.map(JSONValue.string)),
            "mcp_servers": .array(mcpServers.map { ["name": .string($0), "status": "connected"] }), "permissionMode": "bypassPermissions",
        ]
    }

    /// `{"type": "error", "error": "…"}`: the session failed outside the agent loop.
    public static func error(_ message: String) -> JSONValue {
        ["type": "error", "error": .string(message)]
    }

    /// `{"type": "warning", "message": "…"}` (Sandstorm's own kind): something asked for was left out.
    public static func warning(_ message: String) -> JSONValue {
        ["type": "warning", "message": .string(message)]
    }

    /// The messages one event becomes (often none).
    public func messages(for event: AgentEvent) -> [JSONValue] {
        messages(for: event, parent: nil)
    }

    private func messages(for event: AgentEvent, parent: String?) -> [JSONValue] {
        switch event {
        case .subagent(let parentID, _, let inner):
            // A subagent's own end is its tool's result, not the session's.
            if case .result = inner { return [] }
            return messages(for: inner, parent: parentID)
        case .assistantMessage(let turn):
            if parent == nil { state.withLock { $0.lastStopReason = turn.stopReason.rawValue } }
            endStreaming(parent)
            return [assistant(turn, parent: parent)]
        case .toolResults(_, let message):
            return [user(message, parent: parent)]
        case .textDelta(let text):
            return partialMessages ? [delta(kind: "text", text: text, parent: parent)] : []
        case .thinkingDelta(let text):
            return partialMessages ? [delta(kind: "thinking", text: text, parent: parent)] : []
        case .result(let result):
            return [self.result(result)]
        case .turnStarted, .toolCallStarted, .toolCallFinished:
            return []
        }
    }

    // MARK: - assistant, user, stream_event

    private func assistant(_ turn: AgentEvent.AssistantTurn, parent: String?) -> JSONValue {
        let message: JSONValue = [
            "id": .string(turn.messageID), "type": "message", "role": "assistant", "model": .string(turn.model),
            "content": .array(turn.message.content.compactMap(Self.block)), "stop_reason": .string(turn.stopReason.rawValue),
            "stop_sequence": .null, "usage": turn.usage.map(Self.usage) ?? .null,
        ]
        return envelope("assistant", message: message, parent: parent)
    }

    private func user(_ message: ModelMessage, parent: String?) -> JSONValue {
        envelope("user", message: ["role": "user", "content": .array(message.content.compactMap(Self.block))], parent: parent)
    }

    private func envelope(_ type: String, message: JSONValue, parent: String?) -> JSONValue {
        [
            "type": .string(type), "message": message, "parent_tool_use_id": parent.map(JSONValue.string) ?? .null,
            "session_id": .string(sessionID), "uuid": .string(Self.uuid()),
        ]
    }

    /// A `content_block_delta` as Anthropic streams it; the block index counts the blocks of one
    /// message the deltas switched between (text, thinking), which is all the loop reports.
    private func delta(kind: String, text: String, parent: String?) -> JSONValue {
        let index = state.withLock { state -> Int in
            let key = parent ?? ""
            if let current = state.streaming[key], current.kind == kind { return current.index }
            let next = state.streaming[key].map { $0.index + 1 } ?? 0
            state.streaming[key] = (kind, next)
            return next
        }
        let delta: JSONValue = kind == "text" ? ["type": "text_delta", "text": .string(text)] : ["type": "thinking_delta", "thinking": .string(text)]
        return [
            "type": "stream_event", "event": ["type": "content_block_delta", "index": .integer(index), "delta": delta],
            "parent_tool_use_id": parent.map(JSONValue.string) ?? .null, "session_id": .string(sessionID), "uuid": .string(Self.uuid()),
        ]
    }

    private func endStreaming(_ parent: String?) {
        _ = state.withLock { $0.streaming.removeValue(forKey: parent ?? "") }
    }

    static func block(_ block: ContentBlock) -> JSONValue? {
        switch block {
        case .text(let text): ["type": "text", "text": .string(text)]
        case .toolCall(let call): ["type": "tool_use", "id": .string(call.id), "name": .string(call.name), "input": call.input]
        case .toolResult(let result):
            [
                "type": "tool_result", "tool_use_id": .string(result.toolCallID), "content": .string(result.content),
                "is_error": .bool(result.isError),
            ]
        case .thinking(let text, let signature): ["type": "thinking", "thinking": .string(text), "signature": .string(signature)]
        }
    }

    static func usage(_ usage: TokenUsage) -> JSONValue {
        [
            "input_tokens": .integer(usage.inputTokens), "output_tokens": .integer(usage.outputTokens),
            "cache_read_input_tokens": .integer(usage.cacheReadTokens), "cache_creation_input_tokens": .integer(usage.cacheWriteTokens),
        ]
    }

    // MARK: - result

    /// The Agent SDK's `result` subtype, with `error_max_budget_usd` for a spent budget.
    static func subtype(_ outcome: AgentOutcome) -> String {
        if case .providerFailed(let error) = outcome, error.code == BudgetedProvider.budgetExceeded { return "error_max_budget_usd" }
        return outcome.subtype
    }

    func result(_ result: AgentResult) -> JSONValue {
        let costs = SessionCost(result.modelCalls, catalog: catalog)
        var message: [String: JSONValue] = [
            "type": "result", "subtype": .string(Self.subtype(result.outcome)), "is_error": .bool(result.isError),
            "duration_ms": .integer(Self.milliseconds(result.duration)), "num_turns": .integer(result.turns),
            "result": .string(result.text), "session_id": .string(sessionID), "uuid": .string(Self.uuid()),
            "total_cost_usd": costs.total.map(JSONValue.number) ?? .null, "usage": Self.usage(costs.usage),
            "modelUsage": costs.byModel, "permission_denials": [], "terminal_reason": .string(result.outcome.terminalReason),
            "stop_reason": state.withLock { $0.lastStopReason }.map(JSONValue.string) ?? .null,
        ]
        if let outputFormat {
            message["structured_output"] = result.structuredOutput.map(outputFormat.answer) ?? .null
        }
        if result.isError { message["errors"] = [.string(result.outcome.summary)] }
        return .object(message)
    }

    static func uuid() -> String { UUID().uuidString.lowercased() }

    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }
}
