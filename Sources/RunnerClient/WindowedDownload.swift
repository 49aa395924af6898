import RunnerProtocol

/// One range of a file asked of the runner: its info, then its content.
struct PendingRead: Sendable {
    let request: ReadFileRequest
    let head: AsyncThrowingStream<FileInfo, any Error>
    let chunks: AsyncThrowingStream<[UInt8], any Error>

    /// The file's info, once the runner has opened it.
    func info() async throws -> FileInfo {
        for try await info in head { return info }
        throw RunnerClientError(.protocolViolation, "the runner ended a download without a reply")
    }
}

extension RunnerConnection {
    /// How much of a file a download asks the runner for at once.
    ///
    /// One channel carries every operation of a sandbox, so it cannot stop the runner's data for
    /// one download without stopping everything else; instead a download asks for the file one
    /// window at a time, and for the next only once its reader has started on the current one.
    /// At most two windows of a download are ever buffered, however slowly it is read.
    public static let downloadWindow: UInt64 = 1 << 20

    /// Downloads a file: its info, then its content in chunks, read a window at a time as the
    /// consumer takes them (see ``downloadWindow``).
    ///
    /// A file that grows meanwhile is read up to the size it had when the download started; one
    /// that is rewritten or shrinks meanwhile fails the download rather than deliver a mixture.
    /// Files that report size 0 (`/proc`, `/sys`) are read up to their end, whatever it is.
    public func readFile(_ request: ReadFileRequest) async throws -> FileDownload {
        let window = Self.downloadWindow
        let firstLength = request.length > 0 ? min(request.length, window) : window
        let first = try await startRead(ReadFileRequest(path: request.path, offset: request.offset, length: firstLength))
        let info = try await first.info()
        let reader = WindowedDownload(connection: self, request: request, info: info, first: first, window: window)
        await reader.prefetch()
        return FileDownload(info: info, chunks: AsyncThrowingStream(unfolding: { try await reader.next() }))
    }
}

/// The windows of one download, asked for ahead of the reader by one.
private actor WindowedDownload {
    let connection: RunnerConnection
    let path: String
    /// The file as the first window found it.
    let info: FileInfo
    let window: UInt64
    /// Where the download stops (exclusive); nil reads to the end of the file.
    let end: UInt64?
    /// Where the next window to ask for starts.
    var nextOffset: UInt64
    /// Where the next chunk handed out starts.
    var position: UInt64
    /// Windows asked for and not yet started on, in order.
    var pending: [PendingRead] = []
    var current: AsyncThrowingStream<[UInt8], any Error>.AsyncIterator?
    /// What the current window was asked for and has delivered so far.
    var currentLength: UInt64 = 0
    var currentReceived: UInt64 = 0
    var finished = false

    init(connection: RunnerConnection, request: ReadFileRequest, info: FileInfo, first: PendingRead, window: UInt64) {
        self.connection = connection
        self.path = request.path
        self.info = info
        self.window = window
        let requestedEnd = request.length > 0 ? request.offset + request.length : nil
        if info.size > 0 {
            let fileEnd = max(info.size, request.offset)
            end = requestedEnd.map { min($0, fileEnd) } ?? fileEnd
        } else {
            end = requestedEnd
        }
        nextOffset = request.offset + first.request.length
        position = request.offset
        current = first.chunks.makeAsyncIterator()
        currentLength = first.request.length
    }

    /// Asks for the window after the one being read, when the file has more.
    func prefetch() async {
        // Without a known end (size 0) a window is asked for only once the last one came back full.
        guard pending.isEmpty, let end, nextOffset < end else { return }
        await ask(length: min(window, end - nextOffset))
    }

    private func ask(length: UInt64) async {
        do {
            pending.append(try await connection.startRead(ReadFileRequest(path: path, offset: nextOffset, length: length)))
            nextOffset += length
        } catch {
            // The channel broke: the reader meets the same failure when it gets to this window.
            let (head, continuation) = AsyncThrowingStream<FileInfo, any Error>.makeStream()
            continuation.finish(throwing: error)
            pending.append(PendingRead(request: ReadFileRequest(path: path), head: head, chunks: AsyncThrowingStream { $0.finish() }))
        }
    }

    func next() async throws -> [UInt8]? {
        while !finished {
            if var iterator = current {
                let chunk = try await iterator.next(isolation: self)
                current = iterator
                if var chunk {
                    currentReceived += UInt64(chunk.count)
                    // A file that grew while the first window was read: stop at the size it had.
                    if let end, position + UInt64(chunk.count) >= end {
                        chunk.removeLast(Int(position + UInt64(chunk.count) - end))
                        finish()
                    }
                    position += UInt64(chunk.count)
                    return chunk
                }
                current = nil
                if currentReceived < currentLength {
                    // A short window is the end of the file: where it should be, or one that shrank.
                    finish()
                    if info.size > 0, let end, position < end, try await shrank() { throw changed() }
                    return nil
                }
            }
            if pending.isEmpty {
                if let end, nextOffset >= end {
                    finish()
                    return nil
                }
                await ask(length: end.map { min(window, $0 - nextOffset) } ?? window)
            }
            let range = pending.removeFirst()
            let found = try await range.info()
            try checkUnchanged(found)
            current = range.chunks.makeAsyncIterator()
            currentLength = range.request.length
            currentReceived = 0
            await prefetch()
        }
        return nil
    }

    /// Appending is fine (the download stops at the size it started with); anything else that
    /// changed the file means its windows would not belong to the same content. (A file replaced
    /// by a larger one cannot be told from one that grew: the runner reports no inode.)
    private func checkUnchanged(_ found: FileInfo) throws {
        // Files of size 0 (`/proc`) are generated as they are read; their times mean nothing.
        guard info.size > 0 else { return }
        let rewritten = found.size == info.size && found.modifiedNanoseconds != info.modifiedNanoseconds
        guard found.size < info.size || rewritten else { return }
        throw changed()
    }

    /// Whether the file really is shorter now than when the download started. A kernel file
    /// (`/sys`) reports a size it does not have (4096 for a 6-byte value) and never changes it:
    /// its short read is its end, not a shortened file.
    private func shrank() async throws -> Bool {
        let now = try await connection.stat(path: path)
        return now.size != info.size || now.modifiedNanoseconds != info.modifiedNanoseconds
    }

    private func changed() -> RunnerClientError {
        RunnerClientError.operationFailed(
            RunnerFailure(
                code: .io,
                message: "read \(info.path): the file changed while it was being read (rewritten or shortened); read it again"))
    }

    private func finish() {
        finished = true
        // Windows asked for ahead and not needed are dropped, which cancels them in the runner.
        pending.removeAll()
        current = nil
    }
}
