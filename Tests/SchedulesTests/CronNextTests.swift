import Foundation
import Testing

@testable import Schedules

/// `next(after:)` in UTC: month ends, leap years, the day rule, names, steps.
@Suite struct CronNextTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let expression: String
        let after: String
        let expected: [String]
        var testDescription: String { "\(expression) after \(after)" }
        init(_ expression: String, after: String, _ expected: [String]) {
            self.expression = expression
            self.after = after
            self.expected = expected
        }
    }

    static let cases: [Case] = [
        // Steps and rollovers.
        Case("*/15 * * * *", after: "2026-05-10 10:07", ["2026-05-10 10:15 +00:00", "2026-05-10 10:30 +00:00"]),
        Case("*/15 * * * *", after: "2026-12-31 23:45", ["2027-01-01 00:00 +00:00"]),
        Case("* * * * *", after: "2026-12-31 23:59", ["2027-01-01 00:00 +00:00", "2027-01-01 00:01 +00:00"]),
        Case("5/20 */6 * * *", after: "2026-05-10 00:45", ["2026-05-10 06:05 +00:00", "2026-05-10 06:25 +00:00"]),
        Case("0 9-17/4 * * *", after: "2026-05-10 13:00", ["2026-05-10 17:00 +00:00", "2026-05-11 09:00 +00:00"]),
        Case("30 23 * * *", after: "2026-02-28 23:30", ["2026-03-01 23:30 +00:00"]),
        // Month ends: a day that some months lack is skipped in them.
        Case(
            "0 0 31 * *", after: "2026-01-31 00:00",
            ["2026-03-31 00:00 +00:00", "2026-05-31 00:00 +00:00", "2026-07-31 00:00 +00:00", "2026-08-31 00:00 +00:00"]),
        Case("0 0 30 * *", after: "2026-01-30 12:00", ["2026-03-30 00:00 +00:00"]),
        Case("0 0 1 * *", after: "2026-12-15 08:00", ["2027-01-01 00:00 +00:00"]),
        Case("59 23 31 12 *", after: "2026-12-31 23:59", ["2027-12-31 23:59 +00:00"]),
        Case("0 0 28-31 2 *", after: "2027-02-28 00:00", ["2028-02-28 00:00 +00:00", "2028-02-29 00:00 +00:00", "2029-02-28 00:00 +00:00"]),
        // Leap years: February 29 every four years, but not in 2100.
        Case("0 12 29 2 *", after: "2026-01-01 00:00", ["2028-02-29 12:00 +00:00", "2032-02-29 12:00 +00:00"]),
        Case("0 12 29 2 *", after: "2096-03-01 00:00", ["2104-02-29 12:00 +00:00"]),
        Case("0 0 29 FEB *", after: "2028-02-29 00:00", ["2032-02-29 00:00 +00:00"]),
        // The day rule: both restricted → either; one starting with * → both.
        Case("0 0 13 * 5", after: "2026-02-01 00:00", ["2026-02-06 00:00 +00:00", "2026-02-13 00:00 +00:00", "2026-02-20 00:00 +00:00"]),
        Case("0 0 1 * 1", after: "2026-05-26 00:00", ["2026-06-01 00:00 +00:00", "2026-06-08 00:00 +00:00"]),
        Case("0 0 1 * 3", after: "2026-06-25 00:00", ["2026-07-01 00:00 +00:00", "2026-07-08 00:00 +00:00"]),
        Case("0 0 */2 * 1", after: "2026-06-01 00:00", ["2026-06-15 00:00 +00:00", "2026-06-29 00:00 +00:00", "2026-07-13 00:00 +00:00"]),
        Case("0 0 * * 1", after: "2026-06-01 00:00", ["2026-06-08 00:00 +00:00"]),
        Case(
            "0 0 1-7 * 1", after: "2026-06-08 00:00",
            ["2026-06-15 00:00 +00:00", "2026-06-22 00:00 +00:00", "2026-06-29 00:00 +00:00", "2026-07-01 00:00 +00:00"]),
        // Both rule with a starred weekday: February 29th on a weekend.
        Case("0 0 29 2 */6", after: "2026-01-01 00:00", ["2032-02-29 00:00 +00:00", "2048-02-29 00:00 +00:00"]),
        // Weekdays: 0 and 7 are Sunday, names, ranges ending on Sunday.
        Case("0 10 * * 7", after: "2026-02-01 10:00", ["2026-02-08 10:00 +00:00"]),
        Case("0 10 * * 0", after: "2026-02-01 10:00", ["2026-02-08 10:00 +00:00"]),
        Case(
            "0 10 * * FRI-SUN", after: "2026-02-02 00:00",
            ["2026-02-06 10:00 +00:00", "2026-02-07 10:00 +00:00", "2026-02-08 10:00 +00:00", "2026-02-13 10:00 +00:00"]),
        Case("30 9 * * 1-5", after: "2026-02-06 09:30", ["2026-02-09 09:30 +00:00"]),
        // Names.
        Case("@hourly", after: "2026-05-10 10:00", ["2026-05-10 11:00 +00:00"]),
        Case("@daily", after: "2026-05-10 10:00", ["2026-05-11 00:00 +00:00"]),
        Case("@midnight", after: "2026-05-10 23:59", ["2026-05-11 00:00 +00:00"]),
        Case("@weekly", after: "2026-05-10 00:00", ["2026-05-17 00:00 +00:00"]),
        Case("@monthly", after: "2026-05-10 00:00", ["2026-06-01 00:00 +00:00"]),
        Case("@yearly", after: "2026-05-10 00:00", ["2027-01-01 00:00 +00:00"]),
        Case("@annually", after: "2026-12-31 23:59", ["2027-01-01 00:00 +00:00"]),
        // Months.
        Case(
            "0 0 1 */3 *", after: "2026-02-01 00:00",
            ["2026-04-01 00:00 +00:00", "2026-07-01 00:00 +00:00", "2026-10-01 00:00 +00:00", "2027-01-01 00:00 +00:00"]),
        Case("0 0 15 NOV,feb *", after: "2026-11-15 00:00", ["2027-02-15 00:00 +00:00", "2027-11-15 00:00 +00:00"]),
    ]

    @Test(arguments: cases)
    func nextSlots(_ testCase: Case) throws {
        let schedule = try CronSchedule(testCase.expression)
        #expect(schedule.upcoming(testCase.expected.count, after: Wall.date(testCase.after)) == testCase.expected)
    }

    @Test func strictlyAfterToTheSecond() throws {
        let schedule = try CronSchedule("*/15 * * * *")
        let slot = Wall.date("2026-05-10 10:15")
        #expect(schedule.next(after: slot) == Wall.date("2026-05-10 10:30"))
        #expect(schedule.next(after: slot.addingTimeInterval(-0.001)) == slot)
        #expect(schedule.next(after: slot.addingTimeInterval(-59.5)) == slot)
        #expect(schedule.next(after: slot.addingTimeInterval(0.5)) == Wall.date("2026-05-10 10:30"))
    }

    @Test func slotsAreWholeMinutes() throws {
        let schedule = try CronSchedule("* * * * *")
        let slot = try #require(schedule.next(after: Wall.date("2026-05-10 10:15:42.123")))
        #expect(slot == Wall.date("2026-05-10 10:16"))
        #expect(slot.timeIntervalSince1970.truncatingRemainder(dividingBy: 60) == 0)
    }

    @Test func slotsBetweenTwoDates() throws {
        let schedule = try CronSchedule("0 */6 * * *")
        let slots = schedule.slots(after: Wall.date("2026-05-10 00:00"), through: Wall.date("2026-05-11 06:00"), limit: 100)
        #expect(
            Wall.texts(slots) == [
                "2026-05-10 06:00 +00:00", "2026-05-10 12:00 +00:00", "2026-05-10 18:00 +00:00", "2026-05-11 00:00 +00:00",
                "2026-05-11 06:00 +00:00",
            ])
        #expect(schedule.slots(after: Wall.date("2026-05-10 00:00"), through: Wall.date("2026-05-11 06:00"), limit: 2).count == 2)
        #expect(schedule.slots(after: Wall.date("2026-05-10 00:00"), through: Wall.date("2026-05-10 05:59"), limit: 10).isEmpty)
        #expect(schedule.slots(after: Wall.date("2026-05-10 00:00"), through: Wall.date("2026-05-11 00:00"), limit: 0).isEmpty)
    }

    @Test func lastSlotFindsTheLatestWithoutWalkingThemAll() throws {
        let everyMinute = try CronSchedule("* * * * *")
        let last = everyMinute.lastSlot(after: Wall.date("2020-01-01 00:00"), through: Wall.date("2026-05-10 10:15:30.000"))
        #expect(last == Wall.date("2026-05-10 10:15"))
        let yearly = try CronSchedule("@yearly")
        #expect(yearly.lastSlot(after: Wall.date("2020-01-01 00:00"), through: Wall.date("2026-05-10 10:15")) == Wall.date("2026-01-01 00:00"))
        #expect(yearly.lastSlot(after: Wall.date("2026-01-01 00:00"), through: Wall.date("2026-05-10 10:15")) == nil)
        #expect(yearly.lastSlot(after: Wall.date("2025-12-31 23:59"), through: Wall.date("2026-01-01 00:00")) == Wall.date("2026-01-01 00:00"))
    }

    /// February 30th never comes: answered without a search at all.
    @Test(arguments: ["0 0 30 2 *", "0 0 31 4,6,9,11 *", "0 0 30,31 FEB *", "* * 31 2 */2"])
    func impossibleExpressionsReturnNilAtOnce(text: String) throws {
        let schedule = try CronSchedule(text, timeZone: "Europe/Berlin")
        var stats = SearchStats()
        #expect(schedule.next(after: Wall.date("2026-05-10 10:00"), stats: &stats) == nil)
        #expect(stats == SearchStats())
        #expect(schedule.slots(after: Wall.date("2026-05-10 10:00"), through: Wall.date("2099-01-01 00:00"), limit: 10).isEmpty)
    }

    /// The rarest expressions that do fire take one calendar step per month at most, never one
    /// per minute: February 29th on a weekend is 28 years away at worst.
    @Test func rareExpressionsCostOneStepPerMonth() throws {
        let schedule = try CronSchedule("0 0 29 2 */6", timeZone: "America/New_York")
        var stats = SearchStats()
        let slot = schedule.next(after: Wall.date("2088-03-01 00:00"), stats: &stats)
        #expect(Wall.text(slot, "America/New_York") == "2116-02-29 00:00 -05:00")
        #expect(stats.calendarSteps <= 28 * 12 + 31)
        #expect(stats.offsetSegments <= 2 * 28 + 2)
    }

    @Test func everyMinuteIsOneStep() throws {
        let schedule = try CronSchedule("* * * * *")
        var stats = SearchStats()
        _ = schedule.next(after: Wall.date("2026-05-10 10:00"), stats: &stats)
        #expect(stats.calendarSteps == 1)
    }

    @Test func datesOutsideTheCalendarHaveNoSlot() throws {
        let schedule = try CronSchedule("* * * * *")
        #expect(schedule.next(after: Date(timeIntervalSince1970: .nan)) == nil)
        #expect(schedule.next(after: Date(timeIntervalSince1970: .infinity)) == nil)
        #expect(schedule.next(after: Wall.date("9999-12-31 23:59")) == nil)
        #expect(schedule.next(after: Wall.date("9999-12-31 23:58")) == Wall.date("9999-12-31 23:59"))
        // Year 1 as the proleptic Gregorian calendar counts it (Foundation's distantPast is before).
        #expect(schedule.next(after: .distantPast) == Date(timeIntervalSince1970: Double(CronSchedule.earliestInstant + 60)))
    }
}
