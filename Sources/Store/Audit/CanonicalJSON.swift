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
        var out = ""
        write(value, to: &out)
        return out
    }

    /// Appends the canonical text of a string (with its quotes) to `out`.
    public static func writeString(_ text: String, to out: inout String) {
        out.append("\"")
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x22: out.append("\\\"")
            case 0x5C: out.append("\\\\")
            case 0x0A: out.append("\\n")
            case 0x0D: out.append("\\r")
            case 0x09: out.append("\\t")
            case 0x08: out.append("\\b")
            case 0x0C: out.append("\\f")
            case 0x20...0x7E: out.unicodeScalars.append(scalar)
            case 0x10000...:
                let offset = scalar.value - 0x10000
                appendEscape(0xD800 + (offset >> 10), to: &out)
                appendEscape(0xDC00 + (offset & 0x3FF), to: &out)
            default: appendEscape(scalar.value, to: &out)
            }
        }
        out.append("\"")
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

    private static func write(_ value: JSONValue, to out: inout String) {
        switch value {
        case .null: out.append("null")
        case .bool(let flag): out.append(flag ? "true" : "false")
        case .integer(let number): out.append(String(number))
        case .number(let number): out.append(formatDouble(number))
        case .string(let text): writeString(text, to: &out)
        case .array(let items):
            out.append("[")
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(",") }
                write(item, to: &out)
            }
            out.append("]")
        case .object(let members):
            out.append("{")
            for (index, key) in sortedKeys(members).enumerated() {
                if index > 0 { out.append(",") }
                writeString(key, to: &out)
                out.append(":")
                write(members[key] ?? .null, to: &out)
            }
            out.append("}")
        }
    }

    /// Keys in code-point order (what Python's `sorted` does with `str`).
    static func sortedKeys(_ members: [String: JSONValue]) -> [String] {
        members.keys.sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) { $0.value < $1.value } }
    }

    private static func appendEscape(_ unit: UInt32, to out: inout String) {
        let hex = String(unit, radix: 16)
        out.append("\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex)
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
