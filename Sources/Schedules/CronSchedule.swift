import Foundation

/// A cron expression read in a time zone: when it fires.
///
/// Days the clocks change (see docs/schedules.md), as Vixie cron does it:
/// - a **fixed-time** expression (`30 2 * * *`: neither minute nor hour starts with `*`) fires
///   once on such a day. A time skipped by a spring-forward gap fires at the first instant after
///   the gap (02:30 on Berlin's 2026-03-29 fires at 03:00 CEST; several skipped times fire
///   together, once); a time repeated by a fall-back fires at its first occurrence only.
/// - a **paced** expression (`*/15 * * * *`, `0 * * * *`: minute or hour starts with `*`)
///   follows real time: no slots inside the missing hour, slots in both copies of the repeated
///   hour — an "every 15 minutes" schedule never pauses for an hour nor runs twice in 15 minutes.
///
/// Slots are whole minutes of local time (so whole minutes of UTC in every zone in use today),
/// and an instant is never returned twice.
public struct CronSchedule: Sendable, Hashable {
    /// How far `next(after:)` looks: the Gregorian calendar repeats every 400 years, so an
    /// expression that fires at all fires within that. Expressions that can never fire
    /// (`CronExpression.canFire`) are answered without searching.
    public static let searchHorizonYears = 400

    public let expression: CronExpression
    public let timeZone: TimeZone
    /// The IANA name the zone was given by (`UTC` by default).
    public let timeZoneName: String

    /// `timeZone` is an IANA name; nil means UTC. An unknown zone throws `unknownTimeZone`.
    public init(_ expression: String, timeZone: String? = nil) throws(CronError) {
        try self.init(CronExpression(expression), timeZone: timeZone ?? ScheduleTimeZone.defaultName)
    }

    public init(_ expression: CronExpression, timeZone name: String = "UTC") throws(CronError) {
        self.expression = expression
        self.timeZone = try ScheduleTimeZone.zone(named: name)
        self.timeZoneName = name
    }

    /// The first slot strictly after `date`, or nil if there is none before the horizon (or
    /// after year 9999).
    public func next(after date: Date) -> Date? {
        var stats = SearchStats()
        return next(after: date, stats: &stats)
    }

    /// Slots strictly after `start` and at or before `end`, earliest first, at most `limit`.
    public func slots(after start: Date, through end: Date, limit: Int) -> [Date] {
        guard limit > 0, let from = Self.seconds(start), var cursor = SlotCursor(self, after: from) else { return [] }
        var found: [Date] = []
        while found.count < limit, let slot = cursor.next(), Double(slot) <= end.timeIntervalSince1970 {
            found.append(Date(timeIntervalSince1970: Double(slot)))
        }
        return found
    }

    /// The latest slot strictly after `start` and at or before `end`, found by bisection over
    /// `next(after:)` (about 35 searches), never by walking every slot in between.
    public func lastSlot(after start: Date, through end: Date) -> Date? {
        guard let from = Self.seconds(start), let through = Self.seconds(end),
            let first = next(after: start), first <= end
        else { return nil }
        // Invariant: next(after: low) <= end < next(after: high).
        var low = from
        var high = through
        while high - low > 1 {
            let middle = low + (high - low) / 2
            if let slot = next(after: Date(timeIntervalSince1970: Double(middle))), slot <= end {
                low = middle
            } else {
                high = middle
            }
        }
        return low == from ? first : next(after: Date(timeIntervalSince1970: Double(low)))
    }

    func next(after date: Date, stats: inout SearchStats) -> Date? {
        guard let from = Self.seconds(date), var cursor = SlotCursor(self, after: from) else { return nil }
        defer { stats = cursor.stats }
        return cursor.next().map { Date(timeIntervalSince1970: Double($0)) }
    }

    /// Whole seconds not after `date`: slots are whole seconds, so "strictly after the floor"
    /// is "strictly after the date". nil outside years 1-9999 (and for NaN).
    static func seconds(_ date: Date) -> Int64? {
        let value = date.timeIntervalSince1970.rounded(.down)
        guard value.isFinite, value >= Double(earliestInstant), value < Double(latestInstant) else {
            return value.isFinite && value < Double(earliestInstant) ? earliestInstant : nil
        }
        return Int64(value)
    }

    /// 0001-01-01T00:00Z and 10000-01-01T00:00Z.
    static let earliestInstant = CivilDate.days(year: 1, month: 1, day: 1) * CivilDate.secondsPerDay
    static let latestInstant = CivilDate.days(year: 10_000, month: 1, day: 1) * CivilDate.secondsPerDay
    static let horizonSeconds = Int64(searchHorizonYears / 400) * 146_097 * CivilDate.secondsPerDay
}

/// A stretch of time at one UTC offset, up to the next transition.
struct OffsetSegment: Equatable {
    var start: Int64
    /// The first instant at another offset; nil when none comes before the search's end.
    var end: Int64?
    var offset: Int64
}

extension CronSchedule {
    func offset(at instant: Int64) -> Int64 {
        Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(instant))))
    }

    /// The segment that starts at `instant`. Foundation reports the next transition; its answer
    /// is checked against the offset just before it, and a change it left out (a zone moving
    /// its standard offset) is found by bisection.
    func segment(startingAt instant: Int64, searchEnd: Int64) -> OffsetSegment {
        let offset = offset(at: instant)
        var end: Int64?
        if let transition = timeZone.nextDaylightSavingTimeTransition(after: Date(timeIntervalSince1970: Double(instant))) {
            let seconds = transition.timeIntervalSince1970.rounded(.up)
            if seconds.isFinite, seconds > Double(instant), seconds < Double(searchEnd) { end = Int64(seconds) }
        }
        let last = (end ?? searchEnd) - 1
        if last > instant, self.offset(at: last) != offset {
            var same = instant
            var changed = last
            while changed - same > 1 {
                let middle = same + (changed - same) / 2
                if self.offset(at: middle) == offset { same = middle } else { changed = middle }
            }
            end = changed
        }
        return OffsetSegment(start: instant, end: end, offset: offset)
    }
}
