import JSONValues

/// The one byte form of a JSON value that audit hashes are computed over: exactly what Python's
/// `json.dumps(value, sort_keys=True, separators=(",", ":"))` writes (its defaults otherwise, so
/// `ensure_ascii=True`), so anyone can re-hash an entry with ten lines of Python.
///
/// - Objects: keys sorted by Unicode code point (Python's `str` order, not Swift's `String`
///   order, which compares canonical equivalents), `{"a":1,"b":2}`, no spaces.
/// - Strings: `"` and `\` escaped with a backslash; `\n`, `\r`, `\t`, `\b`, `\f` as those
///   escapes; every other character outside U+0020…U+007E as `\uxxxx` (lowercase hex), and
///   characters above U+FFFF as their UTF-16 surrogate pair (`\ud83d\ude00`).
/// - Integers: decimal digits. Floating-point numbers: Python's `repr` (the shortest digits that
///   read back to the same double; plain notation with a `.0` for whole numbers when the
///   decimal exponent is in -4…16, otherwise `1e-05` / `1.5e+16`). Not-a-number and infinities
///   are written `null` (JSON has neither; the audit log never records them).
/// - `true`, `false`, `null`.
public enum CanonicalJSON {
    /// The canonical text of `value`.
    public static func encode(_ value: JSONValue) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(128)
        write(value, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the canonical text of a string (with its quotes) to `out`.
    public static func writeString(_ text: String, to out: inout String) {
        var bytes: [UInt8] = []
        writeString(text, to: &bytes)
        out.append(String(decoding: bytes, as: UTF8.self))
    }

    /// Appends the canonical UTF-8 (all ASCII) of a string, with its quotes, to `out`.
    static func writeString(_ text: String, to out: inout [UInt8]) {
        out.append(0x22)
        for scalar in text.unicodeScalars {
            let value = scalar.value
            switch value {
            case 0x22: out.append(contentsOf: [0x5C, 0x22])
            case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, 0x6E])
            case 0x0D: out.append(contentsOf: [0x5C, 0x72])
            case 0x09: out.append(contentsOf: [0x5C, 0x74])
            case 0x08: out.append(contentsOf: [0x5C, 0x62])
            case 0x0C: out.append(contentsOf: [0x5C, 0x66])
            case 0x20...0x7E: out.append(UInt8(value))
            case 0x10000...:
                let offset = value - 0x10000
                appendEscape(0xD800 + (offset >> 10), to: &out)
                appendEscape(0xDC00 + (offset & 0x3FF), to: &out)
            default: appendEscape(value, to: &out)
            }
        }
        out.append(0x22)
    }

    /// Python's `repr` of a double (see the type's documentation).
    public static func formatDouble(_ number: Double) -> String {
        guard number.isFinite else { return "null" }
        if number == 0 { return number.sign == .minus ? "-0.0" : "0.0" }
        let (digits, pointPosition) = shortestDigits(of: Swift.abs(number))
        let sign = number < 0 ? "-" : ""
        // Python (format_float_short, mode 'r'): exponent notation when the decimal point sits
        // more than 16 places right of the first digit, or 4 or more places left of it.
        if pointPosition > 16 || pointPosition <= -4 {
            let exponent = pointPosition - 1
            let mantissa = digits.count == 1 ? digits : String(digits.prefix(1)) + "." + String(digits.dropFirst())
            let exponentDigits = String(Swift.abs(exponent))
            return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + (exponentDigits.count < 2 ? "0" : "") + exponentDigits
        }
        if pointPosition <= 0 {
            return sign + "0." + String(repeating: "0", count: -pointPosition) + digits
        }
        if pointPosition < digits.count {
            return sign + String(digits.prefix(pointPosition)) + "." + String(digits.dropFirst(pointPosition))
        }
        return sign + digits + String(repeating: "0", count: pointPosition - digits.count) + ".0"
    }

    static func write(_ value: JSONValue, to out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let flag): out.append(contentsOf: (flag ? "true" : "false").utf8)
        case .integer(let number): out.append(contentsOf: String(number).utf8)
        case .number(let number): out.append(contentsOf: formatDouble(number).utf8)
        case .string(let text): writeString(text, to: &out)
        case .array(let items):
            out.append(0x5B)
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(0x2C) }
                write(item, to: &out)
            }
            out.append(0x5D)
        case .object(let members):
            out.append(0x7B)
            for (index, key) in sortedKeys(members).enumerated() {
                if index > 0 { out.append(0x2C) }
                writeString(key, to: &out)
                out.append(0x3A)
                write(members[key] ?? .null, to: &out)
            }
            out.append(0x7D)
        }
    }

    /// Keys in code-point order (what Python's `sorted` does with `str`), which is the order of
    /// their UTF-8 bytes.
    static func sortedKeys(_ members: [String: JSONValue]) -> [String] {
        members.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    static let hexDigits = Array("0123456789abcdef".utf8)

    /// `\uxxxx` for one UTF-16 unit, lowercase.
    private static func appendEscape(_ unit: UInt32, to out: inout [UInt8]) {
        out.append(contentsOf: [
            0x5C, 0x75, hexDigits[Int(unit >> 12 & 0xF)], hexDigits[Int(unit >> 8 & 0xF)], hexDigits[Int(unit >> 4 & 0xF)],
            hexDigits[Int(unit & 0xF)],
        ])
    }

    /// The shortest round-trip decimal digits of a positive finite double (Swift's `description`
    /// computes them, as Python's `repr` does) and where the decimal point goes: the value is
    /// `0.DIGITS × 10^pointPosition`.
    private static func shortestDigits(of number: Double) -> (digits: String, pointPosition: Int) {
        let text = number.description
        let parts = text.split(separator: "e", maxSplits: 1)
        let exponent = parts.count == 2 ? Int(parts[1]) ?? 0 : 0
        let mantissa = parts[0]
        let pointIndex = mantissa.firstIndex(of: ".")
        let integerPart = pointIndex.map { mantissa[..<$0] } ?? mantissa[...]
        let fractionPart = pointIndex.map { mantissa[mantissa.index(after: $0)...] } ?? ""
        var digits = Array(integerPart + fractionPart)
        var pointPosition = integerPart.count + exponent
        while digits.first == "0", digits.count > 1 {
            digits.removeFirst()
            pointPosition -= 1
        }
        while digits.last == "0", digits.count > 1 { digits.removeLast() }
        return (String(digits), pointPosition)
    }
}
