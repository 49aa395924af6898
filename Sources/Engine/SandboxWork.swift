import Sandbox
import Workflow

/// What one attempt of a sandbox step does once it has its sandbox: run a command (`run:`),
/// or let a model work through tools (`prompt:`). Everything around it — slots, the backend
/// lease, durable start and finish records, the sandbox itself, artifacts, its removal — is
/// the same for every kind and is ``StepAttempt``'s.
protocol SandboxWork: Sendable {
    /// The environment the step's sandbox is made with.
    var environment: [String: String] { get }
    /// Does the work in `sandbox` and judges it. Throws when the sandbox failed (not the work):
    /// that counts against the backend's breaker.
    func perform(in sandbox: any SandboxInstance, attempt: AttemptPlace, job: StepJob) async throws -> StepJob.ItemResult
}

/// What an `llm` step's attempt does: call a model, no sandbox.
protocol ModelOnlyWork: Sendable {
    func perform(attempt: AttemptPlace, job: StepJob) async -> StepJob.ItemResult
}

/// The backend an attempt without a sandbox is recorded on.
enum ModelOnlyWorkBackend {
    static let name = "model"
}

/// One attempt's work, in a sandbox or not.
enum StepWork: Sendable {
    case inSandbox(any SandboxWork)
    case modelOnly(any ModelOnlyWork)
}

/// Which attempt of which step (or fan-out item).
struct AttemptPlace: Sendable {
    var number: Int
    var index: Int?
    /// The step's sandbox is its session's, which was made without the step's environment.
    var inSession: Bool
}

/// A `run:` step's work: its rendered command in the sandbox's shell.
struct CommandWork: SandboxWork {
    /// Values reach the shell only as environment variables: the command holds `"${SC_…}"` expansions.
    var command: String
    var environment: [String: String]

    /// Runs the command to its end, passing output on as it arrives (a live view shows its
    /// tail) and collecting it whole. A session's shell gets the step's environment exported
    /// first, since its sandbox was made without it.
    func perform(in sandbox: any SandboxInstance, attempt: AttemptPlace, job: StepJob) async throws -> StepJob.ItemResult {
        let line = attempt.inSession ? SessionSandboxes.command(command, exporting: environment) : command
        // A step always has a timeout; the backend counts it in whole milliseconds, at least 1.
        let process = try await sandbox.run(.shell(line, timeout: job.settings.timeout, maxOutputBytes: job.configuration.maxOutputBytes))
        let onEvent = job.onEvent
        let (stepID, index) = (job.step.id, attempt.index)
        let tapped = process.events.map { event -> ProcessEvent in
            if case .output(_, let bytes) = event {
                onEvent(.stepOutput(step: stepID, index: index, text: String(decoding: bytes, as: UTF8.self)))
            }
            return event
        }
        let output = try await withTaskCancellationHandler {
            try await CollectedOutput.collect(tapped)
        } onCancel: {
            Task { try? await process.cancel() }
        }
        return job.interpret(output)
    }
}
