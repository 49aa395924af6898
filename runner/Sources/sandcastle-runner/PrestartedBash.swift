import CRunnerSupport
import RunnerProtocol

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Bash processes started ahead for `spawn`s of `["bash", "-c", SCRIPT]` that allow it
/// (`SpawnRequest.allowsPrestartedBash`, which an agent's `Bash` tool sets): each is started
/// exactly as that spawn would start it (same program, environment, working directory, own
/// session, pipes), then waits, exec'd and initialised, for its script on stdin. A request that
/// finds one with its environment and directory hands it the script instead of starting a
/// process, which takes the exec and bash's start-up (≈1 ms here) off the command's path.
///
/// The first such spawn of a sandbox starts normally and only says what to start ahead; so does
/// one whose environment or directory differs from the waiting ones (a `cd` the agent made),
/// which replaces them. New ones are started only while no such spawn runs, so their fork and
/// exec never hold back a running command's output or result. See runner/README.md.
final class PrestartedBash {
    /// What a spawn is started with, beyond its script.
    struct Key: Equatable {
        var program: String
        var environment: [String]
        var workingDirectory: String
    }

    /// One started bash, waiting.
    struct Waiting {
        var key: Key
        var pid: pid_t
        var output: Int32
        var error: Int32
        /// The write end of its stdin, where its script goes.
        var script: Int32
        /// The directory it started in, by identity: a directory removed and made again under
        /// the same path is another one, which a fresh spawn would enter and this bash did not.
        var directory: (device: UInt64, inode: UInt64)
    }

    /// What the bash runs first: read the script's length and then the script from stdin, give
    /// stdin `/dev/null` as a spawn without input has, set what `bash -c` sets, and run the
    /// script with its own variables already gone. One line, so the script's line numbers
    /// (`$LINENO`, error messages) are those of `bash -c`. `read -N` reads a pipe in blocks,
    /// not byte by byte as `read -d` would.
    static let bootstrap =
        "IFS= read -r __sandcastle_n && IFS= read -r -N \"$__sandcastle_n\" __sandcastle_s; exec 0</dev/null; "
        + "BASH_EXECUTION_STRING=$__sandcastle_s; SECONDS=0; eval \"unset -v __sandcastle_n __sandcastle_s; $__sandcastle_s\""

    /// Bashes kept waiting: one for the next call, and one more so two calls in a row (or at
    /// once, as an agent's parallel tool calls) both find one.
    static let depth = 2
    /// Bashes that die before use in a row, after which none is started again (a bash that
    /// cannot start in this environment must not be retried forever).
    static let maximumEarlyDeaths = 3

    private let context: RunnerContext
    private var waiting: [Waiting] = []
    /// What to start ahead: the key of the last eligible spawn.
    private var wanted: Key?
    /// Eligible spawns still running (served or not): nothing is started while there are any.
    private var running: Set<UInt32> = []
    /// Killed because their key went out of use; their exit is expected.
    private var discarded: Set<pid_t> = []
    private var earlyDeaths = 0

    init(context: RunnerContext) {
        self.context = context
    }

    /// The script of a spawn that may be served by a pre-started bash, or nil. Not when its
    /// environment names a start-up file (`BASH_ENV`): bash reads that file when it starts, so a
    /// bash started earlier would have read an older version of it.
    func script(of request: SpawnRequest) -> String? {
        guard request.allowsPrestartedBash, !request.openStdin, request.arguments.count == 3,
            lastPathComponent(request.arguments[0]) == "bash", request.arguments[1] == "-c",
            !request.environment.contains(where: { $0.hasPrefix("BASH_ENV=") }), environmentValue(context.environment, "BASH_ENV") == nil
        else { return nil }
        return request.arguments[2]
    }

    /// An eligible spawn: the operation of a waiting bash given its script, or nil when none
    /// fits (the caller starts the process as usual). Either way, bashes for this key are
    /// started ahead from now on.
    func serve(_ id: UInt32, _ request: SpawnRequest, script: String) -> ProcessOperation? {
        let directory = request.workingDirectory.isEmpty ? context.workingDirectory : context.resolve(request.workingDirectory)
        let key = Key(program: request.arguments[0], environment: request.environment, workingDirectory: directory)
        running.insert(id)
        if wanted != key {
            wanted = key
            earlyDeaths = 0
        }
        while let index = waiting.firstIndex(where: { $0.key == key }) {
            let bash = waiting.remove(at: index)
            if reapIfDead(bash) {
                closeAll(bash)
                earlyDeaths += 1
                continue
            }
            guard Self.identity(of: directory).map({ $0 == bash.directory }) == true else {
                discard(bash)
                continue
            }
            earlyDeaths = 0
            return ProcessOperation.adopt(
                id: id, pid: bash.pid, output: bash.output, error: bash.error, script: bash.script, bytes: Array(script.utf8),
                request: request, context: context)
        }
        return nil
    }

