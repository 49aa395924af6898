/// Email addresses and IP addresses (v4 dotted quads, v6 in full or `::`-compressed form).
enum AddressScanners {
    private static let localPart = ByteSet { Bytes.isAlnum($0) || "._%+-".utf8.contains($0) }
    private static let ipv6Bytes = ByteSet { Bytes.isHex($0) || $0 == Bytes.colon || $0 == Bytes.dot }

    /// The address around the `@` at `at`: a local part before it, a domain of two or more labels
    /// after it ending in a top-level domain of letters.
    static func email(_ text: ByteText, at: Int, floor: Int) -> ByteMatch? {
        var start = at
        while start > floor, at - start < 64, localPart.contains(text[start - 1]) { start -= 1 }
        // A local part longer than 64 bytes is no address.
        if start > floor, localPart.contains(text[start - 1]) { return nil }
        // `\n` in JSON-encoded text: the `n` belongs to the escape, not the address.
        if start > floor, text[start - 1] == Bytes.backslash, start < at, "ntr".utf8.contains(text[start]) { start += 1 }
        while start < at, text[start] == Bytes.dot { start += 1 }
        guard start < at, text[at - 1] != Bytes.dot else { return nil }
        var position = at + 1
        var labels = 0
        var lastLabelIsAlpha = false
        var end = at
        while position < text.count, position - at < 254 {
            let labelStart = position
            var allLetters = true
            while position < text.count, Bytes.isAlnum(text[position]) || text[position] == Bytes.dash {
                if !Bytes.isAlpha(text[position]) { allLetters = false }
                position += 1
            }
            guard position > labelStart, text[labelStart] != Bytes.dash, text[position - 1] != Bytes.dash else { break }
            labels += 1
            end = position
            lastLabelIsAlpha = allLetters && position - labelStart >= 2
            guard text.at(position) == Bytes.dot, Bytes.isAlnum(text.at(position + 1)) else { break }
            position += 1
        }
        guard labels >= 2, lastLabelIsAlpha, !Bytes.isWord(text.at(end)) else { return nil }
        return ByteMatch(start: start, end: end, kind: "email")
    }

    /// Four decimal octets, each 0-255 without a leading zero.
    static func ipv4(_ text: ByteText, at start: Int) -> Int? {
        var position = start
        for octet in 0..<4 {
            let digitsStart = position
            var value = 0
            while position - digitsStart < 3, Bytes.isDigit(text.at(position)) {
                value = value * 10 + Int(text[position] - 0x30)
                position += 1
            }
            let length = position - digitsStart
            guard length > 0, value <= 255, !(length > 1 && text[digitsStart] == 0x30), !Bytes.isDigit(text.at(position)) else {
                return nil
            }
            if octet < 3 {
                guard text.at(position) == Bytes.dot else { return nil }
                position += 1
            }
        }
        return NumberScanners.isNumberEnd(text, position) ? position : nil
    }

    /// An IPv6 address at a word start: eight groups of one to four hex digits, or fewer with one
    /// `::`, optionally ending in a dotted quad (`::ffff:192.0.2.1`).
    static func ipv6(_ text: ByteText, at start: Int) -> Int? {
        let previous = text.at(start - 1)
        guard previous != Bytes.colon, previous != Bytes.dot else { return nil }
        var end = text.run(of: ipv6Bytes, from: start, limit: 46)
        guard end - start <= 45 else { return nil }
        // A sentence's colon or full stop after the address is not part of it.
        while end > start, text[end - 1] == Bytes.dot || (text[end - 1] == Bytes.colon && text.at(end - 2) != Bytes.colon) { end -= 1 }
        guard end - start >= 2, !Bytes.isWord(text.at(end)) else { return nil }
        var groups = 0
        var compressed = false
        var hexDigits = 0
        var position = start
        var colons = 0
        while position < end {
            if text[position] == Bytes.colon {
                colons += 1
                if text.at(position + 1) == Bytes.colon {
                    guard !compressed else { return nil }
                    compressed = true
                    position += 2
                    colons += 1
                    if text.at(position) == Bytes.colon { return nil }
                    continue
                }
                position += 1
                guard position < end, text[position] != Bytes.colon else { return nil }
                continue
            }
            let groupStart = position
            while position < end, Bytes.isHex(text[position]) { position += 1 }
            if text.at(position) == Bytes.dot {
                // An embedded IPv4 address ends the address and counts as two groups.
                guard ipv4(text, at: groupStart) == end else { return nil }
                groups += 2
                hexDigits += 1
                position = end
                break
            }
            guard (1...4).contains(position - groupStart) else { return nil }
            groups += 1
            hexDigits += position - groupStart
        }
        guard colons >= 2, hexDigits > 0, compressed ? groups <= 7 : groups == 8 else { return nil }
        return end
    }
}
