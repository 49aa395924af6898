import Foundation
import JSONValues
import Orchestrator
import Schedules
import Store
import TestSupport
import Testing

/// The scheduler's loop against a hand-moved clock, a real store and a real run queue: it sleeps
/// until the next slot (never polling), fires each slot once, and records what the fire made.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct SchedulerFiringTests {
    let t0 = SchedulerHarness.t0

    @Test func sleepsUntilTheNextSlotAndFiresEachSlotOnceWithTheScheduleInputs() async throws {
        let harness = try await SchedulerHarness()
        let scheduler = harness.scheduler()
        await scheduler.start()
        #expect(await harness.asleep(until: .distantFuture), "no schedule: asleep until woken")

        let created = try await scheduler.create(NewSchedule(workflowName: "hello", cronExpression: "* * * * *", inputs: ["who": "cron"]))
        let id = created.record.id
        #expect(created.nextRunAt == t0 + 60)
        #expect(await harness.asleep(until: t0 + 60), "woken by the new schedule, asleep until its first slot")
        #expect(try harness.runs().isEmpty, "nothing fires before its slot")

        harness.clock.advance(to: t0 + 60)
        var fires = try await harness.fires(of: id, finished: 1)
        #expect(await harness.asleep(until: t0 + 120))
        // A few seconds late is on time.
        harness.clock.advance(to: t0 + 125)
        fires = try await harness.fires(of: id, finished: 2)
        #expect(await harness.asleep(until: t0 + 180))
        await scheduler.stop()

        #expect(fires.map(\.slot) == [Int64((t0 + 60).timeIntervalSince1970), Int64((t0 + 120).timeIntervalSince1970)])
        #expect(fires.allSatisfy { $0.error == nil })
        let runIDs = fires.compactMap(\.runID)
        #expect(Set(runIDs).count == 2)
        #expect(Set(try harness.runs().map(\.id)) == Set(runIDs), "one run per slot, no other")
        for runID in runIDs {
            #expect(await harness.finished(runID) == .completed)
            let run = try #require(try harness.repository.run(id: runID))
            #expect(JSONValue.parse(json: run.run.inputsJSON) == ["who": "cron"])
            #expect(run.steps.first?.outputText?.contains("hi cron") == true, "\(run.steps)")
        }
        let info = try await scheduler.schedule(id: id)
        #expect(info.record.lastRunID == runIDs.last)
        #expect(info.record.lastRunAt == t0 + 125)
        #expect(info.record.lastRunStatus == .completed)
        #expect(info.successRate == 1)
        #expect(info.status == .active)
        #expect(info.nextRunAt == t0 + 180)
        try await harness.finish()
    }

    @Test func lastRunStatusAndSuccessRateComeFromTheRunsTheFiresMade() async throws {
        let harness = try await SchedulerHarness(workflows: ["check": SchedulerHarness.check])
        let scheduler = harness.scheduler()
        let id = try await scheduler.create(NewSchedule(workflowName: "check", cronExpression: "* * * * *", inputs: ["ok": "yes"])).record.id
        #expect(try await scheduler.schedule(id: id).successRate == nil, "nothing finished yet")
        await scheduler.start()
        #expect(await harness.asleep(until: t0 + 60))
        harness.clock.advance(to: t0 + 60)
        let first = try #require(try await harness.fires(of: id, finished: 1).last?.runID)
        #expect(await harness.finished(first) == .completed)
        var info = try await scheduler.schedule(id: id)
        #expect(info.record.lastRunStatus == .completed)
        #expect(info.successRate == 1)
        #expect(info.status == .active)

        // New inputs do not re-arm the schedule: the next slot fires, and its run fails.
        _ = try await scheduler.update(id: id, ScheduleChanges(inputs: ["ok": "no"]))
        #expect(await harness.asleep(until: t0 + 120))
        harness.clock.advance(to: t0 + 120)
        let second = try #require(try await harness.fires(of: id, finished: 2).last?.runID)
        #expect(await harness.finished(second) == .failed)
        info = try await scheduler.schedule(id: id)
        #expect(info.record.lastRunID == second)
        #expect(info.record.lastRunStatus == .failed)
        #expect(info.successRate == 0.5)
        #expect(info.status == .failing)

        // A manual trigger is the schedule's run too.
        let triggered = try await scheduler.trigger(id: id)
        #expect(await harness.finished(triggered.runID) == .failed)
        info = try await scheduler.schedule(id: id)
        #expect(info.record.lastRunID == triggered.runID)
        #expect(info.successRate == 1.0 / 3.0)
        let fires = try harness.repository.scheduleFires(scheduleID: id)
        #expect(fires.count == 3)
        #expect(fires.last?.slot == nil, "a trigger is a fire without a slot")
        #expect(await harness.asleep(until: t0 + 180), "a trigger does not disturb the slots")
        await scheduler.stop()
        try await harness.finish()
    }

    @Test func aScheduleWhoseWorkflowIsGoneRecordsTheFailedFireAndTheLoopGoesOn() async throws {
        let harness = try await SchedulerHarness(workflows: ["hello": SchedulerHarness.hello, "doomed": SchedulerHarness.hello])
        let scheduler = harness.scheduler()
        let doomed = try await scheduler.create(NewSchedule(workflowName: "doomed", cronExpression: "* * * * *")).record.id
        let healthy = try await scheduler.create(NewSchedule(workflowName: "hello", cronExpression: "*/2 * * * *")).record.id
        #expect(try harness.orchestrator.catalog.delete(name: "doomed"))
        await scheduler.start()
        #expect(await harness.asleep(until: t0 + 60))

        harness.clock.advance(to: t0 + 60)
        let failed = try #require(try await harness.fires(of: doomed, finished: 1).first)
        #expect(failed.runID == nil)
        #expect(failed.error?.contains("doomed") == true, "\(failed)")
        #expect(await harness.asleep(until: t0 + 120), "the loop goes on")
        var info = try await scheduler.schedule(id: doomed)
        #expect(info.record.lastRunID == nil)
        #expect(info.record.lastRunStatus == .failed)
        #expect(info.status == .failing)
        #expect(info.successRate == 0)

        // Both are due at 00:02: the failing one does not keep the other from firing.
        harness.clock.advance(to: t0 + 120)
        #expect(try await harness.fires(of: healthy, finished: 1).first?.runID != nil)
        #expect(try await harness.fires(of: doomed, finished: 2).allSatisfy { $0.runID == nil })
        #expect(await harness.asleep(until: t0 + 180))
        info = try await scheduler.schedule(id: healthy)
        #expect(info.status == .active)
        await scheduler.stop()
        #expect(try harness.runs().count == 1)
        try await harness.finish()
    }

    @Test func everyChangeWakesTheLoopAndMovesItsNextWakeUp() async throws {
        let harness = try await SchedulerHarness()
        let scheduler = harness.scheduler()
        await scheduler.start()
        #expect(await harness.asleep(until: .distantFuture))
        let paused = try await scheduler.create(NewSchedule(workflowName: "hello", cronExpression: "* * * * *", enabled: false))
        #expect(paused.nextRunAt == nil)
        #expect(paused.status == .paused)
        #expect(await harness.asleep(until: .distantFuture), "a disabled schedule has no slots")

        harness.clock.advance(to: t0 + 90)
        let id = paused.record.id
        let enabled = try await scheduler.update(id: id, ScheduleChanges(enabled: true))
        #expect(enabled.record.armedAt == t0 + 90, "enabling re-arms: the pause is not caught up on")
        #expect(await harness.asleep(until: t0 + 120))
        _ = try await scheduler.update(id: id, ScheduleChanges(cronExpression: "*/5 * * * *"))
        #expect(await harness.asleep(until: t0 + 300))
        // 00:01:30 UTC is 05:31:30 in Kolkata: its next 09:00 is 03:30 UTC.
        let zoned = try await scheduler.update(id: id, ScheduleChanges(cronExpression: "0 9 * * *", timeZone: "Asia/Kolkata"))
        #expect(zoned.nextRunAt == t0 + 3 * 3600 + 1800)
        #expect(await harness.asleep(until: t0 + 3 * 3600 + 1800))
        _ = try await scheduler.update(id: id, ScheduleChanges(enabled: false))
        #expect(await harness.asleep(until: .distantFuture))
        _ = try await scheduler.update(id: id, ScheduleChanges(enabled: true))
        #expect(await harness.asleep(until: t0 + 3 * 3600 + 1800))
        try await scheduler.delete(id: id)
        #expect(await harness.asleep(until: .distantFuture))
        await scheduler.stop()
        #expect(harness.clock.deadlines.isEmpty, "stopped: nobody sleeps")
        #expect(try harness.runs().isEmpty)
        try await harness.finish()
    }
}
