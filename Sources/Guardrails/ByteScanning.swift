/// Byte-level helpers shared by the hand-written scanners. They work on UTF-8 bytes only: every
/// pattern here is ASCII, and UTF-8 never puts an ASCII byte inside a multi-byte character.
enum Bytes {
    static let backslash: UInt8 = 0x5C
    static let quote: UInt8 = 0x22
    static let apostrophe: UInt8 = 0x27
    static let colon: UInt8 = 0x3A
    static let equals: UInt8 = 0x3D
    static let dash: UInt8 = 0x2D
    static let underscore: UInt8 = 0x5F
    static let slash: UInt8 = 0x2F
    static let dot: UInt8 = 0x2E
    static let at: UInt8 = 0x40
    static let space: UInt8 = 0x20
    static let tab: UInt8 = 0x09
    static let newline: UInt8 = 0x0A
    static let carriageReturn: UInt8 = 0x0D

    @inline(__always) static func isDigit(_ byte: UInt8) -> Bool { byte &- 0x30 < 10 }
    @inline(__always) static func isUpper(_ byte: UInt8) -> Bool { byte &- 0x41 < 26 }
    @inline(__always) static func isLower(_ byte: UInt8) -> Bool { byte &- 0x61 < 26 }
    @inline(__always) static func isAlpha(_ byte: UInt8) -> Bool { (byte | 0x20) &- 0x61 < 26 }
    @inline(__always) static func isAlnum(_ byte: UInt8) -> Bool { isDigit(byte) || isAlpha(byte) }
    @inline(__always) static func isWord(_ byte: UInt8) -> Bool { isAlnum(byte) || byte == underscore }
    @inline(__always) static func isHex(_ byte: UInt8) -> Bool { isDigit(byte) || (byte | 0x20) &- 0x61 < 6 }
    @inline(__always) static func isLowerHex(_ byte: UInt8) -> Bool { isDigit(byte) || byte &- 0x61 < 6 }
    @inline(__always) static func isSpace(_ byte: UInt8) -> Bool { byte == space || byte == tab }
    @inline(__always) static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == space || byte == tab || byte == newline || byte == carriageReturn
    }
    @inline(__always) static func lowercased(_ byte: UInt8) -> UInt8 { isUpper(byte) ? byte | 0x20 : byte }
}

/// A set of bytes as a 256-bit map: the alphabet of a token's body, a class of triggers.
struct ByteSet: Sendable {
    private var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    init(_ predicate: (UInt8) -> Bool) {
        for value in 0...255 where predicate(UInt8(value)) { insert(UInt8(value)) }
    }

    init(ascii characters: String) {
        for byte in characters.utf8 { insert(byte) }
    }

    mutating func insert(_ byte: UInt8) {
        let bit = UInt64(1) << UInt64(byte & 63)
        switch byte >> 6 {
        case 0: words.0 |= bit
        case 1: words.1 |= bit
        case 2: words.2 |= bit
        default: words.3 |= bit
        }
    }

    @inline(__always) func contains(_ byte: UInt8) -> Bool {
        let word: UInt64
        switch byte >> 6 {
        case 0: word = words.0
        case 1: word = words.1
        case 2: word = words.2
        default: word = words.3
        }
        return word >> UInt64(byte & 63) & 1 == 1
    }

    func union(_ other: ByteSet) -> ByteSet {
        var result = self
        result.words.0 |= other.words.0
        result.words.1 |= other.words.1
        result.words.2 |= other.words.2
        result.words.3 |= other.words.3
        return result
    }

    static let digits = ByteSet(Bytes.isDigit)
    static let alnum = ByteSet(Bytes.isAlnum)
    static let word = ByteSet(Bytes.isWord)
    static let hex = ByteSet(Bytes.isHex)
    static let lowerHex = ByteSet(Bytes.isLowerHex)
    static let upperAlnum = ByteSet { Bytes.isUpper($0) || Bytes.isDigit($0) }
    static let letters = ByteSet(Bytes.isAlpha)
    /// Base64url: letters, digits, `-` and `_`.
    static let base64URL = ByteSet { Bytes.isWord($0) || $0 == Bytes.dash }
    /// Standard base64 without padding: letters, digits, `+` and `/`.
    static let base64 = ByteSet { Bytes.isAlnum($0) || $0 == 0x2B || $0 == Bytes.slash }
    /// A Bearer credential (RFC 6750's b64token without the padding).
    static let bearerCredential = base64URL.union(ByteSet(ascii: ".~+/"))
}

/// A read-only view of UTF-8 bytes with the boundary rules every scanner shares.
struct ByteText {
    let bytes: UnsafeBufferPointer<UInt8>
    var count: Int { bytes.count }

    @inline(__always) subscript(_ index: Int) -> UInt8 { bytes[index] }

    /// The byte at `index`, or 0 past either end (0 belongs to no class the scanners test).
    @inline(__always) func at(_ index: Int) -> UInt8 { index >= 0 && index < bytes.count ? bytes[index] : 0 }

    /// Whether a word may start at `index`: the byte before is no letter, digit or underscore.
    /// In JSON-encoded text `\n`, `\t` and `\r` also end a word although their last byte is a letter.
    @inline(__always) func isWordStart(_ index: Int) -> Bool {
        guard index > 0 else { return true }
        let previous = bytes[index - 1]
        if !Bytes.isWord(previous) { return true }
        return index >= 2 && bytes[index - 2] == Bytes.backslash
            && (previous == 0x6E || previous == 0x74 || previous == 0x72)
    }

