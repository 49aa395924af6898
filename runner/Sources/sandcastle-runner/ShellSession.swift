import CRunnerSupport
import RunnerProtocol

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The persistent shell behind `shellExec`: one bash on a PTY whose cwd, variables,
/// functions and background jobs survive from one exec to the next.
///
/// Protocol with the shell (see runner/README.md for the reasoning):
/// - the command goes to a file and the PTY gets one line, `__sc_begin <seq>; . <file> </dev/null`,
///   so any command text works, nothing is echoed, and sourcing keeps state in the shell;
/// - `__sc_begin` prints a begin marker and `PROMPT_COMMAND` an end marker carrying `$?`
///   and `$PWD`; both go to /dev/tty so a command's own redirections cannot swallow them;
/// - bash runs with `set +m`: no job-control notices, and a timeout interrupts the way ^C
///   does on a terminal (SIGINT to the shell's process group; background jobs ignore it).
final class ShellSession {
    private let context: RunnerContext
    /// The shell binary, e.g. /bin/bash.
    let path: String
    private let isBash: Bool
    private(set) var pid: pid_t = -1
    private var master: Int32 = -1
    private var scanner = MarkerScanner(token: "")
    private var writeQueue = ByteQueue()
    private var nextSeq: UInt64 = 1
    private let commandDirectory: String?
    private var workingDirectory: String
    private var queue = ShellQueue()
    private var backgroundJobs: [pid_t] = []
    private var awaiting: Awaiting?
    private var quickDeaths = 0
    private var restartAt: UInt64?
    private(set) var isReady = false
    private var stopping = false
    /// Set when no shell can be started at all; execs then fail at once.
    private(set) var unavailableReason: String?

    private enum Awaiting {
        /// The init line's end marker proves the shell is configured.
        case startup(seq: UInt64, deadline: UInt64)
        case exec(ShellExec)
        /// After an interrupt, a no-op line whose marker proves no stray SIGINT is still pending.
        case sync(seq: UInt64, deadline: UInt64, attempt: Int)
    }

    private static let rows: UInt16 = 50
    private static let columns: UInt16 = 200
    private static let millisecond = nanosecondsPerMillisecond
    private static let kickInterval = 250 * millisecond
    /// SIGINT first; from this many kicks on (≈500 ms), SIGKILL what ignored it.
    private static let kicksBeforeKill = 2
    private static let reportAfter = 1_000 * millisecond
    private static let giveUpAfter = 3_000 * millisecond
    private static let syncTimeout = 500 * millisecond
    private static let syncAttempts = 4
    private static let startupTimeout = 10_000 * millisecond

    init(context: RunnerContext, shellPath: String?) {
        self.context = context
        if let shellPath {
            path = shellPath
        } else {
            path = access("/bin/bash", X_OK) == 0 ? "/bin/bash" : "/bin/sh"
        }
        isBash = lastPathComponent(path).hasPrefix("bash")
        workingDirectory = context.workingDirectory
        commandDirectory = Self.makeCommandDirectory()
    }

    // MARK: lifecycle

    func start() {
        let now = monotonicNow()
        guard commandDirectory != nil else {
            markUnavailable("no writable directory for shell commands (/run/sandcastle or /tmp/.sandcastle)")
            return
        }
        var masterFD: Int32 = -1
        var slaveFD: Int32 = -1
        guard crs_openpty(&masterFD, &slaveFD, Self.rows, Self.columns) == 0 else {
            markUnavailable("cannot open a PTY: \(errnoDescription(errno))")
            return
        }
        _ = crs_configure_quiet_tty(slaveFD)
        var arguments = [path]
        if isBash {
            // No rc files (a deterministic environment), no readline (no bracketed paste
            // or line editing echo), no history.
            arguments += ["--noprofile", "--norc", "--noediting", "+o", "history", "+H", "-i"]
        } else {
            arguments += ["-i"]
        }
        let spawned = spawnChild(
            arguments: arguments, environment: shellEnvironment(), workingDirectory: context.workingDirectory,
            stdio: ChildStdio(input: slaveFD, output: slaveFD, error: slaveFD), controllingTerminal: true)
        close(slaveFD)
        switch spawned {
        case .failure(let failure):
            close(masterFD)
            markUnavailable(failure.message)
            return
        case .success(let child):
            pid = child
        }
        master = masterFD
        _ = crs_set_nonblocking(master)
        var token = [UInt8](repeating: 0, count: 8)
        _ = crs_random_bytes(&token, token.count)
        let tokenText = hexString(token)
        scanner = MarkerScanner(token: tokenText)
        writeLine(initLine(token: tokenText))
        awaiting = .startup(seq: 0, deadline: now + Self.startupTimeout)
    }

