/// The expression in words, for the dashboard: "At 09:30 on Monday through Friday", "Every 15
/// minutes", "At minute 0 past every 2nd hour". Common shapes get a natural sentence, the rest a
/// faithful field-by-field one. Built only from parsed numbers and fixed words, never from the
/// input text.
extension CronExpression {
    public var description: String {
        let time = timePhrase
        var sentence = time.text
        if let date = singleDatePhrase {
            return sentence + " " + date
        }
        let day = dayPhrase
        if !day.isEmpty {
            sentence += " " + day
        } else if time.isFixedList {
            sentence += " every day"
        }
        let month = monthPhrase
        return month.isEmpty ? sentence : sentence + " " + month
    }

    // MARK: Time of day

    private var timePhrase: (text: String, isFixedList: Bool) {
        let minuteValues = minutes.bits.values
        let hourValues = hours.bits.values
        let fixedMinutes = minutes.items.allSatisfy(Self.isSingleValue)
        let fixedHours = hours.items.allSatisfy(Self.isSingleValue)
        if fixedMinutes, fixedHours, minuteValues.count * hourValues.count <= 6 {
            let times = hourValues.flatMap { hour in minuteValues.map { Self.clock(hour, $0) } }
            return ("At " + Self.list(times), true)
        }
        let minutePace = Self.pace(of: minutes.items)
        let everyHour = hours.items == [.every(step: 1)]
        if let step = minutePace, everyHour {
            return (step == 1 ? "Every minute" : "Every \(step) minutes", false)
        }
        if everyHour, minuteValues == [0] {
            return ("Every hour", false)
        }
        if let step = minutePace, let window = Self.singleRange(hours.items) {
            let first = Self.clock(window.lowerBound, minuteValues.first ?? 0)
            let last = Self.clock(window.upperBound, minuteValues.last ?? 0)
            let every = step == 1 ? "Every minute" : "Every \(step) minutes"
            return ("\(every) from \(first) through \(last)", false)
        }
        let minutePart = minutePhrase
        let hourPart: String
        if let hourStep = Self.pace(of: hours.items) {
            guard hourStep > 1 else {
                return (minutePart.hasPrefix("At") ? "\(minutePart) past every hour" : minutePart, false)
            }
            hourPart = "every \(Self.ordinal(hourStep)) hour"
        } else {
            hourPart = (hourValues.count == 1 ? "hour " : "hours ") + Self.list(Self.runs(hourValues).map(\.text))
        }
        return ("\(minutePart) \(minutePart.hasPrefix("At") ? "past" : "during") \(hourPart)", false)
    }

    private var minutePhrase: String {
        if let step = Self.pace(of: minutes.items) {
            return step == 1 ? "Every minute" : "Every \(step) minutes"
        }
        if minutes.items.count == 1, case .range(let range, let step) = minutes.items[0], step > 1 {
            return "Every \(step) minutes from minute \(range.lowerBound) through \(range.upperBound)"
        }
        let values = minutes.bits.values
        return (values.count == 1 ? "At minute " : "At minutes ") + Self.list(Self.runs(values).map(\.text))
    }

    // MARK: Days and months

    /// "on January 1" when the expression names one day of one month and any weekday.
    private var singleDatePhrase: String? {
        guard daysOfWeek.items == [.every(step: 1)], daysOfMonth.items.count == 1, months.items.count == 1,
            case .value(let day) = daysOfMonth.items[0], case .value(let month) = months.items[0]
        else { return nil }
        return "on \(Self.monthNames[month - 1]) \(day)"
    }

    private var dayPhrase: String {
        let anyDayOfMonth = daysOfMonth.items == [.every(step: 1)]
        let anyWeekday = daysOfWeek.items == [.every(step: 1)]
        switch (anyDayOfMonth, anyWeekday) {
        case (true, true): return ""
        case (true, false): return "on " + weekdayPhrase(joinedBy: "and")
        case (false, true): return "on " + dayOfMonthPhrase
        case (false, false):
            return daysMatchEither
                ? "on \(dayOfMonthPhrase) or on \(weekdayPhrase(joinedBy: "or"))"
                : "on \(dayOfMonthPhrase) if it is \(weekdayPhrase(joinedBy: "or"))"
        }
    }

