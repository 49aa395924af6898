import Foundation

/// A schedule as stored: a saved workflow run on a cron expression read in a time zone. The
/// store keeps the text; parsing and the time arithmetic belong to the `Schedules` module.
public struct ScheduleRecord: Sendable, Hashable {
    public var id: String
    public var workflowName: String
    /// As the client wrote it (five fields or an `@` name).
    public var cronExpression: String
    /// An IANA name.
    public var timeZone: String
    /// The inputs of every run, a JSON object.
    public var inputsJSON: String
    public var enabled: Bool
    /// `once` or `skip`; nil follows the server's setting.
    public var catchUp: String?
    /// The tenant of the key that made it; nil for an admin.
    public var tenant: String?
    public var createdAt: Date
    /// The last change of its settings (not of its `lastRun…` fields).
    public var updatedAt: Date
    /// Slots at or before this instant never fire: its creation, the last time it was enabled,
    /// or the last change of its expression or zone, whichever came last.
    public var armedAt: Date
    public var lastRunID: String?
    public var lastRunAt: Date?
    /// The status of the last run while it exists (read from the runs table), else what the
    /// last fire recorded: `failed` when it could not make a run. Ignored when writing.
    public var lastRunStatus: RunStatus?
    /// The latest slot fired (``ScheduleFireRecord/slot``), nil if none ever did. Ignored when writing.
    public var lastFiredSlot: Int64?

    public init(
        id: String, workflowName: String, cronExpression: String, timeZone: String = "UTC", inputsJSON: String = "{}",
        enabled: Bool = true, catchUp: String? = nil, tenant: String? = nil, createdAt: Date, updatedAt: Date? = nil,
        armedAt: Date? = nil, lastRunID: String? = nil, lastRunAt: Date? = nil, lastRunStatus: RunStatus? = nil, lastFiredSlot: Int64? = nil
    ) {
        self.id = id
        self.workflowName = workflowName
        self.cronExpression = cronExpression
        self.timeZone = timeZone
        self.inputsJSON = inputsJSON
        self.enabled = enabled
        self.catchUp = catchUp
        self.tenant = tenant
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
        self.armedAt = armedAt ?? createdAt
        self.lastRunID = lastRunID
        self.lastRunAt = lastRunAt
        self.lastRunStatus = lastRunStatus
        self.lastFiredSlot = lastFiredSlot
    }
}

/// A change of a schedule's settings; nil leaves a setting as it is.
public struct ScheduleUpdate: Sendable, Hashable {
    public var enabled: Bool?
    public var cronExpression: String?
    public var timeZone: String?
    public var inputsJSON: String?
    public var catchUp: String?

    public init(
        enabled: Bool? = nil, cronExpression: String? = nil, timeZone: String? = nil, inputsJSON: String? = nil, catchUp: String? = nil
    ) {
        self.enabled = enabled
        self.cronExpression = cronExpression
        self.timeZone = timeZone
        self.inputsJSON = inputsJSON
        self.catchUp = catchUp
    }
}

/// One fire of a schedule: a slot of its expression, or a manual trigger.
public struct ScheduleFireRecord: Sendable, Hashable {
    public var scheduleID: String
    /// The slot's minute as seconds since 1970 (UTC); nil for a manual trigger.
    public var slot: Int64?
    /// The run it made, once made.
    public var runID: String?
    public var firedAt: Date
    /// Why no run was made (the workflow was deleted, its inputs no longer fit).
    public var error: String?

    public init(scheduleID: String, slot: Int64?, runID: String? = nil, firedAt: Date, error: String? = nil) {
        self.scheduleID = scheduleID
        self.slot = slot
        self.runID = runID
        self.firedAt = firedAt
        self.error = error
    }

    /// A run was made or the failure recorded; an unfinished fire was interrupted (or is under way).
    public var isFinished: Bool { runID != nil || error != nil }
}

/// How a schedule's recent fires turned out.
public struct ScheduleOutcomes: Sendable, Hashable {
    /// Runs that completed.
    public var completed: Int
    /// Runs that finished (completed, failed, cancelled, over budget), plus fires that could not make a run.
    public var finished: Int

    public init(completed: Int = 0, finished: Int = 0) {
        self.completed = completed
        self.finished = finished
    }

    /// `completed / finished`, nil when nothing finished yet.
    public var successRate: Double? { finished == 0 ? nil : Double(completed) / Double(finished) }
}
