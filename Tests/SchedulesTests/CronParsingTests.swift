import Foundation
import Testing

@testable import Schedules

/// Every syntax form, checked by the values each field ends up selecting.
@Suite struct CronParsingTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let text: String
        let minutes: [Int]?
        let hours: [Int]?
        let daysOfMonth: [Int]?
        let months: [Int]?
        let daysOfWeek: [Int]?
        var testDescription: String { text }

        init(
            _ text: String, minutes: [Int]? = nil, hours: [Int]? = nil, daysOfMonth: [Int]? = nil, months: [Int]? = nil,
            daysOfWeek: [Int]? = nil
        ) {
            self.text = text
            self.minutes = minutes
            self.hours = hours
            self.daysOfMonth = daysOfMonth
            self.months = months
            self.daysOfWeek = daysOfWeek
        }
    }

    static let every = Array(0...59)

    static let cases: [Case] = [
        Case("* * * * *", minutes: every, hours: Array(0...23), daysOfMonth: Array(1...31), months: Array(1...12), daysOfWeek: Array(0...6)),
        Case("5 * * * *", minutes: [5]),
        Case("0,15,30,45 * * * *", minutes: [0, 15, 30, 45]),
        Case("10-14 * * * *", minutes: [10, 11, 12, 13, 14]),
        Case("*/15 * * * *", minutes: [0, 15, 30, 45]),
        Case("*/7 * * * *", minutes: [0, 7, 14, 21, 28, 35, 42, 49, 56]),
        Case("10-30/10 * * * *", minutes: [10, 20, 30]),
        Case("5/20 * * * *", minutes: [5, 25, 45]),
        Case("59/5 * * * *", minutes: [59]),
        Case("0-4,*/20,58 * * * *", minutes: [0, 1, 2, 3, 4, 20, 40, 58]),
        Case("1-5/10 * * * *", minutes: [1]),
        Case("0 0-23/6 * * *", hours: [0, 6, 12, 18]),
        Case("0 22/1 * * *", hours: [22, 23]),
        Case("0 0 */10 * *", daysOfMonth: [1, 11, 21, 31]),
        Case("0 0 31 * *", daysOfMonth: [31]),
        Case("0 0 1 JAN *", months: [1]),
        Case("0 0 1 jan,Jul,DEC *", months: [1, 7, 12]),
        Case("0 0 1 MAR-may *", months: [3, 4, 5]),
        Case("0 0 1 */3 *", months: [1, 4, 7, 10]),
        Case("0 0 1 2/6 *", months: [2, 8]),
        Case("0 0 * * 0", daysOfWeek: [0]),
        Case("0 0 * * 7", daysOfWeek: [0]),
        Case("0 0 * * 0,7", daysOfWeek: [0]),
        Case("0 0 * * 1-5", daysOfWeek: [1, 2, 3, 4, 5]),
        Case("0 0 * * 5-7", daysOfWeek: [0, 5, 6]),
        Case("0 0 * * 0-7", daysOfWeek: [0, 1, 2, 3, 4, 5, 6]),
        Case("0 0 * * MON-FRI", daysOfWeek: [1, 2, 3, 4, 5]),
        Case("0 0 * * sat,SUN", daysOfWeek: [0, 6]),
        Case("0 0 * * FRI-SUN", daysOfWeek: [0, 5, 6]),
        Case("0 0 * * 5-0", daysOfWeek: [0, 5, 6]),
        Case("0 0 * * */2", daysOfWeek: [0, 2, 4, 6]),
        Case("0 0 * * 1/2", daysOfWeek: [1, 3, 5]),
        Case("0 0 * * mon-sun/3", daysOfWeek: [0, 1, 4]),
        // Whitespace as Python's str.split() sees it: runs of spaces and tabs, ends trimmed.
        Case("  0\t\t9   * *  1-5 \n", minutes: [0], hours: [9], daysOfWeek: [1, 2, 3, 4, 5]),
        Case("007 09 01 01 01", minutes: [7], hours: [9], daysOfMonth: [1], months: [1], daysOfWeek: [1]),
    ]

    @Test(arguments: cases)
    func parsesEachSyntaxForm(_ testCase: Case) throws {
        let expression = try CronExpression(testCase.text)
        if let minutes = testCase.minutes { #expect(expression.minuteValues == minutes) }
        if let hours = testCase.hours { #expect(expression.hourValues == hours) }
        if let days = testCase.daysOfMonth { #expect(expression.dayOfMonthValues == days) }
        if let months = testCase.months { #expect(expression.monthValues == months) }
        if let weekdays = testCase.daysOfWeek { #expect(expression.dayOfWeekValues == weekdays) }
    }

    @Test(arguments: [
        ("@yearly", "0 0 1 1 *"), ("@annually", "0 0 1 1 *"), ("@monthly", "0 0 1 * *"), ("@weekly", "0 0 * * 0"),
        ("@daily", "0 0 * * *"), ("@midnight", "0 0 * * *"), ("@hourly", "0 * * * *"), ("@DAILY", "0 0 * * *"),
        (" @Hourly\t", "0 * * * *"),
    ])
    func namesStandForTheirFields(name: String, fields: String) throws {
        let named = try CronExpression(name)
        let written = try CronExpression(fields)
        #expect(named.minutes == written.minutes)
        #expect(named.hours == written.hours)
        #expect(named.daysOfMonth == written.daysOfMonth)
        #expect(named.months == written.months)
        #expect(named.daysOfWeek == written.daysOfWeek)
        #expect(named.source == name.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test func sourceKeepsTheTextWithoutSurroundingWhitespace() throws {
        #expect(try CronExpression("  */5  9-17 * * MON-FRI\t").source == "*/5  9-17 * * MON-FRI")
    }

    /// Vixie cron's rule: "either" only when neither day field starts with `*`.
    @Test(arguments: [
        ("0 0 1 * 1", true), ("0 0 1-31 * 1-5", true), ("0 0 * * 1", false), ("0 0 1 * *", false),
        ("0 0 */2 * 1", false), ("0 0 1 * */2", false), ("0 0 *,1 * 1", false), ("0 0 * * *", false),
    ])
    func dayRuleDependsOnLeadingStar(text: String, either: Bool) throws {
        #expect(try CronExpression(text).daysMatchEither == either)
    }

    @Test(arguments: [
        ("30 2 * * *", true), ("0,30 1-3 * * *", true), ("*/15 * * * *", false), ("0 * * * *", false),
        ("*/15 1 * * *", false), ("@daily", true), ("@hourly", false),
    ])
    func fixedTimeMeansNeitherMinuteNorHourStartsWithStar(text: String, fixed: Bool) throws {
        #expect(try CronExpression(text).isFixedTime == fixed)
    }

    @Test(arguments: [
        ("0 0 30 2 *", false), ("0 0 31 2,4,6,9,11 *", false), ("0 0 30,31 2 *", false), ("0 0 29 2 *", true),
        ("0 0 31 1-12 *", true), ("0 0 30 2 1", true), ("0 0 */30 2 *", true), ("0 0 31 4 */2", false),
    ])
    func knowsWhetherAnyDateMatches(text: String, canFire: Bool) throws {
        #expect(try CronExpression(text).canFire == canFire)
    }

    @Test func equalExpressionsAreEqualValues() throws {
        #expect(try CronExpression("*/5 * * * *") == CronExpression("*/5 * * * *"))
        #expect(try CronExpression("*/5 * * * *") != CronExpression("0-59/5 * * * *"))
    }
}
