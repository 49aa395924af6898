import Foundation
import Store
import Workflow

/// Everything recorded about a run, in order: one case per kind of fact, each with a typed
/// payload. What the engine writes to the store (``kind`` and ``payloadJSON()``, readable
/// snake_case JSON) and what the CLI, the API and the dashboard read back (``init(kind:payloadJSON:)``).
///
/// The stored form is the one runs were written in before this type existed, so older
/// databases read unchanged; a kind this build does not know (a newer writer) is kept as
/// ``unrecognized(kind:payloadJSON:)`` rather than dropped.
public enum RunEvent: Sendable, Equatable {
    case runStarted(RunStarted)
    case runResumed(RunResumed)
    /// Only approval gates are left and the run does not wait for them (`--no-wait`).
    case runPaused(RunPaused)
    case runFinished(RunFinished)
    /// `runs cancel` (or the API) asked for the run to stop.
    case runCancelRequested
    /// An attempt of a step (or of one fan-out item) began.
    case stepStarted(StepStarted)
    case attemptFinished(AttemptFinished)
    case retryScheduled(RetryScheduled)
    /// A step ended for good: completed, failed, skipped or cancelled.
    case stepFinished(StepFinished)
    /// A step will not run because a step it depends on failed with `on_failure: skip`.
    case stepSkipped(StepSkipped)
    /// A replay or fork took this step's result from its parent run instead of running it.
    case stepReused(StepReused)
    case artifactsCollected(ArtifactsCollected)
    case approvalRequested(ApprovalRequested)
    case approvalDecided(ApprovalDecided)
    case workspaceSaved(WorkspaceSaved)
    case workspaceNotSaved(WorkspaceSkipped)
    case workspaceRestored(WorkspaceRestored)
    case workspaceNotRestored(WorkspaceSkipped)
    /// An agent or `llm` step's model call was answered (tokens, cost, the turn's text).
    case modelTurn(ModelTurn)
    case toolCalled(ToolCalled)
    case toolAnswered(ToolAnswered)
    case modelRetried(ModelRetried)
    /// The run has spent 80 % of its budget.
    case budgetWarning(Budget)
    /// The run has spent its budget: its running steps are interrupted, it ends `budget_exceeded`.
    case budgetExceeded(Budget)
    /// A step that failed for good became a dead letter (`on_failure: {dead_letter: true}`, or a
    /// failed run on a server that dead-letters them): recorded with the item, in one commit.
    case deadLettered(DeadLettered)
    /// A kind this build does not know, kept as stored.
    case unrecognized(kind: String, payloadJSON: String)

    public struct RunStarted: Codable, Sendable, Equatable {
        public var workflow: String
        /// For a replay or fork: the run it came from, the step it starts again from and (fork) its changes.
        public var parentRun: String?
        public var fromStep: String?
        public var changes: JSONValue?

        public init(workflow: String, parentRun: String? = nil, fromStep: String? = nil, changes: JSONValue? = nil) {
            self.workflow = workflow
            self.parentRun = parentRun
            self.fromStep = fromStep
            self.changes = changes
        }

        enum CodingKeys: String, CodingKey { case workflow, parentRun = "parent_run", fromStep = "from_step", changes }
    }

    public struct RunResumed: Codable, Sendable, Equatable {
        public var workflow: String
        /// Steps whose recorded results stand; they do not run again.
        public var finishedSteps: [String]

        public init(workflow: String, finishedSteps: [String]) {
            self.workflow = workflow
            self.finishedSteps = finishedSteps
        }

        enum CodingKeys: String, CodingKey { case workflow, finishedSteps = "finished_steps" }
    }

    public struct RunPaused: Codable, Sendable, Equatable {
        public var waitingFor: [String]

        public init(waitingFor: [String]) {
            self.waitingFor = waitingFor
        }

        enum CodingKeys: String, CodingKey { case waitingFor = "waiting_for" }
    }

    public struct RunFinished: Codable, Sendable, Equatable {
        public var status: RunStatus
        public var error: String?
        /// The workflow's `outputs` (empty unless it completed).
        public var outputs: [String: JSONValue]

        public init(status: RunStatus, error: String? = nil, outputs: [String: JSONValue]) {
            self.status = status
            self.error = error
            self.outputs = outputs
        }
    }

    public struct StepStarted: Codable, Sendable, Equatable {
        public var step: String
        public var index: Int?
        public var attempt: Int
        /// The backend the attempt runs on (nil for a sub-workflow step, which runs none itself).
        public var backend: String?
        /// Why it is not on the backend the step asked for.
        public var failover: String?

        public init(step: String, index: Int? = nil, attempt: Int, backend: String? = nil, failover: String? = nil) {
            self.step = step
            self.index = index
            self.attempt = attempt
            self.backend = backend
            self.failover = failover
        }
    }

    public struct AttemptFinished: Codable, Sendable, Equatable {
        public var step: String
        public var index: Int?
        public var attempt: Int
        public var status: StepStatus
        public var error: String?
        public var outputTail: String?
        /// The sandbox was made ahead, while the step before ran (nil: it was not).
        public var sandboxMadeAhead: Bool?

        public init(
            step: String, index: Int? = nil, attempt: Int, status: StepStatus, error: String? = nil, outputTail: String? = nil, sandboxMadeAhead: Bool? = nil
        ) {
            self.step = step
            self.index = index
            self.attempt = attempt
            self.status = status
            self.error = error
            self.outputTail = outputTail
            self.sandboxMadeAhead = sandboxMadeAhead
        }

