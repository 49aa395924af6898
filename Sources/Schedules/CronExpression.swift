/// A crontab expression: five fields (minute, hour, day of month, month, day of week) or one of
/// the names `@yearly`, `@annually`, `@monthly`, `@weekly`, `@daily`, `@midnight`, `@hourly`.
/// See docs/schedules.md for the syntax and the day rule.
///
/// Day rule (Vixie cron's, as crontab(5) states it): when both day of month and day of week are
/// restricted — neither field starts with `*` — a day matches if EITHER matches
/// (`0 0 1 * MON` is the 1st of every month and every Monday); otherwise both must
/// (`0 0 */2 * MON` is an odd-numbered day that is a Monday).
public struct CronExpression: Sendable, Hashable, CustomStringConvertible {
    /// The longest expression accepted, in UTF-8 bytes. Every field listing every value fits.
    public static let maximumLength = 1024

    /// The expression as given, without surrounding whitespace.
    public let source: String

    let minutes: ParsedField
    let hours: ParsedField
    let daysOfMonth: ParsedField
    let months: ParsedField
    let daysOfWeek: ParsedField
    /// Day-of-week masks over the days of a month, one per weekday of the month's 1st.
    let weekdayDayMasks: [UInt64]

    /// Parses and checks an expression; throws a `CronError` naming the field at fault.
    public init(_ text: String) throws(CronError) {
        let bytes = Array(text.utf8)
        guard bytes.count <= Self.maximumLength else {
            throw CronError(
                .tooLong,
                "cron expression is \(bytes.count) bytes long; at most \(Self.maximumLength) are allowed")
        }
        // Whitespace as Python's str.split() sees it (APScheduler's from_crontab splits so).
        let fields = bytes.split(whereSeparator: Self.isSeparator)
        guard let first = fields.first else {
            throw CronError(
                .empty,
                "cron expression is empty; expected five fields (minute hour day_of_month month day_of_week) or a name such as @daily"
            )
        }
        source = String(decoding: bytes[first.startIndex..<(fields.last ?? first).endIndex], as: UTF8.self)
        if first.first == UInt8(ascii: "@") {
            let fieldsText = try Self.fieldsForName(first, fieldCount: fields.count)
            let parsed = try Self.parseFields(Array(fieldsText.utf8).split(separator: UInt8(ascii: " ")))
            (minutes, hours, daysOfMonth, months, daysOfWeek) = parsed
        } else {
            guard fields.count == 5 else {
                let hint =
                    fields.count == 6 || fields.count == 7
                    ? "; seconds and years are not supported"
                    : fields.count == 1 ? " or a name such as @daily" : ""
                throw CronError(
                    .wrongFieldCount,
                    "cron expression has \(fields.count) field\(fields.count == 1 ? "" : "s"); expected 5 (minute hour day_of_month month day_of_week)\(hint)"
                )
            }
            (minutes, hours, daysOfMonth, months, daysOfWeek) = try Self.parseFields(fields)
        }
        weekdayDayMasks = (0..<7).map { [daysOfWeek] firstWeekday in
            var mask: UInt64 = 0
            for day in 1...31 where daysOfWeek.bits.contains((firstWeekday + day - 1) % 7) {
                mask |= 1 << UInt64(day)
            }
            return mask
        }
    }

    private typealias Fields = (ParsedField, ParsedField, ParsedField, ParsedField, ParsedField)

    private static func parseFields(_ fields: [ArraySlice<UInt8>]) throws(CronError) -> Fields {
        (
            try CronFieldParser(field: .minute).parse(fields[0]),
            try CronFieldParser(field: .hour).parse(fields[1]),
            try CronFieldParser(field: .dayOfMonth).parse(fields[2]),
            try CronFieldParser(field: .month).parse(fields[3]),
            try CronFieldParser(field: .dayOfWeek).parse(fields[4])
        )
    }

    /// The `@` names and the five fields each stands for.
    public static let names: [(name: String, fields: String)] = [
        ("@yearly", "0 0 1 1 *"), ("@annually", "0 0 1 1 *"), ("@monthly", "0 0 1 * *"),
        ("@weekly", "0 0 * * 0"), ("@daily", "0 0 * * *"), ("@midnight", "0 0 * * *"), ("@hourly", "0 * * * *"),
    ]

