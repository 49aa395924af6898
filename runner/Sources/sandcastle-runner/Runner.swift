import CRunnerSupport
import RunnerProtocol

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The reactor: one thread, one poll() over the channel, the signalfd, the shell's PTY
/// and every operation's fds, with timers folded into the poll timeout. No other
/// threads exist, so nothing here needs locks and nothing steals a wait status.
final class Runner {
    private enum Operation {
        case shellExec
        case process(ProcessOperation)
        case upload(Upload)
        case download(Download)
    }

    private let context: RunnerContext
    private let shell: ShellSession
    private let prestarted: PrestartedBash
    private let signalFD: Int32
    private var inbound = InboundFrames()
    private var operations: [UInt32: Operation] = [:]
    private var processIDs: [pid_t: UInt32] = [:]
    private var downloadOrder: [UInt32] = []
    private var pendingHellos = 0
    private var readingInput = true
    private var pollSet = PollSet()

    private var shuttingDown = false
    private var shutdownKillAt: UInt64 = 0
    private var shutdownExitAt: UInt64 = 0
    private var nextShutdownSweep: UInt64 = 0
    private var childrenRemain = true

    private static let shutdownGrace = 2_000 * nanosecondsPerMillisecond

    init(context: RunnerContext, signalFD: Int32, shellPath: String?) {
        self.context = context
        self.signalFD = signalFD
        shell = ShellSession(context: context, shellPath: shellPath)
        prestarted = PrestartedBash(context: context)
        shell.start()
    }

    func run() -> Never {
        while true {
            let now = monotonicNow()
            tick(now: now)
            settle()
            pollSet.reset()
            collect()
            var timeout = pollTimeout(until: nextDeadline(), now: monotonicNow())
            if !downloadOrder.isEmpty && context.outbound.pendingBytes < Outbound.readAheadLimit { timeout = 0 }
            let ready = pollSet.wait(timeout: timeout)
            if ready < 0 {
                if errno == EINTR { continue }
                writeStderr("sandcastle-runner: poll failed: \(errnoDescription(errno))")
                exitRunner(status: 1)
            }
            for (source, events) in pollSet.ready { dispatch(source, events) }
        }
    }

    // MARK: reactor plumbing

    private func collect() {
        if readingInput { pollSet.add(0, read: true, write: false, .channelIn) }
        pollSet.add(context.outbound.fd, read: false, write: context.outbound.hasPending, .channelOut)
        pollSet.add(signalFD, read: true, write: false, .signals)
        shell.collect(into: &pollSet)
        for case .process(let operation) in operations.values { operation.collect(into: &pollSet) }
    }

    private func dispatch(_ source: PollSource, _ events: Int16) {
        switch source {
        case .channelIn:
            readChannel()
        case .channelOut:
            context.outbound.flush()
        case .signals:
            handleSignals()
        case .shell:
            shell.handle(events)
        case .process(let id, let endpoint):
            if case .process(let operation)? = operations[id] { operation.handle(endpoint, events) }
        }
    }

    private func nextDeadline() -> UInt64? {
        var deadline = shell.nextDeadline
        for case .process(let operation) in operations.values { deadline = earliest(deadline, operation.nextDeadline) }
        if shuttingDown { deadline = earliest(deadline, nextShutdownSweep) }
        return deadline
    }

    private func tick(now: UInt64) {
        shell.tick(now: now)
        for case .process(let operation) in operations.values { operation.tick(now: now) }
        if shuttingDown { shutdownTick(now: now) }
    }

