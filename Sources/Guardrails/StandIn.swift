// A throwaway stand-in for the Guardrails module's PII part (issue 15), so the privacy router
// builds before the real module (RE2-backed, owned by guardrails-core) is merged. Deleted at
// merge: nothing else belongs in this file.
import Foundation

public struct GuardrailError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public static let invalidPattern = Code(rawValue: "invalid_pattern")
        public static let invalidEntity = Code(rawValue: "invalid_entity")
    }
    public let code: Code
    public let message: String
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
    public var description: String { message }
}

public enum PIIEntity: String, CaseIterable, Sendable, Codable {
    case email, phone, ssn, creditCard = "credit_card", ipAddress = "ip_address", iban, dob

    public var placeholder: String { "[\(rawValue.uppercased())]" }

    public init(name: String) throws(GuardrailError) {
        guard let entity = Self(rawValue: name.lowercased()) else {
            throw GuardrailError(
                .invalidEntity,
                "`\(name)` is not a PII entity; the entities are \(Self.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self = entity
    }

    /// Naive patterns; the real module's are RE2 and stricter.
    var pattern: String {
        switch self {
        case .email: #"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}"#
        case .creditCard: #"\b(?:\d[ \-]?){12,18}\d\b"#
        case .ssn: #"\b\d{3}-\d{2}-\d{4}\b"#
        case .iban: #"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b"#
        case .ipAddress: #"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b"#
        case .dob: #"\b(?:\d{1,2}[/.\-]\d{1,2}[/.\-](?:19|20)\d{2}|(?:19|20)\d{2}-\d{2}-\d{2})\b"#
        case .phone: #"(?:\+\d{1,3}[ \-.]?)?(?:\(\d{2,4}\)[ \-.]?|\b\d{2,4}[ \-.])\d{3,4}[ \-.]\d{3,4}\b"#
        }
    }
}

public struct TextMatch: Sendable, Equatable {
    public var kind: String
    public var range: Range<String.Index>
    public init(kind: String, range: Range<String.Index>) {
        self.kind = kind
        self.range = range
    }
}

public struct PIIDetector: Sendable {
    private let entities: [PIIEntity]

    public init(entities: Set<PIIEntity> = Set(PIIEntity.allCases)) {
        // The most specific first, so a card number is not taken for a phone number.
        let order: [PIIEntity] = [.email, .iban, .creditCard, .ssn, .ipAddress, .dob, .phone]
        self.entities = order.filter(entities.contains)
    }

    public func matches(in text: String) -> [TextMatch] {
        var found: [TextMatch] = []
        let whole = NSRange(text.startIndex..., in: text)
        for entity in entities {
            guard let regex = try? NSRegularExpression(pattern: entity.pattern) else { continue }
            for result in regex.matches(in: text, range: whole) {
                guard let range = Range(result.range, in: text) else { continue }
                if found.contains(where: { $0.range.overlaps(range) }) { continue }
                found.append(TextMatch(kind: entity.rawValue, range: range))
            }
        }
        return found.sorted { $0.range.lowerBound < $1.range.lowerBound }
    }

    public func redact(_ text: String) -> (text: String, matches: [TextMatch]) {
        let found = matches(in: text)
        var result = ""
        var cursor = text.startIndex
        for match in found {
            result += text[cursor..<match.range.lowerBound]
            result += PIIEntity(rawValue: match.kind)?.placeholder ?? "[PII]"
            cursor = match.range.upperBound
        }
        result += text[cursor...]
        return (result, found)
    }
}
public struct ScrubResult: Sendable {
    public var text: String
    public var findings: [TextMatch]
    public var changed: Bool { !findings.isEmpty }
}

public struct SecretScrubber: Sendable {
    var values: [String] = []
    public init(exactValues: [String] = []) { values = exactValues.filter { $0.count >= 8 } }
    public func adding(exactValues: [String]) -> SecretScrubber { SecretScrubber(exactValues: values + exactValues) }
    public func scrub(_ text: String) -> ScrubResult {
        var out = text
        var found: [TextMatch] = []
        for value in values where out.contains(value) {
            out = out.replacingOccurrences(of: value, with: "[REDACTED:credential]")
            found.append(TextMatch(kind: "credential", range: text.startIndex..<text.startIndex))
        }
        return ScrubResult(text: out, findings: found)
    }
    public func scrubbed(_ text: String) -> String { scrub(text).text }
}
