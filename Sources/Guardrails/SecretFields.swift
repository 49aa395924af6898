/// `"password": "x"`, `password: x`, `PASSWORD=x`, `X-Api-Key: x`: the value of a JSON, YAML,
/// env or header field whose key names a secret. Found from the separator (`:` or `=`) looking
/// back at the key, so ordinary text costs one or two byte tests per separator. Only the value
/// is redacted; what looks like code (`let token: String`, `f(password: pw)`, `a.token == b`)
/// is left alone.
enum SecretFields {
    enum KeyKind {
        case awsSecret, datadog, generic
    }

    /// Key suffixes (lowercase, `-` and `.` read as `_`) that name a secret.
    private static let secretSuffixes: [[UInt8]] = [
        "password", "passwd", "passphrase", "secret", "token", "api_key", "apikey", "private_key", "privatekey",
        "secret_key", "secretkey",
    ].map { Array($0.utf8) }
    /// Bare values that are types, literals or words, not secrets.
    private static let nonSecretWords: Set<[UInt8]> = Set(
        [
            "null", "nil", "none", "true", "false", "yes", "no", "on", "off", "string", "str", "int", "bool", "boolean", "data",
            "bytes", "number", "integer", "object", "array", "any", "self", "required", "optional", "redacted", "undefined",
            "secretstr", "uuid", "url", "date", "double", "float", "character", "substring", "empty",
        ].map { Array($0.utf8) })
    private static let keyBytes = ByteSet { Bytes.isWord($0) || $0 == Bytes.dash || $0 == Bytes.dot }
    /// Bytes that end an unquoted value.
    private static let bareValueEnd = ByteSet { byte in
        Bytes.isWhitespace(byte) || byte == Bytes.quote || byte == Bytes.apostrophe || byte == Bytes.backslash || byte == 0x2C
            || byte == 0x3B || byte == 0x28 || byte == 0x29 || byte == 0x7B || byte == 0x7D || byte == 0x5B || byte == 0x5D
            || byte == 0x3C || byte == 0x3E || byte == 0x60 || byte == 0x26
    }
    private static let pemBegin = Array("-----BEGIN".utf8)
    private static let codeWords: [[UInt8]] = [
        "let ", "var ", "case ", "func ", "struct ", "class ", "enum ", "protocol ", "extension ", "actor ", "typealias ",
    ].map { Array($0.utf8) }

    /// The secret value after the separator at `separator`, if its key names one.
    /// `floor`: the end of the previous finding (the key cannot start before it).
    static func match(_ text: ByteText, separator: Int, floor: Int, rules: TokenRuleIndex) -> ByteMatch? {
        let symbol = text[separator]
        // `::`, `==`, `!=`, `<=`, `>=`, `=>`, `:=` are operators, not fields.
        let next = text.at(separator + 1)
        if next == Bytes.colon || next == Bytes.equals || next == 0x3E { return nil }
        let before = text.at(separator - 1)
        if symbol == Bytes.equals && (before == 0x21 || before == 0x3C || before == 0x3E || before == Bytes.equals || before == Bytes.colon) {
            return nil
        }

        // The key, read backwards: optional spaces, an optional closing quote (`"`, `'`, `\"`).
        var position = separator - 1
        var spacesBefore = 0
        while position >= floor, spacesBefore < 4, Bytes.isSpace(text[position]) {
            position -= 1
            spacesBefore += 1
        }
        guard position >= floor else { return nil }
        var quotedKey = false
        if text[position] == Bytes.quote || text[position] == Bytes.apostrophe {
            quotedKey = true
            position -= 1
            if position >= floor, text[position] == Bytes.backslash { position -= 1 }
        }
        let keyEnd = position + 1
        guard keyEnd > floor else { return nil }
        // Every secret suffix ends in d, t, y, n or e: most separators stop here.
        switch Bytes.lowercased(text[keyEnd - 1]) {
        case 0x64, 0x74, 0x79, 0x6E, 0x65: break
        default: return nil
        }
        var keyStart = keyEnd
        while keyStart > floor, keyEnd - keyStart <= 64, keyBytes.contains(text[keyStart - 1]) { keyStart -= 1 }
        guard keyStart < keyEnd, keyEnd - keyStart <= 64 else { return nil }
        guard let kind = classify(text, keyStart..<keyEnd) else { return nil }
        if !quotedKey && looksLikeCode(text, keyStart: keyStart, floor: floor) { return nil }

        // The value.
        var valueStart = separator + 1
        while valueStart - separator <= 8, Bytes.isSpace(text.at(valueStart)) { valueStart += 1 }
        let spacedAfter = valueStart > separator + 1
        let value: Range<Int>
        if let quoted = quotedValue(text, at: valueStart) {
            value = quoted
        } else {
            // Unquoted: env and query strings write `KEY=value`, YAML writes `key: value`;
            // `token = compute()` and `token:value` are code or something else.
            if symbol == Bytes.equals && kind == .generic && (spacesBefore > 0 || spacedAfter) { return nil }
            if symbol == Bytes.colon && !spacedAfter { return nil }
            // A quoted key with a bare value is a dictionary literal in code (`"API_KEY": key`):
            // JSON's bare values are numbers and literals.
            if quotedKey { return nil }
            guard let bare = bareValue(text, at: valueStart) else { return nil }
            if symbol == Bytes.colon && !isYAMLValue(text, bare) { return nil }
            value = bare
        }
        guard !value.isEmpty, !ColonSecrets.isPlaceholder(text, value) else { return nil }
        return ByteMatch(start: value.lowerBound, end: value.upperBound, kind: formatID(text, value, kind: kind, rules: rules))
    }