    /// An operation ended; when it was an eligible spawn, starting ahead may resume.
    func completed(_ id: UInt32) {
        running.remove(id)
    }

    /// Whether ``replenish()`` has work to do now.
    private var wantsToStart: Bool {
        guard let wanted, running.isEmpty, earlyDeaths < Self.maximumEarlyDeaths else { return false }
        return waiting.contains { $0.key != wanted } || waiting.count < Self.depth
    }

    /// Retires the bashes whose key is no longer wanted and starts the missing ones. All at once:
    /// each start holds the reactor only for a fork and an exec (≈0.3 ms; bash then starts up on
    /// its own), and requests that arrive meanwhile, such as a turn's parallel calls, then find
    /// every bash started.
    func replenish() {
        guard wantsToStart, let wanted else { return }
        for bash in waiting where bash.key != wanted { discard(bash) }
        waiting.removeAll { $0.key != wanted }
        while waiting.count < Self.depth {
            guard let started = start(wanted) else {
                // It could not start (its directory is gone, the process limit): as if it died.
                earlyDeaths += 1
                return
            }
            waiting.append(started)
        }
    }

    /// A child was reaped: true when it was one of ours, not an operation's.
    func childExited(_ pid: pid_t) -> Bool {
        if discarded.remove(pid) != nil { return true }
        guard let index = waiting.firstIndex(where: { $0.pid == pid }) else { return false }
        closeAll(waiting.remove(at: index))
        earlyDeaths += 1
        return true
    }

    /// Runner shutdown, or a host that went away: no more are started and the waiting ones go.
    func stop() {
        wanted = nil
        for bash in waiting { discard(bash) }
        waiting.removeAll()
    }

    // MARK: -

    private func start(_ key: Key) -> Waiting? {
        guard let directory = Self.identity(of: key.workingDirectory) else { return nil }
        var output: [Int32] = [-1, -1]
        var error: [Int32] = [-1, -1]
        var input: [Int32] = [-1, -1]
        guard crs_pipe_cloexec(&output) == 0, crs_pipe_cloexec(&error) == 0, crs_pipe_cloexec(&input) == 0 else {
            for fd in output + error + input where fd >= 0 { close(fd) }
            return nil
        }
        let spawned = spawnChild(
            arguments: [key.program, "-c", Self.bootstrap], environment: mergeEnvironment(context.environment, key.environment),
            workingDirectory: key.workingDirectory, stdio: ChildStdio(input: input[0], output: output[1], error: error[1]),
            controllingTerminal: false)
        close(input[0])
        close(output[1])
        close(error[1])
        guard case .success(let pid) = spawned else {
            for fd in [output[0], error[0], input[1]] { close(fd) }
            return nil
        }
        for fd in [output[0], error[0], input[1]] { _ = crs_set_nonblocking(fd) }
        return Waiting(key: key, pid: pid, output: output[0], error: error[0], script: input[1], directory: directory)
    }

    /// Whether the bash died while it waited (killed from inside the sandbox, out of memory). It
    /// is reaped here, where its status is of no use to anyone: the reactor never sees it.
    private func reapIfDead(_ bash: Waiting) -> Bool {
        var status: Int32 = 0
        return waitpid(bash.pid, &status, WNOHANG) == bash.pid
    }

    private func discard(_ bash: Waiting) {
        // Its own session and process group: nothing else is in it while it waits.
        signalGroup(bash.pid, SIGKILL)
        var status: Int32 = 0
        if waitpid(bash.pid, &status, WNOHANG) != bash.pid { discarded.insert(bash.pid) }
        closeAll(bash)
    }

    private func closeAll(_ bash: Waiting) {
        close(bash.output)
        close(bash.error)
        close(bash.script)
    }

    private static func identity(of path: String) -> (device: UInt64, inode: UInt64)? {
        var information = stat()
        guard stat(path, &information) == 0, (information.st_mode & S_IFMT) == S_IFDIR else { return nil }
        return (UInt64(information.st_dev), UInt64(information.st_ino))
    }
}
