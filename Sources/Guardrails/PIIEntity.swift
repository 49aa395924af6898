import Foundation

/// The privacy router's and the policies' built-in entities (Sandcastle's names).
public enum PIIEntity: String, CaseIterable, Sendable, Codable {
    case email, phone, ssn, creditCard = "credit_card", ipAddress = "ip_address", iban, dob

    /// What a redacted occurrence becomes: "[EMAIL]", "[CREDIT_CARD]", …
    public var placeholder: String { "[\(rawValue.uppercased())]" }

    /// Accepts the raw value case-insensitively ("EMAIL", " credit_card "); anything else is an
    /// `.invalidEntity` error naming the valid ones.
    public init(name: String) throws(GuardrailError) {
        let wanted = name.trimmingCharacters(in: .whitespaces).lowercased()
        guard let entity = PIIEntity(rawValue: wanted) else {
            let valid = PIIEntity.allCases.map(\.rawValue).joined(separator: ", ")
            throw GuardrailError(
                code: .invalidEntity, message: "unknown PII entity \"\(name.prefix(64))\"; the entities are \(valid)")
        }
        self = entity
    }
}
