import JSONValues
import ModelProviders
import Sandbox
import Synchronization

/// `Bash {command, timeout?, description?}`: one `bash -c` process per call, in the sandbox.
///
/// Not the sandbox's persistent shell: that shell runs one line at a time, so two `Bash` calls
/// of one turn would queue behind each other (a `sleep 60` would hold every other call), and a
/// call the loop cancels would need the shared shell interrupted. A process per call runs
/// concurrently with its siblings and dies alone when cancelled.
///
/// The sandbox may run the script in a bash it started ahead (``SandboxCommand/allowsPrestartedBash``):
/// a fresh, idle bash with the call's environment and working directory that only waits for its
/// script, so the call does not wait for a process to start (in Docker, ~1 ms of a ~2.5 ms call).
///
/// What carries over between calls is what Claude Code carries over: the working directory
/// (each command reports its final `$PWD` on exit, see ``BashDirectory``), not variables,
/// functions or other shell state. stderr is joined into stdout inside the process
/// (`exec 2>&1`), so the model reads both in the order they were written, as on a terminal.
public struct BashTool: AgentTool {
    public init() {}

    public let definition = ToolDefinition(
        name: "Bash",
        description: """
            Executes a bash command in the sandbox and returns its output (stdout and stderr together).

            - Each call runs in a fresh `bash -c` process. The working directory carries over between calls \
            (a `cd` stays in effect); environment variables, functions and other shell state do not.
            - Several Bash calls in one message run at the same time.
            - `timeout` is in milliseconds (default 120000, at most 600000); a command that runs longer is killed.
            - Output beyond the limit is cut; pipe long output through `head`, `tail` or `grep`.
            - Stdin is empty: interactive programs get end-of-file.
            - Prefer the Read, Write, Edit, Glob and Grep tools for files.
            """,
        inputSchema: [
            "type": "object",
            "properties": [
                "command": ["type": "string", "description": "The command to execute"],
                "timeout": ["type": "number", "description": "Optional timeout in milliseconds (max 600000)"],
                "description": [
                    "type": "string", "description": "Clear, concise description of what this command does in 5-10 words, in active voice.",
                ],
            ],
            "required": ["command"],
            "additionalProperties": false,
        ])

    public func run(_ input: ToolInput, context: ToolContext) async throws -> ToolOutput {
        let command = try input.string("command")
        if command.allSatisfy(\.isWhitespace) { throw ToolFailure("`command` is empty") }
        if command.utf8.count > Self.maxCommandBytes {
            throw ToolFailure(
                "the command is \(command.utf8.count) bytes, more than a command line can hold (\(Self.maxCommandBytes)): "
                    + "write the script to a file with Write and run it with `bash FILE`")
        }
        if command.utf8.contains(0) { throw ToolFailure("the command contains a NUL byte, which no command line can carry") }
        let timeout = try Self.timeout(input, limits: context.limits)
        let directory = context.bashDirectory?.current ?? context.workingDirectory
        var note = ""
        var output: CollectedOutput
        do {
            output = try await ToolProcess.run(
                Self.arguments(for: command), context: context, workingDirectory: directory, timeout: timeout, allowsPrestartedBash: true)
        } catch let error as SandboxError where error.code == .notFound && directory != context.workingDirectory {
            // The directory a `cd` left us in is gone (removed since): start over where runs start.
            context.bashDirectory?.current = nil
            note = "(the working directory \(directory) no longer exists; this command ran in \(context.workingDirectory))\n"
            output = try await ToolProcess.run(Self.arguments(for: command), context: context, timeout: timeout, allowsPrestartedBash: true)
        }
        if let final = Self.takeFinalDirectory(&output.stdout) {
            context.bashDirectory?.current = final == context.workingDirectory ? nil : final
        }
        var rendered = Self.render(output, timeout: timeout)
        rendered.content = note + rendered.content
        return rendered
    }

    /// Linux refuses a single argument over 128 KiB (`MAX_ARG_STRLEN`); the command is one.
    static let maxCommandBytes = 120 * 1024

    /// Ends the command's output with `RS SANDCASTLE_CWD=<dir>` (RS, 0x1E, never in a path a model
    /// types) when the shell exits, so the next call can start there.
    static let directoryMarker = Array("\u{1E}SANDCASTLE_CWD=".utf8)

    /// The argv of one call: stderr joined into stdout, and the final directory reported on exit.
    static func arguments(for command: String) -> [String] {
        ["bash", "-c", "exec 2>&1\ntrap 'printf \"\\036SANDCASTLE_CWD=%s\" \"$PWD\"' EXIT\n" + command]
    }

    /// Removes the trailing directory report from `stdout` and returns the directory; nil when the
    /// command did not get to report it (killed, output cut, its own EXIT trap).
    static func takeFinalDirectory(_ stdout: inout [UInt8]) -> String? {
        guard stdout.count >= directoryMarker.count else { return nil }
        var index = stdout.count - directoryMarker.count
        while index >= 0 {
            if stdout[index] == directoryMarker[0], stdout[index..<index + directoryMarker.count].elementsEqual(directoryMarker) {
                let directory = String(decoding: stdout[(index + directoryMarker.count)...], as: UTF8.self)
                guard directory.hasPrefix("/"), !directory.contains("\n") else { return nil }
                stdout.removeSubrange(index...)
                return directory
            }
            index -= 1
        }
        return nil
    }

    static func timeout(_ input: ToolInput, limits: ToolLimits) throws -> Duration {
        guard let milliseconds = try input.optionalInteger("timeout") else { return limits.bashDefaultTimeout }
        guard milliseconds > 0 else { throw ToolFailure("`timeout` must be a positive number of milliseconds, got \(milliseconds)") }
        return min(.milliseconds(milliseconds), limits.bashMaxTimeout)
    }

    /// What the model reads: the output, then what it needs to know about how the command ended.
    static func render(_ output: CollectedOutput, timeout: Duration) -> ToolOutput {
        let result = output.result
        var text = String(decoding: output.stdout + output.stderr, as: UTF8.self)
        var notes: [String] = []
        if result.truncated { notes.append(OutputCap.note(totalBytes: result.outputBytes)) }
        if result.timedOut {
            notes.append("Command timed out after \(SandboxCommand.milliseconds(timeout)) ms and was killed")
        } else if result.oomKilled {
            notes.append("Command was killed for running out of memory (exit code \(result.exitCode))")
        } else if result.exitCode != 0 {
            notes.append("Exit code \(result.exitCode)")
        }
        if text.isEmpty && notes.isEmpty { return ToolOutput("(no output)") }
        if !notes.isEmpty {
            if !text.isEmpty && !text.hasSuffix("\n") { text += "\n" }
            text += notes.joined(separator: "\n")
        }
        return ToolOutput(text, isError: result.exitCode != 0 || result.timedOut)
    }
}

/// Where the next `Bash` call of one agent starts: the directory the last one ended in (nil:
/// the working directory). One per agent run; a subagent has its own.
public final class BashDirectory: Sendable {
    private let directory = Mutex<String?>(nil)

    public init() {}

    public var current: String? {
        get { directory.withLock { $0 } }
        set { directory.withLock { $0 = newValue } }
    }
}
