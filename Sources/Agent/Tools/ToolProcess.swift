import Sandbox

/// Runs a tool's process in the sandbox to completion, and makes sure it dies with the call.
enum ToolProcess {
    /// Runs `arguments` (an argv, no shell of ours in between) in the working directory with the
    /// context's environment, gathering output up to `maxOutputBytes` (the runner drops the rest
    /// inside the sandbox, so it never crosses to the host).
    ///
    /// Cancelling the calling task cancels the process in the sandbox (`SandboxProcess.cancel()`:
    /// SIGTERM to its group, SIGKILL soon after) and throws `CancellationError` at once.
    ///
    /// `allowsPrestartedBash` (for `bash -c SCRIPT` only) lets the sandbox run the script in a bash
    /// it started ahead, which saves a process start per call (see ``SandboxCommand``).
    static func run(
        _ arguments: [String], context: ToolContext, workingDirectory: String? = nil, timeout: Duration? = nil,
        maxOutputBytes: UInt64? = nil, allowsPrestartedBash: Bool = false
    ) async throws -> CollectedOutput {
        let command = SandboxCommand.arguments(
            arguments, environment: context.environment, workingDirectory: workingDirectory ?? context.workingDirectory,
            timeout: timeout, maxOutputBytes: maxOutputBytes ?? context.limits.maxReadBytes, allowsPrestartedBash: allowsPrestartedBash)
        try Task.checkCancellation()
        let process = try await context.sandbox.run(command)
        do {
            return try await withTaskCancellationHandler {
                try await process.collect()
            } onCancel: {
                Task { try? await process.cancel() }
            }
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw error
        }
    }
}
