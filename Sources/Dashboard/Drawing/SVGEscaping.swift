import Foundation

/// Escaping, numbers and class names for the drawings. Output must be byte-identical for the
/// same input (golden files, HTTP caching), so numbers are formatted by hand rather than through
/// a locale-aware formatter.
enum SVGEscaping {
    /// Escapes `&`, `<`, `>`, `"` and `'`, and drops characters XML 1.0 does not allow at all
    /// (C0 controls other than tab, newline and carriage return; U+FFFE, U+FFFF): a stray control
    /// byte in a step label must not make the whole page unparsable.
    static func escaped(_ raw: String) -> String {
        guard raw.utf8.contains(where: mayNeedWork) else { return raw }
        var result = ""
        result.reserveCapacity(raw.utf8.count + 16)
        for scalar in raw.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default:
                if isAllowedInXML(scalar) { result.unicodeScalars.append(scalar) }
            }
        }
        return result
    }

    /// A quick byte test that lets almost every label through without a copy: markup and
    /// control characters, and 0xEF, the lead byte of U+FFFE and U+FFFF (a false alarm for
    /// other characters in U+F000–U+FFFF, which the full pass then leaves as they are).
    private static func mayNeedWork(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "&"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "\""), UInt8(ascii: "'"), 0xEF: return true
        case 0x09, 0x0A, 0x0D: return false
        default: return byte < 0x20
        }
    }

    private static func isAllowedInXML(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A, 0x0D: return true
        case 0x00..<0x20: return false
        case 0xFFFE, 0xFFFF: return false
        default: return true
        }
    }

    /// A coordinate with at most one decimal: `12`, `12.5`, `-3.2`. Not-a-number and infinities
    /// (a division by a zero span) come out as `0` rather than as markup the browser rejects.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let tenths = Int((value * 10).rounded())
        let whole = tenths / 10
        let fraction = abs(tenths % 10)
        if fraction == 0 { return String(whole) }
        let sign = tenths < 0 && whole == 0 ? "-" : ""
        return "\(sign)\(whole).\(fraction)"
    }

    /// A status (or any caller word) reduced to a CSS class token: lowercase ASCII letters,
    /// digits, `-` and `_`; anything else becomes `-`. An empty word becomes `unknown`, so the
    /// class list never ends in a bare `status-`.
    static func classToken(_ word: String) -> String {
        var token = ""
        for scalar in word.lowercased().unicodeScalars {
            switch scalar {
            case "a"..."z", "0"..."9", "-", "_": token.unicodeScalars.append(scalar)
            default: token += "-"
            }
        }
        return token.isEmpty ? "unknown" : token
    }
}
