/// Which of a process's output streams bytes came from.
public enum StandardStream: Sendable, Equatable {
    /// Standard output, or the terminal for shell lines and terminals.
    case stdout
    case stderr
}

/// What a running process reports, in order: `started`, any number of `output`, then `finished`.
public enum ProcessEvent: Sendable, Equatable {
    case started(pid: Int32)
    case output(StandardStream, [UInt8])
    case finished(ProcessResult)
}

/// How a process ended.
public struct ProcessResult: Sendable, Equatable {
    /// The exit status; for a process killed by a signal, 128 + signal (as shells report it).
    public var exitCode: Int32
    /// The signal that ended the process, or 0.
    public var signal: Int32
    /// The shell's working directory afterwards (shell lines on a persistent shell only; empty otherwise).
    public var workingDirectory: String
    public var duration: Duration
    /// Total output bytes the process produced, including any dropped beyond the cap.
    public var outputBytes: UInt64
    /// Output went past the cap and the rest was dropped.
    public var truncated: Bool
    /// Killed because the command's timeout ran out.
    public var timedOut: Bool
    /// Interrupted by ``SandboxProcess/cancel()``.
    public var cancelled: Bool
    /// The kernel's OOM killer killed a process of the sandbox while this one ran: the process
    /// itself (exit code 137), or for a shell line possibly the shell, which the command had grown
    /// past the sandbox's memory limit (the shell is then a fresh one).
    public var oomKilled: Bool

    public init(
        exitCode: Int32, signal: Int32 = 0, workingDirectory: String = "", duration: Duration = .zero,
        outputBytes: UInt64 = 0, truncated: Bool = false, timedOut: Bool = false, cancelled: Bool = false,
        oomKilled: Bool = false
    ) {
        self.exitCode = exitCode
        self.signal = signal
        self.workingDirectory = workingDirectory
        self.duration = duration
        self.outputBytes = outputBytes
        self.truncated = truncated
        self.timedOut = timedOut
        self.cancelled = cancelled
        self.oomKilled = oomKilled
    }
}

/// What reaches a running process, implemented by each backend.
public protocol ProcessControl: Sendable {
    /// Feeds stdin (an argv with `openStdin`, or a terminal); never called with no bytes.
    func write(_ bytes: [UInt8]) async throws
    func closeInput() async throws
    func resize(_ size: TerminalSize) async throws
    func signal(_ signal: Int32) async throws
    /// Interrupts the process as a timeout would; the result says `cancelled`.
    func cancel() async throws
}

/// Controls that reach nothing, for a process that has ended by the time it is handed out
/// (a no-op sandbox's, a replayed one's): every control is accepted and ignored.
public struct InertProcessControl: ProcessControl {
    public init() {}
    public func write(_ bytes: [UInt8]) async throws {}
    public func closeInput() async throws {}
    public func resize(_ size: TerminalSize) async throws {}
    public func signal(_ signal: Int32) async throws {}
    public func cancel() async throws {}
}

/// A process in a sandbox: its events, and the controls that reach it.
public struct SandboxProcess: Sendable {
    public let events: ProcessEvents
    private let control: any ProcessControl

    public init(events: ProcessEvents, control: any ProcessControl) {
        self.events = events
        self.control = control
    }

    public func write(_ bytes: [UInt8]) async throws { if !bytes.isEmpty { try await control.write(bytes) } }
    public func closeInput() async throws { try await control.closeInput() }
    public func resize(_ size: TerminalSize) async throws { try await control.resize(size) }
    public func signal(_ signal: Int32) async throws { try await control.signal(signal) }
    public func cancel() async throws { try await control.cancel() }

    /// Waits for the end, gathering all output (up to the cap).
    public func collect() async throws -> CollectedOutput {
        try await CollectedOutput.collect(events)
    }

    /// The same process with its events' errors passed through `translate` as well (after the
    /// backend's own translation).
    public func translatingErrors(_ translate: @escaping @Sendable (any Error) async -> any Error) -> SandboxProcess {
        SandboxProcess(events: events.translatingErrors(translate), control: control)
    }
}

/// A process's events with errors already translated by the backend (e.g. into
/// ``SandboxError/Code/sandboxGone`` with the container's fate).
///
/// Events are converted from the backend's own form lazily, in the iterator: no task hop and
/// no extra buffer per output chunk.
public struct ProcessEvents: AsyncSequence, Sendable {
    public typealias Element = ProcessEvent
    public typealias Failure = any Error
    /// Makes the function that yields the next event of one iteration.
    private let iterate: @Sendable () -> AsyncIterator.Next
    private let translate: @Sendable (any Error) async -> any Error

    /// Events a backend produces in this form already (a stream it feeds).
    public init(
        _ base: AsyncThrowingStream<ProcessEvent, any Error>,
        translate: @escaping @Sendable (any Error) async -> any Error = { $0 }
    ) {
        self.init(base, transform: { $0 }, translate: translate)
    }

    /// Events converted one by one from a backend's own sequence.
    public init<Base: AsyncSequence & Sendable>(
        _ base: Base, transform: @escaping @Sendable (Base.Element) -> ProcessEvent,
        translate: @escaping @Sendable (any Error) async -> any Error = { $0 }
    ) {
        iterate = {
            var iterator = base.makeAsyncIterator()
            return { try await iterator.next().map(transform) }
        }
        self.translate = translate
    }

    private init(iterate: @escaping @Sendable () -> AsyncIterator.Next, translate: @escaping @Sendable (any Error) async -> any Error) {
        self.iterate = iterate
        self.translate = translate
    }

    /// These events with `more` applied to each error after the current translation.
    public func translatingErrors(_ more: @escaping @Sendable (any Error) async -> any Error) -> ProcessEvents {
        let first = translate
        return ProcessEvents(iterate: iterate) { error in await more(await first(error)) }
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        typealias Next = () async throws -> ProcessEvent?
        let nextEvent: Next
        let translate: @Sendable (any Error) async -> any Error

        public mutating func next() async throws -> ProcessEvent? {
            do {
                return try await nextEvent()
            } catch {
                throw await translate(error)
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(nextEvent: iterate(), translate: translate)
    }
}

/// The complete output and result of a finished process.
public struct CollectedOutput: Sendable, Equatable {
    public var pid: Int32
    public var stdout: [UInt8]
    public var stderr: [UInt8]
    public var result: ProcessResult

    public init(pid: Int32 = 0, stdout: [UInt8] = [], stderr: [UInt8] = [], result: ProcessResult) {
        self.pid = pid
        self.stdout = stdout
        self.stderr = stderr
        self.result = result
    }

    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
    public var exitCode: Int32 { result.exitCode }

    /// Drains a process's events into one value.
    ///
    /// - Throws: the events' error, or ``SandboxError`` `runnerFailed` when they end without a result.
    public static func collect<Events: AsyncSequence>(_ events: Events) async throws -> CollectedOutput
    where Events.Element == ProcessEvent {
        var output = CollectedOutput(result: ProcessResult(exitCode: 0))
        for try await event in events {
            switch event {
            case .started(let pid): output.pid = pid
            case .output(.stdout, let bytes): output.stdout.append(contentsOf: bytes)
            case .output(.stderr, let bytes): output.stderr.append(contentsOf: bytes)
            case .finished(let result):
                output.result = result
                return output
            }
        }
        throw SandboxError(.runnerFailed, "the process ended without a result")
    }
}
