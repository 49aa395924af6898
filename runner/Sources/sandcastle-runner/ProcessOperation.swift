import CRunnerSupport
import RunnerProtocol

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A `spawn` (argv with stdout/stderr pipes) or a `ptyOpen` (argv on a fresh terminal).
/// Each runs in its own session, so signals reach the whole process group it starts.
final class ProcessOperation {
    enum Kind {
        case spawn
        case terminal
    }

    private enum Stop {
        case timeout
        case cancel
    }

    let id: UInt32
    let kind: Kind
    let pid: pid_t
    private let context: RunnerContext
    private let startedAt: UInt64
    /// The sandbox's OOM kill count when the process started (see `OOMKills`).
    private let oomKillsAtStart: UInt64?
    /// Spawn: the stdout pipe. Terminal: the PTY master (read and write).
    private var outputFD: Int32
    private var errorFD: Int32
    /// Spawn with open stdin: the pipe's write end.
    private var inputFD: Int32
    private var input = ByteQueue()
    private var closeInputWhenDrained = false
    private let limit: UInt64
    private var forwarded: UInt64 = 0
    private var total: UInt64 = 0
    private var truncated = false
    private let timeoutAt: UInt64?
    private var stop: Stop?
    private var escalateAt: UInt64?
    private var exit: ExitStatus?
    private var exitedAt: UInt64 = 0
    private(set) var finished = false

    /// After the process is reaped, how long output pipes may stay open (a background
    /// grandchild holding them) before the result is sent anyway.
    private static let drainGrace = 200 * nanosecondsPerMillisecond
    /// Host input a process has not read yet, at most.
    private static let inputLimit = 4 * 1024 * 1024
    /// Between the polite signal (SIGTERM, or SIGHUP for a terminal) and SIGKILL.
    private static let killGrace = 500 * nanosecondsPerMillisecond

    private init(
        id: UInt32, kind: Kind, pid: pid_t, context: RunnerContext, outputFD: Int32, errorFD: Int32, inputFD: Int32,
        limit: UInt64, timeoutMilliseconds: UInt32
    ) {
        self.id = id
        self.kind = kind
        self.pid = pid
        self.context = context
        self.outputFD = outputFD
        self.errorFD = errorFD
        self.inputFD = inputFD
        self.limit = limit
        startedAt = monotonicNow()
        oomKillsAtStart = context.oomKills.count()
        timeoutAt = timeoutMilliseconds > 0 ? startedAt + UInt64(timeoutMilliseconds) * nanosecondsPerMillisecond : nil
    }

    // MARK: start

    static func spawn(id: UInt32, _ request: SpawnRequest, context: RunnerContext) -> Result<ProcessOperation, RunnerFailure> {
        guard !request.arguments.isEmpty else { return .failure(.invalid("spawn needs at least a program name")) }
        var stdoutPipe: [Int32] = [-1, -1]
        var stderrPipe: [Int32] = [-1, -1]
        var stdinPipe: [Int32] = [-1, -1]
        func closeAll() {
            for fd in stdoutPipe + stderrPipe + stdinPipe where fd >= 0 { close(fd) }
        }
        guard crs_pipe_cloexec(&stdoutPipe) == 0, crs_pipe_cloexec(&stderrPipe) == 0 else {
            let code = errno
            closeAll()
            return .failure(RunnerFailure(code: .spawnFailed, errno: code, message: "pipe: \(errnoDescription(code))"))
        }
        if request.openStdin {
            guard crs_pipe_cloexec(&stdinPipe) == 0 else {
                let code = errno
                closeAll()
                return .failure(RunnerFailure(code: .spawnFailed, errno: code, message: "pipe: \(errnoDescription(code))"))
            }
        } else {
            stdinPipe[0] = crs_open("/dev/null", O_RDONLY | O_CLOEXEC, 0)
            guard stdinPipe[0] >= 0 else {
                let code = errno
                closeAll()
                return .failure(.system(code, "open", "/dev/null"))
            }
        }
        let directory = request.workingDirectory.isEmpty ? context.workingDirectory : context.resolve(request.workingDirectory)
        let spawned = spawnChild(
            arguments: request.arguments, environment: mergeEnvironment(context.environment, request.environment),
            workingDirectory: directory,
            stdio: ChildStdio(input: stdinPipe[0], output: stdoutPipe[1], error: stderrPipe[1]),
            controllingTerminal: false)
        // The child's ends now live only in the child, so EOF arrives when it (and
        // whatever inherited them) is done.
        close(stdoutPipe[1])
        close(stderrPipe[1])
        close(stdinPipe[0])
        guard case .success(let pid) = spawned else {
            close(stdoutPipe[0])
            close(stderrPipe[0])
            if stdinPipe[1] >= 0 { close(stdinPipe[1]) }
            if case .failure(let failure) = spawned { return .failure(failure) }
            return .failure(RunnerFailure(code: .internal, message: "spawn failed"))
        }
        for fd in [stdoutPipe[0], stderrPipe[0], stdinPipe[1]] where fd >= 0 { _ = crs_set_nonblocking(fd) }
        let limit = request.maxOutputBytes > 0 ? request.maxOutputBytes : RunnerWire.defaultMaxOutputBytes
        return .success(
            ProcessOperation(
                id: id, kind: .spawn, pid: pid, context: context, outputFD: stdoutPipe[0], errorFD: stderrPipe[0],
                inputFD: stdinPipe[1], limit: limit, timeoutMilliseconds: request.timeoutMilliseconds))
    }

