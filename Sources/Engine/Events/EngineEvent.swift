import Foundation
import Sandbox
import Store
import Workflow

/// What the engine reports while a run goes on, for a progress view or a line log.
///
/// The same facts are persisted as events in the ``RunRepository``; these are the live copy.
public enum EngineEvent: Sendable {
    case runStarted(runID: String, workflow: String)
    /// An attempt of a step (or of one fan-out item) began.
    case stepStarted(step: String, index: Int?, attempt: Int)
    /// An attempt failed; `willRetry` says whether another one follows after `retryDelay`.
    case attemptFailed(
        step: String, index: Int?, attempt: Int, error: String, outputTail: String,
        willRetry: Bool, retryDelay: Duration?)
    /// A step ended for good: completed, failed, skipped or cancelled.
    case stepFinished(step: String, status: StepStatus, duration: Duration?, error: String?, outputTail: String?)
    /// A chunk of a running step's output (stdout or stderr, as it arrives), for a live view.
    case stepOutput(step: String, index: Int?, text: String)
    /// A run reached an approval gate and waits for a person (`sandcastle runs approve|reject`).
    case approvalRequested(runID: String, step: String, message: String, data: JSONValue?, timeoutAt: Date?)
    /// An `alert` policy fired on a step's result (recorded as the run's `policy_alert` event).
    case policyAlert(runID: String, alert: PolicyAlert)
    /// A run ended, or paused (`status` `waiting_approval`) with only approval gates left.
    case runFinished(runID: String, status: RunStatus, error: String?)
}

/// How one run ended.
public struct RunOutcome: Sendable {
    public var runID: String
    public var status: RunStatus
    public var error: String?
    /// Results of the steps that finished (completed, failed or skipped), by id.
    public var steps: [String: StepResult]
    /// The workflow's `outputs`, when the run completed.
    public var outputs: [String: JSONValue]

    public var completed: Bool { status == .completed }
}

/// The engine's knobs.
public struct EngineConfiguration: Sendable {
    /// At most this many step executions (fan-out items count one each) at once in one run.
    public var maxConcurrentStepsPerRun: Int
    /// How many bytes of a failed step's output go into its event and error report.
    public var outputTailBytes: Int
    /// Output beyond this is dropped by the runner (0: the runner's default).
    public var maxOutputBytes: UInt64
    /// What `{env.X}` reads.
    public var environment: [String: String]
    /// Whether a run's shared workspace is removed once its last sandbox is gone (through the
    /// router's ``BackendRouter/workspaces``); false keeps it.
    public var removesWorkspace: Bool
    /// Labels added to every sandbox of the run (the run id label is always added).
    public var labels: [String: String]
    /// Where a finished run's workspace is kept for its replays and forks; nil keeps nothing
    /// (they start with an empty workspace).
    public var workspaceSnapshots: WorkspaceSnapshots?
    /// Whether a run at an approval gate waits for the decision (polling the store every
    /// `approvalPollInterval`, so another process can decide) or, when false, returns with status
    /// `waiting_approval` once nothing else can run; `resume` continues it after the decision.
    public var waitForApprovals: Bool
    public var approvalPollInterval: Duration
    /// The data folder: a step output larger than `inlineOutputLimit` is written in full under
    /// it (the database keeps its head and the path), and, with `collectArtifacts`, the files
    /// steps write under `$SANDCASTLE_OUTPUTS` are copied there (see ``RunFiles``). nil keeps
    /// everything in the database and collects nothing.
    public var dataDirectory: String?
    /// Whether steps get an outputs folder whose files are kept as artifacts (needs `dataDirectory`).
    public var collectArtifacts: Bool
    /// The most bytes of a step's output kept inline in the database.
    public var inlineOutputLimit: Int
    /// Recorded with each run this engine starts or resumes (``ProcessOwner/current()`` from the CLI),
    /// so another process does not resume it while this one runs it.
    public var owner: String?
    /// How many sandboxes of each kind (image and profile) the run keeps ready or being created
    /// on local Docker while its steps run, so the next step does not wait for a container
    /// creation (``StepSandboxes``). 0 (the default) creates each step's sandbox when it starts;
    /// the CLI and the server use 1.
    public var sandboxesAhead: Int
    /// How agent and `llm` steps reach models; nil: such steps fail, saying no provider is set
    /// up (and why: ``modelsProblem``).
    public var models: ModelAccess?
    /// Why ``models`` is nil, e.g. a models file with an error.
    public var modelsProblem: String?
    /// The run's budget for model calls in dollars (`--max-cost`); nil: none. A resumed run
    /// keeps the one it was started with.
    public var maxCostUSD: Double?
    /// Whether every failed top-level run leaves a dead letter (its failed step's, or the run's
    /// when no step failed), written with the run's end: the server's `--dead-letter-failed-runs`.
    public var deadLettersFailedRuns = false
    /// Where the credentials steps declare (`credentials:`) come from; nil: a step that declares
    /// one fails, saying there is no vault.
    public var credentials: (any CredentialSource)?
    /// The privacy router's settings for runs whose workflow has no `privacy:` block (the
    /// server's `PRIVACY_ENABLED`, `PRIVACY_ENTITIES`, `PRIVACY_APPLY_TO`); off by default.
    public var privacy: PrivacySettings = .off

    /// What every sandbox of the run carries: ``labels`` plus, when an owner is recorded, the
    /// process label that lets a sweep find the sandboxes of a process that died.
    var sandboxLabels: [String: String] {
        var labels = labels
        if let owner { labels[SandcastleLabels.process] = owner }
        return labels
    }

    public init(
        maxConcurrentStepsPerRun: Int = 4, outputTailBytes: Int = 2048, maxOutputBytes: UInt64 = 0,
        environment: [String: String] = [:], removesWorkspace: Bool = false,
        labels: [String: String] = [:], waitForApprovals: Bool = true,
        approvalPollInterval: Duration = .seconds(1), dataDirectory: String? = nil,
        collectArtifacts: Bool = true, inlineOutputLimit: Int = 64 * 1024, sandboxesAhead: Int = 0
    ) {
        self.maxConcurrentStepsPerRun = maxConcurrentStepsPerRun
        self.outputTailBytes = outputTailBytes
        self.maxOutputBytes = maxOutputBytes
        self.environment = environment
        self.removesWorkspace = removesWorkspace
        self.labels = labels
        self.waitForApprovals = waitForApprovals
        self.approvalPollInterval = approvalPollInterval
        self.dataDirectory = dataDirectory
        self.collectArtifacts = collectArtifacts
        self.inlineOutputLimit = inlineOutputLimit
        self.sandboxesAhead = sandboxesAhead
        self.owner = nil
        self.workspaceSnapshots = nil
        self.models = nil
        self.modelsProblem = nil
        self.maxCostUSD = nil
    }
}
