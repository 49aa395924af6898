import ArgumentParser
import Engine
import EngineService
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `sandcastle run --detach`: the same command again, in its own session (so closing the
/// terminal or Ctrl-C there does not reach it), its lines going to the run's log file.
enum Detach {
    static func start(
        workflowPath: String, inputs: [String], dataDirectory: String, noWait: Bool,
        maxParallel: Int?, modelArguments: [String] = []
    ) async throws {
        let runID = WorkflowEngine.makeRunID()
        let directory = URL(fileURLWithPath: dataDirectory).standardizedFileURL.path
        let runDirectory = RunFiles(dataDirectory: directory).runDirectory(runID)
        let log = (runDirectory as NSString).appendingPathComponent("run.log")
        do {
            try FileManager.default.createDirectory(
                atPath: runDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            Console.error("sandcastle: cannot create \(runDirectory): \(error)")
            throw ExitCode(1)
        }
        var arguments = ["run", workflowPath, "--data-dir", directory, "--run-id", runID]
        for input in inputs { arguments += ["-i", input] }
        if noWait { arguments.append("--no-wait") }
        if let maxParallel { arguments += ["--max-parallel", String(maxParallel)] }
        arguments += modelArguments
        let pid = try spawn(arguments: arguments, log: log)

        // Report success only once the run is recorded, so a failure to start is not silent.
        let deadline = ContinuousClock.now + .seconds(20)
        var recorded = false
        var exited = false
        while ContinuousClock.now < deadline && !recorded {
            if await Self.isRecorded(runID, dataDirectory: directory) {
                recorded = true
                break
            }
            var status: Int32 = 0
            if !exited && waitpid(pid, &status, WNOHANG) == pid { exited = true }
            if exited {
                // It may have finished (or failed) before we looked; the database says which.
                recorded = await Self.isRecorded(runID, dataDirectory: directory)
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        guard recorded else {
            let tail = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").suffix(20)
            Console.error("sandcastle: the background run did not start; its log (\(log)):")
            for line in tail { Console.error("  \(line)") }
            throw ExitCode(1)
        }
        let flag = LineLog.dataDirectoryFlag(dataDirectory)
        Console.print("run \(runID) started in the background (pid \(pid)); its lines go to \(log)")
        Console.print("follow it: sandcastle runs logs\(flag) --follow \(runID)   stop it: sandcastle runs cancel\(flag) \(runID)")
    }

    /// Whether the background process has recorded run `runID` yet (its database may not exist yet).
    private static func isRecorded(_ runID: String, dataDirectory: String) async -> Bool {
        guard let service = try? await RunService.open(EngineSettings(dataDirectory: dataDirectory), sandboxes: .none) else {
            return false
        }
        return (try? service.run(id: runID)) != nil
    }

    /// Starts this executable with `arguments` in a new session, stdin from /dev/null and
    /// stdout/stderr appended to `log`.
    static func spawn(arguments: [String], log: String) throws -> pid_t {
        // Nothing but the three standard streams may reach the background process: an inherited
        // pipe would keep whoever reads its other end (a shell's `$(…)`, a supervisor) waiting for the run.
        if let open = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
            for fd in open.compactMap({ Int32($0) }) where fd > 2 {
                let flags = fcntl(fd, F_GETFD)
                if flags >= 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
            }
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // POSIX_SPAWN_SETSID (glibc ≥ 2.26; 0x80 in <spawn.h>, hidden from Swift behind _GNU_SOURCE):
        // the child leads its own session, away from the terminal.
        let setsid: Int16 = 0x80
        posix_spawnattr_setflags(&attributes, setsid)
        let executable = "/proc/self/exe"
        let argv: [UnsafeMutablePointer<CChar>?] = ([CommandLine.arguments.first ?? "sandcastle"] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard rc == 0 else {
            Console.error("sandcastle: cannot start the background run: \(String(cString: strerror(rc)))")
            throw ExitCode(1)
        }
        return pid
    }
}
