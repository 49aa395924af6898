import JSONValues
import Sandbox
import Synchronization

/// A stdio MCP server: its process started inside the sandbox through the sandbox API (so it
/// runs under the sandbox's isolation profile, never on the host), one JSON-RPC message per line
/// on its stdin and stdout, its stderr kept (the last bytes) for error messages.
final class MCPStdioTransport: MCPTransport {
    let server: String
    private let process: SandboxProcess
    private let stderr: TailBuffer
    /// stdout lines that were not JSON (a banner, a stray print): kept for error messages.
    private let strayOutput: TailBuffer
    private let reader = Mutex<Task<Void, Never>?>(nil)
    /// Filled when the process has ended (its `finished` event, or its event stream failing).
    private let ended = Gate()
    /// Writes are serialised so two messages never interleave on stdin.
    private let writeLock = AsyncLock()

    var answersInline: Bool { false }

    private init(server: String, process: SandboxProcess, options: MCPOptions) {
        self.server = server
        self.process = process
        stderr = TailBuffer(capacity: options.stderrExcerptBytes)
        strayOutput = TailBuffer(capacity: 1024)
    }

    /// Starts the process and its reader.
    ///
    /// - Throws: the sandbox's error when the process cannot be started (no such program).
    static func start(
        server: String, argv: [String], environment: [String: String], sandbox: any SandboxInstance, options: MCPOptions,
        inbox: MCPInbox
    ) async throws -> MCPStdioTransport {
        // No output cap that a long session would reach: the server's output is its answers,
        // each already bounded by `maxMessageBytes` on this side.
        let command = SandboxCommand.arguments(
            argv, environment: environment, workingDirectory: options.workingDirectory, maxOutputBytes: 1 << 50, openStdin: true)
        let process = try await sandbox.run(command)
        let transport = MCPStdioTransport(server: server, process: process, options: options)
        transport.startReading(maxLineBytes: options.maxMessageBytes, inbox: inbox)
        return transport
    }

    private func startReading(maxLineBytes: Int, inbox: MCPInbox) {
        let task = Task { [self] in
            var lines = LineSplitter(maxLineBytes: maxLineBytes)
            var outcome: MCPError
            do {
                var result: ProcessResult?
                for try await event in process.events {
                    switch event {
                    case .started: continue
                    case .output(.stderr, let bytes): stderr.append(bytes)
                    case .output(.stdout, let bytes):
                        for piece in lines.feed(bytes) {
                            switch piece {
                            case .line(let line): handle(line, inbox: inbox)
                            case .oversized(let prefix, let size): inbox.oversized(prefix, size)
                            }
                        }
                    case .finished(let finished):
                        result = finished
                    }
                    if result != nil { break }
                }
                outcome = MCPError(.serverExited, server: server, Self.ending(result) + diagnosticsSuffix)
            } catch {
                outcome = MCPError(.serverExited, server: server, "its process was lost: \(error)" + diagnosticsSuffix)
            }
            inbox.closed(outcome)
            ended.open()
        }
        reader.withLock { $0 = task }
    }

    private func handle(_ line: [UInt8], inbox: MCPInbox) {
        let text = String(decoding: line, as: UTF8.self)
        guard !text.allSatisfy(\.isWhitespace) else { return }
        if let message = JSONValue.parse(json: text), case .object = message {
            inbox.deliver(message)
        } else if let message = JSONValue.parse(json: text), case .array = message {
            inbox.deliver(message)
        } else {
            strayOutput.append(Array(line.prefix(200)) + [UInt8(ascii: "\n")])
        }
    }

    private static func ending(_ result: ProcessResult?) -> String {
        guard let result else { return "its process ended without an exit status" }
        if result.cancelled { return "its process was stopped" }
        if result.signal != 0 { return "its process was killed by signal \(result.signal)" }
        return "its process exited with code \(result.exitCode)"
    }

    private var diagnosticsSuffix: String {
        let text = diagnostics
        return text.isEmpty ? "" : "; its stderr ends with:\n" + text
    }

    var diagnostics: String {
        let stray = strayOutput.text
        let errors = stderr.text
        if stray.isEmpty { return errors }
        return errors + (errors.isEmpty ? "" : "\n") + "(stdout lines that were not JSON-RPC: " + stray + ")"
    }

    func send(_ message: JSONValue) async throws {
        let bytes = Array((message.jsonText + "\n").utf8)
        try await writeLock.withLock {
            do {
                try await process.write(bytes)
            } catch {
                throw MCPError(.serverExited, server: server, "its stdin is closed (\(error))")
            }
        }
    }

    func negotiated(protocolVersion: String) {}

    /// MCP's shutdown for stdio: close stdin and give the server a moment to exit, then SIGTERM
    /// and SIGKILL (the sandbox API's cancel), and wait for the process to be gone.
    func close() async {
        try? await process.closeInput()
        if await !waitForEnd(.seconds(2)) {
            try? await process.cancel()
            _ = await waitForEnd(.seconds(10))
        }
        reader.withLock { $0?.cancel() }
    }

    /// Whether the process ended within `limit`.
    private func waitForEnd(_ limit: Duration) async -> Bool {
        if ended.isOpen { return true }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask { [ended] in await ended.wait() }
            group.addTask {
                try? await Task.sleep(for: limit)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }
}

/// A lock for async critical sections (writes to one stdin), handed out in arrival order.
final class AsyncLock: Sendable {
    private struct State {
        var held = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    func withLock<T: Sendable>(_ body: () async throws -> T) async rethrows -> T {
        await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async {
        await withCheckedContinuation { continuation in
            let acquired = state.withLock { state in
                if state.held {
                    state.waiters.append(continuation)
                    return false
                }
                state.held = true
                return true
            }
            if acquired { continuation.resume() }
        }
    }

    private func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiters.isEmpty {
                state.held = false
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }
}

/// Opens once; waiters return `true` when it opens, `false` when their task is cancelled first.
final class Gate: Sendable {
    private struct State {
        var isOpen = false
        var nextID = 0
        var waiters: [Int: CheckedContinuation<Bool, Never>] = [:]
    }

    private let state = Mutex(State())

    var isOpen: Bool { state.withLock { $0.isOpen } }

    func open() {
        let waiters = state.withLock { state in
            state.isOpen = true
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume(returning: true) }
    }

    func wait() async -> Bool {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let answer: Bool? = state.withLock { state in
                    if state.isOpen { return true }
                    if Task.isCancelled { return false }
                    state.waiters[id] = continuation
                    return nil
                }
                if let answer { continuation.resume(returning: answer) }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume(returning: false)
        }
    }
}
