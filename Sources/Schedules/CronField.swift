/// The five fields of a crontab line, in order, named as errors and the API name them.
public enum CronField: String, Sendable, Hashable, CaseIterable {
    case minute
    case hour
    case dayOfMonth = "day_of_month"
    case month
    case dayOfWeek = "day_of_week"

    /// The smallest and largest number the field accepts. Day of week accepts 7 as a second
    /// Sunday, as crontab does.
    var bounds: ClosedRange<Int> {
        switch self {
        case .minute: 0...59
        case .hour: 0...23
        case .dayOfMonth: 1...31
        case .month: 1...12
        case .dayOfWeek: 0...7
        }
    }

    /// Where `*` and `N/step` run to. A week is 0-6: 7 is only another way to write Sunday, so
    /// `*/2` is Sunday, Tuesday, Thursday, Saturday and `1/2` is Monday, Wednesday, Friday.
    var wildcardBounds: ClosedRange<Int> {
        self == .dayOfWeek ? 0...6 : bounds
    }

    /// How the range reads in messages.
    var rangeText: String {
        switch self {
        case .month: "1-12 (or JAN-DEC)"
        case .dayOfWeek: "0-7 (0 and 7 are Sunday)"
        default: "\(bounds.lowerBound)-\(bounds.upperBound)"
        }
    }

    /// The largest useful step: a step longer than the field can only ever pick its first
    /// value, which is nearly always a misunderstanding (`*/60` meant as "every hour").
    var maximumStep: Int { wildcardBounds.upperBound - wildcardBounds.lowerBound }

    /// Three-letter names, case-insensitive, with the number each stands for.
    var names: [String: Int] {
        switch self {
        case .month: Self.monthNumbers
        case .dayOfWeek: Self.weekdayNumbers
        default: [:]
        }
    }

    static let monthAbbreviations = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    static let weekdayAbbreviations = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
    private static let monthNumbers = Dictionary(
        uniqueKeysWithValues: monthAbbreviations.enumerated().map { ($1, $0 + 1) })
    private static let weekdayNumbers = Dictionary(
        uniqueKeysWithValues: weekdayAbbreviations.enumerated().map { ($1, $0) })
}

/// A set of small numbers (0-63) as one machine word: membership and "next member at or after"
/// are a few instructions, which is what keeps `next(after:)` from scanning minute by minute.
struct CronBits: Hashable, Sendable {
    var raw: UInt64 = 0

    init(raw: UInt64 = 0) { self.raw = raw }

    init(_ range: ClosedRange<Int>, step: Int = 1) {
        var value = range.lowerBound
        while value <= range.upperBound {
            raw |= 1 << UInt64(value)
            value += step
        }
    }

    func contains(_ value: Int) -> Bool {
        value >= 0 && value < 64 && raw & (1 << UInt64(value)) != 0
    }

    var isEmpty: Bool { raw == 0 }
    var count: Int { raw.nonzeroBitCount }
    var first: Int? { raw == 0 ? nil : raw.trailingZeroBitCount }

    /// The smallest member that is `value` or more.
    func next(atOrAfter value: Int) -> Int? {
        guard value < 64 else { return nil }
        let masked = raw & (UInt64.max << UInt64(max(value, 0)))
        return masked == 0 ? nil : masked.trailingZeroBitCount
    }

    var values: [Int] {
        var out: [Int] = []
        var rest = raw
        while rest != 0 {
            out.append(rest.trailingZeroBitCount)
            rest &= rest - 1
        }
        return out
    }

    static func | (lhs: CronBits, rhs: CronBits) -> CronBits { CronBits(raw: lhs.raw | rhs.raw) }
    static func & (lhs: CronBits, rhs: CronBits) -> CronBits { CronBits(raw: lhs.raw & rhs.raw) }
}

/// One comma-separated entry of a field, kept as written so the description can say
/// "every 2nd hour" rather than list twelve hours.
enum CronItem: Hashable, Sendable {
    /// `*` or `*/step`.
    case every(step: Int)
    /// `N`.
    case value(Int)
    /// `N-M`, `N-M/step`, or `N/step` (read as N to the field's end).
    case range(ClosedRange<Int>, step: Int)
}
