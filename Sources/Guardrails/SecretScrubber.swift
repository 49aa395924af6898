/// The always-on secret scrubber: every format of `SecretFormat.all` plus the exact values the
/// server holds, replaced by "[REDACTED:<format id>]".
///
/// One forward pass over the UTF-8 bytes. A 256-entry table says which bytes can start
/// anything (a token prefix, a PEM header, a `:` or `=` of a field or URL); every other byte
/// costs one load. Candidates are validated by small hand-written matchers that only look a
/// bounded distance around them, and the scan resumes after each finding, so the time is
/// linear in the text whatever it holds. Scrubbing is idempotent: a redaction matches nothing.
public struct SecretScrubber: Sendable {
    private let rules: TokenRuleIndex
    private let exact: ExactValues
    private let triggers: [UInt8]

    private enum Trigger {
        static let token: UInt8 = 1
        static let separator: UInt8 = 2
        static let pem: UInt8 = 4
    }

    /// `exactValues`: credentials and provider keys the server holds; each is replaced wherever it
    /// appears (values shorter than 8 characters are ignored).
    public init(exactValues: [String] = []) {
        self.init(rules: TokenRuleIndex(), exact: ExactValues(exactValues))
    }

    private init(rules: TokenRuleIndex, exact: ExactValues) {
        self.rules = rules
        self.exact = exact
        var triggers = [UInt8](repeating: 0, count: 256)
        for byte in 0...255 where rules.firstBytes.contains(UInt8(byte)) { triggers[byte] |= Trigger.token }
        triggers[Int(Bytes.colon)] |= Trigger.separator
        triggers[Int(Bytes.equals)] |= Trigger.separator
        triggers[Int(Bytes.dash)] |= Trigger.pem
        self.triggers = triggers
    }

    /// This scrubber with more exact values.
    public func adding(exactValues: [String]) -> SecretScrubber {
        var exact = self.exact
        exact.add(exactValues)
        return SecretScrubber(rules: rules, exact: exact)
    }

    public func scrub(_ text: String) -> ScrubResult {
        let found = text.withByteText { findSecrets(in: $0) }
        guard !found.isEmpty else { return ScrubResult(text: text, findings: []) }
        return ScrubResult(text: text.replacing(found) { "[REDACTED:\($0.kind)]" }, findings: text.textMatches(found))
    }

    /// `scrub(text).text`.
    public func scrubbed(_ text: String) -> String { scrub(text).text }

    /// Every secret in `text` as byte ranges, in order, not overlapping.
    func findSecrets(in text: ByteText) -> [ByteMatch] {
        var found: [ByteMatch] = []
        var pem = PEMBlocks()
        let count = text.count
        let checksExact = !exact.isEmpty
        var floor = 0
        var index = 0
        triggers.withUnsafeBufferPointer { triggers in
            rules.firstTwoBytes.withUnsafeBufferPointer { pairs in
                while index < count {
                    let byte = text[index]
                    if checksExact, index + 1 < count, exact.mayStart(byte, text[index + 1]), let end = exact.match(text, at: index) {
                        found.append(ByteMatch(start: index, end: end, kind: "exact_value"))
                        index = end
                        floor = end
                        continue
                    }
                    let flags = triggers[Int(byte)]
                    if flags == 0 {
                        index += 1
                        continue
                    }
                    var match: ByteMatch?
                    if flags & Trigger.pem != 0, let block = pem.match(text, at: index) {
                        match = ByteMatch(start: block.lowerBound, end: block.upperBound, kind: "private_key")
                    } else if flags & Trigger.token != 0, index + 1 < count,
                        pairs[Int(byte) << 2 | Int(text[index + 1] >> 6)] >> UInt64(text[index + 1] & 63) & 1 == 1,
                        text.isWordStart(index)
                    {
                        match = rules.match(text, at: index)
                    } else if flags & Trigger.separator != 0 {
                        match = separatorSecret(text, at: index, floor: floor)
                    }
                    if let match, match.start >= floor {
                        found.append(match)
                        index = match.end
                        floor = match.end
                    } else {
                        index += 1
                    }
                }
            }
        }
        return found
    }

    private func separatorSecret(_ text: ByteText, at index: Int, floor: Int) -> ByteMatch? {
        if text[index] == Bytes.colon {
            if let url = ColonSecrets.urlPassword(text, colon: index, floor: floor) { return url }
            if Bytes.isDigit(text.at(index - 1)), let telegram = ColonSecrets.telegramToken(text, colon: index, floor: floor) {
                return telegram
            }
        }
        return SecretFields.match(text, separator: index, floor: floor, rules: rules)
    }
}
