import RunnerProtocol
import Synchronization

/// The host end of one runner channel: request ids, demultiplexing, and typed operations.
///
/// Every operation takes a fresh request id; frames the runner sends back are routed
/// to that operation by id, so any number of execs, file transfers and PTYs can be in
/// flight at once. When the channel closes, every pending operation fails with
/// ``RunnerClientError/Code/channelClosed``: nothing waits forever on a dead runner.
public final class RunnerConnection: Sendable {
    private let channel: any RunnerChannel
    private let state = Mutex(State())

    private struct State {
        var nextID: UInt32 = 1
        var routes: [UInt32: Route] = [:]
        var closedError: RunnerClientError?
        var ready: Ready?
        var readyWaiters: [UInt64: CheckedContinuation<Ready, any Error>] = [:]
        var nextWaiterID: UInt64 = 0
        var reader: Task<Void, Never>?
    }

    /// Where the frames for one request id go.
    private struct Route: Sendable {
        /// Hands a message to the operation; returns true when it was the final one.
        var deliver: @Sendable (RunnerMessage) -> Bool
        var fail: @Sendable (RunnerClientError) -> Void
    }

    /// Starts reading from the channel right away; call ``handshake(timeout:)`` before operations.
    ///
    /// - Parameter firstRequestID: where request ids start. A host that re-attaches to a runner
    ///   another connection used (after a server restart) starts elsewhere, so its ids cannot
    ///   collide with operations the previous connection left running.
    public init(channel: any RunnerChannel, firstRequestID: UInt32 = 1) {
        self.channel = channel
        state.withLock { $0.nextID = max(firstRequestID, 1) }
        let reader = Task.detached { [weak self] in
            guard let self else { return }
            await self.readLoop(channel.inbound)
        }
        state.withLock { $0.reader = reader }
    }

    deinit {
        state.withLock { $0.reader?.cancel() }
        channel.close()
    }

    /// The runner's ready message, once the handshake completed.
    public var ready: Ready? { state.withLock { $0.ready } }

    /// Why the channel closed, if it did.
    public var closedError: RunnerClientError? { state.withLock { $0.closedError } }

