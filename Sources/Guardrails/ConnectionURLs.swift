/// Secrets found at a `:` that are not key/value fields: the password of a URL with
/// credentials (`postgres://<user>:<password>@<host>`, also without a user, also `\/`-escaped) and
/// Telegram bot tokens (`123456789:<35 characters>`).
enum ColonSecrets {
    private static let schemeBytes = ByteSet { Bytes.isAlnum($0) || $0 == 0x2B || $0 == Bytes.dot || $0 == Bytes.dash }
    /// Bytes that end a URL's authority (or the URL itself).
    private static let authorityEnd = ByteSet { byte in
        Bytes.isWhitespace(byte) || byte == Bytes.slash || byte == Bytes.backslash || byte == Bytes.quote
            || byte == Bytes.apostrophe || byte == 0x3F || byte == 0x23 || byte == 0x3C || byte == 0x3E || byte == 0x60
    }

    /// The password of a URL whose `://` starts at `colon`; `floor`: where the scheme may start at the earliest.
    static func urlPassword(_ text: ByteText, colon: Int, floor: Int) -> ByteMatch? {
        let firstSlash = text.slash(at: colon + 1)
        guard firstSlash > 0 else { return nil }
        let secondSlash = text.slash(at: colon + 1 + firstSlash)
        guard secondSlash > 0 else { return nil }
        // A scheme: letters first, then letters, digits, `+`, `.` or `-`.
        var schemeStart = colon
        while schemeStart > floor, colon - schemeStart < 32, schemeBytes.contains(text[schemeStart - 1]) { schemeStart -= 1 }
        guard colon - schemeStart >= 2, Bytes.isAlpha(text[schemeStart]) else { return nil }
        let authority = colon + 1 + firstSlash + secondSlash
        var position = authority
        var lastAt = -1
        var firstColon = -1
        while position < text.count, position - authority < 512, !authorityEnd.contains(text[position]) {
            if text[position] == Bytes.at { lastAt = position }
            if text[position] == Bytes.colon && firstColon < 0 { firstColon = position }
            position += 1
        }
        guard lastAt > 0, firstColon >= 0, firstColon < lastAt else { return nil }
        let password = (firstColon + 1)..<lastAt
        guard !password.isEmpty, !isPlaceholder(text, password) else { return nil }
        return ByteMatch(start: password.lowerBound, end: password.upperBound, kind: "connection_url")
    }

    /// A Telegram bot token whose `:` is at `colon`: 8 to 10 digits before it, 35 base64url after.
    static func telegramToken(_ text: ByteText, colon: Int, floor: Int) -> ByteMatch? {
        var start = colon
        while start > floor, colon - start < 11, Bytes.isDigit(text[start - 1]) { start -= 1 }
        guard (8...10).contains(colon - start), text.isWordStart(start) else { return nil }
        let end = text.run(of: .base64URL, from: colon + 1, limit: 36)
        guard end - colon - 1 == 35, text.isWordEnd(end), TokenRule.isMixed(text, (colon + 1)..<end) else { return nil }
        return ByteMatch(start: start, end: end, kind: "telegram_bot_token")
    }

    /// Values that stand for a secret without being one: already redacted, a variable, a
    /// template, a mask.
    static func isPlaceholder(_ text: ByteText, _ range: Range<Int>) -> Bool {
        let first = text[range.lowerBound]
        if first == 0x24 || first == 0x3C || first == 0x25 { return true } // $VAR, <password>, %(password)s
        if first == 0x7B && text.at(range.lowerBound + 1) == 0x7B { return true } // {{ template }}
        if first == Bytes.backslash && text.at(range.lowerBound + 1) == 0x28 { return true } // Swift's \(interpolation)
        if text.has(redactedMarker, at: range.lowerBound) { return true }
        var masked = true
        var constantName = true
        for index in range {
            let byte = text[index]
            // An elided example: `sc_…`, `sk-...`.
            if byte == 0xE2 && text.has(ellipsis, at: index) || byte == Bytes.dot && text.has(threeDots, at: index) { return true }
            if !maskBytes.contains(byte) { masked = false }
            if !(Bytes.isUpper(byte) || byte == Bytes.underscore) { constantName = false }
        }
        // `KEY`, `YOUR_API_KEY`: a name standing for the value (real keys have digits or lowercase).
        return masked || (constantName && range.count >= 2)
    }

    private static let redactedMarker = Array("[REDACTED".utf8)
    private static let maskBytes = ByteSet(ascii: "*.xX")
    private static let ellipsis: [UInt8] = [0xE2, 0x80, 0xA6]
    private static let threeDots = Array("...".utf8)
}
