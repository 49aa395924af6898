import Foundation
import Testing

@testable import Store

/// Schedules and their fires in SQLite: a slot's fire row is claimed once (also from a second
/// connection, as from a second process), finishing it is idempotent, and a schedule's last run
/// and success rate are read from the runs its fires made.
@Suite struct ScheduleRepositoryTests {
    static let t0 = Date(timeIntervalSince1970: 1_893_456_000)

    static func schedule(_ id: String = "s1", enabled: Bool = true, at time: Date = t0) -> ScheduleRecord {
        ScheduleRecord(
            id: id, workflowName: "hello", cronExpression: "* * * * *", timeZone: "Europe/Berlin", inputsJSON: #"{"who":"x"}"#,
            enabled: enabled, catchUp: "skip", createdAt: time)
    }

    @Test func aSlotIsClaimedOnceEvenFromASecondConnection() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("sandcastle.sqlite").path
            let one = try SQLiteRunRepository(path: path)
            let other = try SQLiteRunRepository(path: path)
            let record = Self.schedule()
            try one.createSchedule(record)
            #expect(try one.schedule(id: "s1") == record)

            #expect(try one.claimScheduleSlot(scheduleID: "s1", slot: 60, armedAt: record.armedAt, at: Self.t0 + 60))
            #expect(try !other.claimScheduleSlot(scheduleID: "s1", slot: 60, armedAt: record.armedAt, at: Self.t0 + 61), "the slot is taken")
            #expect(try !one.claimScheduleSlot(scheduleID: "s1", slot: 60, armedAt: record.armedAt, at: Self.t0 + 62))
            #expect(try other.claimScheduleSlot(scheduleID: "s1", slot: 120, armedAt: record.armedAt, at: Self.t0 + 120))
            // The constraint itself, not only the statement, refuses a second row.
            let duplicate = storeError {
                try one.database.execute("INSERT INTO schedule_fires (schedule_id, slot, fired_at) VALUES ('s1', 60, 0)")
            }
            #expect(duplicate?.code == .constraint)
            let fires = try one.scheduleFires(scheduleID: "s1")
            #expect(fires.map(\.slot) == [60, 120])
            #expect(fires.first?.firedAt == Self.t0 + 60, "the winner's claim")
            #expect(try one.unfinishedScheduleFires().map(\.slot) == [60, 120])
            #expect(try one.schedule(id: "s1")?.lastFiredSlot == 120)
        }
    }

    @Test func aClaimNeedsTheScheduleAsTheCallerReadIt() throws {
        let repository = try SQLiteRunRepository(database: SQLiteDatabase(path: ":memory:")).migrated()
        let record = Self.schedule()
        try repository.createSchedule(record)
        // Re-armed since it was read (its expression changed): the old decision does not fire.
        let changed = try #require(try repository.updateSchedule(id: "s1", ScheduleUpdate(cronExpression: "*/5 * * * *"), at: Self.t0 + 30))
        #expect(changed.armedAt == Self.t0 + 30)
        #expect(try !repository.claimScheduleSlot(scheduleID: "s1", slot: 60, armedAt: record.armedAt, at: Self.t0 + 60))
        _ = try repository.updateSchedule(id: "s1", ScheduleUpdate(enabled: false), at: Self.t0 + 40)
        #expect(try !repository.claimScheduleSlot(scheduleID: "s1", slot: 60, armedAt: changed.armedAt, at: Self.t0 + 60), "disabled")
        #expect(try !repository.claimScheduleSlot(scheduleID: "gone", slot: 60, armedAt: record.armedAt, at: Self.t0 + 60))
        #expect(try repository.scheduleFires(scheduleID: "s1").isEmpty)
    }

    @Test func updatesReArmOnlyOnEnablingOrANewExpressionOrZone() throws {
        let repository = try SQLiteRunRepository(database: SQLiteDatabase(path: ":memory:")).migrated()
        try repository.createSchedule(Self.schedule(enabled: false))
        var record = try #require(try repository.updateSchedule(id: "s1", ScheduleUpdate(inputsJSON: #"{"who":"y"}"#), at: Self.t0 + 10))
        #expect(record.armedAt == Self.t0)
        #expect(record.updatedAt == Self.t0 + 10)
        #expect(record.inputsJSON == #"{"who":"y"}"#)
        record = try #require(try repository.updateSchedule(id: "s1", ScheduleUpdate(enabled: true), at: Self.t0 + 20))
        #expect(record.armedAt == Self.t0 + 20, "enabled")
        record = try #require(try repository.updateSchedule(id: "s1", ScheduleUpdate(enabled: true, catchUp: "once"), at: Self.t0 + 30))
        #expect(record.armedAt == Self.t0 + 20, "already enabled")
        #expect(record.catchUp == "once")
        record = try #require(try repository.updateSchedule(id: "s1", ScheduleUpdate(cronExpression: "* * * * *"), at: Self.t0 + 40))
        #expect(record.armedAt == Self.t0 + 20, "the same expression")
        record = try #require(try repository.updateSchedule(id: "s1", ScheduleUpdate(timeZone: "UTC"), at: Self.t0 + 50))
        #expect(record.armedAt == Self.t0 + 50, "a new zone")
        #expect(try repository.updateSchedule(id: "nope", ScheduleUpdate(enabled: true), at: Self.t0) == nil)
    }

    @Test func finishingAFireRecordsTheLastRunOnceAndReadsItsStatusFromTheRuns() throws {
        let repository = try SQLiteRunRepository(database: SQLiteDatabase(path: ":memory:")).migrated()
        let record = Self.schedule()
        try repository.createSchedule(record)
        #expect(try repository.claimScheduleSlot(scheduleID: "s1", slot: 60, armedAt: record.armedAt, at: Self.t0 + 60))
        try repository.createRun(RunRecord(id: "r1", workflowName: "hello"))
        #expect(try repository.finishScheduleFire(scheduleID: "s1", slot: 60, runID: "r1", error: nil, at: Self.t0 + 61))
        #expect(try !repository.finishScheduleFire(scheduleID: "s1", slot: 60, runID: "r2", error: nil, at: Self.t0 + 62), "finished before")
        var read = try #require(try repository.schedule(id: "s1"))
        #expect(read.lastRunID == "r1")
        #expect(read.lastRunAt == Self.t0 + 61)
        #expect(read.lastRunStatus == .pending)
        try repository.updateRunStatus(id: "r1", to: .completed, at: Self.t0 + 70)
        #expect(try repository.schedule(id: "s1")?.lastRunStatus == .completed, "the run's own status")
        #expect(try repository.unfinishedScheduleFires().isEmpty)

        // A fire that could make no run: no run id, failed.
        #expect(try repository.claimScheduleSlot(scheduleID: "s1", slot: 120, armedAt: record.armedAt, at: Self.t0 + 120))
        #expect(try repository.finishScheduleFire(scheduleID: "s1", slot: 120, runID: nil, error: "no workflow named hello", at: Self.t0 + 120))
        read = try #require(try repository.schedule(id: "s1"))
        #expect(read.lastRunID == nil)
        #expect(read.lastRunStatus == .failed)
        #expect(read.lastFiredSlot == 120)

        // A late finish of an older fire does not become the last run.
        #expect(try repository.claimScheduleSlot(scheduleID: "s1", slot: 30, armedAt: record.armedAt, at: Self.t0 + 30))
        try repository.createRun(RunRecord(id: "r0", workflowName: "hello"))
        #expect(try repository.finishScheduleFire(scheduleID: "s1", slot: 30, runID: "r0", error: nil, at: Self.t0 + 100))
        #expect(try repository.schedule(id: "s1")?.lastRunStatus == .failed)

        // A trigger is a fire without a slot; any number of them.
        try repository.createRun(RunRecord(id: "t1", workflowName: "hello"))
        try repository.createRun(RunRecord(id: "t2", workflowName: "hello"))
        try repository.recordScheduleTrigger(scheduleID: "s1", runID: "t1", at: Self.t0 + 130)
        try repository.recordScheduleTrigger(scheduleID: "s1", runID: "t2", at: Self.t0 + 130)
        read = try #require(try repository.schedule(id: "s1"))
        #expect(read.lastRunID == "t2")
        #expect(read.lastFiredSlot == 120, "triggers are not slots")
        #expect(try repository.scheduleFires(scheduleID: "s1").count == 5)

        // Outcomes: r1 completed, the failed fire, r0 failed, t1 cancelled, t2 still queued (not finished).
        try repository.updateRunStatus(id: "r0", to: .failed, at: Self.t0 + 140)
        try repository.updateRunStatus(id: "t1", to: .cancelled, at: Self.t0 + 140)
        let outcomes = try repository.scheduleOutcomes(scheduleIDs: ["s1", "other"], since: Self.t0)
        #expect(outcomes == ["s1": ScheduleOutcomes(completed: 1, finished: 4)])
        #expect(outcomes["s1"]?.successRate == 0.25)
        #expect(try repository.scheduleOutcomes(scheduleIDs: ["s1"], since: Self.t0 + 125) == ["s1": ScheduleOutcomes(completed: 0, finished: 1)])
        #expect(try repository.scheduleOutcomes(scheduleIDs: [], since: Self.t0).isEmpty)
    }

    @Test func deletingAScheduleTakesItsFiresButNotItsRuns() throws {
        let repository = try SQLiteRunRepository(database: SQLiteDatabase(path: ":memory:")).migrated()
        try repository.createSchedule(Self.schedule("a"))
        try repository.createSchedule(Self.schedule("b", at: Self.t0 + 1))
        try repository.createRun(RunRecord(id: "r1", workflowName: "hello"))
        try repository.recordScheduleTrigger(scheduleID: "a", runID: "r1", at: Self.t0)
        #expect(try repository.countSchedules() == 2)
        #expect(try repository.schedules(limit: 10, offset: 0).map(\.id) == ["b", "a"])
        #expect(try repository.schedules(limit: 1, offset: 1).map(\.id) == ["a"])
        #expect(try repository.enabledSchedules().map(\.id) == ["a", "b"])
        #expect(try repository.deleteSchedule(id: "a"))
        #expect(try !repository.deleteSchedule(id: "a"))
        #expect(try repository.scheduleFires(scheduleID: "a").isEmpty)
        #expect(try repository.run(id: "r1") != nil)
        #expect(try repository.countSchedules() == 1)
        let duplicate = storeError { try repository.createSchedule(Self.schedule("b")) }
        #expect(duplicate?.code == .constraint)
    }
}

extension SQLiteRunRepository {
    fileprivate func migrated() throws -> SQLiteRunRepository {
        try Migrator.migrate(database)
        return self
    }
}