    /// Lines that set the shell up. They are typed before bash reads anything, so they
    /// must fit the tty's 4 KiB line buffer and hold no control characters.
    private func initLine(token: String) -> String {
        let marker = "\\033_SC\(token);"
        if isBash {
            return "set +m; PS1=; PS2=; PS0=; PS4='+ '; unset HISTFILE PROMPT_COMMAND; "
                + "__sc_begin() { builtin local __sc_rc=$?; __sc_seq=$1; builtin printf '\(marker)B%s\\0' \"$1\" >/dev/tty; return $__sc_rc; }; "
                + "__sc_done() { builtin local __sc_rc=$?; builtin printf '\(marker)E%s;%s;%s\\0' \"${__sc_seq-}\" \"$__sc_rc\" \"$PWD\" >/dev/tty; }; "
                + "readonly -f __sc_begin __sc_done; PROMPT_COMMAND=__sc_done; readonly PROMPT_COMMAND; __sc_seq=0\n"
        }
        return "set +m; PS1=''; PS2=''; unset HISTFILE; "
            + "__sc_begin() { __sc_rc=$?; __sc_seq=$1; printf '\(marker)B%s\\0' \"$1\" >/dev/tty; return $__sc_rc; }; "
            + "__sc_done() { __sc_rc=$?; printf '\(marker)E%s;%s;%s\\0' \"${__sc_seq-}\" \"$__sc_rc\" \"$PWD\" >/dev/tty; }; "
            + "__sc_seq=0; __sc_done\n"
    }

    /// The runner's environment, minus what would change the shell's prompt machinery,
    /// plus a terminal type that keeps programs from drawing colours and cursor moves
    /// into captured output, and pagers that never wait for a key.
    private func shellEnvironment() -> [String] {
        let dropped: Set<String> = ["TERM", "PROMPT_COMMAND", "BASH_ENV", "ENV", "PS0", "PS1", "PS2", "PS4", "HISTFILE", "COLUMNS", "LINES"]
        var environment = context.environment.filter { entry in
            let key = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? entry
            return !dropped.contains(key) && !entry.hasPrefix("BASH_FUNC_")
        }
        environment.append("TERM=dumb")
        for (key, value) in [("PAGER", "cat"), ("GIT_PAGER", "cat")] where environmentValue(environment, key) == nil {
            environment.append("\(key)=\(value)")
        }
        return environment
    }

    private func markUnavailable(_ reason: String) {
        unavailableReason = reason
        isReady = false
        writeStderr("sandcastle-runner: shell unavailable: \(reason)")
        for entry in queue.removeAll() {
            context.send(entry.id, .failure(RunnerFailure(code: .spawnFailed, message: "no shell: \(reason)")))
            context.complete(entry.id)
        }
    }

    /// The shell is gone (exited, or killed by us): fail what it owed, clean up, restart.
    private func tearDown(failure: RunnerFailure) {
        let now = monotonicNow()
        let diedDuringStartup: Bool
        if case .startup = awaiting { diedDuringStartup = true } else { diedDuringStartup = false }
        if case .exec(let exec) = awaiting {
            if !exec.resultSent {
                exec.finishOutput(to: context.outbound)
                context.send(exec.id, .failure(failure))
                exec.resultSent = true
                context.complete(exec.id)
            }
            unlink(exec.commandPath)
        }
        awaiting = nil
        isReady = false
        closeIfOpen(&master)
        writeQueue.removeAll()
        pid = -1
        backgroundJobs = []
        // Only a shell that never got ready counts as broken; a user's `exit` does not.
        quickDeaths = diedDuringStartup ? quickDeaths + 1 : 0
        if stopping {
            return
        } else if quickDeaths >= 5 {
            markUnavailable("the shell keeps exiting before it is ready")
        } else {
            // Back off when the shell dies during startup, so a broken shell does not spin.
            restartAt = now + (quickDeaths > 0 ? 1_000 * Self.millisecond : 0)
        }
    }