    private var dayOfMonthPhrase: String {
        if let step = Self.pace(of: daysOfMonth.items) {
            return "every \(Self.ordinal(step)) day of the month"
        }
        let values = daysOfMonth.bits.values
        return (values.count == 1 ? "day " : "days ") + Self.list(Self.runs(values).map(\.text)) + " of the month"
    }

    /// Weekdays Monday first, so a weekend reads "Saturday and Sunday" and a working week
    /// "Monday through Friday".
    private func weekdayPhrase(joinedBy conjunction: String) -> String {
        let mondayFirst = daysOfWeek.bits.values.map { ($0 + 6) % 7 }.sorted()
        let names = Self.runs(mondayFirst).map { run in
            run.range.count >= 3
                ? "\(Self.weekdayNames[(run.range.lowerBound + 1) % 7]) through \(Self.weekdayNames[(run.range.upperBound + 1) % 7])"
                : Self.weekdayNames[(run.range.lowerBound + 1) % 7]
        }
        return Self.list(names, conjunction: conjunction)
    }

    private var monthPhrase: String {
        guard months.items != [.every(step: 1)] else { return "" }
        let names = Self.runs(months.bits.values).map { run in
            run.range.count >= 3
                ? "\(Self.monthNames[run.range.lowerBound - 1]) through \(Self.monthNames[run.range.upperBound - 1])"
                : Self.monthNames[run.range.lowerBound - 1]
        }
        return "in " + Self.list(names)
    }

    // MARK: Words

    private static let monthNames = [
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
        "December",
    ]
    private static let weekdayNames = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]

    private static func isSingleValue(_ item: CronItem) -> Bool {
        if case .value = item { return true }
        return false
    }

    /// The step of a field written as `*` or `*/N`, alone.
    private static func pace(of items: [CronItem]) -> Int? {
        guard items.count == 1, case .every(let step) = items[0] else { return nil }
        return step
    }

    /// The hours of a field written as one value or one plain range.
    private static func singleRange(_ items: [CronItem]) -> ClosedRange<Int>? {
        guard items.count == 1 else { return nil }
        switch items[0] {
        case .value(let value): return value...value
        case .range(let range, step: 1): return range
        default: return nil
        }
    }

    /// Consecutive values, each run of three or more as "a through b".
    private static func runs(_ values: [Int]) -> [(range: ClosedRange<Int>, text: String)] {
        var out: [(range: ClosedRange<Int>, text: String)] = []
        var index = 0
        while index < values.count {
            var end = index
            while end + 1 < values.count, values[end + 1] == values[end] + 1 { end += 1 }
            if end - index >= 2 {
                out.append((values[index]...values[end], "\(values[index]) through \(values[end])"))
                index = end + 1
            } else {
                out.append((values[index]...values[index], "\(values[index])"))
                index += 1
            }
        }
        return out
    }

    private static func list(_ items: [String], conjunction: String = "and") -> String {
        guard items.count > 1 else { return items.first ?? "" }
        return items.dropLast().joined(separator: ", ") + " \(conjunction) " + (items.last ?? "")
    }

    static func clock(_ hour: Int, _ minute: Int) -> String {
        (hour < 10 ? "0" : "") + "\(hour):" + (minute < 10 ? "0" : "") + "\(minute)"
    }

    static func ordinal(_ number: Int) -> String {
        let suffix =
            switch (number % 10, number % 100) {
            case (_, 11...13): "th"
            case (1, _): "st"
            case (2, _): "nd"
            case (3, _): "rd"
            default: "th"
            }
        return "\(number)\(suffix)"
    }
}
