import Foundation
import Testing

@testable import Schedules

/// Time zones and the days their clocks change. Fixed times fire once a day (a skipped time at
/// the end of the gap, a repeated time at its first occurrence); paced expressions follow real
/// time (nothing in the gap, both copies of the repeated hour).
@Suite struct CronTimeZoneTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let expression: String
        let zone: String
        let after: String
        let expected: [String]
        var testDescription: String { "\(expression) in \(zone) after \(after)" }
        init(_ expression: String, _ zone: String, after: String, _ expected: [String]) {
            self.expression = expression
            self.zone = zone
            self.after = after
            self.expected = expected
        }
    }

    static let berlinSpring: [Case] = [
        // 2026-03-29: 02:00 CET becomes 03:00 CEST; 02:00-02:59 does not exist.
        Case("30 2 * * *", "Europe/Berlin", after: "2026-03-28 03:00", ["2026-03-29 03:00 +02:00", "2026-03-30 02:30 +02:00"]),
        Case("0,30 2 * * *", "Europe/Berlin", after: "2026-03-28 03:00", ["2026-03-29 03:00 +02:00", "2026-03-30 02:00 +02:00"]),
        Case(
            "0 2,3 * * *", "Europe/Berlin", after: "2026-03-28 12:00",
            ["2026-03-29 03:00 +02:00", "2026-03-30 02:00 +02:00", "2026-03-30 03:00 +02:00"]),
        Case("59 2 29 3 *", "Europe/Berlin", after: "2026-01-01 00:00", ["2026-03-29 03:00 +02:00", "2027-03-29 02:59 +02:00"]),
        Case(
            "*/30 * * * *", "Europe/Berlin", after: "2026-03-29 01:00",
            ["2026-03-29 01:30 +01:00", "2026-03-29 03:00 +02:00", "2026-03-29 03:30 +02:00"]),
        Case("0 * * * *", "Europe/Berlin", after: "2026-03-29 00:30", ["2026-03-29 01:00 +01:00", "2026-03-29 03:00 +02:00"]),
        Case("30 * * * *", "Europe/Berlin", after: "2026-03-29 01:00", ["2026-03-29 01:30 +01:00", "2026-03-29 03:30 +02:00"]),
        Case("*/15 2 * * *", "Europe/Berlin", after: "2026-03-28 23:00", ["2026-03-30 02:00 +02:00"]),
        Case("0 9 * * *", "Europe/Berlin", after: "2026-03-28 09:00", ["2026-03-29 09:00 +02:00", "2026-03-30 09:00 +02:00"]),
    ]

    static let berlinAutumn: [Case] = [
        // 2026-10-25: 03:00 CEST becomes 02:00 CET; 02:00-02:59 happens twice.
        Case("30 2 * * *", "Europe/Berlin", after: "2026-10-24 03:00", ["2026-10-25 02:30 +02:00", "2026-10-26 02:30 +01:00"]),
        Case(
            "0,30 2 * * *", "Europe/Berlin", after: "2026-10-24 03:00",
            ["2026-10-25 02:00 +02:00", "2026-10-25 02:30 +02:00", "2026-10-26 02:00 +01:00"]),
        Case(
            "*/30 * * * *", "Europe/Berlin", after: "2026-10-25 01:30",
            [
                "2026-10-25 02:00 +02:00", "2026-10-25 02:30 +02:00", "2026-10-25 02:00 +01:00", "2026-10-25 02:30 +01:00",
                "2026-10-25 03:00 +01:00",
            ]),
        Case(
            "0 * * * *", "Europe/Berlin", after: "2026-10-25 01:30",
            ["2026-10-25 02:00 +02:00", "2026-10-25 02:00 +01:00", "2026-10-25 03:00 +01:00"]),
        Case(
            "*/20 2 * * *", "Europe/Berlin", after: "2026-10-25 01:00",
            [
                "2026-10-25 02:00 +02:00", "2026-10-25 02:20 +02:00", "2026-10-25 02:40 +02:00", "2026-10-25 02:00 +01:00",
                "2026-10-25 02:20 +01:00", "2026-10-25 02:40 +01:00", "2026-10-26 02:00 +01:00",
            ]),
        Case("0 9 * * *", "Europe/Berlin", after: "2026-10-24 09:00", ["2026-10-25 09:00 +01:00"]),
    ]

    static let elsewhere: [Case] = [
        // New York: 2026-03-08 02:00 EST → 03:00 EDT; 2026-11-01 02:00 EDT → 01:00 EST.
        Case("30 2 * * *", "America/New_York", after: "2026-03-07 12:00", ["2026-03-08 03:00 -04:00", "2026-03-09 02:30 -04:00"]),
        Case("30 1 * * *", "America/New_York", after: "2026-10-31 12:00", ["2026-11-01 01:30 -04:00", "2026-11-02 01:30 -05:00"]),
        Case(
            "0 9 * * *", "America/New_York", after: "2026-03-07 00:00",
            ["2026-03-07 09:00 -05:00", "2026-03-08 09:00 -04:00", "2026-03-09 09:00 -04:00"]),
        Case(
            "*/30 1 * * *", "America/New_York", after: "2026-11-01 00:00",
            [
                "2026-11-01 01:00 -04:00", "2026-11-01 01:30 -04:00", "2026-11-01 01:00 -05:00", "2026-11-01 01:30 -05:00",
                "2026-11-02 01:00 -05:00",
            ]),
        // Offsets of 30 and 45 minutes, no DST.
        Case("0 9 * * *", "Asia/Kolkata", after: "2026-05-10 09:00", ["2026-05-11 09:00 +05:30"]),
        Case("*/45 * * * *", "Asia/Kolkata", after: "2026-05-10 23:30", ["2026-05-10 23:45 +05:30", "2026-05-11 00:00 +05:30"]),
        Case("@yearly", "Asia/Kathmandu", after: "2026-05-10 00:00", ["2027-01-01 00:00 +05:45"]),
        // Adelaide, +09:30 with DST: 2026-04-05 03:00 → 02:00; 2026-10-04 02:00 → 03:00.
        Case("30 2 * * *", "Australia/Adelaide", after: "2026-04-04 12:00", ["2026-04-05 02:30 +10:30", "2026-04-06 02:30 +09:30"]),
        Case("30 2 * * *", "Australia/Adelaide", after: "2026-10-03 12:00", ["2026-10-04 03:00 +10:30", "2026-10-05 02:30 +10:30"]),
        // Lord Howe moves its clocks by 30 minutes: 2026-04-05 02:00 → 01:30; 2026-10-04 02:00 → 02:30.
        Case("45 1 * * *", "Australia/Lord_Howe", after: "2026-04-04 12:00", ["2026-04-05 01:45 +11:00", "2026-04-06 01:45 +10:30"]),
        Case(
            "*/15 * * * *", "Australia/Lord_Howe", after: "2026-04-05 01:15",
            [
                "2026-04-05 01:30 +11:00", "2026-04-05 01:45 +11:00", "2026-04-05 01:30 +10:30", "2026-04-05 01:45 +10:30",
                "2026-04-05 02:00 +10:30",
            ]),
        Case("15 2 * * *", "Australia/Lord_Howe", after: "2026-10-03 12:00", ["2026-10-04 02:30 +11:00", "2026-10-05 02:15 +11:00"]),
        Case(
            "*/15 * * * *", "Australia/Lord_Howe", after: "2026-10-04 01:45",
            ["2026-10-04 02:30 +11:00", "2026-10-04 02:45 +11:00"]),
        // Samoa skipped 2011-12-30 entirely (-10:00 → +14:00 at its midnight).
        Case(
            "0 12 * * *", "Pacific/Apia", after: "2011-12-29 00:00",
            ["2011-12-29 12:00 -10:00", "2011-12-31 00:00 +14:00", "2011-12-31 12:00 +14:00"]),
        Case(
            "0 */12 * * *", "Pacific/Apia", after: "2011-12-29 00:00",
            ["2011-12-29 12:00 -10:00", "2011-12-31 00:00 +14:00", "2011-12-31 12:00 +14:00"]),
        Case("0 12 30 12 *", "Pacific/Apia", after: "2011-06-01 00:00", ["2011-12-31 00:00 +14:00", "2012-12-30 12:00 +14:00"]),
    ]

    @Test(arguments: berlinSpring + berlinAutumn + elsewhere)
    func nextAcrossTransitions(_ testCase: Case) throws {
        let schedule = try CronSchedule(testCase.expression, timeZone: testCase.zone)
        let start = Wall.date(testCase.after, testCase.zone)
        #expect(schedule.upcoming(testCase.expected.count, after: start) == testCase.expected)
        // slots(after:through:limit:) walks the same way in one pass.
        let slots = schedule.slots(after: start, through: start.addingTimeInterval(800 * 86_400), limit: testCase.expected.count)
        #expect(Wall.texts(slots, testCase.zone) == testCase.expected)
    }

    /// Just after a repeated time fired in its first occurrence, the second is not next.
    @Test func aRepeatedTimeFiresOnceFromAnyPointOfTheRepeat() throws {
        let schedule = try CronSchedule("30 2 * * *", timeZone: "Europe/Berlin")
        let firstOccurrence = Wall.date("2026-10-25 00:30", "UTC")
        #expect(Wall.text(schedule.next(after: firstOccurrence.addingTimeInterval(-1)), "Europe/Berlin") == "2026-10-25 02:30 +02:00")
        for minutes in stride(from: 0, through: 150, by: 10) {
            let after = firstOccurrence.addingTimeInterval(Double(minutes) * 60)
            #expect(Wall.text(schedule.next(after: after), "Europe/Berlin") == "2026-10-26 02:30 +01:00")
        }
    }

    /// A skipped time fires at the end of the gap, and only if that moment is still ahead.
    @Test func aSkippedTimeFiresWhenTheClocksHaveJumped() throws {
        let schedule = try CronSchedule("30 2 * * *", timeZone: "Europe/Berlin")
        let jump = Wall.date("2026-03-29 01:00", "UTC")
        #expect(schedule.next(after: jump.addingTimeInterval(-1)) == jump)
        #expect(Wall.text(schedule.next(after: jump), "Europe/Berlin") == "2026-03-30 02:30 +02:00")
    }

    /// A year of daily slots around both of Berlin's transitions: one a day, none twice.
    @Test func aFixedTimeFiresOncePerDayAllYear() throws {
        for time in ["0 2", "30 2", "59 2", "0 3", "0 1"] {
            let schedule = try CronSchedule("\(time) * * *", timeZone: "Europe/Berlin")
            let slots = schedule.slots(
                after: Wall.date("2026-01-01 00:00", "Europe/Berlin"), through: Wall.date("2026-12-31 12:00", "Europe/Berlin"), limit: 1000)
            #expect(slots.count == 365, "\(time)")
            let days = Set(slots.map { Wall.text($0, "Europe/Berlin").prefix(10) })
            #expect(days.count == 365, "\(time)")
        }
    }

    /// An hourly schedule follows real time: 23 slots on the short day, 25 on the long one.
    @Test func aPacedScheduleFollowsRealTime() throws {
        let schedule = try CronSchedule("0 * * * *", timeZone: "Europe/Berlin")
        let short = schedule.slots(after: Wall.date("2026-03-28 23:59", "Europe/Berlin"), through: Wall.date("2026-03-29 23:59", "Europe/Berlin"), limit: 100)
        let long = schedule.slots(after: Wall.date("2026-10-24 23:59", "Europe/Berlin"), through: Wall.date("2026-10-25 23:59", "Europe/Berlin"), limit: 100)
        #expect(short.count == 23)
        #expect(long.count == 25)
        for slots in [short, long] {
            #expect(zip(slots, slots.dropFirst()).allSatisfy { $1.timeIntervalSince($0) == 3600 })
        }
    }

    @Test func theSameExpressionInTwoZonesFiresAtTheirOwnClocks() throws {
        let after = Wall.date("2026-05-10 12:00")
        let utc = try CronSchedule("0 9 * * *").next(after: after)
        let kolkata = try CronSchedule("0 9 * * *", timeZone: "Asia/Kolkata").next(after: after)
        #expect(Wall.text(utc) == "2026-05-11 09:00 +00:00")
        #expect(Wall.text(kolkata) == "2026-05-11 03:30 +00:00")
    }
}
