import Foundation

/// A run's lifecycle state. Extensible: unknown values read back as-is.
public struct RunStatus: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let pending = RunStatus(rawValue: "pending")
    public static let running = RunStatus(rawValue: "running")
    public static let waitingApproval = RunStatus(rawValue: "waiting_approval")
    public static let completed = RunStatus(rawValue: "completed")
    public static let failed = RunStatus(rawValue: "failed")
    public static let cancelled = RunStatus(rawValue: "cancelled")
    /// Its model calls reached the run's `max_cost_usd`; running steps were interrupted.
    public static let budgetExceeded = RunStatus(rawValue: "budget_exceeded")

    /// Whether the run will not change any more (sets `finished_at`).
    public var isTerminal: Bool { [.completed, .failed, .cancelled, .budgetExceeded].contains(self) }
    public var description: String { rawValue }
}

/// A step's (or fan-out item's) lifecycle state. Extensible.
public struct StepStatus: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let pending = StepStatus(rawValue: "pending")
    public static let running = StepStatus(rawValue: "running")
    public static let waitingApproval = StepStatus(rawValue: "waiting_approval")
    public static let completed = StepStatus(rawValue: "completed")
    public static let failed = StepStatus(rawValue: "failed")
    public static let skipped = StepStatus(rawValue: "skipped")
    public static let cancelled = StepStatus(rawValue: "cancelled")

    public var isTerminal: Bool { [.completed, .failed, .skipped, .cancelled].contains(self) }
    public var description: String { rawValue }
}

/// An approval gate's state. Extensible.
public struct ApprovalStatus: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let pending = ApprovalStatus(rawValue: "pending")
    public static let approved = ApprovalStatus(rawValue: "approved")
    public static let rejected = ApprovalStatus(rawValue: "rejected")
    public static let timedOut = ApprovalStatus(rawValue: "timed_out")
    /// A person let the run go on without the step: its output is null, dependents run.
    public static let skipped = ApprovalStatus(rawValue: "skipped")
    /// The run ended (failed or was cancelled) before anyone decided.
    public static let cancelled = ApprovalStatus(rawValue: "cancelled")
    public var description: String { rawValue }
}

/// A sandbox's state as the server records it. Extensible.
public struct SandboxStatus: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let creating = SandboxStatus(rawValue: "creating")
    public static let running = SandboxStatus(rawValue: "running")
    public static let expired = SandboxStatus(rawValue: "expired")
    public static let gone = SandboxStatus(rawValue: "gone")
    public static let deleted = SandboxStatus(rawValue: "deleted")
    public var description: String { rawValue }
}

/// One workflow run. Dates are kept to the millisecond.
public struct RunRecord: Sendable, Hashable {
    public var id: String
    public var workflowName: String
    public var workflowPath: String?
    /// A hash of the workflow file's content, to notice edits before resume/replay.
    public var workflowHash: String?
    public var status: RunStatus
    public var inputsJSON: String
    /// The run this one was forked or replayed from.
    public var parentRunID: String?
    /// The step of the parent run the fork starts from.
    public var forkedFromStep: String?
    /// How this run derives from its parent: `replay` or `fork`; nil without a parent.
    public var lineageKind: String?
    /// A fork's changes to its from-step, as a JSON object.
    public var forkChangesJSON: String?
    /// The process that last started or resumed the run (`host pid start-ticks`), if it said.
    public var owner: String?
    /// The run's budget for model calls (`--max-cost`); nil: none.
    public var maxCostUSD: Double?
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    public var error: String?

    public init(
        id: String, workflowName: String, workflowPath: String? = nil, workflowHash: String? = nil,
        status: RunStatus = .pending, inputsJSON: String = "{}", parentRunID: String? = nil,
        forkedFromStep: String? = nil, lineageKind: String? = nil, forkChangesJSON: String? = nil,
        owner: String? = nil, createdAt: Date = Date(), startedAt: Date? = nil, finishedAt: Date? = nil,
        error: String? = nil, maxCostUSD: Double? = nil
    ) {
        self.maxCostUSD = maxCostUSD
        self.id = id
        self.workflowName = workflowName
        self.workflowPath = workflowPath
        self.workflowHash = workflowHash
        self.status = status
        self.inputsJSON = inputsJSON
        self.parentRunID = parentRunID
        self.forkedFromStep = forkedFromStep
        self.lineageKind = lineageKind
        self.forkChangesJSON = forkChangesJSON
        self.owner = owner
        self.createdAt = createdAt.storeRounded
        self.startedAt = startedAt?.storeRounded
        self.finishedAt = finishedAt?.storeRounded
        self.error = error
    }
}

/// The latest state of one step, or of one item of a fanned-out step.
public struct StepRecord: Sendable, Hashable {
    public var runID: String
    public var stepID: String
    /// The item's index for a `parallel_over` step; nil for a plain step.
    public var fanoutIndex: Int?
    public var status: StepStatus
    public var attempt: Int
    public var backend: String?
    public var sandboxID: String?
    public var exitCode: Int?
    public var outputJSON: String?
    public var outputText: String?
    /// Where a large output was written under the data folder, instead of inline.
    public var outputPath: String?
    public var startedAt: Date?
    public var finishedAt: Date?
    public var error: String?

