import Foundation

/// Finds the seven PII entities of the privacy router and the policies' built-in patterns.
///
/// Hand-written scanners over the UTF-8 bytes in one forward pass: a candidate is tried only
/// where an entity can start (a digit, `+` or `(` at a word start, an uppercase pair, a hex word,
/// an `@`), each scanner looks a bounded distance, and the scan resumes after each match, so the
/// time is linear in the text. Validators keep look-alikes out: Luhn for cards, mod-97 for IBANs,
/// the SSA's never-issued ranges for SSNs, octets ≤ 255, calendar dates with a plausible year.
public struct PIIDetector: Sendable {
    public let entities: Set<PIIEntity>
    private let scanners: PIIScanners

    public init(entities: Set<PIIEntity> = Set(PIIEntity.allCases)) {
        self.entities = entities
        let year = Calendar(identifier: .gregorian).component(.year, from: Date())
        scanners = PIIScanners(entities: entities, latestBirthYear: year)
    }

    /// Every entity found, sorted by position, non-overlapping.
    public func matches(in text: String) -> [TextMatch] {
        text.textMatches(text.withByteText { scanners.find(in: $0) })
    }

    /// The text with each match replaced by its entity's placeholder ("[EMAIL]", …).
    public func redact(_ text: String) -> (text: String, matches: [TextMatch]) {
        let found = text.withByteText { scanners.find(in: $0) }
        guard !found.isEmpty else { return (text, []) }
        let redacted = text.replacing(found) { PIIEntity(rawValue: $0.kind)?.placeholder ?? "[PII]" }
        return (redacted, text.textMatches(found))
    }
}
