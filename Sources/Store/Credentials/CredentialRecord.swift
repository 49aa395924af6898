import Foundation

/// What anyone but a running step may see of a credential: its name, the value masked, and
/// its history. There is deliberately no field for the value.
public struct CredentialRecord: Sendable, Equatable, Codable {
    public var name: String
    /// ``CredentialMask/mask(_:)`` of the value; nil when it is sealed under another key
    /// (``keyID`` then differs from the vault's).
    public var masked: String?
    /// The key the value is sealed under (first 16 hex digits of its SHA-256).
    public var keyID: String
    public var createdAt: Date
    public var updatedAt: Date
    /// When a step last received it; nil: never.
    public var lastUsedAt: Date?

    public init(name: String, masked: String?, keyID: String, createdAt: Date, updatedAt: Date, lastUsedAt: Date?) {
        self.name = name
        self.masked = masked
        self.keyID = keyID
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.lastUsedAt = lastUsedAt
    }
}

/// How a secret is shown: the first 4 and last 4 characters, or only `****` when it is shorter
/// than 12 (then 8 shown characters would be most of it).
public enum CredentialMask {
    public static let hidden = "****"

    public static func mask(_ value: String) -> String {
        let characters = Array(value)
        guard characters.count >= 12 else { return hidden }
        return String(characters.prefix(4)) + "..." + String(characters.suffix(4))
    }
}
