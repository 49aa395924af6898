import Foundation

/// A `pattern` from a schema, compiled once and matched with a time budget.
///
/// JSON Schema patterns are ECMA-262 regular expressions (without flags); we run them on ICU
/// through `NSRegularExpression` after rewriting the constructs whose meaning differs:
///
/// - `$` is end of input in ECMA-262 but "end, or before a final line break" in ICU: → `\z`.
/// - `.` excludes only `\n \r \u2028 \u2029` in ECMA-262; ICU also excludes `\v \f \u0085`.
/// - `\d \w` are ASCII-only in ECMA-262 (ICU: any Unicode digit or letter); `\s` is
///   ECMA-262's fixed set. All six classes (and their negations) are spelled out.
/// - Inside a class, `[` and `&` are literals in ECMA-262 but set operators in ICU: escaped.
/// - A `{` that does not start a quantifier is a literal in ECMA-262 (Annex B) and an
///   error in ICU: escaped.
///
/// Differences that remain: `\b`/`\B` use ICU's (Unicode) word characters; a few letter
/// escapes that are identity escapes in ECMA-262 Annex B mean something in ICU (`\a`, `\e`);
/// `\u{…}` is understood even without ECMA-262's `u` flag; ICU accepts some syntax ECMA-262
/// refuses (possessive quantifiers, `\Q…\E`).
///
/// ICU backtracks, so a pattern like `^(a+)+$` can take exponential time on a hostile
/// string. Matching therefore asks ICU for progress callbacks and gives up after ``budget``;
/// the validator reports that as a violation instead of hanging.
struct ECMAPattern: Sendable {
    enum Outcome: Sendable { case match, noMatch, tooSlow }

    let source: String
    let budget: Duration
    private let expression: NSRegularExpression

    init(_ source: String, budget: Duration) throws(PatternError) {
        self.source = source
        self.budget = budget
        let translated = try Self.translate(source)
        do {
            expression = try NSRegularExpression(pattern: translated, options: [])
        } catch {
            throw PatternError(message: "not a valid regular expression")
        }
    }

    struct PatternError: Error {
        var message: String
    }

    func match(_ text: String) -> Outcome {
        let deadline = ContinuousClock.now + budget
        var found = false
        var gaveUp = false
        let range = NSRange(location: 0, length: text.utf16.count)
        expression.enumerateMatches(in: text, options: [.reportProgress], range: range) { result, _, stop in
            if result != nil {
                found = true
                stop.pointee = true
            } else if ContinuousClock.now > deadline {
                gaveUp = true
                stop.pointee = true
            }
        }
        if found { return .match }
        return gaveUp ? .tooSlow : .noMatch
    }

    // ECMA-262's \s: WhiteSpace and LineTerminator.
    private static let space = #"\t\n\x{0B}\f\r \x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\x{FEFF}"#
    private static let word = "a-zA-Z0-9_"
    private static let digit = "0-9"

    /// Rewrites an ECMA-262 pattern into ICU syntax with the same meaning (see the type's notes).
    static func translate(_ source: String) throws(PatternError) -> String {
        let scalars = Array(source.unicodeScalars)
        var out = ""
        var index = 0
        var inClass = false
        while index < scalars.count {
            let scalar = scalars[index]
            switch scalar {
            case "\\":
                guard index + 1 < scalars.count else { throw PatternError(message: "ends with a lone backslash") }
                let next = scalars[index + 1]
                out += classEscape(next, inClass: inClass) ?? "\\\(next)"
                index += 2
                continue
            case "[" where inClass:
                out += "\\["
            case "[":
                // `[]` matches nothing and `[^]` any character in ECMA-262; in ICU a `]` first
                // in a class is a literal.
                let rest = scalars[(index + 1)...].prefix(2)
                if rest.first == "]" {
                    out += "(?!)"
                    index += 2
                    continue
                }
                if rest.elementsEqual(["^", "]"]) {
                    out += #"[\x{0}-\x{10FFFF}]"#
                    index += 3
                    continue
                }
                inClass = true
                out += "["
                if rest.first == "^" {
                    out += "^"
                    index += 1
                }
            case "]" where inClass:
                inClass = false
                out += "]"
            case "&" where inClass:
                out += "\\&"
            case "$" where !inClass:
                out += "\\z"
            case "." where !inClass:
                out += #"[^\n\r\x{2028}\x{2029}]"#
            case "{" where !inClass:
                if let end = quantifierEnd(scalars, from: index) {
                    out += String(String.UnicodeScalarView(scalars[index...end]))
                    index = end + 1
                    continue
                }
                out += "\\{"
            case "}" where !inClass:
                out += "\\}"
            default:
                out.unicodeScalars.append(scalar)
            }
            index += 1
        }
        if inClass { throw PatternError(message: "a character class `[` is never closed") }
        return out
    }

    /// `\d \D \w \W \s \S` spelled out, in or out of a class; nil for any other escape.
    private static func classEscape(_ letter: Unicode.Scalar, inClass: Bool) -> String? {
        let set: String
        let negated: Bool
        switch letter {
        case "d": (set, negated) = (digit, false)
        case "D": (set, negated) = (digit, true)
        case "w": (set, negated) = (word, false)
        case "W": (set, negated) = (word, true)
        case "s": (set, negated) = (space, false)
        case "S": (set, negated) = (space, true)
        default: return nil
        }
        // ICU allows a nested set inside a class, so `[a\D]` becomes `[a[^0-9]]`.
        if inClass && !negated { return set }
        return negated ? "[^\(set)]" : "[\(set)]"
    }

    /// The index of the `}` closing a quantifier `{n}`, `{n,}` or `{n,m}` that starts at `start`.
    private static func quantifierEnd(_ scalars: [Unicode.Scalar], from start: Int) -> Int? {
        var index = start + 1
        var digitsBefore = 0
        while index < scalars.count, ("0"..."9").contains(scalars[index]) {
            digitsBefore += 1
            index += 1
        }
        guard digitsBefore > 0, index < scalars.count else { return nil }
        if scalars[index] == "," {
            index += 1
            while index < scalars.count, ("0"..."9").contains(scalars[index]) { index += 1 }
        }
        guard index < scalars.count, scalars[index] == "}" else { return nil }
        return index
    }
}
