import Foundation

/// A credential as `/api/credentials` answers it: masked, never the value.
public struct RemoteCredential: Decodable, Sendable, Equatable {
    public let name: String
    /// The first 4 and last 4 characters, `****` under 12; nil when the server cannot open it.
    public let maskedValue: String?
    public let keyID: String?
    public let createdAt: Date?
    public let updatedAt: Date?
    public let lastUsedAt: Date?

    enum CodingKeys: String, CodingKey {
        case name, maskedValue = "masked_value", keyID = "key_id", createdAt = "created_at", updatedAt = "updated_at"
        case lastUsedAt = "last_used_at"
    }
}
