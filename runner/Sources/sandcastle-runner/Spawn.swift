import CRunnerSupport
import RunnerProtocol

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The fds a child gets as 0, 1 and 2 (all >= 3 in the runner).
struct ChildStdio {
    var input: Int32
    var output: Int32
    var error: Int32
}

/// Starts `arguments` in a new session through the C shim (fork, child setup, exec
/// with the errno of a failed exec reported back over a close-on-exec pipe).
func spawnChild(
    arguments: [String], environment: [String], workingDirectory: String?, stdio: ChildStdio,
    controllingTerminal: Bool
) -> Result<pid_t, RunnerFailure> {
    guard let file = arguments.first, !file.isEmpty else {
        return .failure(.invalid("spawn needs a program name"))
    }
    let searchPath = environmentValue(environment, "PATH")
    var failedErrno: Int32 = 0
    var failedStage: Int32 = 0
    let pid: pid_t = withCStringArray(arguments) { argv in
        withCStringArray(environment) { envp in
            file.withCString { filePointer in
                withOptionalCString(searchPath) { searchPointer in
                    withOptionalCString(workingDirectory) { cwdPointer in
                        var options = crs_spawn_options(
                            file: filePointer, argv: argv, envp: envp, search_path: searchPointer, cwd: cwdPointer,
                            stdin_fd: stdio.input, stdout_fd: stdio.output, stderr_fd: stdio.error,
                            controlling_tty: controllingTerminal ? 1 : 0)
                        return crs_spawn(&options, &failedErrno, &failedStage)
                    }
                }
            }
        }
    }
    if pid > 0 { return .success(pid) }
    let what: String
    switch failedStage {
    case CRS_STAGE_CHDIR: what = "chdir \(workingDirectory ?? "")"
    case CRS_STAGE_EXEC: what = "exec \(file)"
    default: what = "spawn \(file)"
    }
    return .failure(RunnerFailure(code: .spawnFailed, errno: failedErrno, message: "\(what): \(errnoDescription(failedErrno))"))
}

private func withOptionalCString<R>(_ string: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    guard let string else { return body(nil) }
    return string.withCString { body($0) }
}

/// How a child ended: the exit status, or 128 + the signal that killed it.
struct ExitStatus {
    var code: Int32
    var signal: Int32
}

/// Sends `signal` to a process group, falling back to the process itself when the group
/// is already gone (e.g. the leader moved itself to another group).
func signalGroup(_ pid: pid_t, _ signal: Int32) {
    guard pid > 0 else { return }
    if kill(-pid, signal) != 0 { _ = kill(pid, signal) }
}
