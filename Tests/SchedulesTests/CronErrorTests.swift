import Foundation
import Testing

@testable import Schedules

/// Every error: its code, the field it names and the exact message a user reads.
@Suite struct CronErrorTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let text: String
        let code: CronError.Code
        let field: CronField?
        let message: String
        var testDescription: String { text.debugDescription }
        init(_ text: String, _ code: CronError.Code, _ field: CronField?, _ message: String) {
            self.text = text
            self.code = code
            self.field = field
            self.message = message
        }
    }

    static let cases: [Case] = [
        Case(
            "", .empty, nil,
            "cron expression is empty; expected five fields (minute hour day_of_month month day_of_week) or a name such as @daily"
        ),
        Case(" \t\n", .empty, nil, "cron expression is empty; expected five fields (minute hour day_of_month month day_of_week) or a name such as @daily"),
        Case("* * * *", .wrongFieldCount, nil, "cron expression has 4 fields; expected 5 (minute hour day_of_month month day_of_week)"),
        Case(
            "0 * * * * *", .wrongFieldCount, nil,
            "cron expression has 6 fields; expected 5 (minute hour day_of_month month day_of_week); seconds and years are not supported"
        ),
        Case(
            "daily", .wrongFieldCount, nil,
            "cron expression has 1 field; expected 5 (minute hour day_of_month month day_of_week) or a name such as @daily"),
        Case("60 * * * *", .outOfRange, .minute, "minute: 60 is out of range 0-59"),
        Case("0 24 * * *", .outOfRange, .hour, "hour: 24 is out of range 0-23"),
        Case("0 0 0 * *", .outOfRange, .dayOfMonth, "day_of_month: 0 is out of range 1-31"),
        Case("0 0 32 * *", .outOfRange, .dayOfMonth, "day_of_month: 32 is out of range 1-31"),
        Case("0 0 * 13 *", .outOfRange, .month, "month: 13 is out of range 1-12 (or JAN-DEC)"),
        Case("0 0 * 0 *", .outOfRange, .month, "month: 0 is out of range 1-12 (or JAN-DEC)"),
        Case("0 0 * * 8", .outOfRange, .dayOfWeek, "day_of_week: 8 is out of range 0-7 (0 and 7 are Sunday)"),
        Case("0 0 1-32 * *", .outOfRange, .dayOfMonth, "day_of_month: 32 is out of range 1-31"),
        Case(
            "\(String(repeating: "9", count: 30)) * * * *", .outOfRange, .minute,
            "minute: '999999999999999999999999…' is out of range 0-59"),
        Case("*/0 * * * *", .invalidStep, .minute, "minute: step 0 is out of range 1-59"),
        Case("*/60 * * * *", .invalidStep, .minute, "minute: step 60 is out of range 1-59"),
        Case("0 */24 * * *", .invalidStep, .hour, "hour: step 24 is out of range 1-23"),
        Case("0 0 * * */7", .invalidStep, .dayOfWeek, "day_of_week: step 7 is out of range 1-6"),
        Case("*/x * * * *", .invalidStep, .minute, "minute: step 'x' in '*/x' is not a number"),
        Case("*/ * * * *", .invalidStep, .minute, "minute: step '' in '*/' is not a number"),
        Case("*/5/5 * * * *", .invalidStep, .minute, "minute: step '5/5' in '*/5/5' is not a number"),
        Case("/5 * * * *", .invalidField, .minute, "minute: '/5' has nothing before the step; write */N or N-M/N"),
        Case(
            "0 5-1 * * *", .invalidRange, .hour,
            "hour: range 5-1 runs backwards; a range cannot wrap around, write 5-23,0-1 instead"),
        Case(
            "0 0 * * 5-1", .invalidRange, .dayOfWeek,
            "day_of_week: range 5-1 runs backwards; a range cannot wrap around, write 5-6,0-1 instead"),
        Case(
            "0 0 * * FRI-MON", .invalidRange, .dayOfWeek,
            "day_of_week: range 5-1 runs backwards; a range cannot wrap around, write 5-6,0-1 instead"),
        Case(
            "1- * * * *", .invalidField, .minute,
            "minute: '1-' is not a complete range; write N-M with 0-59"),
        Case(
            "-5 * * * *", .invalidField, .minute,
            "minute: '-5' is not a complete range; write N-M with 0-59"),
        Case(
            "1-2-3 * * * *", .invalidField, .minute,
            "minute: '1-2-3' is not valid here; expected *, a number 0-59, a range N-M or a step */N"),
        Case(
            "1,,2 * * * *", .invalidField, .minute,
            "minute: empty entry in list '1,,2'; separate values with single commas"),
        Case(
            "0 0 1, * *", .invalidField, .dayOfMonth,
            "day_of_month: empty entry in list '1,'; separate values with single commas"),
        Case(
            "** * * * *", .invalidField, .minute,
            "minute: '**' is not valid here; expected *, a number 0-59, a range N-M or a step */N"),
        Case(
            "MON * * * *", .invalidField, .minute,
            "minute: 'MON' is not valid here; expected *, a number 0-59, a range N-M or a step */N"),
        Case(
            "0 0 L * *", .invalidField, .dayOfMonth,
            "day_of_month: 'L' is not valid here; expected *, a number 1-31, a range N-M or a step */N"),
        Case(
            "0 0 ? * *", .invalidField, .dayOfMonth,
            "day_of_month: '?' is not valid here; expected *, a number 1-31, a range N-M or a step */N"),
        Case(
            "0 0 * * 1#2", .invalidField, .dayOfWeek,
            "day_of_week: '1#2' is not valid here; expected *, a number 0-7 (0 and 7 are Sunday), a name SUN-SAT, a range N-M or a step */N"
        ),
        Case(
            "0 0 * FOO *", .unknownName, .month,
            "month: 'FOO' is not a month name (JAN-DEC); use the three-letter names or numbers"),
        Case(
            "0 0 * * MONDAY", .unknownName, .dayOfWeek,
            "day_of_week: 'MONDAY' is not a weekday name (SUN-SAT); use the three-letter names or numbers"),
        Case(
            "0 0 * JAN-FOO *", .unknownName, .month,
            "month: 'FOO' is not a month name (JAN-DEC); use the three-letter names or numbers"),
        Case(
            "0 0 * * JAN", .unknownName, .dayOfWeek,
            "day_of_week: 'JAN' is not a weekday name (SUN-SAT); use the three-letter names or numbers"),
        Case(
            "@reboot", .unknownName, nil,
            "@reboot is not supported: a schedule fires by the clock, not when the server starts"),
        Case(
            "@often", .unknownName, nil,
            "unknown name '@often'; supported: @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly"),
        Case("@daily 5", .wrongFieldCount, nil, "@daily stands alone; nothing may follow it (it means \"0 0 * * *\")"),
        // Hostile bytes are escaped in the message, never echoed raw.
        Case(
            "0\u{0} * * * *", .invalidField, .minute,
            "minute: '0\\u{0}' is not valid here; expected *, a number 0-59, a range N-M or a step */N"),
        Case(
            "0 9 * * 1\u{1B}[31m", .invalidField, .dayOfWeek,
            "day_of_week: '1\\u{1B}[31m' is not valid here; expected *, a number 0-7 (0 and 7 are Sunday), a name SUN-SAT, a range N-M or a step */N"
        ),
        Case(
            "٣ * * * *", .invalidField, .minute,
            "minute: '\\u{663}' is not valid here; expected *, a number 0-59, a range N-M or a step */N"),
        Case(
            "0 0 * * mön", .invalidField, .dayOfWeek,
            "day_of_week: 'm\\u{F6}n' is not valid here; expected *, a number 0-7 (0 and 7 are Sunday), a name SUN-SAT, a range N-M or a step */N"
        ),
        Case(
            "'; DROP TABLE schedules; -- * * * *", .wrongFieldCount, nil,
            "cron expression has 9 fields; expected 5 (minute hour day_of_month month day_of_week)"),
    ]

    @Test(arguments: cases)
    func refusesWithCodeFieldAndMessage(_ testCase: Case) {
        let error = #expect(throws: CronError.self) { try CronExpression(testCase.text) }
        #expect(error?.code == testCase.code)
        #expect(error?.field == testCase.field)
        #expect(error?.message == testCase.message)
        #expect(error?.description == testCase.message)
    }

    @Test func refusesTenKilobytesWithoutReadingThem() {
        let huge = String(repeating: "1,", count: 5000) + "1 * * * *"
        let error = #expect(throws: CronError.self) { try CronExpression(huge) }
        #expect(error?.code == .tooLong)
        #expect(error?.message == "cron expression is 10009 bytes long; at most 1024 are allowed")
    }

    /// The longest legitimate expression: every field listing every value.
    @Test func acceptsEveryValueListedInFull() throws {
        let list = { (range: ClosedRange<Int>) in range.map(String.init).joined(separator: ",") }
        let text = [list(0...59), list(0...23), list(1...31), list(1...12), list(0...7)].joined(separator: " ")
        #expect(text.utf8.count < CronExpression.maximumLength)
        let expression = try CronExpression(text)
        #expect(expression.minuteValues.count == 60)
        #expect(expression.dayOfWeekValues == Array(0...6))
    }

    /// A long field under the length limit still gets a short message.
    @Test func quotesAtMostTwentyFourCharacters() {
        let field = String(repeating: "x", count: 900)
        let error = #expect(throws: CronError.self) { try CronExpression("\(field) * * * *") }
        #expect(error?.code == .invalidField)
        #expect((error?.message.count ?? .max) < 140)
        #expect(error?.message.contains("'xxxxxxxxxxxxxxxxxxxxxxxx…'") == true)
    }

    @Test(arguments: [
        ("Mars/Olympus", "unknown time zone 'Mars/Olympus'; use an IANA name such as Europe/Berlin or UTC"),
        ("europe/berlin", "unknown time zone 'europe/berlin'; did you mean Europe/Berlin?"),
        ("utc", "unknown time zone 'utc'; did you mean UTC?"),
        ("GMT+5", "unknown time zone 'GMT+5'; use an IANA name such as Europe/Berlin or UTC"),
        ("../../etc/passwd", "unknown time zone '../../etc/passwd'; use an IANA name such as Europe/Berlin or UTC"),
        ("/etc/localtime", "unknown time zone '/etc/localtime'; use an IANA name such as Europe/Berlin or UTC"),
        ("Europe/Berlin\u{0}", "unknown time zone 'Europe/Berlin\\u{0}'; use an IANA name such as Europe/Berlin or UTC"),
        ("", "time zone is empty; use an IANA name such as Europe/Berlin or UTC"),
    ])
    func unknownTimeZonesAreNamed(name: String, message: String) {
        let error = #expect(throws: CronError.self) { try CronSchedule("0 9 * * *", timeZone: name) }
        #expect(error?.code == .unknownTimeZone)
        #expect(error?.field == nil)
        #expect(error?.message == message)
    }

    @Test(arguments: ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Etc/GMT+5", "Australia/Lord_Howe"])
    func knownTimeZonesAreAccepted(name: String) throws {
        let schedule = try CronSchedule("0 9 * * *", timeZone: name)
        #expect(schedule.timeZoneName == name)
    }

    @Test func theDefaultZoneIsUTC() throws {
        let schedule = try CronSchedule("0 9 * * *")
        #expect(schedule.timeZoneName == "UTC")
        #expect(schedule.timeZone.secondsFromGMT(for: Date()) == 0)
    }

    /// Random bytes never crash the parser or hang it; each gets a CronError or parses.
    @Test func randomBytesGetAnErrorOrParse() {
        var generator = SeededGenerator(seed: 0xC0FFEE)
        let alphabet = Array("0123456789*/-, \t\nMONJANL?#@x\u{0}é".unicodeScalars)
        var refused = 0
        for _ in 0..<5000 {
            let length = Int.random(in: 0...40, using: &generator)
            var text = String.UnicodeScalarView()
            for _ in 0..<length { text.append(alphabet[Int.random(in: 0..<alphabet.count, using: &generator)]) }
            do throws(CronError) {
                _ = try CronExpression(String(text))
            } catch {
                refused += 1
                #expect(!error.message.isEmpty)
                #expect(!error.message.unicodeScalars.contains { $0.value < 0x20 })
            }
        }
        #expect(refused > 4000)
    }
}