        enum CodingKeys: String, CodingKey {
            case step, index, attempt, status, error, outputTail = "output_tail", sandboxMadeAhead = "sandbox_made_ahead"
        }
    }

    public struct RetryScheduled: Codable, Sendable, Equatable {
        public var step: String
        public var index: Int?
        /// The attempt that failed.
        public var attempt: Int
        public var delayMs: Int?
        /// Why (sub-workflow steps say it here; a step's attempt says it in its `attempt_finished`).
        public var error: String?

        public init(step: String, index: Int? = nil, attempt: Int, delayMs: Int? = nil, error: String? = nil) {
            self.step = step
            self.index = index
            self.attempt = attempt
            self.delayMs = delayMs
            self.error = error
        }

        enum CodingKeys: String, CodingKey { case step, index, attempt, delayMs = "delay_ms", error }
    }

    public struct StepFinished: Codable, Sendable, Equatable {
        public var step: String
        public var status: StepStatus
        public var durationMs: Int
        public var error: String?
        /// Why a step that did not fail did not run (`when: … is false`).
        public var reason: String?
        public var outputTail: String?
        /// The output of a completed step, when small enough to be kept inline.
        public var output: JSONValue?
        /// Where a large output is kept in full.
        public var outputPath: String?

        public init(
            step: String, status: StepStatus, durationMs: Int, error: String? = nil, reason: String? = nil, outputTail: String? = nil, output: JSONValue? = nil,
            outputPath: String? = nil
        ) {
            self.step = step
            self.status = status
            self.durationMs = durationMs
            self.error = error
            self.reason = reason
            self.outputTail = outputTail
            self.output = output
            self.outputPath = outputPath
        }

        enum CodingKeys: String, CodingKey {
            case step, status, durationMs = "duration_ms", error, reason, outputTail = "output_tail", output
            case outputPath = "output_path"
        }
    }

    public struct DeadLettered: Codable, Sendable, Equatable {
        public var step: String
        public var index: Int?
        /// The dead letter's id (`/api/dead-letter/{id}`).
        public var item: String
        public var error: String?
        public var attempts: Int

        public init(step: String, index: Int? = nil, item: String, error: String?, attempts: Int) {
            self.step = step
            self.index = index
            self.item = item
            self.error = error
            self.attempts = attempts
        }
    }

    public struct StepSkipped: Codable, Sendable, Equatable {
        public var step: String
        public var reason: String

        public init(step: String, reason: String) {
            self.step = step
            self.reason = reason
        }
    }

    public struct StepReused: Codable, Sendable, Equatable {
        public var step: String
        public var fromRun: String
        public var status: StepStatus

        public init(step: String, fromRun: String, status: StepStatus) {
            self.step = step
            self.fromRun = fromRun
            self.status = status
        }

        enum CodingKeys: String, CodingKey { case step, fromRun = "from_run", status }
    }

    public struct ArtifactsCollected: Codable, Sendable, Equatable {
        public var step: String
        public var index: Int?
        /// Paths relative to the step's artifacts folder.
        public var files: [String]
        public var bytes: Int
        /// What went wrong copying them (a by-product: never a step failure).
        public var problem: String?

        public init(step: String, index: Int? = nil, files: [String], bytes: Int, problem: String? = nil) {
            self.step = step
            self.index = index
            self.files = files
            self.bytes = bytes
            self.problem = problem
        }
    }

    public struct ApprovalRequested: Codable, Sendable, Equatable {
        public var step: String
        public var message: String
        public var data: JSONValue?
        /// ISO 8601; when the gate's `on_timeout` applies.
        public var timeoutAt: String?

        public init(step: String, message: String, data: JSONValue? = nil, timeoutAt: String? = nil) {
            self.step = step
            self.message = message
            self.data = data
            self.timeoutAt = timeoutAt
        }

        enum CodingKeys: String, CodingKey { case step, message, data, timeoutAt = "timeout_at" }
    }

    public struct ApprovalDecided: Codable, Sendable, Equatable {
        public var step: String
        public var status: ApprovalStatus
        public var by: String?
        public var comment: String?

        public init(step: String, status: ApprovalStatus, by: String? = nil, comment: String? = nil) {
            self.step = step
            self.status = status
            self.by = by
            self.comment = comment
        }
    }

    public struct WorkspaceSaved: Codable, Sendable, Equatable {
        public var bytes: Int

        public init(bytes: Int) {
            self.bytes = bytes
        }
    }

    public struct WorkspaceRestored: Codable, Sendable, Equatable {
        public var fromRun: String
        public var bytes: Int

        public init(fromRun: String, bytes: Int) {
            self.fromRun = fromRun
            self.bytes = bytes
        }

        enum CodingKeys: String, CodingKey { case fromRun = "from_run", bytes }
    }

    /// A workspace that was not saved (no `fromRun`) or not restored, and why.
    public struct WorkspaceSkipped: Codable, Sendable, Equatable {
        public var fromRun: String?
        public var reason: String

        public init(fromRun: String? = nil, reason: String) {
            self.fromRun = fromRun
            self.reason = reason
        }

        enum CodingKeys: String, CodingKey { case fromRun = "from_run", reason }
    }
}