    /// The key's kind, or nil when it names no secret. Reads the text in place (no copy: this
    /// runs for every JSON key ending in d, t, y, n or e).
    private static func classify(_ text: ByteText, _ key: Range<Int>) -> KeyKind? {
        if contains(text, key, aws) && contains(text, key, secret) { return .awsSecret }
        if contains(text, key, datadog) || (key.count > 3 && matches(text, key.lowerBound, ddPrefix)) {
            if contains(text, key, apiKey) || contains(text, key, appKey) || contains(text, key, apiKeyJoined) { return .datadog }
        }
        for suffix in secretSuffixes where key.count >= suffix.count && matches(text, key.upperBound - suffix.count, suffix) {
            return .generic
        }
        return nil
    }

    private static let aws = Array("aws".utf8)
    private static let secret = Array("secret".utf8)
    private static let datadog = Array("datadog".utf8)
    private static let ddPrefix = Array("dd_".utf8)
    private static let apiKey = Array("api_key".utf8)
    private static let appKey = Array("app_key".utf8)
    private static let apiKeyJoined = Array("apikey".utf8)

    /// Whether the key's bytes at `start` read as `word` (lowercase, `_`), ignoring case and
    /// reading `-` and `.` as `_`.
    @inline(__always) private static func matches(_ text: ByteText, _ start: Int, _ word: [UInt8]) -> Bool {
        for offset in 0..<word.count {
            let byte = text[start + offset]
            let normalized = byte == Bytes.dash || byte == Bytes.dot ? Bytes.underscore : Bytes.lowercased(byte)
            if normalized != word[offset] { return false }
        }
        return true
    }

    private static func contains(_ text: ByteText, _ key: Range<Int>, _ word: [UInt8]) -> Bool {
        guard key.count >= word.count else { return false }
        for start in key.lowerBound...(key.upperBound - word.count) where matches(text, start, word) { return true }
        return false
    }

    /// A key that is a Swift/Python parameter label, a declaration or a member: `f(token: x)`,
    /// `let token: String`, `self.token = x`.
    private static func looksLikeCode(_ text: ByteText, keyStart: Int, floor: Int) -> Bool {
        var position = keyStart - 1
        while position >= floor, Bytes.isSpace(text[position]) { position -= 1 }
        guard position >= floor else { return false }
        let byte = text[position]
        if byte == 0x28 || byte == 0x2C { return true }
        for word in codeWords where position + 2 - word.count >= floor && text.has(word, at: position + 2 - word.count) {
            return true
        }
        return false
    }

