/// PEM private key blocks, found whole: `-----BEGIN <label> PRIVATE KEY-----` through the
/// matching `-----END …-----`, in plain text or JSON-encoded (`\n` escapes). The scrubber tries
/// them before any token rule (the whitepaper's "PEM first"), so a key's base64 body is never
/// half-redacted by a token pattern that happens to fit inside it.
struct PEMBlocks {
    private static let begin = Array("-----BEGIN ".utf8)
    private static let end = Array("-----END ".utf8)
    private static let dashes = Array("-----".utf8)
    private static let privateKey = Array("PRIVATE KEY".utf8)
    private static let privateKeyBlock = Array("PRIVATE KEY BLOCK".utf8)

    /// The position from which a search found no `-----END `: later searches from there on
    /// answer at once, so many unterminated BEGINs still cost one pass (linear time).
    private var noEndFrom = Int.max

    /// The block starting at `start` (a `-`), or nil.
    mutating func match(_ text: ByteText, at start: Int) -> Range<Int>? {
        guard text.has(Self.begin, at: start) else { return nil }
        let labelStart = start + Self.begin.count
        var labelEnd = labelStart
        while labelEnd - labelStart < 64, labelEnd < text.count, !text.has(Self.dashes, at: labelEnd) {
            let byte = text[labelEnd]
            guard Bytes.isUpper(byte) || Bytes.isDigit(byte) || byte == Bytes.space else { return nil }
            labelEnd += 1
        }
        guard text.has(Self.dashes, at: labelEnd) else { return nil }
        let label = labelEnd - labelStart
        guard
            (label >= Self.privateKey.count && text.has(Self.privateKey, at: labelEnd - Self.privateKey.count))
                || (label >= Self.privateKeyBlock.count && text.has(Self.privateKeyBlock, at: labelEnd - Self.privateKeyBlock.count))
        else { return nil }
        let bodyStart = labelEnd + Self.dashes.count
        if let footer = findEnd(text, from: bodyStart) {
            // Past `-----END <label>-----`.
            var position = footer + Self.end.count
            while position - footer < 80, position < text.count, !text.has(Self.dashes, at: position) { position += 1 }
            if text.has(Self.dashes, at: position) { return start..<(position + Self.dashes.count) }
        }
        // No footer (a truncated key): the header and the body that follows it, up to a quote
        // or a blank line, so no part of the key survives.
        return start..<bodyEnd(text, from: bodyStart)
    }

    private mutating func findEnd(_ text: ByteText, from start: Int) -> Int? {
        guard start < noEndFrom else { return nil }
        var position = start
        while position + Self.end.count <= text.count {
            if text[position] == Bytes.dash && text.has(Self.end, at: position) { return position }
            position += 1
        }
        noEndFrom = start
        return nil
    }

    private func bodyEnd(_ text: ByteText, from start: Int) -> Int {
        var position = start
        while position < text.count {
            let byte = text[position]
            if byte == Bytes.quote || byte == Bytes.apostrophe { break }
            if byte == Bytes.newline && text.at(position + 1) == Bytes.newline { break }
            if byte == Bytes.backslash && text.has(Self.escapedBlankLine, at: position) { break }
            position += 1
        }
        return position
    }

    private static let escapedBlankLine = Array(#"\n\n"#.utf8)
}