    private func killShell(_ why: String) {
        if pid > 0 {
            kill(-pid, SIGKILL)
            kill(pid, SIGKILL)
        }
        tearDown(failure: RunnerFailure(code: .shellExited, message: "the shell \(why); a new shell was started"))
    }

    /// Called for every reaped child; true when it was the shell.
    func childExited(_ child: pid_t, _ status: ExitStatus) -> Bool {
        guard child == pid, pid > 0 else { return false }
        // The output written just before the exit (e.g. bash's "exit") belongs to the exec.
        readOutput(limit: Int.max)
        if status.signal == SIGKILL, case .exec(let exec) = awaiting, !exec.resultSent,
            context.oomKills.grew(since: exec.oomKillsAtStart)
        {
            // The OOM killer took the shell itself: the command grew it past the memory limit
            // (`x=$(…)` of a huge output). That is the command's fate, answered as a kill of it
            // would be (exit 137, `oomKilled`), with the directory the fresh shell starts in.
            workingDirectory = context.workingDirectory
            finish(exec, status: 128 + SIGKILL)
        }
        let how = status.signal != 0 ? "was killed by signal \(status.signal)" : "exited with status \(status.code)"
        tearDown(failure: RunnerFailure(code: .shellExited, message: "the shell \(how); a new shell was started"))
        return true
    }

    /// Runner shutdown: answer everything still owed, never restart, and signal the
    /// shell. SIGHUP makes bash hang up its jobs and exit; SIGTERM reaches the
    /// foreground command (an interactive bash ignores SIGTERM itself).
    func shutdown() {
        stopping = true
        restartAt = nil
        let failure = RunnerFailure(code: .cancelled, message: "the runner is shutting down")
        if case .exec(let exec) = awaiting, !exec.resultSent {
            exec.finishOutput(to: context.outbound)
            context.send(exec.id, .failure(failure))
            exec.resultSent = true
            context.complete(exec.id)
        }
        for entry in queue.removeAll() {
            context.send(entry.id, .failure(failure))
            context.complete(entry.id)
        }
        guard pid > 0 else { return }
        kill(pid, SIGHUP)
        kill(-pid, SIGTERM)
        kill(-pid, SIGCONT)
    }

    func removeCommandDirectory() {
        guard let commandDirectory else { return }
        if case .exec(let exec) = awaiting { unlink(exec.commandPath) }
        // Only a per-process directory is removed; PID 1 keeps /run/sandcastle itself.
        if lastPathComponent(commandDirectory).hasPrefix("runner-") { rmdir(commandDirectory) }
    }

    // MARK: requests

    func enqueue(_ id: UInt32, _ request: ShellExecRequest) {
        if stopping {
            context.send(id, .failure(RunnerFailure(code: .cancelled, message: "the runner is shutting down")))
            context.complete(id)
            return
        }
        if let unavailableReason {
            context.send(id, .failure(RunnerFailure(code: .spawnFailed, message: "no shell: \(unavailableReason)")))
            context.complete(id)
            return
        }
        queue.append(id, request, now: monotonicNow())
        dispatchNext()
    }

    func cancel(_ id: UInt32) {
        if queue.remove(id: id) != nil {
            context.send(id, .failure(RunnerFailure(code: .cancelled, message: "cancelled before it started")))
            context.complete(id)
            return
        }
        if case .exec(let exec) = awaiting, exec.id == id, !exec.resultSent {
            interrupt(exec, .cancel)
        }
    }

    /// A new host session began (see `Runner`): whatever the previous host asked of the shell is
    /// orphaned, since nobody will read its output or result. Queued execs are dropped and the
    /// running one is interrupted as on `cancel`, so the new host's first exec gets the shell at
    /// once instead of waiting for a command nobody is waiting for.
    func abandonAll() {
        let failure = RunnerFailure(code: .cancelled, message: "cancelled: the host that sent it is gone")
        for entry in queue.removeAll() {
            context.send(entry.id, .failure(failure))
            context.complete(entry.id)
        }
        if case .exec(let exec) = awaiting, !exec.resultSent { interrupt(exec, .cancel) }
    }