    /// Sends `hello` and waits until the runner's shell is initialised.
    @discardableResult
    public func handshake(timeout: Duration = .seconds(30)) async throws -> Ready {
        if let ready { return ready }
        try await send(Frame(id: RunnerWire.controlStream, .hello(Hello())))
        let ready = try await withThrowingTaskGroup(of: Ready.self) { group in
            group.addTask { try await self.waitForReady() }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw RunnerClientError(.timeout, "the runner did not report ready within \(timeout)")
            }
            defer { group.cancelAll() }
            guard let first = try await group.next() else {
                throw RunnerClientError(.cancelled, "handshake cancelled")
            }
            return first
        }
        guard ready.protocolVersion == RunnerWire.version else {
            throw RunnerClientError(
                .unsupportedVersion,
                "runner speaks protocol \(ready.protocolVersion), this host speaks \(RunnerWire.version)")
        }
        return ready
    }

    /// Closes the channel; pending operations fail with ``RunnerClientError/Code/channelClosed``.
    public func close() {
        channel.close()
        failAll(RunnerClientError(.channelClosed, "the connection to the runner was closed"))
    }

    // MARK: processes

    /// Runs a command line in the runner's persistent shell and streams its events.
    public func execute(_ request: ShellExecRequest) async throws -> RunnerProcess {
        try await startProcess(.shellExec(request))
    }

    /// Runs an argv without the shell (separate stdout and stderr).
    public func spawn(_ request: SpawnRequest) async throws -> RunnerProcess {
        try await startProcess(.spawn(request))
    }

    /// Starts an interactive process on a fresh PTY.
    public func openPTY(_ request: PTYOpenRequest) async throws -> RunnerProcess {
        try await startProcess(.ptyOpen(request))
    }

    /// Runs a shell command to completion and collects its output.
    public func run(_ request: ShellExecRequest) async throws -> CollectedOutput {
        try await execute(request).collect()
    }

    /// Registers the process's route and sends its request before returning, so control
    /// messages (input, signals) sent afterwards can never overtake it.
    private func startProcess(_ message: RunnerMessage) async throws -> RunnerProcess {
        let (events, continuation) = AsyncThrowingStream<ProcessEvent, any Error>.makeStream()
        let finished = Mutex(false)
        let route = Route(
            deliver: { message in
                switch message {
                case .started(let pid):
                    continuation.yield(.started(pid: pid))
                    return false
                case .output(let stream, let bytes):
                    continuation.yield(.output(stream, bytes))
                    return false
                case .execFinished(let result):
                    finished.withLock { $0 = true }
                    continuation.yield(.finished(result))
                    continuation.finish()
                    return true
                case .failure(let failure):
                    finished.withLock { $0 = true }
                    continuation.finish(throwing: RunnerClientError.operationFailed(failure))
                    return true
                default:
                    finished.withLock { $0 = true }
                    continuation.finish(throwing: RunnerClientError(.protocolViolation, "unexpected \(message.name) for a process"))
                    return true
                }
            },
            fail: { error in continuation.finish(throwing: error) })
        let id = register(route)
        let process = RunnerProcess(id: id, connection: self, events: events)
        continuation.onTermination = { [weak self] termination in
            // A consumer that walks away from a running process cancels it, so nothing keeps running unseen.
            guard case .cancelled = termination, !finished.withLock({ $0 }) else { return }
            guard let self else { return }
            Task { try? await self.send(Frame(id: id, .cancel)) }
        }
        do {
            try await send(Frame(id: id, message))
        } catch {
            fail(id: id, with: error)
            throw error
        }
        return process
    }

    // MARK: files

    /// Uploads a file from a sequence of chunks; returns the written file's info.
    ///
    /// Each chunk is sent before the next is asked for, and a send returns once the channel took
    /// the bytes, so a slow runner slows the producer instead of piling chunks up in memory.
    /// When `contents` itself fails (an upload over its limit, a client that went away) the runner
    /// is told to abort and that error is thrown as it is: it says nothing about the channel.
    public func writeFile<Chunks: AsyncSequence & Sendable>(_ request: WriteFileRequest, contents: Chunks) async throws -> FileInfo
    where Chunks.Element == [UInt8] {
        let (replies, id) = try await startRequest(.writeFile(request)) { message in
            switch message {
            case .fileInfo, .ok, .failure: true
            default: false
            }
        }
        var iterator = contents.makeAsyncIterator()
        do {
            while true {
                let next: [UInt8]?
                do {
                    next = try await iterator.next()
                } catch {
                    try? await send(Frame(id: id, .cancel))
                    _ = state.withLock { $0.routes.removeValue(forKey: id) }
                    throw ContentsFailure(error: error)
                }
                guard let chunk = next else { break }
                if state.withLock({ $0.routes[id] == nil }) { break } // the runner already answered (a failure)
                var offset = 0
                while offset < chunk.count {
                    let end = min(offset + RunnerWire.chunkSize, chunk.count)
                    try await send(Frame(id: id, .data(Array(chunk[offset..<end]))))
                    offset = end
                }
            }
            if state.withLock({ $0.routes[id] != nil }) {
                try await send(Frame(id: id, .endOfData))
            }
        } catch let failure as ContentsFailure {
            throw failure.error
        } catch {
            try? await send(Frame(id: id, .cancel))
            fail(id: id, with: error)
        }
        for try await message in replies {
            switch message {
            case .fileInfo(let info): return info
            case .failure(let failure): throw RunnerClientError.operationFailed(failure)
            default: break
            }
        }
        throw RunnerClientError(.protocolViolation, "the runner ended a file upload without a result")
    }

    /// Carries an error of an upload's contents past the channel's own error handling.
    private struct ContentsFailure: Error {
        var error: any Error
    }

    /// Uploads bytes held in memory.
    public func writeFile(_ request: WriteFileRequest, bytes: [UInt8]) async throws -> FileInfo {
        try await writeFile(request, contents: ChunkedBytes(bytes))
    }

    /// Asks the runner for one range of a file and returns at once: its info and its content
    /// arrive on the two streams. ``readFile(_:)`` reads a file as a series of these.
    func startRead(_ request: ReadFileRequest) async throws -> PendingRead {
        let (chunks, chunkContinuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
        let (head, headContinuation) = AsyncThrowingStream<FileInfo, any Error>.makeStream()
        let route = Route(
            deliver: { message in
                switch message {
                case .fileInfo(let info):
                    headContinuation.yield(info)
                    headContinuation.finish()
                    return false
                case .data(let bytes):
                    chunkContinuation.yield(bytes)
                    return false
                case .endOfData:
                    chunkContinuation.finish()
                    return true
                case .failure(let failure):
                    // Before the info this fails the request; after it, the content stream.
                    headContinuation.finish(throwing: RunnerClientError.operationFailed(failure))
                    chunkContinuation.finish(throwing: RunnerClientError.operationFailed(failure))
                    return true
                default:
                    let error = RunnerClientError(.protocolViolation, "unexpected \(message.name) in a download")
                    headContinuation.finish(throwing: error)
                    chunkContinuation.finish(throwing: error)
                    return true
                }
            },
            fail: { error in
                headContinuation.finish(throwing: error)
                chunkContinuation.finish(throwing: error)
            })
        let id = register(route)
        // A reader that walks away (or a range never read) stops the runner's reading.
        chunkContinuation.onTermination = { [weak self] termination in
            guard case .cancelled = termination, let self else { return }
            Task { try? await self.send(Frame(id: id, .cancel)) }
        }
        do {
            try await send(Frame(id: id, .readFile(request)))
        } catch {
            fail(id: id, with: error)
            throw error
        }
        return PendingRead(request: request, head: head, chunks: chunks)
    }

    /// Downloads a whole file into memory (for small files).
    public func readFileBytes(_ request: ReadFileRequest) async throws -> [UInt8] {
        let download = try await readFile(request)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(min(download.info.size, 64 * 1024 * 1024)))
        for try await chunk in download.chunks { bytes.append(contentsOf: chunk) }
        return bytes
    }

    public func stat(path: String) async throws -> FileInfo {
        switch try await simpleRequest(.stat(path: path)) {
        case .fileInfo(let info): return info
        case let other: throw RunnerClientError(.protocolViolation, "unexpected \(other.name) for stat")
        }
    }

    public func list(path: String) async throws -> [FileInfo] {
        switch try await simpleRequest(.list(path: path)) {
        case .entries(let entries): return entries
        case let other: throw RunnerClientError(.protocolViolation, "unexpected \(other.name) for list")
        }
    }

    public func makeDirectory(path: String, parents: Bool = true, mode: UInt32 = 0o755) async throws {
        _ = try await simpleRequest(.makeDirectory(path: path, parents: parents, mode: mode))
    }

    public func remove(path: String, recursive: Bool = false) async throws {
        _ = try await simpleRequest(.remove(path: path, recursive: recursive))
    }

    public func move(from: String, to: String, overwrite: Bool = false) async throws {
        _ = try await simpleRequest(.move(from: from, to: to, overwrite: overwrite))
    }

    // MARK: plumbing

    /// Sends a control message (input, resize, signal, cancel) for a running operation.
    func sendControl(_ message: RunnerMessage, to id: UInt32) async throws {
        try await send(Frame(id: id, message))
    }

    private func simpleRequest(_ message: RunnerMessage) async throws -> RunnerMessage {
        let (replies, _) = try await startRequest(message) { _ in true }
        for try await reply in replies {
            if case .failure(let failure) = reply { throw RunnerClientError.operationFailed(failure) }
            return reply
        }
        throw RunnerClientError(.protocolViolation, "the runner ended \(message.name) without a reply")
    }

    /// Registers a route that yields raw messages until `isFinal` says so, then sends the request.
    private func startRequest(
        _ message: RunnerMessage, isFinal: @escaping @Sendable (RunnerMessage) -> Bool
    ) async throws -> (AsyncThrowingStream<RunnerMessage, any Error>, UInt32) {
        let (replies, continuation) = AsyncThrowingStream<RunnerMessage, any Error>.makeStream()
        let route = Route(
            deliver: { message in
                continuation.yield(message)
                let final = isFinal(message)
                if final { continuation.finish() }
                return final
            },
            fail: { error in continuation.finish(throwing: error) })
        let id = register(route)
        do {
            try await send(Frame(id: id, message))
        } catch {
            fail(id: id, with: error)
            throw error
        }
        return (replies, id)
    }

    private func register(_ route: Route) -> UInt32 {
        let (id, closed) = state.withLock { state -> (UInt32, RunnerClientError?) in
            let id = state.nextID
            // Wrap past UInt32.max, skipping the control stream id.
            state.nextID = state.nextID == UInt32.max ? 1 : state.nextID + 1
            if state.closedError == nil { state.routes[id] = route }
            return (id, state.closedError)
        }
        if let closed { route.fail(closed) }
        return id
    }

    private func fail(id: UInt32, with error: any Error) {
        guard let route = state.withLock({ $0.routes.removeValue(forKey: id) }) else { return }
        route.fail(error as? RunnerClientError ?? RunnerClientError(.channelClosed, "cannot reach the runner", cause: error))
    }

    private func send(_ frame: Frame) async throws {
        if let closed = closedError { throw closed }
        do {
            try await channel.write(frame.encoded())
        } catch {
            throw RunnerClientError(.channelClosed, "cannot write to the runner", cause: error)
        }
    }

    private func waitForReady() async throws -> Ready {
        let waiterID = state.withLock { state -> UInt64 in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let outcome = state.withLock { state -> Result<Ready, RunnerClientError>? in
                    if let ready = state.ready { return .success(ready) }
                    if let closed = state.closedError { return .failure(closed) }
                    if Task.isCancelled { return .failure(RunnerClientError(.cancelled, "handshake cancelled")) }
                    state.readyWaiters[waiterID] = continuation
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let waiter = state.withLock { $0.readyWaiters.removeValue(forKey: waiterID) }
            waiter?.resume(throwing: RunnerClientError(.cancelled, "handshake cancelled"))
        }
    }

    private func readLoop(_ inbound: any AsyncSequence<[UInt8], any Error> & Sendable) async {
        var decoder = FrameDecoder()
        do {
            for try await chunk in inbound {
                decoder.append(chunk)
                while let frame = try decoder.next() {
                    dispatch(frame)
                }
            }
            failAll(RunnerClientError(.channelClosed, "the runner closed its channel"))
        } catch let error as RunnerProtocolError {
            channel.close()
            failAll(RunnerClientError(.protocolViolation, "the runner sent an invalid frame: \(error)", cause: error))
        } catch {
            failAll(RunnerClientError(.channelClosed, "the channel to the runner broke", cause: error))
        }
    }

    private func dispatch(_ frame: Frame) {
        if frame.id == RunnerWire.controlStream {
            if case .ready(let ready) = frame.message {
                let waiters = state.withLock { state in
                    state.ready = ready
                    defer { state.readyWaiters.removeAll() }
                    return Array(state.readyWaiters.values)
                }
                for waiter in waiters { waiter.resume(returning: ready) }
            }
            return
        }
        // Frames for ids nobody waits on any more (a consumer that left) are dropped.
        guard let route = state.withLock({ $0.routes[frame.id] }) else { return }
        if route.deliver(frame.message) {
            _ = state.withLock { $0.routes.removeValue(forKey: frame.id) }
        }
    }

    private func failAll(_ error: RunnerClientError) {
        let (routes, waiters) = state.withLock { state in
            if state.closedError == nil { state.closedError = error }
            defer {
                state.routes.removeAll()
                state.readyWaiters.removeAll()
            }
            return (Array(state.routes.values), Array(state.readyWaiters.values))
        }
        for route in routes { route.fail(error) }
        for waiter in waiters { waiter.resume(throwing: error) }
    }
}

extension RunnerMessage {
    /// A short name for error messages.
    var name: String {
        switch self {
        case .hello: "hello"
        case .shellExec: "shellExec"
        case .spawn: "spawn"
        case .ptyOpen: "ptyOpen"
        case .input: "input"
        case .resize: "resize"
        case .signal: "signal"
        case .cancel: "cancel"
        case .writeFile: "writeFile"
        case .readFile: "readFile"
        case .stat: "stat"
        case .list: "list"
        case .makeDirectory: "makeDirectory"
        case .remove: "remove"
        case .move: "move"
        case .data: "data"
        case .endOfData: "endOfData"
        case .ready: "ready"
        case .started: "started"
        case .output: "output"
        case .execFinished: "execFinished"
        case .fileInfo: "fileInfo"
        case .entries: "entries"
        case .ok: "ok"
        case .failure: "failure"
        }
    }
}
