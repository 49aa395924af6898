import Foundation
import JSONValues
import Schedules
import Store

/// A client's request for a new schedule (`POST /api/schedules`).
public struct NewSchedule: Sendable {
    /// A workflow of the catalog; each fire runs its newest version.
    public var workflowName: String
    /// Five crontab fields or an `@` name (docs/schedules.md).
    public var cronExpression: String
    /// An IANA name; nil is UTC.
    public var timeZone: String?
    /// The inputs of every run.
    public var inputs: [String: JSONValue]
    public var enabled: Bool
    /// What to do with slots missed while the server was down; nil follows the server's setting.
    public var catchUp: CatchUp?
    /// The tenant of the key asking; nil for an admin.
    public var tenant: String?

    public init(
        workflowName: String, cronExpression: String, timeZone: String? = nil, inputs: [String: JSONValue] = [:], enabled: Bool = true,
        catchUp: CatchUp? = nil, tenant: String? = nil
    ) {
        self.workflowName = workflowName
        self.cronExpression = cronExpression
        self.timeZone = timeZone
        self.inputs = inputs
        self.enabled = enabled
        self.catchUp = catchUp
        self.tenant = tenant
    }
}

/// A change of a schedule (`PATCH /api/schedules/{id}`); nil leaves a setting as it is.
public struct ScheduleChanges: Sendable {
    public var enabled: Bool?
    public var cronExpression: String?
    public var timeZone: String?
    public var inputs: [String: JSONValue]?
    public var catchUp: CatchUp?

    public init(
        enabled: Bool? = nil, cronExpression: String? = nil, timeZone: String? = nil, inputs: [String: JSONValue]? = nil,
        catchUp: CatchUp? = nil
    ) {
        self.enabled = enabled
        self.cronExpression = cronExpression
        self.timeZone = timeZone
        self.inputs = inputs
        self.catchUp = catchUp
    }
}

/// Everything the API shows of a schedule: its record and what follows from it now.
public struct ScheduleInfo: Sendable {
    /// Sandcastle's derived `status`.
    public enum Status: String, Sendable {
        /// Enabled, and its last run did not fail.
        case active
        /// Disabled.
        case paused
        /// Enabled, and its last run failed (or its last fire could not make a run).
        case failing
    }

    public var record: ScheduleRecord
    public var inputs: [String: JSONValue]
    /// The schedule's own catch-up setting, or the server's when it has none.
    public var catchUp: CatchUp
    /// The expression in words ("At 09:30 on Monday through Friday").
    public var description: String
    /// The next slot that will fire; nil when disabled or when the expression never fires again.
    public var nextRunAt: Date?
    /// The share of its recent runs (``Scheduler/successWindow``) that completed; nil before any finished.
    public var successRate: Double?
    public var status: Status
}

extension ScheduleInfo {
    /// The record as read at `now`; `outcomes` are its recent fires' (absent: none).
    init(record: ScheduleRecord, outcomes: ScheduleOutcomes?, defaultCatchUp: CatchUp, now: Date) {
        self.record = record
        if case .object(let members)? = JSONValue.parse(json: record.inputsJSON) { inputs = members } else { inputs = [:] }
        catchUp = record.catchUp.flatMap(CatchUp.init(rawValue:)) ?? defaultCatchUp
        let schedule = try? CronSchedule(record.cronExpression, timeZone: record.timeZone)
        description = schedule?.expression.description ?? ""
        if record.enabled, let schedule {
            // After now, and never at or before the last slot fired or the moment it was armed.
            let lastFired = record.lastFiredSlot.map { Date(timeIntervalSince1970: Double($0)) } ?? record.armedAt
            nextRunAt = schedule.next(after: max(now, record.armedAt, lastFired))
        } else {
            nextRunAt = nil
        }
        successRate = outcomes?.successRate
        status = !record.enabled ? .paused : (record.lastRunStatus == .failed ? .failing : .active)
    }
}
