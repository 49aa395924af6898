import Foundation
import Orchestrator
import Schedules
import Store
import TestSupport
import Testing

/// A slot fires exactly once: two schedulers racing on one store make one run, a crash between
/// claiming a slot and recording its run is finished at the next start without a second run,
/// and slots missed while the server was down fire once (`once`) or not at all (`skip`).
@Suite(.serialized, .timeLimit(.minutes(5)))
struct SchedulerExactlyOnceTests {
    let t0 = SchedulerHarness.t0

    @Test func twoSchedulersRacingForTheSameSlotsMakeOneRunPerSlot() async throws {
        let harness = try await SchedulerHarness()
        let first = harness.scheduler()
        let second = harness.scheduler()
        let id = try await first.create(NewSchedule(workflowName: "hello", cronExpression: "* * * * *")).record.id
        for minute in 1...4 {
            harness.clock.advance(to: t0 + Double(minute * 60))
            async let one = first.fireDueSlots()
            async let other = second.fireDueSlots()
            let wakes = await [one, other]
            #expect(wakes == [t0 + Double((minute + 1) * 60), t0 + Double((minute + 1) * 60)])
            // Looking again at the same moment fires nothing more.
            await first.fireDueSlots()
            await second.fireDueSlots()
        }
        let fires = try harness.repository.scheduleFires(scheduleID: id)
        #expect(fires.count == 4)
        #expect(fires.allSatisfy { $0.isFinished })
        #expect(Set(fires.compactMap(\.runID)).count == 4)
        #expect(try harness.runs().count == 4, "one run per slot although two schedulers fired each")
        try await harness.finish()
    }

    @Test func aFireInterruptedByACrashIsFinishedAtTheNextStartWithoutASecondRun() async throws {
        let harness = try await SchedulerHarness()
        let crashed = harness.scheduler()
        let record = try await crashed.create(NewSchedule(workflowName: "hello", cronExpression: "* * * * *")).record
        let slot1 = Int64((t0 + 60).timeIntervalSince1970)
        let slot2 = Int64((t0 + 120).timeIntervalSince1970)
        // Died after claiming 00:01, before making its run.
        harness.clock.advance(to: t0 + 60)
        #expect(try harness.repository.claimScheduleSlot(scheduleID: record.id, slot: slot1, armedAt: record.armedAt, at: harness.clock.now))
        // Died after claiming 00:02 and making its run, before recording it.
        harness.clock.advance(to: t0 + 120)
        #expect(try harness.repository.claimScheduleSlot(scheduleID: record.id, slot: slot2, armedAt: record.armedAt, at: harness.clock.now))
        let made = try await harness.orchestrator.submit(
            RunSubmission(source: .named("hello", version: nil), idempotencyKey: Scheduler.idempotencyKey(scheduleID: record.id, slot: slot2)))
        #expect(try harness.repository.unfinishedScheduleFires().map(\.slot) == [slot1, slot2])

        let restarted = harness.scheduler()
        await restarted.start()
        let fires = try await harness.fires(of: record.id, finished: 2)
        #expect(await harness.asleep(until: t0 + 180), "both slots count as fired: nothing more is due")
        await restarted.stop()
        #expect(fires.map(\.slot) == [slot1, slot2])
        let first = try #require(fires.first?.runID)
        #expect(fires.last?.runID == made.runID, "the run made before the crash, found by its key")
        #expect(Set(try harness.runs().map(\.id)) == [first, made.runID], "one run per slot")
        #expect(try harness.repository.unfinishedScheduleFires().isEmpty)
        try await harness.finish()
    }

    @Test(arguments: [CatchUp.once, .skip])
    func slotsMissedWhileTheServerWasDownFireOnceOrNotAtAll(_ policy: CatchUp) async throws {
        let harness = try await SchedulerHarness()
        let before = harness.scheduler(catchUp: policy)
        await before.start()
        let id = try await before.create(NewSchedule(workflowName: "hello", cronExpression: "*/5 * * * *")).record.id
        #expect(await harness.asleep(until: t0 + 300))
        harness.clock.advance(to: t0 + 300)
        let fired = try #require(try await harness.fires(of: id, finished: 1).first?.runID)
        #expect(await harness.asleep(until: t0 + 600))
        await before.stop()

        // Down from 00:05 to 00:17:30: 00:10 and 00:15 pass unseen; 00:15 is 150 s old at the restart.
        harness.clock.advance(to: t0 + 17 * 60 + 30)
        let after = harness.scheduler(catchUp: policy)
        await after.start()
        #expect(await harness.asleep(until: t0 + 20 * 60))
        let fires = try harness.repository.scheduleFires(scheduleID: id)
        switch policy {
        case .once:
            #expect(fires.map(\.slot) == [Int64((t0 + 300).timeIntervalSince1970), Int64((t0 + 900).timeIntervalSince1970)])
            #expect(fires.allSatisfy { $0.runID != nil })
            #expect(try harness.runs().count == 2, "the latest missed slot, once")
        case .skip:
            #expect(fires.map(\.runID) == [fired])
            #expect(try harness.runs().count == 1, "no missed slot fires")
        }
        // A second restart at the same moment changes nothing: the catch-up fire is not repeated.
        await after.stop()
        let again = harness.scheduler(catchUp: policy)
        await again.start()
        #expect(await harness.asleep(until: t0 + 20 * 60))
        await again.stop()
        #expect(try harness.repository.scheduleFires(scheduleID: id).count == fires.count)

        // The next slot fires on time under either policy.
        let live = harness.scheduler(catchUp: policy)
        await live.start()
        #expect(await harness.asleep(until: t0 + 20 * 60))
        harness.clock.advance(to: t0 + 20 * 60)
        _ = try await harness.fires(of: id, finished: fires.count + 1)
        #expect(await harness.asleep(until: t0 + 25 * 60))
        await live.stop()
        try await harness.finish()
    }

    @Test func anEveryMinuteScheduleDownForNineMinutesFiresOnceAtTheRestart() async throws {
        let harness = try await SchedulerHarness()
        let before = harness.scheduler(catchUp: .skip)
        let id = try await before.create(NewSchedule(workflowName: "hello", cronExpression: "* * * * *")).record.id
        harness.clock.advance(to: t0 + 60)
        await before.fireDueSlots()
        // Nine slots pass; the latest (00:10) is 30 s old: on time even under skip, and only it fires.
        harness.clock.advance(to: t0 + 630)
        let after = harness.scheduler(catchUp: .skip)
        #expect(await after.fireDueSlots() == t0 + 660)
        let fires = try harness.repository.scheduleFires(scheduleID: id)
        #expect(fires.map(\.slot) == [Int64((t0 + 60).timeIntervalSince1970), Int64((t0 + 600).timeIntervalSince1970)])
        #expect(try harness.runs().count == 2)
        try await harness.finish()
    }
}
