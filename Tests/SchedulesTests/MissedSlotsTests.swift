import Foundation
import Testing

@testable import Schedules

/// The catch-up rule: which slot fires at start-up (or on a late wake-up) and what
/// `next_run_at` becomes.
@Suite struct MissedSlotsTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let expression: String
        let lastFired: String?
        let createdAt: String
        let now: String
        let catchUp: CatchUp
        let fire: String?
        let dropped: Int
        let nextRunAt: String?
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "nothing due yet", expression: "0 * * * *", lastFired: nil, createdAt: "2026-05-10 09:10",
            now: "2026-05-10 09:40", catchUp: .once, fire: nil, dropped: 0, nextRunAt: "2026-05-10 10:00 +00:00"),
        Case(
            name: "the slot just reached fires", expression: "0 * * * *", lastFired: "2026-05-10 09:00",
            createdAt: "2026-05-01 00:00", now: "2026-05-10 10:00", catchUp: .skip, fire: "2026-05-10 10:00 +00:00",
            dropped: 0, nextRunAt: "2026-05-10 11:00 +00:00"),
        Case(
            name: "a wake-up within the grace still fires under skip", expression: "0 * * * *",
            lastFired: "2026-05-10 09:00", createdAt: "2026-05-01 00:00", now: "2026-05-10 10:01", catchUp: .skip,
            fire: "2026-05-10 10:00 +00:00", dropped: 0, nextRunAt: "2026-05-10 11:00 +00:00"),
        Case(
            name: "down for five hours, once: the latest fires, four are dropped", expression: "0 * * * *",
            lastFired: "2026-05-10 04:00", createdAt: "2026-05-01 00:00", now: "2026-05-10 09:30", catchUp: .once,
            fire: "2026-05-10 09:00 +00:00", dropped: 4, nextRunAt: "2026-05-10 10:00 +00:00"),
        Case(
            name: "down for five hours, skip: nothing fires, five are dropped", expression: "0 * * * *",
            lastFired: "2026-05-10 04:00", createdAt: "2026-05-01 00:00", now: "2026-05-10 09:30", catchUp: .skip,
            fire: nil, dropped: 5, nextRunAt: "2026-05-10 10:00 +00:00"),
        Case(
            name: "never fired: counted from creation", expression: "@daily", lastFired: nil,
            createdAt: "2026-05-07 12:00", now: "2026-05-10 09:30", catchUp: .once, fire: "2026-05-10 00:00 +00:00",
            dropped: 2, nextRunAt: "2026-05-11 00:00 +00:00"),
        Case(
            name: "a slot at the creation instant is not due", expression: "@daily", lastFired: nil,
            createdAt: "2026-05-10 00:00", now: "2026-05-10 09:30", catchUp: .once, fire: nil, dropped: 0,
            nextRunAt: "2026-05-11 00:00 +00:00"),
        Case(
            name: "re-enabled: slots before the new reference never fire", expression: "0 * * * *",
            lastFired: "2026-05-01 04:00", createdAt: "2026-05-10 09:15", now: "2026-05-10 09:30", catchUp: .once,
            fire: nil, dropped: 0, nextRunAt: "2026-05-10 10:00 +00:00"),
        Case(
            name: "clock went backwards: nothing fires, next stays after the last fired", expression: "0 * * * *",
            lastFired: "2026-05-10 12:00", createdAt: "2026-05-01 00:00", now: "2026-05-10 09:30", catchUp: .once,
            fire: nil, dropped: 0, nextRunAt: "2026-05-10 13:00 +00:00"),
        Case(
            name: "the slot already fired is not fired again", expression: "0 * * * *", lastFired: "2026-05-10 09:00",
            createdAt: "2026-05-01 00:00", now: "2026-05-10 09:30", catchUp: .once, fire: nil, dropped: 0,
            nextRunAt: "2026-05-10 10:00 +00:00"),
        Case(
            name: "an impossible expression never fires", expression: "0 0 30 2 *", lastFired: nil,
            createdAt: "2026-01-01 00:00", now: "2026-05-10 09:30", catchUp: .once, fire: nil, dropped: 0, nextRunAt: nil),
        Case(
            name: "every minute, down for a month: the count stops at the limit", expression: "* * * * *",
            lastFired: "2026-04-10 09:30", createdAt: "2026-01-01 00:00", now: "2026-05-10 09:30", catchUp: .skip,
            fire: "2026-05-10 09:30 +00:00", dropped: 1000, nextRunAt: "2026-05-10 09:31 +00:00"),
        Case(
            name: "every minute, down for a month, once", expression: "* * * * *", lastFired: "2026-04-10 09:30",
            createdAt: "2026-01-01 00:00", now: "2026-05-10 09:45:30.000", catchUp: .once, fire: "2026-05-10 09:45 +00:00",
            dropped: 1000, nextRunAt: "2026-05-10 09:46 +00:00"),
    ]

    @Test(arguments: cases)
    func decides(_ testCase: Case) throws {
        let schedule = try CronSchedule(testCase.expression)
        let decision = MissedSlots.decide(
            schedule: schedule, lastFired: testCase.lastFired.map { Wall.date($0) }, createdAt: Wall.date(testCase.createdAt),
            now: Wall.date(testCase.now), catchUp: testCase.catchUp)
        #expect(decision.fire.map { Wall.text($0.date) } == testCase.fire)
        #expect(decision.dropped == testCase.dropped)
        #expect(decision.nextRunAt.map { Wall.text($0) } == testCase.nextRunAt)
    }

    /// A restart loop: deciding, "firing" (recording the slot like a unique key would) and
    /// deciding again never fires a slot twice, whatever the moments of the restarts.
    @Test(arguments: [CatchUp.once, .skip])
    func restartsNeverFireASlotTwice(catchUp: CatchUp) throws {
        let schedule = try CronSchedule("*/10 * * * *", timeZone: "Europe/Berlin")
        var generator = SeededGenerator(seed: 7)
        var fired = Set<ScheduleSlot>()
        var lastFired: Date?
        var now = Wall.date("2026-10-24 22:00")
        let createdAt = now
        for _ in 0..<500 {
            now = now.addingTimeInterval(Double(Int.random(in: 1...1800, using: &generator)))
            let decision = MissedSlots.decide(schedule: schedule, lastFired: lastFired, createdAt: createdAt, now: now, catchUp: catchUp)
            if let slot = decision.fire {
                #expect(fired.insert(slot).inserted, "slot \(slot) fired twice")
                #expect(slot.date <= now)
                lastFired = slot.date
            }
            #expect(decision.nextRunAt.map { $0 > now } == true)
        }
        // Under skip only wake-ups within the grace of a slot fire; under once nearly all do.
        #expect(fired.count > (catchUp == .once ? 300 : 10))
    }

    @Test func slotIdentityIsTheMinuteInEpochSeconds() {
        let slot = ScheduleSlot(Wall.date("2026-05-10 09:45:30.250"))
        #expect(slot.epochSeconds == 1_778_406_300)
        #expect(slot == ScheduleSlot(Wall.date("2026-05-10 09:45")))
        #expect(slot.date == Wall.date("2026-05-10 09:45"))
        #expect(ScheduleSlot(epochSeconds: 1_778_406_359) == slot)
        #expect(ScheduleSlot(epochSeconds: -1).epochSeconds == -60)
        #expect(slot.description == "1778406300")
        #expect(ScheduleSlot(Wall.date("2026-05-10 09:44")) < slot)
    }

    @Test func slotIdentityNeverTraps() {
        #expect(ScheduleSlot(Date(timeIntervalSince1970: .nan)).epochSeconds == 0)
        #expect(ScheduleSlot(Date(timeIntervalSince1970: .infinity)).epochSeconds == (1 << 52) * 60)
        #expect(ScheduleSlot(Date(timeIntervalSince1970: -.infinity)).epochSeconds == -(1 << 52) * 60)
        #expect(ScheduleSlot(epochSeconds: .min).epochSeconds == -(1 << 52) * 60)
        #expect(ScheduleSlot(epochSeconds: .max).epochSeconds == (1 << 52) * 60)
    }

    @Test func catchUpReadsAndWritesItsName() throws {
        #expect(CatchUp(rawValue: "once") == .once)
        #expect(CatchUp(rawValue: "skip") == .skip)
        #expect(CatchUp(rawValue: "twice") == nil)
        let encoded = try JSONEncoder().encode([CatchUp.once])
        #expect(String(decoding: encoded, as: UTF8.self) == #"["once"]"#)
    }
}
