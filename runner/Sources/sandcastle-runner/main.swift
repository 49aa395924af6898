import CRunnerSupport
import RunnerProtocol

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

// sandcastle-runner: PID 1 of a sandbox container. It speaks the RunnerProtocol frames
// on stdin/stdout, keeps a persistent shell on a PTY, runs processes, moves files and
// reaps every zombie in the container. See runner/README.md.

// `sandcastle-runner probe …` is the isolation self-test (ProbeMode.swift), run inside a
// sandbox as an ordinary process: none of the PID-1 setup below applies to it. argv is
// compared in place so normal startup allocates nothing for this.
if CommandLine.argc > 1, let first = CommandLine.unsafeArgv[1], strcmp(first, "probe") == 0 {
    exit(runProbeMode())
}

// Every fd the runner opens later must be >= 3: children get their stdio by dup2 onto
// 0-2, and the channel must never be handed to a child by accident.
for fd: Int32 in 0...2 where fcntl(fd, F_GETFD) < 0 {
    let null = crs_open("/dev/null", O_RDWR, 0)
    if null >= 0 && null != fd {
        dup2(null, fd)
        close(null)
    }
}

// Signals are read from a signalfd by the reactor; blocking them also means PID 1's
// "only handled signals are delivered" rule cannot surprise us.
let signalFD = crs_signalfd_init()
if signalFD < 0 {
    writeStderr("sandcastle-runner: signalfd: \(errnoDescription(errno))")
    exit(1)
}
// Outside a container (tests on a host) orphans would go to the real init; as a
// subreaper they come to us, so the reaping behaviour is the same as PID 1's.
if getpid() != 1 { _ = crs_set_child_subreaper() }
// Same-uid sandbox code must not read the runner's memory or environment through /proc/1.
_ = crs_set_not_dumpable()

_ = crs_set_nonblocking(0)
_ = crs_set_nonblocking(1)

let environment = processEnvironment()
var workingDirectory = "/"
if let cwd = getcwd(nil, 0) {
    workingDirectory = String(cString: cwd)
    free(cwd)
}
// A container started without -w begins in "/"; $HOME (the workspace) is the better base.
if workingDirectory == "/", let home = environmentValue(environment, "HOME"), home.hasPrefix("/"), chdir(home) == 0 {
    workingDirectory = home
}

// A helper that browses a shared workspace serves files beneath it only; without the
// confinement it asked for, it must not serve at all.
var fileRoot: FileRoot?
if let root = environmentValue(environment, RunnerWire.filesBeneathVariable) {
    switch FileRoot.open(root) {
    case .success(let opened): fileRoot = opened
    case .failure(let failure):
        writeStderr("sandcastle-runner: cannot confine files to \(root): \(failure.message)")
        exit(1)
    }
}

let shellOverride = environmentValue(environment, "SANDCASTLE_RUNNER_SHELL")
let context = RunnerContext(
    outbound: Outbound(fd: 1), environment: environment, workingDirectory: workingDirectory, fileRoot: fileRoot)
let runner = Runner(context: context, signalFD: signalFD, shellPath: shellOverride.flatMap { $0.isEmpty ? nil : $0 })
runner.run()