    /// Work that follows any event: stream downloads, answer hellos, retire finished
    /// operations, push queued frames out.
    private func settle() {
        pumpDownloads()
        if pendingHellos > 0 && (shell.isReady || shell.unavailableReason != nil) {
            let ready = Ready(
                protocolVersion: RunnerWire.version, shell: shell.unavailableReason == nil ? shell.path : "",
                runnerPID: getpid(), uid: getuid())
            for _ in 0..<pendingHellos { context.send(RunnerWire.controlStream, .ready(ready)) }
            pendingHellos = 0
        }
        for id in context.takeCompleted() {
            if case .process(let operation)? = operations[id] { processIDs.removeValue(forKey: operation.pid) }
            operations.removeValue(forKey: id)
            prestarted.completed(id)
        }
        context.outbound.flush()
        if context.outbound.brokenErrno != nil && !shuttingDown { beginShutdown() }
        // Only once the results are out: a start holds the reactor for a fork and an exec.
        if !context.outbound.hasPending && !shuttingDown { prestarted.replenish() }
    }

    private func pumpDownloads() {
        var index = 0
        // Round-robin one chunk per download while the queue is short.
        while !downloadOrder.isEmpty && context.outbound.pendingBytes < Outbound.readAheadLimit {
            if index >= downloadOrder.count { index = 0 }
            let id = downloadOrder[index]
            guard case .download(let download)? = operations[id] else {
                downloadOrder.remove(at: index)
                continue
            }
            if download.pump(context: context) {
                index += 1
            } else {
                downloadOrder.remove(at: index)
                operations.removeValue(forKey: id)
            }
        }
    }

    // MARK: channel

    private func readChannel() {
        let count = context.readAvailable(0)
        if count == -1 { return }
        if count <= 0 {
            // The host closed our stdin (a local harness; Docker keeps it open across detach).
            readingInput = false
            beginShutdown()
            return
        }
        inbound.append(UnsafeRawBufferPointer(start: context.readBuffer.baseAddress, count: count))
        while let item = inbound.next() {
            switch item {
            case .frame(let frame):
                handle(frame)
            case .invalid(let id, let reason):
                context.send(id, .failure(.invalid(reason)))
            case .corrupt(let reason):
                context.send(RunnerWire.controlStream, .failure(.invalid(reason)))
            }
        }
    }

    private func handle(_ frame: Frame) {
        let id = frame.id
        switch frame.message {
        case .hello:
            // Every host connection opens with one hello, before any operation. One arriving
            // while operations are in flight comes from a new host (a server that restarted
            // and re-attached): the old one is gone, so end what it left running.
            abandonOperations()
            pendingHellos += 1
        case .shellExec(let request):
            guard claim(id) else { return }
            operations[id] = .shellExec
            shell.enqueue(id, request)
        case .spawn(let request):
            guard claim(id) else { return }
            guard let script = prestarted.script(of: request) else {
                start(id, ProcessOperation.spawn(id: id, request, context: context))
                return
            }
            if let served = prestarted.serve(id, request, script: script) {
                start(id, .success(served))
                return
            }
            let spawned = ProcessOperation.spawn(id: id, request, context: context)
            if case .failure = spawned { prestarted.completed(id) }
            start(id, spawned)
        case .ptyOpen(let request):
            guard claim(id) else { return }
            start(id, ProcessOperation.openTerminal(id: id, request, shellPath: shell.path, context: context))
        case .input(let bytes):
            if case .process(let operation)? = operations[id] { operation.write(bytes) }
        case .resize(let size):
            if case .process(let operation)? = operations[id] { operation.resize(size) }
        case .signal(let signal):
            switch operations[id] {
            case .process(let operation)?: operation.signal(signal)
            case .shellExec?: shell.signal(id, signal)
            default: break
            }
        case .cancel:
            cancel(id)
        case .writeFile(let request):
            guard claim(id) else { return }
            switch Upload.begin(id: id, request, context: context) {
            case .success(let upload): operations[id] = .upload(upload)
            case .failure(let failure): context.send(id, .failure(failure))
            }
        case .readFile(let request):
            guard claim(id) else { return }
            switch Download.begin(id: id, request, context: context) {
            case .success(let download):
                operations[id] = .download(download)
                downloadOrder.append(id)
            case .failure(let failure):
                context.send(id, .failure(failure))
            }
        case .data(let bytes):
            // Data for an unknown id belongs to an upload that already failed: dropped.
            guard case .upload(let upload)? = operations[id] else { return }
            if let failure = upload.write(bytes) {
                context.send(id, .failure(failure))
                operations.removeValue(forKey: id)
            }
        case .endOfData:
            guard case .upload(let upload)? = operations[id] else { return }
            context.send(id, upload.finish())
            operations.removeValue(forKey: id)
        case .stat(let path):
            context.send(id, FileOperations(context: context).stat(path))
        case .list(let path):
            context.send(id, FileOperations(context: context).list(path))
        case .makeDirectory(let path, let parents, let mode):
            context.send(id, FileOperations(context: context).makeDirectory(path, parents: parents, mode: mode))
        case .remove(let path, let recursive):
            context.send(id, FileOperations(context: context).remove(path, recursive: recursive))
        case .move(let from, let to, let overwrite):
            context.send(id, FileOperations(context: context).move(from: from, to: to, overwrite: overwrite))
        case .ready, .started, .output, .execFinished, .fileInfo, .entries, .ok, .failure:
            context.send(id, .failure(.invalid("the runner does not accept this message from the host")))
        }
    }

