/// The token rules by the first byte of their prefix, longest prefix first, so a word start
/// costs one table load when no rule starts with its byte and a few byte comparisons when some do.
struct TokenRuleIndex: Sendable {
    private let rulesByFirstByte: [[TokenRule]]
    /// Which bytes start some rule's prefix.
    let firstBytes: ByteSet
    /// Which first two bytes start some rule (a 64 Ki-bit map): most word starts with a
    /// trigger letter ("the", "should") stop here without touching a rule.
    let firstTwoBytes: [UInt64]

    init(_ rules: [TokenRule] = TokenRule.all) {
        var table = [[TokenRule]](repeating: [], count: 256)
        for rule in rules { table[Int(rule.prefix[0])].append(rule) }
        rulesByFirstByte = table.map { $0.sorted { $0.prefix.count > $1.prefix.count } }
        var bytes = ByteSet { _ in false }
        var pairs = [UInt64](repeating: 0, count: 1024)
        for rule in rules {
            bytes.insert(rule.prefix[0])
            // A one-byte prefix (Discord's M, N, O) may be followed by any base64url byte.
            let seconds = rule.prefix.count > 1 ? [rule.prefix[1]] : (0...255).map(UInt8.init).filter(ByteSet.base64URL.contains)
            for second in seconds {
                let key = Int(rule.prefix[0]) << 8 | Int(second)
                pairs[key >> 6] |= 1 << UInt64(key & 63)
            }
        }
        firstBytes = bytes
        firstTwoBytes = pairs
    }

    /// The first rule that matches at `start` (a word start), as the range to redact.
    func match(_ text: ByteText, at start: Int) -> ByteMatch? {
        let rules = rulesByFirstByte[Int(text[start])]
        for rule in rules where text.has(rule.prefix, at: start) {
            guard let range = rule.match(text, start, start + rule.prefix.count) else { continue }
            var kind = rule.format
            // A Bearer credential that is itself a known token is named by its format.
            if kind == "bearer_token", let inner = innerToken(text, range) { kind = inner }
            return ByteMatch(start: range.lowerBound, end: range.upperBound, kind: kind)
        }
        return nil
    }

    private func innerToken(_ text: ByteText, _ range: Range<Int>) -> String? {
        for rule in rulesByFirstByte[Int(text[range.lowerBound])] where rule.format != "bearer_token" && text.has(rule.prefix, at: range.lowerBound) {
            if let inner = rule.match(text, range.lowerBound, range.lowerBound + rule.prefix.count), inner == range { return rule.format }
        }
        return nil
    }
}
