// A throwaway stand-in for the Guardrails module's contract (issue 15), so the policy engine
// builds before the real module (RE2-backed) is merged. Deleted at merge: nothing else lives here.
import Foundation

public struct GuardrailError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable {
        public var rawValue: String
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

public struct LinearRegex: @unchecked Sendable {
    public let pattern: String
    private let regex: NSRegularExpression

    public init(_ pattern: String, caseInsensitive: Bool = false) throws(GuardrailError) {
        self.pattern = pattern
        do {
            regex = try NSRegularExpression(pattern: pattern, options: caseInsensitive ? [.caseInsensitive] : [])
        } catch {
            throw GuardrailError(.invalidPattern, "the regex `\(pattern)` is invalid: \(error.localizedDescription)")
        }
    }

    public func matches(in text: String) -> [Range<String.Index>] {
        let whole = NSRange(text.startIndex..<text.endIndex, in: text)
        return regex.matches(in: text, range: whole).compactMap { Range($0.range, in: text) }.filter { !$0.isEmpty }
    }

    public func firstMatch(in text: String) -> Range<String.Index>? { matches(in: text).first }
}

public enum PIIEntity: String, CaseIterable, Sendable, Codable {
    case email, phone, ssn, creditCard = "credit_card", ipAddress = "ip_address", iban, dob

    public var placeholder: String { "[\(rawValue.uppercased())]" }

    public init(name: String) throws(GuardrailError) {
        guard let entity = PIIEntity(rawValue: name.lowercased()) else {
            throw GuardrailError(
                .invalidEntity,
                "unknown entity `\(name)`; use one of \(PIIEntity.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self = entity
    }

    var standInPattern: String {
        switch self {
        case .email: #"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"#
        case .phone: #"\+?\d{1,3}[ .-]?\(?\d{3}\)?[ .-]?\d{3}[ .-]?\d{4}"#
        case .ssn: #"\b\d{3}-\d{2}-\d{4}\b"#
        case .creditCard: #"\b(?:\d[ -]?){13,16}\b"#
        case .ipAddress: #"\b(?:\d{1,3}\.){3}\d{1,3}\b"#
        case .iban: #"\b[A-Z]{2}\d{2}[A-Z0-9]{11,30}\b"#
        case .dob: #"\b\d{4}-\d{2}-\d{2}\b"#
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
    private let detectors: [(PIIEntity, LinearRegex)]

    public init(entities: Set<PIIEntity> = Set(PIIEntity.allCases)) {
        detectors = PIIEntity.allCases.filter(entities.contains).compactMap { entity in
            (try? LinearRegex(entity.standInPattern)).map { (entity, $0) }
        }
    }

    public func matches(in text: String) -> [TextMatch] {
        var all: [TextMatch] = []
        for (entity, regex) in detectors {
            all += regex.matches(in: text).map { TextMatch(kind: entity.rawValue, range: $0) }
        }
        all.sort { $0.range.lowerBound < $1.range.lowerBound }
        var kept: [TextMatch] = []
        for match in all where kept.last.map({ $0.range.upperBound <= match.range.lowerBound }) ?? true {
            kept.append(match)
        }
        return kept
    }

    public func redact(_ text: String) -> (text: String, matches: [TextMatch]) {
        let found = matches(in: text)
        var result = text
        for match in found.reversed() {
            let placeholder = PIIEntity(rawValue: match.kind)?.placeholder ?? "[REDACTED]"
            result.replaceSubrange(match.range, with: placeholder)
        }
        return (result, found)
    }
}

public struct SecretScrubber: Sendable {
    private var exactValues: [String]
    public init(exactValues: [String] = []) { self.exactValues = exactValues.filter { $0.count >= 8 } }
    public func adding(exactValues: [String]) -> SecretScrubber { SecretScrubber(exactValues: self.exactValues + exactValues) }
    public func scrub(_ text: String) -> ScrubResult {
        var result = text
        for value in exactValues { result = result.replacingOccurrences(of: value, with: "[REDACTED:exact]") }
        return ScrubResult(text: result, findings: [], changed: result != text)
    }
    public func scrubbed(_ text: String) -> String { scrub(text).text }
}

public struct ScrubResult: Sendable {
    public var text: String
    public var findings: [TextMatch]
    private let didChange: Bool
    init(text: String, findings: [TextMatch], changed: Bool) {
        self.text = text
        self.findings = findings
        self.didChange = changed
    }
    public var changed: Bool { didChange }
}

public func maskedSecret(_ value: String) -> String {
    guard value.count >= 12 else { return "****" }
    return "\(value.prefix(4))…\(value.suffix(4))"
}
