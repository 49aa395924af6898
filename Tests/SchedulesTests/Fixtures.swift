import Foundation

@testable import Schedules

/// Dates written as people read them: "2026-03-29 02:30" in a zone (UTC unless named), and
/// back. Wall times given here must exist in the zone and be unambiguous.
enum Wall {
    static func date(_ text: String, _ zone: String = "UTC") -> Date {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: zone)
        formatter.dateFormat = text.count > 16 ? "yyyy-MM-dd HH:mm:ss.SSS" : "yyyy-MM-dd HH:mm"
        guard let date = formatter.date(from: text) else { fatalError("fixture \(text) is not a date in \(zone)") }
        return date
    }

    /// "2026-03-29 03:00 +02:00": the local time and the offset it was at.
    static func text(_ date: Date?, _ zone: String = "UTC") -> String {
        guard let date else { return "nil" }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: zone)
        formatter.dateFormat = "yyyy-MM-dd HH:mm xxx"
        return formatter.string(from: date)
    }

    static func texts(_ dates: [Date], _ zone: String = "UTC") -> [String] {
        dates.map { text($0, zone) }
    }
}

extension CronSchedule {
    /// The next `count` slots after `date`, as local-time text.
    func upcoming(_ count: Int, after date: Date) -> [String] {
        var found: [String] = []
        var cursor = date
        while found.count < count, let slot = next(after: cursor) {
            found.append(Wall.text(slot, timeZoneName))
            cursor = slot
        }
        return found
    }
}