    /// A new operation needs an id of its own (not the control stream, not in flight).
    private func claim(_ id: UInt32) -> Bool {
        if shuttingDown {
            context.send(id, .failure(RunnerFailure(code: .cancelled, message: "the runner is shutting down")))
            return false
        }
        if id == RunnerWire.controlStream {
            context.send(id, .failure(.invalid("request id 0 is the control stream")))
            return false
        }
        if operations[id] != nil {
            context.send(id, .failure(.invalid("request id \(id) is already in use")))
            return false
        }
        return true
    }

    private func start(_ id: UInt32, _ result: Result<ProcessOperation, RunnerFailure>) {
        switch result {
        case .success(let operation):
            operations[id] = .process(operation)
            processIDs[operation.pid] = id
            context.send(id, .started(pid: operation.pid))
        case .failure(let failure):
            context.send(id, .failure(failure))
        }
    }

    private func cancel(_ id: UInt32) {
        switch operations[id] {
        case .shellExec?:
            shell.cancel(id)
        case .process(let operation)?:
            operation.cancel()
        case .upload(let upload)?:
            upload.abort()
            operations.removeValue(forKey: id)
            context.send(id, .failure(RunnerFailure(code: .cancelled, message: "upload of \(upload.path) cancelled")))
        case .download(let download)?:
            download.abort()
            operations.removeValue(forKey: id)
            context.send(id, .failure(RunnerFailure(code: .cancelled, message: "download of \(download.path) cancelled")))
        case nil:
            break // already finished: cancel and completion crossed
        }
    }

    /// Ends every operation of a host that is gone: nobody will read their output or results
    /// (the new host uses ids of its own), and a command left in the shell would hold back
    /// every exec the new host sends. Processes are stopped as on `cancel`; their final frames
    /// go to ids nobody listens to. Background jobs a command started in the shell are the
    /// sandbox's own work, not operations, and are left alone.
    private func abandonOperations() {
        for (id, operation) in operations {
            switch operation {
            case .shellExec:
                break // the shell session below ends them all
            case .process(let process):
                process.cancel()
            case .upload(let upload):
                upload.abort()
                operations.removeValue(forKey: id)
            case .download(let download):
                download.abort()
                operations.removeValue(forKey: id)
                downloadOrder.removeAll { $0 == id }
            }
        }
        shell.abandonAll()
    }

    // MARK: signals and children

    private func handleSignals() {
        while true {
            var sender: Int32 = 0
            let signal = crs_signalfd_read(signalFD, &sender)
            if signal <= 0 { return }
            switch signal {
            case SIGCHLD:
                reap()
            case SIGTERM, SIGINT, SIGQUIT:
                // As PID 1, only the engine (a sender outside our pid namespace, seen as
                // pid 0) may stop the runner; code inside the sandbox shares our uid and
                // could otherwise end the session with `kill 1`.
                if getpid() == 1 && sender != 0 { continue }
                beginShutdown()
            default:
                break // SIGHUP: there is no terminal to hang up on; ignore it
            }
        }
    }

