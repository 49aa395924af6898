import Foundation
import Testing

@testable import Schedules

/// `next(after:)` against a brute-force oracle: every minute in turn, read through Foundation's
/// calendar, with the DST rules stated the plain way (a wall time seen before is a repeat; a
/// jump of the wall clock skips the times in between). Random expressions and start dates from
/// a fixed seed, so a failure reproduces.
@Suite struct CronPropertyTests {
    /// How far the oracle looks. Beyond it, `next` must agree there is nothing before the end.
    static let windowMinutes = 2 * 24 * 60

    @Test func agreesWithAMinuteScanInUTC() throws {
        var generator = SeededGenerator(seed: 14)
        let compared = try compare(zone: "UTC", cases: 2000, generator: &generator) { generator in
            Self.randomInstant(from: "2020-01-01 00:00", years: 15, using: &generator)
        }
        #expect(compared.found > 1000)
    }

    @Test func agreesWithAMinuteScanInBerlinAroundItsTransitions() throws {
        var generator = SeededGenerator(seed: 1414)
        let transitions = try Self.transitions(in: "Europe/Berlin", from: "2026-01-01 00:00", count: 10)
        let compared = try compare(zone: "Europe/Berlin", cases: 2000, clockChangeHours: [1, 2, 3], generator: &generator) {
            generator in
            Bool.random(using: &generator)
                ? transitions[Int.random(in: 0..<transitions.count, using: &generator)]
                    .addingTimeInterval(Double(Self.minutesAroundTransition(using: &generator)) * 60)
                : Self.randomInstant(from: "2020-01-01 00:00", years: 15, using: &generator)
        }
        #expect(compared.found > 1000)
        #expect(compared.nearTransition > 100)
    }

    @Test func agreesWithAMinuteScanOnLordHowesHalfHourShifts() throws {
        var generator = SeededGenerator(seed: 4141)
        let transitions = try Self.transitions(in: "Australia/Lord_Howe", from: "2026-01-01 00:00", count: 6)
        let compared = try compare(zone: "Australia/Lord_Howe", cases: 500, clockChangeHours: [1, 2], generator: &generator) {
            generator in
            transitions[Int.random(in: 0..<transitions.count, using: &generator)]
                .addingTimeInterval(Double(Self.minutesAroundTransition(using: &generator)) * 60)
        }
        #expect(compared.found > 250)
    }

    // MARK: - Comparing

    struct Tally {
        var found = 0
        var nearTransition = 0
    }

    private func compare(
        zone: String, cases: Int, clockChangeHours: [Int] = [], generator: inout SeededGenerator,
        start: (inout SeededGenerator) -> Date
    ) throws -> Tally {
        var tally = Tally()
        var oracle = Oracle(zone: try #require(TimeZone(identifier: zone)))
        for _ in 0..<cases {
            let text = Self.randomExpression(clockChangeHours: clockChangeHours, using: &generator)
            let schedule = try CronSchedule(text, timeZone: zone)
            let after = start(&generator).addingTimeInterval(Double(Int.random(in: 0..<60, using: &generator)))
            let expected = oracle.next(schedule.expression, after: after, windowMinutes: Self.windowMinutes)
            let actual = schedule.next(after: after)
            if let expected {
                tally.found += 1
                if oracle.sawTransition { tally.nearTransition += 1 }
                #expect(actual == expected, "\(text) in \(zone) after \(Wall.text(after, zone))")
            } else {
                let windowEnd = after.addingTimeInterval(Double(Self.windowMinutes) * 60)
                #expect(actual.map { $0 > windowEnd } ?? true, "\(text) in \(zone) after \(Wall.text(after, zone)): \(Wall.text(actual, zone))")
            }
        }
        return tally
    }

    /// The plain definition, one minute at a time.
    struct Oracle {
        let zone: TimeZone
        let wallCalendar: Calendar
        private(set) var sawTransition = false

        init(zone: TimeZone) {
            self.zone = zone
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(secondsFromGMT: 0) ?? zone
            wallCalendar = calendar
        }

        /// Wall time as seconds, read through Foundation's offset for the instant.
        func wall(_ instant: Int) -> Int {
            instant + zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(instant)))
        }

        func matches(_ expression: CronExpression, wall: Int) -> Bool {
            let parts = wallCalendar.dateComponents(
                [.year, .month, .day, .hour, .minute, .weekday], from: Date(timeIntervalSince1970: Double(wall)))
            guard let month = parts.month, let day = parts.day, let hour = parts.hour, let minute = parts.minute,
                let weekday = parts.weekday
            else { return false }
            return expression.matches(minute: minute, hour: hour, day: day, month: month, weekday: weekday - 1)
        }

