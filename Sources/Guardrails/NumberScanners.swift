/// Card numbers, SSNs and dates of birth: digit groups with a validator each.
enum NumberScanners {
    /// A number may start here: no letter, digit or `_` before it, nor a `.`, `-` or `+`
    /// that would make it the tail of a longer number ("1.2.3.4.5", "x-123").
    @inline(__always) static func isNumberStart(_ text: ByteText, _ index: Int) -> Bool {
        guard text.isWordStart(index) else { return false }
        let previous = text.at(index - 1)
        return previous != Bytes.dot && previous != Bytes.dash && previous != 0x2B && previous != Bytes.slash
    }

    /// A number ends here: no letter or digit follows, nor a `.`, `-` or `/` and a digit.
    @inline(__always) static func isNumberEnd(_ text: ByteText, _ index: Int) -> Bool {
        let next = text.at(index)
        if Bytes.isAlnum(next) || next == Bytes.underscore { return false }
        if next == Bytes.dot || next == Bytes.dash || next == Bytes.slash { return !Bytes.isDigit(text.at(index + 1)) }
        return true
    }

    /// 13 to 19 digits, contiguous or in groups split by one space or dash (4-4-4-4, 4-6-5, …),
    /// that pass the Luhn check and start like a card (2 to 6: Mastercard, Amex, Visa, Discover…).
    static func creditCard(_ text: ByteText, at start: Int) -> Int? {
        guard (0x32...0x36).contains(text[start]) else { return nil }
        var digits: [UInt8] = []
        /// Ends of the groups read so far, with the digit count up to each.
        var groupEnds: [(end: Int, digits: Int)] = []
        var position = start
        var separator: UInt8 = 0
        while digits.count <= 19 {
            let groupStart = position
            while position < text.count, Bytes.isDigit(text[position]), digits.count <= 19 {
                digits.append(text[position] - 0x30)
                position += 1
            }
            let length = position - groupStart
            let isFirst = groupEnds.isEmpty
            guard isFirst || (2...6).contains(length) else { break }
            groupEnds.append((position, digits.count))
            let next = text.at(position)
            guard next == Bytes.space || next == Bytes.dash, separator == 0 || next == separator, Bytes.isDigit(text.at(position + 1)) else {
                break
            }
            if isFirst && length != 4 { break }
            separator = next
            position += 1
        }
        for group in groupEnds.reversed() where (13...19).contains(group.digits) && isNumberEnd(text, group.end) {
            if passesLuhn(digits[0..<group.digits]) { return group.end }
        }
        return nil
    }

    static func passesLuhn(_ digits: ArraySlice<UInt8>) -> Bool {
        var sum = 0
        for (offset, digit) in digits.reversed().enumerated() {
            var value = Int(digit)
            if offset % 2 == 1 {
                value *= 2
                if value > 9 { value -= 9 }
            }
            sum += value
        }
        return sum % 10 == 0
    }

    /// `AAA-GG-SSSS`, without the numbers the SSA never issues: area 000, 666 or 900-999,
    /// group 00, serial 0000.
    static func ssn(_ text: ByteText, at start: Int) -> Int? {
        guard let area = digits(text, start, 3), text.at(start + 3) == Bytes.dash,
            let group = digits(text, start + 4, 2), text.at(start + 6) == Bytes.dash,
            let serial = digits(text, start + 7, 4), isNumberEnd(text, start + 11)
        else { return nil }
        guard area != 0, area != 666, area < 900, group != 0, serial != 0 else { return nil }
        return start + 11
    }

    /// A date of birth: `DD/MM/YYYY`, `MM/DD/YYYY` (also with `.` or `-`) or `YYYY-MM-DD`
    /// (also with `/`), a real calendar day in 1900 through `latestYear`. A date that is the
    /// start of a timestamp (`1990-03-15T10:00`, `1990-03-15 10:00`) is a time, not a birthday.
    static func dateOfBirth(_ text: ByteText, at start: Int, latestYear: Int) -> Int? {
        if let year = digits(text, start, 4) {
            let separator = text.at(start + 4)
            guard separator == Bytes.dash || separator == Bytes.slash else { return nil }
            guard let (month, monthEnd) = smallNumber(text, start + 5), text.at(monthEnd) == separator,
                let (day, end) = smallNumber(text, monthEnd + 1), isNumberEnd(text, end),
                isDay(day: day, month: month, year: year, latestYear: latestYear), !startsTimestamp(text, end)
            else { return nil }
            return end
        }
        guard let (first, firstEnd) = smallNumber(text, start) else { return nil }
        let separator = text.at(firstEnd)
        guard separator == Bytes.slash || separator == Bytes.dot || separator == Bytes.dash,
            let (second, secondEnd) = smallNumber(text, firstEnd + 1), text.at(secondEnd) == separator,
            let year = digits(text, secondEnd + 1, 4), isNumberEnd(text, secondEnd + 5)
        else { return nil }
        let dayFirst = isDay(day: first, month: second, year: year, latestYear: latestYear)
        let monthFirst = isDay(day: second, month: first, year: year, latestYear: latestYear)
        guard dayFirst || monthFirst, !startsTimestamp(text, secondEnd + 5) else { return nil }
        return secondEnd + 5
    }

    private static func startsTimestamp(_ text: ByteText, _ index: Int) -> Bool {
        let next = text.at(index)
        guard next == 0x54 || next == Bytes.space else { return false }
        return Bytes.isDigit(text.at(index + 1)) && Bytes.isDigit(text.at(index + 2)) && text.at(index + 3) == Bytes.colon
    }

    private static func isDay(day: Int, month: Int, year: Int, latestYear: Int) -> Bool {
        guard (1900...latestYear).contains(year), (1...12).contains(month), day >= 1 else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let lengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return day <= lengths[month - 1]
    }

    /// Exactly `count` digits at `start` as a number.
    static func digits(_ text: ByteText, _ start: Int, _ count: Int) -> Int? {
        var value = 0
        for index in start..<(start + count) {
            let byte = text.at(index)
            guard Bytes.isDigit(byte) else { return nil }
            value = value * 10 + Int(byte - 0x30)
        }
        return Bytes.isDigit(text.at(start + count)) ? nil : value
    }

    /// One or two digits at `start`: the number and where it ends.
    private static func smallNumber(_ text: ByteText, _ start: Int) -> (Int, Int)? {
        guard Bytes.isDigit(text.at(start)) else { return nil }
        if Bytes.isDigit(text.at(start + 1)) {
            if Bytes.isDigit(text.at(start + 2)) { return nil }
            return (Int(text[start] - 0x30) * 10 + Int(text[start + 1] - 0x30), start + 2)
        }
        return (Int(text[start] - 0x30), start + 1)
    }
}
