import JSONValues
import ModelProviders
import Sandbox

/// `Bash {command, timeout?, description?}`: one `bash -c` process per call, in the sandbox.
///
/// Not the sandbox's persistent shell: that shell runs one line at a time, so two `Bash` calls
/// of one turn would queue behind each other (a `sleep 60` would hold every other call), and a
/// call the loop cancels would need the shared shell interrupted. A process per call runs
/// concurrently with its siblings, dies alone when cancelled, and starts clean; the price is
/// that `cd` and `export` do not outlive the call, which the description tells the model.
///
/// stderr is joined into stdout inside the process (`exec 2>&1`), so the model reads both in the
/// order they were written, as on a terminal.
public struct BashTool: AgentTool {
    public init() {}

    public let definition = ToolDefinition(
        name: "Bash",
        description: """
            Executes a bash command in the sandbox and returns its output (stdout and stderr together).

            - Each call runs in a fresh `bash -c` process that starts in the working directory: `cd` and `export` \
            do not carry over to the next call. Chain dependent commands with `&&` in one call, or use absolute paths.
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
        let timeout = try Self.timeout(input, limits: context.limits)
        let output = try await ToolProcess.run(["bash", "-c", "exec 2>&1\n" + command], context: context, timeout: timeout)
        return Self.render(output, timeout: timeout)
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
