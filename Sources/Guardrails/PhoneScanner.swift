/// Phone numbers: North American forms (`555-123-4567`, `(555) 123-4567`, `555.123.4567`) and
/// international ones starting with `+` (`+1 (555) 123-4567`, `+44 20 7946 0958`,
/// `+33 1 23 45 67 89`, `+14155552671`): 8 to 15 digits in all, as E.164 allows.
enum PhoneScanner {
    /// `DDD-DDD-DDDD`, `DDD.DDD.DDDD` or `DDD DDD DDDD` at a number start.
    static func national(_ text: ByteText, at start: Int) -> Int? {
        guard NumberScanners.digits(text, start, 3) != nil else { return nil }
        let separator = text.at(start + 3)
        guard separator == Bytes.dash || separator == Bytes.dot || separator == Bytes.space,
            NumberScanners.digits(text, start + 4, 3) != nil, text.at(start + 7) == separator,
            NumberScanners.digits(text, start + 8, 4) != nil, NumberScanners.isNumberEnd(text, start + 12)
        else { return nil }
        return start + 12
    }

    /// `(DDD) DDD-DDDD` or `(DDD)DDD-DDDD`.
    static func bracketed(_ text: ByteText, at start: Int) -> Int? {
        guard NumberScanners.digits(text, start + 1, 3) != nil, text.at(start + 4) == 0x29 else { return nil }
        var position = start + 5
        if text.at(position) == Bytes.space { position += 1 }
        guard NumberScanners.digits(text, position, 3) != nil else { return nil }
        let separator = text.at(position + 3)
        guard separator == Bytes.dash || separator == Bytes.dot || separator == Bytes.space,
            NumberScanners.digits(text, position + 4, 4) != nil, NumberScanners.isNumberEnd(text, position + 8)
        else { return nil }
        return position + 8
    }

    /// `+` and a country code, then digit groups (one may be bracketed) split by one space,
    /// dash or dot.
    static func international(_ text: ByteText, at start: Int) -> Int? {
        guard Bytes.isDigit(text.at(start + 1)) else { return nil }
        var position = start + 1
        var digitCount = 0
        var end = start
        while position < text.count, position - start < 32 {
            var groupEnd = position
            let bracketed = text[position] == 0x28
            if bracketed { groupEnd += 1 }
            let digitsStart = groupEnd
            while groupEnd < text.count, Bytes.isDigit(text[groupEnd]), groupEnd - digitsStart < 15 { groupEnd += 1 }
            guard groupEnd > digitsStart else { break }
            if bracketed {
                guard text.at(groupEnd) == 0x29 else { break }
                groupEnd += 1
            }
            digitCount += groupEnd - digitsStart - (bracketed ? 1 : 0)
            end = groupEnd
            guard digitCount <= 15 else { return nil }
            let next = text.at(groupEnd)
            guard next == Bytes.space || next == Bytes.dash || next == Bytes.dot,
                Bytes.isDigit(text.at(groupEnd + 1)) || text.at(groupEnd + 1) == 0x28
            else { break }
            position = groupEnd + 1
        }
        guard (8...15).contains(digitCount), NumberScanners.isNumberEnd(text, end) else { return nil }
        return end
    }
}
