/// One parsed field: the numbers it selects, its entries as written, and whether it starts with
/// `*` (which is what crontab's day rule looks at).
struct ParsedField: Hashable, Sendable {
    var bits: CronBits
    var items: [CronItem]
    var startsWithStar: Bool
}

/// Parses one field of a crontab line from its bytes. Works on ASCII bytes so that only ASCII
/// digits count as digits and any other byte (NUL, a newline, a non-ASCII letter) is refused by
/// name, and every number is read with an overflow guard.
struct CronFieldParser {
    let field: CronField

    func parse(_ bytes: ArraySlice<UInt8>) throws(CronError) -> ParsedField {
        var bits = CronBits()
        var items: [CronItem] = []
        for entry in bytes.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
            guard !entry.isEmpty else {
                throw .inField(
                    field, .invalidField,
                    "empty entry in list \(Quoted.bytes(bytes)); separate values with single commas")
            }
            let item = try parseItem(entry)
            items.append(item)
            bits = bits | select(item)
        }
        if field == .dayOfWeek, bits.contains(7) {
            // 7 is a second Sunday; the week is 0-6 from here on.
            bits = CronBits(raw: (bits.raw & ~(1 << 7)) | 1)
        }
        return ParsedField(bits: bits, items: items, startsWithStar: bytes.first == UInt8(ascii: "*"))
    }

    private func select(_ item: CronItem) -> CronBits {
        switch item {
        case .every(let step): CronBits(field.wildcardBounds, step: step)
        case .value(let value): CronBits(value...value)
        case .range(let range, let step): CronBits(range, step: step)
        }
    }

    private func parseItem(_ entry: ArraySlice<UInt8>) throws(CronError) -> CronItem {
        let parts = entry.split(separator: UInt8(ascii: "/"), maxSplits: 1, omittingEmptySubsequences: false)
        let base = parts[0]
        let step = parts.count == 2 ? try parseStep(parts[1], entry: entry) : nil
        if base.isEmpty {
            throw .inField(
                field, .invalidField,
                "\(Quoted.bytes(entry)) has nothing before the step; write */N or N-M/N")
        }
        if base.elementsEqual("*".utf8) {
            return .every(step: step ?? 1)
        }
        if base.first == UInt8(ascii: "*") {
            throw invalidEntry(entry)
        }
        let bounds = base.split(separator: UInt8(ascii: "-"), maxSplits: 1, omittingEmptySubsequences: false)
        if bounds.count == 1 {
            let value = try parseValue(bounds[0], entry: entry)
            guard let step else { return .value(value) }
            return .range(value...max(value, field.wildcardBounds.upperBound), step: step)
        }
        guard !bounds[0].isEmpty, !bounds[1].isEmpty else {
            throw .inField(
                field, .invalidField,
                "\(Quoted.bytes(entry)) is not a complete range; write N-M with \(field.rangeText)")
        }
        let start = try parseValue(bounds[0], entry: entry)
        var end = try parseValue(bounds[1], entry: entry)
        if field == .dayOfWeek, end == 0, start > 0 {
            // FRI-SUN: a week written Monday-first ends on Sunday, which is 7 here.
            end = 7
        }
        guard start <= end else {
            let last = field.wildcardBounds.upperBound
            let first = field.wildcardBounds.lowerBound
            throw .inField(
                field, .invalidRange,
                "range \(start)-\(end) runs backwards; a range cannot wrap around, write \(start)-\(last),\(first)-\(end) instead"
            )
        }
        return .range(start...end, step: step ?? 1)
    }

    private func parseStep(_ bytes: ArraySlice<UInt8>, entry: ArraySlice<UInt8>) throws(CronError) -> Int {
        let limit = field.maximumStep
        guard let step = Self.number(bytes) else {
            throw .inField(field, .invalidStep, "step \(Quoted.bytes(bytes)) in \(Quoted.bytes(entry)) is not a number")
        }
        guard step >= 1, step <= limit else {
            let shown = step == Int.max ? Quoted.bytes(bytes) : String(step)
            throw .inField(field, .invalidStep, "step \(shown) is out of range 1-\(limit)")
        }
        return step
    }

    private func parseValue(_ bytes: ArraySlice<UInt8>, entry: ArraySlice<UInt8>) throws(CronError) -> Int {
        if let value = Self.number(bytes) {
            guard field.bounds.contains(value) else {
                let shown = value == Int.max ? Quoted.bytes(bytes) : String(value)
                throw .inField(field, .outOfRange, "\(shown) is out of range \(field.rangeText)")
            }
            return value
        }
        guard bytes.allSatisfy(Self.isASCIILetter) else { throw invalidEntry(entry) }
        let names = field.names
        guard !names.isEmpty else { throw invalidEntry(entry) }
        let upper = String(decoding: bytes.map { $0 & ~0x20 }, as: UTF8.self)
        if let value = names[upper] { return value }
        let kind = field == .month ? "a month name (JAN-DEC)" : "a weekday name (SUN-SAT)"
        throw .inField(
            field, .unknownName, "\(Quoted.bytes(bytes)) is not \(kind); use the three-letter names or numbers")
    }

    private func invalidEntry(_ entry: ArraySlice<UInt8>) -> CronError {
        let names =
            switch field {
            case .month: ", a name JAN-DEC"
            case .dayOfWeek: ", a name SUN-SAT"
            default: ""
            }
        return .inField(
            field, .invalidField,
            "\(Quoted.bytes(entry)) is not valid here; expected *, a number \(field.rangeText)\(names), a range N-M or a step */N"
        )
    }

    /// ASCII digits only; `Int.max` for anything too long to be a field value, so the caller
    /// reports it as out of range instead of overflowing. nil when it is not all digits.
    static func number(_ bytes: ArraySlice<UInt8>) -> Int? {
        guard !bytes.isEmpty, bytes.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            return nil
        }
        var value = 0
        for byte in bytes {
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
            if value > 1_000_000 { return Int.max }
        }
        return value
    }

    static func isASCIILetter(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
    }
}