    /// Delivers a signal to the running command's foreground processes, never to
    /// background jobs; SIGINT also reaches the shell, exactly as ^C would.
    func signal(_ id: UInt32, _ signal: Int32) {
        guard case .exec(let exec) = awaiting, exec.id == id, !exec.resultSent, pid > 0 else { return }
        let foreground = crs_foreground_pgrp(master)
        if foreground > 0 && foreground != pid {
            kill(-foreground, signal)
        } else {
            if signal == SIGINT { kill(pid, SIGINT) } // as ^C: the shell abandons the line too
            forEachForegroundProcess(includingSigintIgnorers: true) { kill($0, signal) }
        }
    }

    private func dispatchNext() {
        guard isReady, case .none = awaiting, master >= 0, let commandDirectory else { return }
        while let entry = queue.popFirst() {
            let (id, request) = (entry.id, entry.request)
            let now = monotonicNow()
            if let deadline = entry.deadline, now >= deadline {
                answerTimedOutWhileQueued(id)
                continue
            }
            let seq = nextSeq
            nextSeq += 1
            let commandPath = "\(commandDirectory)/cmd-\(seq)"
            if let failure = writeCommandFile(commandPath, request.command) {
                context.send(id, .failure(failure))
                context.complete(id)
                continue
            }
            // A previous command may have left the terminal echoing or translating newlines.
            _ = crs_configure_quiet_tty(master)
            let suffix = isBash ? "" : "; __sc_done"
            writeLine("__sc_begin \(seq); . \(commandPath) </dev/null\(suffix)\n")
            awaiting = .exec(
                ShellExec(
                    id: id, seq: seq, request: request, commandPath: commandPath, now: now, timeoutAt: entry.deadline,
                    oomKillsAtStart: context.oomKills.count()))
            context.send(id, .started(pid: pid))
            return
        }
    }

    /// The timeout of a queued exec ran out before the shell was free: it never runs, and its
    /// result says so the way a command killed by its timeout does (exit 124, `timedOut`).
    private func answerTimedOutWhileQueued(_ id: UInt32) {
        context.send(id, .execFinished(ExecResult(exitCode: 124, durationNanoseconds: 0, timedOut: true)))
        context.complete(id)
    }

    private func writeCommandFile(_ path: String, _ command: String) -> RunnerFailure? {
        let fd = crs_open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { return .system(errno, "open", path) }
        defer { close(fd) }
        var text = command
        if !text.hasSuffix("\n") { text += "\n" }
        let failed =
            text.utf8.withContiguousStorageIfAvailable { writeAll(fd, UnsafeRawBufferPointer($0)) }
            ?? Array(text.utf8).withUnsafeBytes { writeAll(fd, $0) }
        if let failed { return .system(failed, "write", path) }
        return nil
    }

    private func writeLine(_ line: String) {
        writeQueue.append(Array(line.utf8))
        flushWrites()
    }

    private func flushWrites() {
        guard master >= 0 else { return }
        if case .failed = writeQueue.drain(to: master) { writeQueue.removeAll() }
    }

    // MARK: interrupts

    private func interrupt(_ exec: ShellExec, _ reason: ShellExec.Interruption) {
        guard exec.interruption == nil else { return }
        let now = monotonicNow()
        exec.interruption = reason
        exec.interruptedAt = now
        kick(exec, now: now)
    }

    /// One step of the interrupt ladder, repeated every 250 ms until the end marker:
    /// SIGINT to the foreground (interactive bash abandons the line, as on ^C), and from
    /// ~500 ms on SIGKILL for whatever in the foreground caught or ignored it.
    private func kick(_ exec: ShellExec, now: UInt64) {
        guard pid > 0 else { return }
        let escalate = exec.kicks >= Self.kicksBeforeKill
        let foreground = crs_foreground_pgrp(master)
        if foreground > 0 && foreground != pid {
            // The command turned job control on (set -m) and runs in its own group.
            kill(-foreground, escalate ? SIGKILL : SIGINT)
            if isBash { kill(pid, SIGINT) }
        } else {
            // What ^C does on a terminal, minus the background jobs. bash needs the SIGINT
            // repeated: after a child that caught SIGINT is killed, it carries on with the
            // next command of the script. sh abandons the whole line at the first one and
            // is then asked for a marker instead.
            if isBash || exec.kicks == 0 {
                kill(pid, SIGINT)
                forEachForegroundProcess(includingSigintIgnorers: true) { kill($0, SIGINT) }
            }
            // Background jobs started by this very command ignore SIGINT (the shell
            // starts them so) and are spared; other survivors of SIGINT are killed.
            if escalate { forEachForegroundProcess(includingSigintIgnorers: false) { kill($0, SIGKILL) } }
        }
        if !isBash && exec.kicks == 1 {
            let seq = nextSeq
            nextSeq += 1
            exec.syncSeq = seq
            writeLine("__sc_seq=\(seq); __sc_done\n")
        }
        exec.kicks += 1
        exec.nextKickAt = now + Self.kickInterval
    }