        mutating func next(_ expression: CronExpression, after: Date, windowMinutes: Int) -> Date? {
            sawTransition = false
            let afterSecond = Int(after.timeIntervalSince1970.rounded(.down))
            let firstMinute = (afterSecond / 60) * 60
            // A day of history first, so a wall time already seen is known as a repeat.
            var latestWall = Int.min
            var instant = firstMinute - 86_400
            while instant <= firstMinute {
                latestWall = max(latestWall, wall(instant))
                instant += 60
            }
            var previousWall = wall(firstMinute)
            instant = firstMinute + 60
            while instant <= firstMinute + windowMinutes * 60 {
                let wall = wall(instant)
                defer {
                    latestWall = max(latestWall, wall)
                    previousWall = wall
                    instant += 60
                }
                if wall - previousWall != 60 { sawTransition = true }
                if expression.isFixedTime {
                    // Skipped wall times fire when the clock has jumped over them.
                    var skipped = previousWall + 60
                    while skipped < wall {
                        if matches(expression, wall: skipped) { return Date(timeIntervalSince1970: Double(instant)) }
                        skipped += 60
                    }
                    if wall > latestWall, matches(expression, wall: wall) { return Date(timeIntervalSince1970: Double(instant)) }
                } else if matches(expression, wall: wall) {
                    return Date(timeIntervalSince1970: Double(instant))
                }
            }
            return nil
        }
    }

    // MARK: - Random input

    /// `clockChangeHours`: in a zone with DST, half the hour fields are drawn from the hours its
    /// clocks change in, so fixed times land in gaps and repeats often enough to be tested.
    static func randomExpression(clockChangeHours: [Int] = [], using generator: inout SeededGenerator) -> String {
        let hour =
            !clockChangeHours.isEmpty && Bool.random(using: &generator)
            ? (0..<Int.random(in: 1...2, using: &generator)).map { _ in String(clockChangeHours.randomElement(using: &generator) ?? 0) }
                .joined(separator: ",")
            : randomField(.hour, starChance: 0.5, using: &generator)
        return [
            randomField(.minute, starChance: 0.35, using: &generator), hour,
            randomField(.dayOfMonth, starChance: 0.7, using: &generator), randomField(.month, starChance: 0.75, using: &generator),
            randomField(.dayOfWeek, starChance: 0.6, using: &generator),
        ].joined(separator: " ")
    }

    static func randomField(_ field: CronField, starChance: Double, using generator: inout SeededGenerator) -> String {
        if Double.random(in: 0..<1, using: &generator) < starChance { return "*" }
        let count = Int.random(in: 1...3, using: &generator)
        return (0..<count).map { _ in randomItem(field, using: &generator) }.joined(separator: ",")
    }

    static func randomItem(_ field: CronField, using generator: inout SeededGenerator) -> String {
        let bounds = field.bounds
        let value = { (generator: inout SeededGenerator) in Int.random(in: bounds, using: &generator) }
        let step = { (generator: inout SeededGenerator) in Int.random(in: 1...field.maximumStep, using: &generator) }
        switch Int.random(in: 0..<5, using: &generator) {
        case 0: return "*/\(step(&generator))"
        case 1: return name(value(&generator), field)
        case 2:
            let start = value(&generator)
            let end = Int.random(in: start...bounds.upperBound, using: &generator)
            return "\(name(start, field))-\(name(end, field))"
        case 3:
            let start = value(&generator)
            let end = Int.random(in: start...bounds.upperBound, using: &generator)
            return "\(start)-\(end)/\(step(&generator))"
        default: return "\(value(&generator))/\(step(&generator))"
        }
    }

    /// Months and weekdays sometimes by name.
    static func name(_ value: Int, _ field: CronField) -> String {
        switch field {
        case .month where value % 2 == 0: CronField.monthAbbreviations[value - 1]
        case .dayOfWeek where value % 2 == 1 && value < 7: CronField.weekdayAbbreviations[value].lowercased()
        default: String(value)
        }
    }

    /// Most starts within the few hours where a gap or a repeat decides the answer, the rest
    /// up to a day before, where the answer lies across the transition.
    static func minutesAroundTransition(using generator: inout SeededGenerator) -> Int {
        Bool.random(using: &generator) ? Int.random(in: -180...60, using: &generator) : Int.random(in: -30 * 60...60, using: &generator)
    }

    static func randomInstant(from start: String, years: Int, using generator: inout SeededGenerator) -> Date {
        Wall.date(start).addingTimeInterval(Double(Int.random(in: 0..<(years * 365 * 24 * 60), using: &generator)) * 60)
    }

    static func transitions(in zone: String, from start: String, count: Int) throws -> [Date] {
        let timeZone = try #require(TimeZone(identifier: zone))
        var found: [Date] = []
        var cursor = Wall.date(start)
        while found.count < count, let next = timeZone.nextDaylightSavingTimeTransition(after: cursor) {
            found.append(next)
            cursor = next
        }
        try #require(found.count == count)
        return found
    }
}