    /// A quoted value at `start`: `"…"`, `'…'`, or JSON-encoded `\"…\"`; the range inside the quotes.
    private static func quotedValue(_ text: ByteText, at start: Int) -> Range<Int>? {
        let opening = text.at(start)
        if opening == Bytes.backslash && text.at(start + 1) == Bytes.quote {
            var position = start + 2
            while position < text.count, position - start < 16_384 {
                let byte = text[position]
                if byte == Bytes.newline { return nil }
                if byte == Bytes.backslash {
                    if text.at(position + 1) == Bytes.quote { return (start + 2)..<position }
                    position += 2
                    continue
                }
                position += 1
            }
            return nil
        }
        guard opening == Bytes.quote || opening == Bytes.apostrophe else { return nil }
        var position = start + 1
        while position < text.count, position - start < 16_384 {
            let byte = text[position]
            if byte == Bytes.newline { return nil }
            if byte == Bytes.backslash {
                position += 2
                continue
            }
            if byte == opening { return (start + 1)..<position }
            position += 1
        }
        return nil
    }

    /// An unquoted value at `start`, unless it reads as code, a type or a literal.
    private static func bareValue(_ text: ByteText, at start: Int) -> Range<Int>? {
        var end = start
        while end < text.count, end - start < 4096 {
            if text[end] == Bytes.backslash && text.at(end + 1) == Bytes.slash {
                end += 2 // JSONEncoder's `\/`
            } else if bareValueEnd.contains(text[end]) {
                break
            } else {
                end += 1
            }
        }
        guard end > start else { return nil }
        let first = text[start]
        // YAML: `|` and `>` start block scalars, `*` an alias, `&` an anchor, `!` a tag.
        if first == 0x7C || first == 0x2A || first == 0x21 || first == Bytes.at || first == 0x23 { return nil }
        // Code: a call, a generic, an optional type, a member path (`config.token`).
        let stop = text.at(end)
        if stop == 0x28 || stop == 0x29 || stop == 0x3C || stop == 0x7B { return nil }
        let last = text[end - 1]
        if last == 0x3F || last == 0x3A { return nil }
        var lowered: [UInt8] = []
        var onlyIdentifierAndDots = true
        var hasDot = false
        for index in start..<end {
            let byte = text[index]
            lowered.append(Bytes.lowercased(byte))
            if byte == Bytes.dot { hasDot = true } else if !(Bytes.isAlpha(byte) || byte == Bytes.underscore) { onlyIdentifierAndDots = false }
        }
        if nonSecretWords.contains(lowered) { return nil }
        if hasDot && onlyIdentifierAndDots { return nil }
        return start..<end
    }

    /// Whether a bare `key: value` reads as YAML rather than code or prose: `f(token: t, …)` is
    /// an argument, `token: the one we sent` a sentence. A value that ends its line is YAML; one
    /// followed by more words counts only when it does not read as a word (it has a digit or a symbol).
    private static func isYAMLValue(_ text: ByteText, _ value: Range<Int>) -> Bool {
        var next = value.upperBound
        if text.at(next) == 0x2C || text.at(next) == 0x29 { return false }
        while Bytes.isSpace(text.at(next)) { next += 1 }
        let byte = text.at(next)
        if next >= text.count || byte == Bytes.newline || byte == Bytes.carriageReturn || byte == 0x23 { return true }
        if byte == Bytes.backslash && (text.at(next + 1) == 0x6E || text.at(next + 1) == 0x72) { return true }
        for index in value where !Bytes.isAlpha(text[index]) { return true }
        return false
    }

    /// The most specific id for a value: a known token format filling the value names it.
    private static func formatID(_ text: ByteText, _ value: Range<Int>, kind: KeyKind, rules: TokenRuleIndex) -> String {
        if let token = rules.match(text, at: value.lowerBound), token.end == value.upperBound { return token.kind }
        if text.has(pemBegin, at: value.lowerBound) { return "private_key" }
        switch kind {
        case .awsSecret where text.unescapedLength(value) == 40 && text.run(of: .base64, from: value.lowerBound) >= value.upperBound:
            return "aws_secret_key"
        case .datadog where (value.count == 32 || value.count == 40) && text.run(of: .hex, from: value.lowerBound) >= value.upperBound:
            return "datadog_key"
        default:
            return "secret_field"
        }
    }
}