    /// Collects every exited child. The owner (shell or operation) gets its status;
    /// anything else is an orphan that was reparented to us, and reaping it is all
    /// it needs.
    private func reap() {
        while true {
            var code: Int32 = 0
            var signal: Int32 = 0
            let pid = crs_reap(&code, &signal)
            if pid <= 0 {
                if pid < 0 && errno == ECHILD { childrenRemain = false }
                return
            }
            let status = ExitStatus(code: code, signal: signal)
            if shell.childExited(pid, status) { continue }
            if prestarted.childExited(pid) { continue }
            if let id = processIDs.removeValue(forKey: pid), case .process(let operation)? = operations[id] {
                operation.exited(status)
            }
        }
    }

    // MARK: shutdown

    /// SIGTERM/SIGINT or the end of the channel: ask every process to stop, give them
    /// two seconds, SIGKILL the rest, flush and exit 0.
    private func beginShutdown() {
        guard !shuttingDown else { return }
        shuttingDown = true
        readingInput = false
        let now = monotonicNow()
        shutdownKillAt = now + Self.shutdownGrace
        shutdownExitAt = shutdownKillAt + 1_000 * nanosecondsPerMillisecond
        nextShutdownSweep = now + 50 * nanosecondsPerMillisecond
        for (id, operation) in operations {
            switch operation {
            case .process(let process):
                process.terminate() // its result follows when it exits
            case .upload(let upload):
                upload.abort()
                operations.removeValue(forKey: id)
                context.send(id, .failure(RunnerFailure(code: .cancelled, message: "the runner is shutting down")))
            case .download(let download):
                download.abort()
                operations.removeValue(forKey: id)
                downloadOrder.removeAll { $0 == id }
                context.send(id, .failure(RunnerFailure(code: .cancelled, message: "the runner is shutting down")))
            case .shellExec:
                break
            }
        }
        shell.shutdown()
        prestarted.stop()
        forEachChild { kill($0, SIGTERM) }
        childrenRemain = true
        reap()
    }

    private func shutdownTick(now: UInt64) {
        guard now >= nextShutdownSweep else { return }
        nextShutdownSweep = now + 100 * nanosecondsPerMillisecond
        reap()
        if !childrenRemain || now >= shutdownExitAt { exitRunner(status: 0) }
        if now >= shutdownKillAt {
            // Orphans become our children (PID 1 or subreaper), so sweeping our children
            // repeatedly reaches grandchildren too.
            for case .process(let process) in operations.values { signalGroup(process.pid, SIGKILL) }
            if shell.pid > 0 { signalGroup(shell.pid, SIGKILL) }
            forEachChild { child in
                kill(-child, SIGKILL)
                kill(child, SIGKILL)
            }
        }
    }

    private func forEachChild(_ body: (pid_t) -> Void) {
        var children = [pid_t](repeating: 0, count: 1024)
        let count = Int(crs_children_of(getpid(), &children, Int32(children.count)))
        for index in 0..<count { body(children[index]) }
    }

    private func exitRunner(status: Int32) -> Never {
        for case .process(let process) in operations.values { process.abandon() }
        // Give the host up to a second to take the last frames.
        let deadline = monotonicNow() + 1_000 * nanosecondsPerMillisecond
        while context.outbound.hasPending && context.outbound.brokenErrno == nil {
            let now = monotonicNow()
            if now >= deadline { break }
            var descriptor = pollfd(fd: context.outbound.fd, events: Int16(POLLOUT), revents: 0)
            _ = poll(&descriptor, 1, pollTimeout(until: deadline, now: now))
            context.outbound.flush()
        }
        shell.removeCommandDirectory()
        exit(status)
    }
}