    private static func fieldsForName(_ name: ArraySlice<UInt8>, fieldCount: Int) throws(CronError) -> String {
        let lowered = String(decoding: name.map { CronFieldParser.isASCIILetter($0) ? $0 | 0x20 : $0 }, as: UTF8.self)
        let supported = names.map(\.name).joined(separator: ", ")
        guard let entry = names.first(where: { $0.name == lowered }) else {
            if lowered == "@reboot" {
                throw CronError(
                    .unknownName,
                    "@reboot is not supported: a schedule fires by the clock, not when the server starts")
            }
            throw CronError(.unknownName, "unknown name \(Quoted.bytes(name)); supported: \(supported)")
        }
        guard fieldCount == 1 else {
            throw CronError(
                .wrongFieldCount, "\(entry.name) stands alone; nothing may follow it (it means \"\(entry.fields)\")")
        }
        return entry.fields
    }

    private static func isSeparator(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || (byte >= 0x09 && byte <= 0x0D)
    }

    // MARK: - What it selects

    /// Minutes 0-59 it fires at.
    public var minuteValues: [Int] { minutes.bits.values }
    /// Hours 0-23.
    public var hourValues: [Int] { hours.bits.values }
    /// Days of month 1-31.
    public var dayOfMonthValues: [Int] { daysOfMonth.bits.values }
    /// Months 1-12.
    public var monthValues: [Int] { months.bits.values }
    /// Days of week 0-6, Sunday 0 (a 7 written in the expression is here as 0).
    public var dayOfWeekValues: [Int] { daysOfWeek.bits.values }

    /// Whether the day rule is "either" (both day fields restricted) rather than "both".
    public var daysMatchEither: Bool { !daysOfMonth.startsWithStar && !daysOfWeek.startsWithStar }

    /// A fixed time of day (neither minute nor hour starts with `*`), as opposed to a pace
    /// ("every 15 minutes", "at minute 5 of every hour"). The two are treated differently on
    /// days the clocks change; see `CronSchedule`.
    public var isFixedTime: Bool { !minutes.startsWithStar && !hours.startsWithStar }

    /// Whether any date matches at all. `0 0 30 2 *` (February 30th) and `0 0 31 4,6 *` never
    /// do; everything else matches within the 400-year Gregorian cycle.
    public var canFire: Bool {
        // Either rule: every month has every weekday. Both rule with a `*` day of month: that
        // field includes the 1st, and the 1st of every month falls on every weekday over the cycle.
        if daysMatchEither || daysOfMonth.startsWithStar { return true }
        // Both rule with a restricted day of month: some allowed month must have such a day
        // (February counting its 29th); each such date falls on every weekday over the cycle.
        return months.bits.values.contains { month in
            daysOfMonth.bits.next(atOrAfter: 1).map { $0 <= CivilDate.maximumLength(ofMonth: month) } ?? false
        }
    }

    /// Whether a local date and time matches. `weekday` is 0-6, Sunday 0.
    func matches(minute: Int, hour: Int, day: Int, month: Int, weekday: Int) -> Bool {
        minutes.bits.contains(minute) && hours.bits.contains(hour) && months.bits.contains(month)
            && matchesDay(day: day, weekday: weekday)
    }

    func matchesDay(day: Int, weekday: Int) -> Bool {
        let byMonth = daysOfMonth.bits.contains(day)
        let byWeek = daysOfWeek.bits.contains(weekday)
        return daysMatchEither ? byMonth || byWeek : byMonth && byWeek
    }

    /// The days of a month that match, as bits 1-31.
    func matchingDays(year: Int64, month: Int) -> CronBits {
        let length = CivilDate.length(ofMonth: month, year: year)
        let inMonth: UInt64 = (UInt64(1) << UInt64(length + 1)) - 2
        let firstWeekday = CivilDate.weekday(daysSinceEpoch: CivilDate.days(year: year, month: month, day: 1))
        let byWeek = weekdayDayMasks[firstWeekday]
        let byMonth = daysOfMonth.bits.raw
        return CronBits(raw: (daysMatchEither ? byMonth | byWeek : byMonth & byWeek) & inMonth)
    }
}
