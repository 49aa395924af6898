import RunnerProtocol

/// What a running process reports, in order: `started`, any number of `output`, then `finished`.
public enum ProcessEvent: Sendable, Equatable {
    case started(pid: Int32)
    case output(OutputStream, [UInt8])
    case finished(ExecResult)
}

/// A shell exec, spawned process or PTY session in flight.
///
/// Iterate ``events`` for output as it is produced. Walking away from the sequence
/// before `finished` cancels the process in the runner.
public struct RunnerProcess: Sendable {
    public let id: UInt32
    let connection: RunnerConnection
    public let events: AsyncThrowingStream<ProcessEvent, any Error>

    /// Feeds the process's stdin (spawn with `openStdin`, or a PTY).
    public func write(_ bytes: [UInt8]) async throws {
        guard !bytes.isEmpty else { return }
        try await connection.sendControl(.input(bytes), to: id)
    }

    /// Closes the process's stdin.
    public func closeInput() async throws {
        try await connection.sendControl(.input([]), to: id)
    }

    public func resize(_ size: WindowSize) async throws {
        try await connection.sendControl(.resize(size), to: id)
    }

    public func signal(_ signal: Int32) async throws {
        try await connection.sendControl(.signal(signal), to: id)
    }

    /// Interrupts the process as a timeout would; the result reports `cancelled`.
    public func cancel() async throws {
        try await connection.sendControl(.cancel, to: id)
    }

    /// Waits for the end, gathering all output (up to the runner's cap).
    public func collect() async throws -> CollectedOutput {
        try await CollectedOutput.collect(events)
    }
}

/// The complete output and result of a finished process.
public struct CollectedOutput: Sendable, Equatable {
    public var pid: Int32
    public var stdout: [UInt8]
    public var stderr: [UInt8]
    public var result: ExecResult

    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
    public var exitCode: Int32 { result.exitCode }

    /// Drains a process's events into one value.
    public static func collect<Events: AsyncSequence>(_ events: Events) async throws -> CollectedOutput
    where Events.Element == ProcessEvent {
        var stdout: [UInt8] = []
        var stderr: [UInt8] = []
        var pid: Int32 = 0
        for try await event in events {
            switch event {
            case .started(let started): pid = started
            case .output(.stdout, let bytes): stdout.append(contentsOf: bytes)
            case .output(.stderr, let bytes): stderr.append(contentsOf: bytes)
            case .finished(let result): return CollectedOutput(pid: pid, stdout: stdout, stderr: stderr, result: result)
            }
        }
        throw RunnerClientError(.channelClosed, "the process ended without a result")
    }
}

/// Splits a buffer into protocol-sized chunks for uploads.
public struct ChunkedBytes: AsyncSequence, Sendable {
    public typealias Element = [UInt8]
    let bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let bytes: [UInt8]
        var offset = 0
        public mutating func next() async -> [UInt8]? {
            guard offset < bytes.count else { return nil }
            let end = Swift.min(offset + RunnerWire.chunkSize, bytes.count)
            defer { offset = end }
            return Array(bytes[offset..<end])
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(bytes: bytes) }
}

/// A file being downloaded: its info first, then its content.
public struct FileDownload: Sendable {
    public let info: FileInfo
    public let chunks: AsyncThrowingStream<[UInt8], any Error>

    /// For backends whose downloads do not come from the runner (E2B's `/files`).
    public init(info: FileInfo, chunks: AsyncThrowingStream<[UInt8], any Error>) {
        self.info = info
        self.chunks = chunks
    }
}