    public init(
        runID: String, stepID: String, fanoutIndex: Int? = nil, status: StepStatus, attempt: Int = 0,
        backend: String? = nil, sandboxID: String? = nil, exitCode: Int? = nil,
        outputJSON: String? = nil, outputText: String? = nil, outputPath: String? = nil,
        startedAt: Date? = nil, finishedAt: Date? = nil, error: String? = nil
    ) {
        self.runID = runID
        self.stepID = stepID
        self.fanoutIndex = fanoutIndex
        self.status = status
        self.attempt = attempt
        self.backend = backend
        self.sandboxID = sandboxID
        self.exitCode = exitCode
        self.outputJSON = outputJSON
        self.outputText = outputText
        self.outputPath = outputPath
        self.startedAt = startedAt?.storeRounded
        self.finishedAt = finishedAt?.storeRounded
        self.error = error
    }
}

/// One attempt at running a step (retries make several).
public struct StepAttemptRecord: Sendable, Hashable {
    public var runID: String
    public var stepID: String
    public var fanoutIndex: Int?
    public var attempt: Int
    public var backend: String?
    public var sandboxID: String?
    public var exitCode: Int?
    public var startedAt: Date
    public var finishedAt: Date?
    public var durationMs: Int64?
    public var error: String?

    public init(
        runID: String, stepID: String, fanoutIndex: Int? = nil, attempt: Int, backend: String? = nil,
        sandboxID: String? = nil, exitCode: Int? = nil, startedAt: Date, finishedAt: Date? = nil,
        durationMs: Int64? = nil, error: String? = nil
    ) {
        self.runID = runID
        self.stepID = stepID
        self.fanoutIndex = fanoutIndex
        self.attempt = attempt
        self.backend = backend
        self.sandboxID = sandboxID
        self.exitCode = exitCode
        self.startedAt = startedAt.storeRounded
        self.finishedAt = finishedAt?.storeRounded
        self.durationMs = durationMs
        self.error = error
    }
}

/// One entry of a run's append-only event log.
public struct EventRecord: Sendable, Hashable {
    public var runID: String
    /// 1, 2, 3, … per run, in append order.
    public var seq: Int64
    public var time: Date
    public var kind: String
    public var payloadJSON: String

    public init(runID: String, seq: Int64, time: Date, kind: String, payloadJSON: String) {
        self.runID = runID
        self.seq = seq
        self.time = time.storeRounded
        self.kind = kind
        self.payloadJSON = payloadJSON
    }
}

/// One approval gate of a run: what was asked, and the decision once there is one.
public struct ApprovalRecord: Sendable, Hashable {
    public var runID: String
    public var stepID: String
    public var status: ApprovalStatus
    /// What the reviewer is asked (the rendered `approval_config.message`).
    public var message: String?
    /// The data shown with the request (`show_data`), as JSON.
    public var requestJSON: String?
    /// What happens at `timeoutAt` without a decision: `abort`, `skip` or `approve`.
    public var onTimeout: String?
    /// Whether the reviewer may replace the data (it then becomes the step's output).
    public var allowEdit: Bool
    public var requestedAt: Date
    public var timeoutAt: Date?
    public var decidedBy: String?
    public var decidedAt: Date?
    public var comment: String?
    /// The reviewer's edited data, as JSON, when `allowEdit` let them give one.
    public var responseJSON: String?

    public init(
        runID: String, stepID: String, status: ApprovalStatus = .pending, message: String? = nil,
        requestJSON: String? = nil, onTimeout: String? = nil, allowEdit: Bool = false,
        requestedAt: Date = Date(), timeoutAt: Date? = nil, decidedBy: String? = nil, decidedAt: Date? = nil,
        comment: String? = nil, responseJSON: String? = nil
    ) {
        self.runID = runID
        self.stepID = stepID
        self.status = status
        self.message = message
        self.requestJSON = requestJSON
        self.onTimeout = onTimeout
        self.allowEdit = allowEdit
        self.requestedAt = requestedAt.storeRounded
        self.timeoutAt = timeoutAt?.storeRounded
        self.decidedBy = decidedBy
        self.decidedAt = decidedAt?.storeRounded
        self.comment = comment
        self.responseJSON = responseJSON
    }
}

/// A run with the latest state of each of its steps.
public struct RunDetail: Sendable, Hashable {
    public var run: RunRecord
    /// Ordered by step id, then fan-out index (plain step first).
    public var steps: [StepRecord]
}

/// Which runs `listRuns` returns, newest first.
public struct RunQuery: Sendable, Hashable {
    /// Only runs in one of these states; nil for all.
    public var statuses: Set<RunStatus>?
    /// Only runs of the workflow with this name.
    public var workflowName: String?
    /// Only runs created at or after / before this time.
    public var createdSince: Date?
    public var createdBefore: Date?
    public var limit: Int
    public var offset: Int
    /// Only runs submitted by this tenant's keys (``RunSubmissionRecord/tenant``); nil for every run.
    public var tenant: String?

    public init(
        statuses: Set<RunStatus>? = nil, workflowName: String? = nil, createdSince: Date? = nil, createdBefore: Date? = nil,
        limit: Int = 50, offset: Int = 0, tenant: String? = nil
    ) {
        self.tenant = tenant
        self.statuses = statuses
        self.workflowName = workflowName
        self.createdSince = createdSince
        self.createdBefore = createdBefore
        self.limit = limit
        self.offset = offset
    }

    /// Whether `run` passes the filters (limit, offset and tenant aside: the tenant is the submission's).
    public func matches(_ run: RunRecord) -> Bool {
        (statuses?.contains(run.status) ?? true) && (workflowName.map { $0 == run.workflowName } ?? true)
            && (createdSince.map { run.createdAt >= $0 } ?? true) && (createdBefore.map { run.createdAt < $0 } ?? true)
    }
}