    /// The foreground processes of the running command: members of the shell's process
    /// group except the shell and the background jobs it had when the command started
    /// (and their descendants). Without job control they share the shell's group, so
    /// signalling the group would also hit a background server that installed its own
    /// SIGINT handler.
    private func forEachForegroundProcess(includingSigintIgnorers: Bool, _ body: (pid_t) -> Void) {
        var members = [pid_t](repeating: 0, count: 1024)
        let count = Int(
            crs_foreground_members(
                pid, pid, backgroundJobs, Int32(backgroundJobs.count),
                includingSigintIgnorers ? 0 : 1, &members, Int32(members.count)))
        for index in 0..<count { body(members[index]) }
    }

    /// At a prompt every child of the shell is a background job (the foreground
    /// command is over), so this is the set interrupts must spare.
    private func snapshotBackgroundJobs() {
        guard pid > 0 else { return }
        var children = [pid_t](repeating: 0, count: 1024)
        let count = Int(crs_children_of(pid, &children, Int32(children.count)))
        backgroundJobs = Array(children[0..<count])
    }

    private func beginSync(attempt: Int) {
        let seq = nextSeq
        nextSeq += 1
        writeLine(isBash ? "__sc_seq=\(seq)\n" : "__sc_seq=\(seq); __sc_done\n")
        awaiting = .sync(seq: seq, deadline: monotonicNow() + Self.syncTimeout, attempt: attempt)
    }

    // MARK: reactor

    func collect(into set: inout PollSet) {
        guard master >= 0 else { return }
        var reading = true
        // Pause while the host is slow, but only if the bytes would be forwarded:
        // dropped output (no exec, or over the cap) must keep draining.
        if context.outbound.isCongested, case .exec(let exec) = awaiting, exec.isForwarding { reading = false }
        set.add(master, read: reading, write: !writeQueue.isEmpty, .shell)
    }

    func handle(_ events: Int16) {
        if events & Int16(POLLOUT) != 0 { flushWrites() }
        if events.isReadable { readOutput(limit: 8) }
    }

    private func readOutput(limit: Int) {
        var rounds = 0
        while master >= 0 && rounds < limit {
            let count = context.readAvailable(master)
            if count == -1 { break }
            if count <= 0 {
                // EOF/EIO: nobody holds the terminal any more; the reaper restarts the shell.
                closeIfOpen(&master)
                break
            }
            rounds += 1
            let chunk = UnsafeRawBufferPointer(start: context.readBuffer.baseAddress, count: count)
            scanner.feed(chunk) { event in
                switch event {
                case .output(let bytes):
                    if case .exec(let exec) = awaiting { exec.accept(bytes) }
                case .begin(let seq):
                    if case .exec(let exec) = awaiting, exec.seq == seq { exec.begun = true }
                case .end(let seq, let status, let directory):
                    handleEnd(seq: seq, status: status, workingDirectory: String(decoding: directory, as: UTF8.self))
                }
            }
        }
        if case .exec(let exec) = awaiting { exec.flush(to: context.outbound) }
    }

    private func handleEnd(seq: UInt64, status: Int32, workingDirectory directory: String) {
        let matched: Bool
        switch awaiting {
        case .startup(let expected, _): matched = expected == seq
        case .exec(let exec): matched = exec.seq == seq || exec.syncSeq == seq
        case .sync(let expected, _, _): matched = expected == seq
        case nil: matched = false
        }
        if matched { snapshotBackgroundJobs() }
        switch awaiting {
        case .startup(let expected, _) where expected == seq:
            workingDirectory = directory
            awaiting = nil
            isReady = true
            dispatchNext()
        case .exec(let exec) where exec.seq == seq || exec.syncSeq == seq:
            workingDirectory = directory
            finish(exec, status: status)
            if exec.interruption != nil && exec.syncSeq != seq {
                beginSync(attempt: 1)
            } else {
                awaiting = nil
                dispatchNext()
            }
        case .sync(let expected, _, _) where expected == seq:
            workingDirectory = directory
            awaiting = nil
            dispatchNext()
        default:
            break // a second prompt after an interrupt, or a marker for an exec already answered
        }
    }

