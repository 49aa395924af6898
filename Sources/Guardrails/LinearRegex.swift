import CRE2

/// A regular expression that runs in time linear in the input (RE2 syntax; no backreferences or lookaround).
///
/// Backed by Google's RE2 through `CRE2`: an automaton, never a backtracker, so a pattern such as
/// `(a+)+$` costs the same on a hostile 10 MiB input as on a friendly one. One compiled regex is
/// shared by copies of the value and used from any number of tasks at once.
public struct LinearRegex: Sendable {
    public let pattern: String
    private let compiled: CompiledRE2

    public init(_ pattern: String, caseInsensitive: Bool = false) throws(GuardrailError) {
        self.pattern = pattern
        var utf8 = Array(pattern.utf8)
        var errorText: UnsafeMutablePointer<CChar>?
        let pointer = utf8.withUnsafeMutableBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { chars in
                cre2_compile(chars.baseAddress, chars.count, caseInsensitive ? 1 : 0, &errorText)
            }
        }
        guard let pointer else {
            let reason = errorText.map { String(cString: $0) } ?? "it does not compile"
            cre2_free_error(errorText)
            throw GuardrailError(code: .invalidPattern, message: "the regex `\(pattern)` is invalid: \(reason)")
        }
        compiled = CompiledRE2(pointer)
    }

    /// Every leftmost, non-overlapping, non-empty match, in order.
    public func matches(in text: String) -> [Range<String.Index>] {
        byteRanges(in: text, limit: Int.max).map { text.indexRange(ofUTF8: $0) }
    }

    /// The leftmost non-empty match, if any.
    public func firstMatch(in text: String) -> Range<String.Index>? {
        byteRanges(in: text, limit: 1).first.map { text.indexRange(ofUTF8: $0) }
    }

    /// Matches as UTF-8 byte offsets. Empty matches are skipped: a policy that "matches" the
    /// empty string everywhere would flag every output without finding anything in it.
    private func byteRanges(in text: String, limit: Int) -> [Range<Int>] {
        var text = text
        return text.withUTF8 { bytes -> [Range<Int>] in
            var found: [Range<Int>] = []
            var start = 0
            let base = UnsafeRawPointer(bytes.baseAddress)?.assumingMemoryBound(to: CChar.self)
            while start <= bytes.count, found.count < limit {
                var matchStart = 0
                var matchEnd = 0
                guard cre2_find(compiled.pointer, base, bytes.count, start, &matchStart, &matchEnd) == 1 else { break }
                if matchEnd > matchStart {
                    found.append(matchStart..<matchEnd)
                    start = matchEnd
                } else {
                    // An empty match: move on by one whole scalar, never into the middle of one.
                    start = matchEnd + 1
                    while start < bytes.count, bytes[start] & 0xC0 == 0x80 { start += 1 }
                }
            }
            return found
        }
    }
}

/// Owns one compiled RE2. RE2's matching methods are const and documented thread-safe, so the
/// pointer may be shared across tasks; it is freed once, when the last `LinearRegex` copy goes.
private final class CompiledRE2: @unchecked Sendable {
    let pointer: OpaquePointer

    init(_ pointer: OpaquePointer) { self.pointer = pointer }

    deinit { cre2_free(pointer) }
}
