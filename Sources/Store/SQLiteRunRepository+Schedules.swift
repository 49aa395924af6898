import Foundation

/// Schedules and their fires: what the server's scheduler and `/api/schedules` keep beside the
/// runs, in the same database. A slot's fire row is inserted before its run is made, and the
/// table's unique (schedule, slot) key refuses a second insert, so whoever inserts first fires
/// the slot and everyone else (a second scheduler, a restarted one) leaves it.
extension SQLiteRunRepository {
    /// Stores a new schedule; `.constraint` if the id exists.
    public func createSchedule(_ schedule: ScheduleRecord) throws {
        try database.transaction { conn in
            try conn.execute(
                """
                INSERT INTO schedules (id, workflow_name, cron_expression, timezone, input_json, enabled, catch_up, tenant,
                                       created_at, updated_at, armed_at, last_run_id, last_run_at, last_run_status)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    schedule.id, schedule.workflowName, schedule.cronExpression, schedule.timeZone, schedule.inputsJSON, schedule.enabled,
                    schedule.catchUp, schedule.tenant ?? "", schedule.createdAt, schedule.updatedAt, schedule.armedAt, schedule.lastRunID,
                    schedule.lastRunAt, schedule.lastRunStatus?.rawValue,
                ])
            try Self.auditSchedule("schedule.created", schedule, at: schedule.createdAt, on: conn)
        }
    }

    /// One schedule, or nil.
    public func schedule(id: String) throws -> ScheduleRecord? {
        try database.read { try Self.schedule(id: id, on: $0) }
    }

    /// Schedules (of `tenant` when given; '' is an admin's) newest first, at most `limit` after skipping `offset`.
    public func schedules(limit: Int, offset: Int, tenant: String? = nil) throws -> [ScheduleRecord] {
        try database.query(
            "\(Self.scheduleSelect)\(tenant == nil ? "" : " WHERE s.tenant = ?") ORDER BY s.created_at DESC, s.id DESC LIMIT ? OFFSET ?",
            (tenant.map { [$0] } ?? []) + [Int64(clamping: max(0, limit)), Int64(clamping: max(0, offset))]
        ).map(Self.scheduleRecord)
    }

    /// How many schedules there are (of `tenant` when given).
    public func countSchedules(tenant: String? = nil) throws -> Int {
        guard let tenant else { return try database.query("SELECT COUNT(*) FROM schedules").first?.get(0) ?? 0 }
        return try database.query("SELECT COUNT(*) FROM schedules WHERE tenant = ?", [tenant]).first?.get(0) ?? 0
    }

    /// Every enabled schedule: what the scheduler watches.
    public func enabledSchedules() throws -> [ScheduleRecord] {
        try database.query("\(Self.scheduleSelect) WHERE s.enabled = 1 ORDER BY s.id").map(Self.scheduleRecord)
    }

    /// Applies `update` and returns the schedule as it is now; nil when there is no such schedule.
    /// Enabling a disabled schedule, or changing its expression or zone, re-arms it at `time`:
    /// slots before that never fire (a paused schedule does not catch up on its pause).
    public func updateSchedule(id: String, _ update: ScheduleUpdate, at time: Date) throws -> ScheduleRecord? {
        try database.transaction { conn in
            guard let old = try Self.schedule(id: id, on: conn) else { return nil }
            let enabled = update.enabled ?? old.enabled
            let cron = update.cronExpression ?? old.cronExpression
            let zone = update.timeZone ?? old.timeZone
            let rearms = (enabled && !old.enabled) || cron != old.cronExpression || zone != old.timeZone
            try conn.execute(
                """
                UPDATE schedules SET enabled = ?, cron_expression = ?, timezone = ?, input_json = ?, catch_up = ?,
                    updated_at = ?, armed_at = ?
                WHERE id = ?
                """,
                [
                    enabled, cron, zone, update.inputsJSON ?? old.inputsJSON, update.catchUp ?? old.catchUp, time,
                    rearms ? time : old.armedAt, id,
                ])
            let updated = try Self.schedule(id: id, on: conn)
            if let updated { try Self.auditSchedule("schedule.updated", updated, at: time, on: conn) }
            return updated
        }
    }

    /// Removes a schedule with its fires (its runs stay); false when there was none.
    @discardableResult
    public func deleteSchedule(id: String) throws -> Bool {
        try database.transaction { conn in
            guard let old = try Self.schedule(id: id, on: conn) else { return false }
            try conn.execute("DELETE FROM schedules WHERE id = ?", [id])
            try Self.auditSchedule("schedule.deleted", old, at: Date(), on: conn)
            return true
        }
    }

    /// Claims `slot` for the schedule: inserts its fire row, unfinished, and returns true; returns
    /// false, changing nothing, when the slot was claimed before (by anyone) or the schedule no
    /// longer is what the caller decided on: deleted, disabled, or re-armed since `armedAt`.
    public func claimScheduleSlot(scheduleID: String, slot: Int64, armedAt: Date, at time: Date) throws -> Bool {
        try database.execute(
            """
            INSERT INTO schedule_fires (schedule_id, slot, fired_at)
            SELECT id, ?, ? FROM schedules WHERE id = ? AND enabled = 1 AND armed_at = ?
            ON CONFLICT DO NOTHING
            """, [slot, time, scheduleID, armedAt]) == 1
    }

    /// The fire of one slot, or nil when it never fired.
    public func scheduleFire(scheduleID: String, slot: Int64) throws -> ScheduleFireRecord? {
        try database.query("SELECT \(Self.fireColumns) FROM schedule_fires WHERE schedule_id = ? AND slot = ?", [scheduleID, slot])
            .first.map(Self.fireRecord)
    }

    /// A schedule's fires, oldest first.
    public func scheduleFires(scheduleID: String) throws -> [ScheduleFireRecord] {
        try database.query("SELECT \(Self.fireColumns) FROM schedule_fires WHERE schedule_id = ? ORDER BY fired_at, id", [scheduleID])
            .map(Self.fireRecord)
    }

    /// Slots claimed whose run was neither made nor refused: a process died between the two (or
    /// is between them now). Oldest slot first.
    public func unfinishedScheduleFires() throws -> [ScheduleFireRecord] {
        try database.query(
            "SELECT \(Self.fireColumns) FROM schedule_fires WHERE run_id IS NULL AND error IS NULL AND slot IS NOT NULL ORDER BY slot, id"
        ).map(Self.fireRecord)
    }

    /// Records what the fire of `slot` made: its run, or why there is none. The schedule's
    /// `last_run_*` follow unless a later fire is already recorded. Returns false, changing
    /// nothing, when the fire was finished before (two schedulers finishing one slot) or is gone.
    @discardableResult
    public func finishScheduleFire(scheduleID: String, slot: Int64, runID: String?, error: String?, at time: Date) throws -> Bool {
        try database.transaction { conn in
            let changed = try conn.execute(
                """
                UPDATE schedule_fires SET run_id = ?, error = ?
                WHERE schedule_id = ? AND slot = ? AND run_id IS NULL AND error IS NULL
                """, [runID, error, scheduleID, slot])
            guard changed > 0 else { return false }
            try Self.recordLastRun(scheduleID: scheduleID, runID: runID, at: time, on: conn)
            return true
        }
    }

    /// Records a manual trigger's run as a fire without a slot, and as the schedule's last run.
    public func recordScheduleTrigger(scheduleID: String, runID: String, at time: Date) throws {
        try database.transaction { conn in
            try conn.execute(
                "INSERT INTO schedule_fires (schedule_id, slot, run_id, fired_at) VALUES (?, NULL, ?, ?)", [scheduleID, runID, time])
            try Self.recordLastRun(scheduleID: scheduleID, runID: runID, at: time, on: conn)
        }
    }

    /// How the fires of each schedule named since `since` turned out, read from the runs they
    /// made. A schedule without fires is absent.
    public func scheduleOutcomes(scheduleIDs: [String], since: Date) throws -> [String: ScheduleOutcomes] {
        guard !scheduleIDs.isEmpty else { return [:] }
        let finished = Self.finishedStatuses.map(\.rawValue)
        let rows = try database.query(
            """
            SELECT f.schedule_id,
                   SUM(CASE WHEN r.status = ? THEN 1 ELSE 0 END),
                   SUM(CASE WHEN r.status IN (\(Self.placeholders(finished.count))) OR (f.run_id IS NULL AND f.error IS NOT NULL)
                       THEN 1 ELSE 0 END)
            FROM schedule_fires f LEFT JOIN runs r ON r.id = f.run_id
            WHERE f.schedule_id IN (\(Self.placeholders(scheduleIDs.count))) AND f.fired_at >= ?
            GROUP BY f.schedule_id
            """, [RunStatus.completed.rawValue] + finished + scheduleIDs + [since])
        var outcomes: [String: ScheduleOutcomes] = [:]
        for row in rows {
            outcomes[try row.get(0)] = ScheduleOutcomes(completed: try row.get(1), finished: try row.get(2))
        }
        return outcomes
    }

    /// The runs that will not change any more (``RunStatus/isTerminal``).
    static let finishedStatuses: [RunStatus] = [.completed, .failed, .cancelled, .budgetExceeded]

    private static func placeholders(_ count: Int) -> String {
        Array(repeating: "?", count: count).joined(separator: ", ")
    }

    /// A fire that made no run leaves `last_run_id` empty and `last_run_status` failed.
    private static func recordLastRun(scheduleID: String, runID: String?, at time: Date, on conn: SQLiteConnection) throws {
        try conn.execute(
            """
            UPDATE schedules SET last_run_id = ?, last_run_at = ?, last_run_status = ?
            WHERE id = ? AND (last_run_at IS NULL OR last_run_at <= ?)
            """,
            [runID, time, (runID == nil ? RunStatus.failed : RunStatus.pending).rawValue, scheduleID, time])
    }

    private static func schedule(id: String, on conn: SQLiteConnection) throws -> ScheduleRecord? {
        try conn.query("\(scheduleSelect) WHERE s.id = ?", [id]).first.map(scheduleRecord)
    }

    private static let scheduleSelect = """
        SELECT s.id, s.workflow_name, s.cron_expression, s.timezone, s.input_json, s.enabled, s.catch_up, s.tenant,
               s.created_at, s.updated_at, s.armed_at, s.last_run_id, s.last_run_at, COALESCE(r.status, s.last_run_status),
               (SELECT MAX(slot) FROM schedule_fires f WHERE f.schedule_id = s.id)
        FROM schedules s LEFT JOIN runs r ON r.id = s.last_run_id
        """

    private static func scheduleRecord(_ r: Row) throws -> ScheduleRecord {
        let tenant: String = try r.get(7)
        let status: String? = try r.get(13)
        return ScheduleRecord(
            id: try r.get(0), workflowName: try r.get(1), cronExpression: try r.get(2), timeZone: try r.get(3), inputsJSON: try r.get(4),
            enabled: try r.get(5), catchUp: try r.get(6), tenant: tenant.isEmpty ? nil : tenant, createdAt: try r.get(8),
            updatedAt: try r.get(9), armedAt: try r.get(10), lastRunID: try r.get(11), lastRunAt: try r.get(12),
            lastRunStatus: status.map(RunStatus.init(rawValue:)), lastFiredSlot: try r.get(14))
    }

    private static let fireColumns = "schedule_id, slot, run_id, fired_at, error"

    private static func fireRecord(_ r: Row) throws -> ScheduleFireRecord {
        ScheduleFireRecord(scheduleID: try r.get(0), slot: try r.get(1), runID: try r.get(2), firedAt: try r.get(3), error: try r.get(4))
    }
}