    private func finish(_ exec: ShellExec, status: Int32) {
        unlink(exec.commandPath)
        guard !exec.resultSent else { return }
        exec.finishOutput(to: context.outbound)
        let exitCode: Int32 =
            switch exec.interruption {
            case .timeout: 124
            case .cancel: 130
            case nil: status
            }
        let result = exec.result(
            exitCode: exitCode, workingDirectory: workingDirectory, now: monotonicNow(),
            oomKilled: context.oomKills.grew(since: exec.oomKillsAtStart))
        context.send(exec.id, .execFinished(result))
        exec.resultSent = true
        context.complete(exec.id)
    }

    var nextDeadline: UInt64? {
        var deadline = earliest(restartAt, queue.earliestDeadline)
        switch awaiting {
        case .startup(_, let limit):
            deadline = earliest(deadline, limit)
        case .exec(let exec):
            if exec.interruption == nil {
                deadline = earliest(deadline, exec.timeoutAt)
            } else {
                deadline = earliest(deadline, exec.nextKickAt)
                if !exec.resultSent { deadline = earliest(deadline, exec.interruptedAt + Self.reportAfter) }
            }
        case .sync(_, let limit, _):
            deadline = earliest(deadline, limit)
        case nil:
            break
        }
        return deadline
    }

    func tick(now: UInt64) {
        for entry in queue.removeExpired(now: now) { answerTimedOutWhileQueued(entry.id) }
        if let restartAt, now >= restartAt {
            self.restartAt = nil
            start()
        }
        switch awaiting {
        case .startup(_, let deadline) where now >= deadline:
            killShell("did not start")
        case .exec(let exec):
            if exec.interruption == nil, let timeoutAt = exec.timeoutAt, now >= timeoutAt {
                interrupt(exec, .timeout)
            }
            guard exec.interruption != nil else { return }
            if !exec.resultSent && now >= exec.interruptedAt + Self.reportAfter {
                // Answer on time even though the shell has not come back; it keeps
                // being interrupted until it does, and later execs wait for that.
                finish(exec, status: 0)
            }
            if now >= exec.interruptedAt + Self.giveUpAfter {
                killShell("did not return after an interrupt")
            } else if now >= exec.nextKickAt {
                kick(exec, now: now)
            }
        case .sync(_, let deadline, let attempt) where now >= deadline:
            if attempt >= Self.syncAttempts {
                killShell("did not answer after an interrupt")
            } else {
                beginSync(attempt: attempt + 1)
            }
        default:
            break
        }
    }

    // MARK: setup helpers

    /// A private directory for command files: /run/sandcastle as PID 1 (a fresh tmpfs),
    /// else a per-process subdirectory so concurrent runners on one host never collide.
    private static func makeCommandDirectory() -> String? {
        for base in ["/run/sandcastle", "/tmp/.sandcastle"] where ensurePrivateDirectory(base) {
            if getpid() == 1 { return base }
            let own = "\(base)/runner-\(getpid())"
            if ensurePrivateDirectory(own) { return own }
        }
        return nil
    }

    private static func ensurePrivateDirectory(_ path: String) -> Bool {
        if mkdir(path, 0o700) == 0 { return true }
        guard errno == EEXIST else { return false }
        var info = crs_file_stat()
        guard crs_fstatat(AT_FDCWD, path, 1, &info) == 0, info.kind == 2 else { return false }
        return access(path, W_OK | X_OK) == 0
    }
}

func hexString(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var text: [UInt8] = []
    text.reserveCapacity(bytes.count * 2)
    for byte in bytes {
        text.append(digits[Int(byte >> 4)])
        text.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: text, as: UTF8.self)
}

func writeStderr(_ line: String) {
    var text = line
    text += "\n"
    _ = text.utf8.withContiguousStorageIfAvailable { write(2, $0.baseAddress, $0.count) }
}
