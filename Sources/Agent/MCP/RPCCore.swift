import JSONValues
import Synchronization

/// JSON-RPC 2.0 over one transport: ids, waiting requests, answers to the server's own
/// requests, and what happens to waiting requests when the connection ends.
final class RPCCore: Sendable {
    let server: String
    let options: MCPOptions

    private struct State {
        var nextID = 0
        var pending: [Int: ReplySlot] = [:]
        var closed: MCPError?
        var transport: (any MCPTransport)?
    }

    private let state = Mutex(State())

    init(server: String, options: MCPOptions) {
        self.server = server
        self.options = options
    }

    var transport: (any MCPTransport)? { state.withLock { $0.transport } }

    /// Why the connection ended, once it has.
    var closedError: MCPError? { state.withLock { $0.closed } }

    func attach(_ transport: any MCPTransport) {
        state.withLock { $0.transport = transport }
    }

    /// The server's diagnostics as the end of an error message, or nothing.
    var diagnosticsSuffix: String {
        let text = transport?.diagnostics ?? ""
        return text.isEmpty ? "" : "; its stderr ends with:\n" + text
    }

    var inbox: MCPInbox {
        MCPInbox(
            deliver: { [weak self] message in self?.receive(message) },
            oversized: { [weak self] prefix, bytes in self?.receiveOversized(prefix: prefix, bytes: bytes) },
            closed: { [weak self] error in self?.fail(with: error) })
    }

    /// Sends a request and waits for its answer's `result`.
    ///
    /// - Throws: ``MCPError`` `serverError` for an error object, `timedOut`, `serverExited`,
    ///   `messageTooLarge`; `CancellationError` when the calling task is cancelled.
    func request(_ method: String, params: JSONValue, timeout: Duration) async throws -> JSONValue {
        let slot = ReplySlot()
        let registered: Result<(Int, any MCPTransport), MCPError> = state.withLock { state in
            if let closed = state.closed { return .failure(closed) }
            guard let transport = state.transport else {
                return .failure(MCPError(.serverExited, server: server, "is not connected"))
            }
            state.nextID += 1
            state.pending[state.nextID] = slot
            return .success((state.nextID, transport))
        }
        let (id, transport) = try registered.get()
        defer { _ = state.withLock { $0.pending.removeValue(forKey: id) } }
        let message: JSONValue = ["jsonrpc": "2.0", "id": .integer(id), "method": .string(method), "params": params]
        do {
            return try await Self.race(timeout) {
                try await transport.send(message)
                if transport.answersInline {
                    slot.fill(.failure(MCPError(.protocolViolation, server: self.server, "the response to \(method) held no answer")))
                }
                return try await slot.value()
            }
        } catch is TimedOut {
            let cancel: JSONValue = [
                "jsonrpc": "2.0", "method": "notifications/cancelled",
                "params": ["requestId": .integer(id), "reason": "timed out"],
            ]
            Task { try? await transport.send(cancel) }
            throw MCPError(
                .timedOut, server: server, "\(method) got no answer within \(Self.seconds(timeout)) s" + diagnosticsSuffixIfExited)
        }
    }

    /// Diagnostics are worth showing after a timeout only when they exist.
    private var diagnosticsSuffixIfExited: String { diagnosticsSuffix }

    func notify(_ method: String, params: JSONValue? = nil) async throws {
        guard let transport else { throw MCPError(.serverExited, server: server, "is not connected") }
        var message: [String: JSONValue] = ["jsonrpc": "2.0", "method": .string(method)]
        if let params { message["params"] = params }
        try await transport.send(.object(message))
    }

    func close() async {
        let transport = state.withLock { state -> (any MCPTransport)? in
            if state.closed == nil { state.closed = MCPError(.serverExited, server: server, "was stopped") }
            return state.transport
        }
        failPending(MCPError(.serverExited, server: server, "was stopped"))
        await transport?.close()
    }

    // MARK: - What the server sends

    private func receive(_ message: JSONValue) {
        switch message {
        case .array(let batch):
            for item in batch { receive(item) }
        case .object(let fields):
            if case .string(let method)? = fields["method"] {
                if let id = fields["id"] { answerServerRequest(method, id: id) }
                // Notifications (progress, logging, list changes) need nothing from us.
                return
            }
            guard let id = fields["id"].flatMap(Self.integerID) else { return }
            let slot = state.withLock { $0.pending[id] }
            if let error = fields["error"] {
                let code = error.child("code").flatMap { if case .integer(let code) = $0 { code } else { nil } }
                let text = error.child("message")?.stringValue ?? error.jsonText
                slot?.fill(.failure(MCPError(.serverError, server: server, text + (code.map { " (JSON-RPC error \($0))" } ?? ""), rpcCode: code)))
            } else if let result = fields["result"] {
                slot?.fill(.success(result))
            } else {
                slot?.fill(.failure(MCPError(.protocolViolation, server: server, "an answer with neither result nor error")))
            }
        default:
            break
        }
    }

    /// The client declares no capabilities, so the only request it serves is `ping`.
    private func answerServerRequest(_ method: String, id: JSONValue) {
        guard let transport else { return }
        let answer: JSONValue =
            method == "ping"
            ? ["jsonrpc": "2.0", "id": id, "result": [:]]
            : ["jsonrpc": "2.0", "id": id, "error": ["code": -32601, "message": .string("Method not found: \(method)")]]
        Task { try? await transport.send(answer) }
    }

    /// Fails the request a too-large message answers, when its id can be read from its start.
    private func receiveOversized(prefix: [UInt8], bytes: Int) {
        guard let id = Self.leadingID(in: prefix), let slot = state.withLock({ $0.pending[id] }) else { return }
        slot.fill(
            .failure(
                MCPError(.messageTooLarge, server: server, "its answer is \(bytes) bytes, more than the \(options.maxMessageBytes) accepted")))
    }

    /// The number after the first `"id":` in the start of a message (answers put `id` early).
    static func leadingID(in prefix: [UInt8]) -> Int? {
        let key = Array(#""id""#.utf8)
        guard let start = prefix.indices.first(where: { prefix[$0...].starts(with: key) }) else { return nil }
        var digits = ""
        for byte in prefix[(start + key.count)...] {
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: ":") || byte == UInt8(ascii: "\"") {
                if digits.isEmpty { continue } else { break }
            }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { break }
            digits.append(Character(Unicode.Scalar(byte)))
        }
        return Int(digits)
    }

    private func fail(with error: MCPError) {
        state.withLock { if $0.closed == nil { $0.closed = error } }
        failPending(error)
    }

    private func failPending(_ error: MCPError) {
        let slots = state.withLock { Array($0.pending.values) }
        for slot in slots { slot.fill(.failure(error)) }
    }

    private static func integerID(_ value: JSONValue) -> Int? {
        switch value {
        case .integer(let id): id
        case .number(let id) where id == id.rounded(): Int(exactly: id)
        case .string(let text): Int(text)
        default: nil
        }
    }

    // MARK: - Time limits

    private struct TimedOut: Error {}

    private static func race(_ timeout: Duration, _ body: @escaping @Sendable () async throws -> JSONValue) async throws -> JSONValue {
        try await withThrowingTaskGroup(of: JSONValue.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw TimedOut()
            }
            defer { group.cancelAll() }
            guard let first = try await group.next() else { throw TimedOut() }
            return first
        }
    }

    static func seconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let value = Double(seconds) + Double(attoseconds) / 1e18
        return value == value.rounded() ? String(Int(value)) : String(value)
    }
}
