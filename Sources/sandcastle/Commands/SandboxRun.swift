import ArgumentParser
import Foundation
import Sandbox
import SandboxDocker

struct SandboxRun: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Create a sandbox, run a command in its shell, stream the output, exit with its exit code, destroy it.",
        discussion: """
            One argument after -- is a shell command line (`-- 'ls | wc -l'`); several are an argv, \
            quoted for the shell (`-- python3 -c 'print(1)'`).
            """)

    @OptionGroup var sandbox: SandboxOptions

    @Option(name: .long, help: "Seconds before the command is interrupted (0: none).")
    var timeout: Double = 0

    @Option(name: .long, help: "Copy a local file into /workspace first: LOCAL[:REMOTE] (repeatable).")
    var copy: [String] = []

    @Flag(name: .long, help: "Pass terminal output through untouched (no CRLF normalisation).")
    var raw = false

    @Argument(parsing: .postTerminator, help: "The command.")
    var command: [String] = []

    func validate() throws {
        if command.isEmpty { throw ValidationError("give the command after --, e.g. sandcastle sandbox run -- echo hello") }
        if timeout < 0 { throw ValidationError("--timeout must be positive") }
    }

    func run() async throws {
        let backend = try await DockerSandboxBackend.fromEnvironment()
        let spec = try sandbox.spec()
        let exitCode = try await CleanupOnSignal.run { registry in
            let instance = try await backend.createSandbox(spec)
            registry.register(instance)
            defer { registry.unregister(instance) }
            do {
                for item in copy { try await Self.upload(item, to: instance) }
                // Whole milliseconds as before; 0 (the default) is no timeout.
                let milliseconds = UInt32(timeout * 1000)
                let line = SandboxCommand.shell(
                    Self.commandLine(command), timeout: milliseconds > 0 ? .milliseconds(milliseconds) : nil,
                    rawOutput: raw)
                let result = try await Self.stream(try await instance.run(line))
                try await instance.destroy()
                if result.timedOut {
                    Console.error("sandcastle: command timed out after \(timeout) s")
                }
                if result.truncated {
                    Console.error("sandcastle: output truncated after \(result.outputBytes) bytes")
                }
                return result.exitCode
            } catch {
                try? await instance.destroy()
                throw error
            }
        }
        throw ExitCode(exitCode)
    }

    /// Writes output as it arrives and returns the final result.
    static func stream(_ process: SandboxProcess) async throws -> ProcessResult {
        for try await event in process.events {
            switch event {
            case .output(.stderr, let bytes): Console.writeError(bytes)
            case .output(_, let bytes): Console.write(bytes)
            case .finished(let result): return result
            case .started: break
            }
        }
        throw SandboxError(.sandboxGone, "the command ended without a result")
    }

    static func upload(_ item: String, to sandbox: DockerSandbox) async throws {
        let parts = item.split(separator: ":", maxSplits: 1).map(String.init)
        let local = parts[0]
        let remote = parts.count > 1 ? parts[1] : (local as NSString).lastPathComponent
        guard let handle = FileHandle(forReadingAtPath: local) else {
            throw ValidationError("cannot read \(local) for --copy")
        }
        defer { try? handle.close() }
        _ = try await sandbox.writeFile(FileWrite(path: remote), contents: FileChunks(handle: handle))
    }

    /// One argument is a command line as typed; several are quoted word by word. The line
    /// runs in a subshell so `exit N` ends the command with status N instead of ending the
    /// sandbox's persistent shell (which a one-shot run has no use for).
    static func commandLine(_ arguments: [String]) -> String {
        let line = arguments.count == 1 ? arguments[0] : arguments.map(ShellQuoting.quote).joined(separator: " ")
        return "(\n\(line)\n)"
    }
}
