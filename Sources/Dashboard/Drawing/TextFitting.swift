import Foundation

/// Shortens labels to what fits in a fixed box. SVG has no text overflow, and measuring glyphs
/// needs the browser, so the budget is counted in characters (grapheme clusters, so an accented
/// letter or a flag counts as one) at an average width for the dashboard's sans-serif font.
enum TextFitting {
    /// Average advance of one character of the drawings' 12–13 px font, in user units. Generous
    /// on purpose: a label that stops a little early reads better than one that spills.
    static let averageCharacterWidth = 7.2

    /// How many characters fit in `width` user units.
    static func characterBudget(width: Double, characterWidth: Double = averageCharacterWidth) -> Int {
        guard width.isFinite, width > 0 else { return 1 }
        return max(1, Int(width / characterWidth))
    }

    /// `text` with runs of whitespace (newlines included) folded into one space, cut to
    /// `maxCharacters` with a trailing `…` when it is longer. The full text belongs in the
    /// element's `<title>`.
    static func truncated(_ text: String, maxCharacters: Int) -> String {
        let folded = foldingWhitespace(text)
        guard folded.count > maxCharacters else { return folded }
        guard maxCharacters > 1 else { return "…" }
        let kept = folded.prefix(maxCharacters - 1)
        return kept.trimmingCharacters(in: .whitespaces) + "…"
    }

    /// Runs of whitespace (newlines, tabs) become one space; leading and trailing ones go.
    /// Most labels have nothing to fold, and those come back untouched without a copy.
    static func foldingWhitespace(_ text: String) -> String {
        var previousWasSpace = true
        var clean = true
        for byte in text.utf8 {
            let isSpace = byte == 0x20
            if (byte < 0x20 && (byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0x0B || byte == 0x0C)) || (isSpace && previousWasSpace)
                || byte >= 0x80
            {
                clean = false
                break
            }
            previousWasSpace = isSpace
        }
        if clean && !previousWasSpace { return text }
        return text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }
}