    /// A `bash -c SCRIPT` spawn served by a bash started ahead (``PrestartedBash``): the process
    /// already runs, in its own session with its own pipes, and reads `bytes` (its script,
    /// after a line with its length) from `script`, its stdin, until the end of input.
    static func adopt(
        id: UInt32, pid: pid_t, output: Int32, error: Int32, script: Int32, bytes: [UInt8], request: SpawnRequest,
        context: RunnerContext
    ) -> ProcessOperation {
        let limit = request.maxOutputBytes > 0 ? request.maxOutputBytes : RunnerWire.defaultMaxOutputBytes
        let operation = ProcessOperation(
            id: id, kind: .spawn, pid: pid, context: context, outputFD: output, errorFD: error, inputFD: script, limit: limit,
            timeoutMilliseconds: request.timeoutMilliseconds)
        operation.write(Array("\(bytes.count)\n".utf8) + bytes)
        operation.write([])
        return operation
    }

    static func openTerminal(
        id: UInt32, _ request: PTYOpenRequest, shellPath: String,
        context: RunnerContext
    ) -> Result<ProcessOperation, RunnerFailure> {
        var master: Int32 = -1
        var slave: Int32 = -1
        let rows = request.size.rows > 0 ? request.size.rows : 24
        let columns = request.size.columns > 0 ? request.size.columns : 80
        guard crs_openpty(&master, &slave, rows, columns) == 0 else {
            let code = errno
            return .failure(RunnerFailure(code: .spawnFailed, errno: code, message: "open PTY: \(errnoDescription(code))"))
        }
        let arguments = request.arguments.isEmpty ? [shellPath, "-l"] : request.arguments
        // A real terminal: the PTY keeps its default modes (echo, ONLCR), and programs
        // may draw colours, unless the request overrides TERM.
        let environment = mergeEnvironment(context.environment, ["TERM=xterm-256color"] + request.environment)
        let directory = request.workingDirectory.isEmpty ? context.workingDirectory : context.resolve(request.workingDirectory)
        let spawned = spawnChild(
            arguments: arguments, environment: environment, workingDirectory: directory,
            stdio: ChildStdio(input: slave, output: slave, error: slave), controllingTerminal: true)
        close(slave)
        guard case .success(let pid) = spawned else {
            close(master)
            if case .failure(let failure) = spawned { return .failure(failure) }
            return .failure(RunnerFailure(code: .internal, message: "spawn failed"))
        }
        _ = crs_set_nonblocking(master)
        return .success(
            ProcessOperation(
                id: id, kind: .terminal, pid: pid, context: context, outputFD: master, errorFD: -1,
                inputFD: -1, limit: .max, timeoutMilliseconds: 0))
    }

    // MARK: requests

    func write(_ bytes: [UInt8]) {
        if input.count + bytes.count > Self.inputLimit {
            // The process is not reading. Holding more would grow without bound, and
            // pausing the channel instead would also block this id's cancel: drop the
            // input and end the process's stdin.
            input.removeAll()
            if kind == .spawn { closeIfOpen(&inputFD) }
            return
        }
        switch kind {
        case .terminal:
            // End of input on a terminal is the EOF character, as if ^D were typed.
            input.append(bytes.isEmpty ? [0x04] : bytes)
        case .spawn:
            guard inputFD >= 0 else { return }
            if bytes.isEmpty { closeInputWhenDrained = true } else { input.append(bytes) }
        }
        flushInput()
    }

    func resize(_ size: WindowSize) {
        guard kind == .terminal, outputFD >= 0 else { return }
        _ = crs_set_window_size(outputFD, size.rows, size.columns)
    }

    func signal(_ signal: Int32) {
        guard !finished else { return }
        signalGroup(pid, signal)
    }

    func cancel() { beginStop(.cancel, now: monotonicNow()) }

    /// Shutdown of the runner: ask politely; the runner SIGKILLs what remains later.
    func terminate() {
        guard !finished else { return }
        if kind == .terminal { signalGroup(pid, SIGHUP) }
        signalGroup(pid, SIGTERM)
    }

    private func beginStop(_ reason: Stop, now: UInt64) {
        guard stop == nil, !finished else { return }
        stop = reason
        signalGroup(pid, kind == .terminal ? SIGHUP : SIGTERM)
        escalateAt = now + Self.killGrace
    }