    /// Whether a word ends at `index` (exclusive): the byte there is no letter or digit.
    @inline(__always) func isWordEnd(_ index: Int) -> Bool { !Bytes.isAlnum(at(index)) }

    /// Whether `literal` is at `index`, byte for byte.
    @inline(__always) func has(_ literal: [UInt8], at index: Int) -> Bool {
        guard index >= 0, index + literal.count <= bytes.count else { return false }
        for offset in 0..<literal.count where bytes[index + offset] != literal[offset] { return false }
        return true
    }

    /// Whether `literal` (lowercase ASCII) is at `index`, ignoring the text's case.
    func hasIgnoringCase(_ literal: [UInt8], at index: Int) -> Bool {
        guard index >= 0, index + literal.count <= bytes.count else { return false }
        for offset in 0..<literal.count where Bytes.lowercased(bytes[index + offset]) != literal[offset] { return false }
        return true
    }

    /// The end of the run of bytes in `set` starting at `index`, looking at most `limit` bytes.
    /// When `/` is in the set, JSONEncoder's `\/` counts as one: a base64 secret inside a JSON
    /// string is found whole.
    @inline(__always) func run(of set: ByteSet, from index: Int, limit: Int = Int.max) -> Int {
        var end = index
        let stop = limit == Int.max ? bytes.count : min(bytes.count, index + limit)
        while end < stop {
            let byte = bytes[end]
            if set.contains(byte) {
                end += 1
            } else if byte == Bytes.backslash, end + 1 < bytes.count, bytes[end + 1] == Bytes.slash, set.contains(Bytes.slash) {
                end += 2
            } else {
                break
            }
        }
        return end
    }

    /// The length of `range` with each `\/` read as `/`.
    func unescapedLength(_ range: Range<Int>) -> Int {
        var length = range.count
        for index in range where bytes[index] == Bytes.backslash && at(index + 1) == Bytes.slash { length -= 1 }
        return length
    }

    /// A `/` at `index`, or JSONEncoder's escaped `\/`: the length matched (1 or 2), else 0.
    @inline(__always) func slash(at index: Int) -> Int {
        if at(index) == Bytes.slash { return 1 }
        if at(index) == Bytes.backslash && at(index + 1) == Bytes.slash { return 2 }
        return 0
    }

    /// Whether `literal` is at `index` where each `/` may also be written `\/`; the end, if so.
    func matchingSlashes(_ literal: [UInt8], at index: Int) -> Int? {
        var position = index
        for byte in literal {
            if byte == Bytes.slash {
                let length = slash(at: position)
                guard length > 0 else { return nil }
                position += length
            } else {
                guard at(position) == byte else { return nil }
                position += 1
            }
        }
        return position
    }
}

/// A match found as UTF-8 byte offsets, before it becomes a `TextMatch`.
struct ByteMatch {
    var start: Int
    var end: Int
    var kind: String
}

extension String {
    /// Runs `body` over this string's UTF-8 bytes without copying a native string.
    func withByteText<Result>(_ body: (ByteText) -> Result) -> Result {
        if let result = utf8.withContiguousStorageIfAvailable({ body(ByteText(bytes: $0)) }) { return result }
        var copy = self
        copy.makeContiguousUTF8()
        return copy.utf8.withContiguousStorageIfAvailable { body(ByteText(bytes: $0)) } ?? body(ByteText(bytes: UnsafeBufferPointer(start: nil, count: 0)))
    }

    /// The `String.Index` range of a UTF-8 byte range of this string.
    func indexRange(ofUTF8 range: Range<Int>) -> Range<String.Index> {
        let lower = utf8.index(utf8.startIndex, offsetBy: range.lowerBound)
        let upper = utf8.index(lower, offsetBy: range.count)
        return lower..<upper
    }

    /// `TextMatch`es for byte matches in order, walking the indices forward once (linear).
    func textMatches(_ matches: [ByteMatch]) -> [TextMatch] {
        var result: [TextMatch] = []
        result.reserveCapacity(matches.count)
        var index = utf8.startIndex
        var offset = 0
        for match in matches {
            let lower = utf8.index(index, offsetBy: match.start - offset)
            let upper = utf8.index(lower, offsetBy: match.end - match.start)
            result.append(TextMatch(kind: match.kind, range: lower..<upper))
            index = lower
            offset = match.start
        }
        return result
    }

    /// This string with each byte match replaced by `replacement(match)`; matches are in order
    /// and do not overlap.
    func replacing(_ matches: [ByteMatch], with replacement: (ByteMatch) -> String) -> String {
        guard !matches.isEmpty else { return self }
        return withByteText { text in
            var output: [UInt8] = []
            output.reserveCapacity(text.count + matches.count * 24)
            var copied = 0
            for match in matches {
                output.append(contentsOf: UnsafeBufferPointer(rebasing: text.bytes[copied..<match.start]))
                output.append(contentsOf: replacement(match).utf8)
                copied = match.end
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: text.bytes[copied..<text.count]))
            return String(decoding: output, as: UTF8.self)
        }
    }
}