    // MARK: reactor

    func collect(into set: inout PollSet) {
        guard !finished else { return }
        // Pause reading while the host is slow, unless the bytes are dropped anyway.
        let reading = !context.outbound.isCongested || truncated
        switch kind {
        case .terminal:
            set.add(outputFD, read: reading, write: !input.isEmpty, .process(id, .terminal))
        case .spawn:
            set.add(outputFD, read: reading, write: false, .process(id, .stdout))
            set.add(errorFD, read: reading, write: false, .process(id, .stderr))
            set.add(inputFD, read: false, write: !input.isEmpty, .process(id, .stdin))
        }
    }

    func handle(_ endpoint: ProcessEndpoint, _ events: Int16) {
        switch endpoint {
        case .stdin:
            flushInput()
        case .terminal:
            if events & Int16(POLLOUT) != 0 { flushInput() }
            if events.isReadable { drain(&outputFD, .stdout, rounds: 8) }
        case .stdout:
            drain(&outputFD, .stdout, rounds: 8)
        case .stderr:
            drain(&errorFD, .stderr, rounds: 8)
        }
        maybeFinish(now: monotonicNow())
    }

    private func drain(_ fd: inout Int32, _ stream: RunnerProtocol.OutputStream, rounds: Int) {
        var round = 0
        while fd >= 0 && round < rounds {
            let count = context.readAvailable(fd)
            if count == -1 { return }
            if count <= 0 {
                // EOF on a pipe, EIO on a PTY master once no one holds the terminal.
                closeIfOpen(&fd)
                if kind == .terminal { input.removeAll() }
                return
            }
            deliver(stream, UnsafeRawBufferPointer(start: context.readBuffer.baseAddress, count: count))
            round += 1
        }
    }

    private func deliver(_ stream: RunnerProtocol.OutputStream, _ bytes: UnsafeRawBufferPointer) {
        let count = UInt64(bytes.count)
        total += count
        let room = limit > forwarded ? limit - forwarded : 0
        let kept = Int(min(room, count))
        if UInt64(kept) < count { truncated = true }
        guard kept > 0 else { return }
        forwarded += UInt64(kept)
        context.outbound.sendOutput(id, stream, Array(UnsafeRawBufferPointer(rebasing: bytes[0..<kept]))[...])
    }

    private func flushInput() {
        let fd = kind == .terminal ? outputFD : inputFD
        guard fd >= 0 else { return }
        switch input.drain(to: fd) {
        case .drained:
            if closeInputWhenDrained { closeIfOpen(&inputFD) }
        case .wouldBlock:
            break
        case .failed:
            // EPIPE: the process closed its stdin or exited; nothing more can be delivered.
            input.removeAll()
            if kind == .spawn { closeIfOpen(&inputFD) }
        }
    }

    func exited(_ status: ExitStatus) {
        exit = status
        exitedAt = monotonicNow()
        closeIfOpen(&inputFD)
        input.removeAll()
        maybeFinish(now: exitedAt)
    }

    var nextDeadline: UInt64? {
        guard !finished else { return nil }
        var deadline = escalateAt
        if stop == nil, exit == nil { deadline = earliest(deadline, timeoutAt) }
        if exit != nil { deadline = earliest(deadline, exitedAt + Self.drainGrace) }
        return deadline
    }

    func tick(now: UInt64) {
        guard !finished else { return }
        if stop == nil, exit == nil, let timeoutAt, now >= timeoutAt { beginStop(.timeout, now: now) }
        if let escalateAt, now >= escalateAt {
            self.escalateAt = nil
            signalGroup(pid, SIGKILL)
        }
        maybeFinish(now: now)
    }

    private func maybeFinish(now: UInt64) {
        guard let exit, !finished else { return }
        let outputDone = outputFD < 0 && errorFD < 0
        guard outputDone || now >= exitedAt + Self.drainGrace else { return }
        // Take what is already buffered before giving up on holders of the pipes.
        drain(&outputFD, .stdout, rounds: 64)
        drain(&errorFD, .stderr, rounds: 64)
        closeIfOpen(&outputFD)
        closeIfOpen(&errorFD)
        closeIfOpen(&inputFD)
        finished = true
        escalateAt = nil
        let result = ExecResult(
            exitCode: exit.code, signal: exit.signal, workingDirectory: "", durationNanoseconds: now - startedAt,
            outputBytes: total, truncated: truncated, timedOut: stop == .timeout, cancelled: stop == .cancel,
            oomKilled: context.oomKills.grew(since: oomKillsAtStart))
        context.send(id, .execFinished(result))
        context.complete(id)
    }

    /// Closes everything without a result (the runner is exiting).
    func abandon() {
        closeIfOpen(&outputFD)
        closeIfOpen(&errorFD)
        closeIfOpen(&inputFD)
        finished = true
    }
}
