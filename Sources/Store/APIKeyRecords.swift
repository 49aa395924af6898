import Foundation

/// One stored API key. The key itself is never kept: only its HMAC (``keyHash``) and its first
/// characters (``keyPrefix``), which narrow the lookup before the constant-time comparison.
public struct APIKeyRecord: Sendable, Hashable {
    public var id: String
    public var keyPrefix: String
    /// Lowercase hex HMAC-SHA256(pepper, key).
    public var keyHash: String
    /// Nil: an admin key.
    public var tenantID: String?
    public var name: String
    public var isActive: Bool
    public var maxCostPerRunUSD: Double?
    public var expiresAt: Date?
    /// CIDR blocks the key may be used from; nil or empty: anywhere.
    public var allowedCIDRs: [String]?
    /// Workflow names the key may run; nil: any.
    public var allowedWorkflows: [String]?
    public var createdAt: Date
    public var lastUsedAt: Date?
    /// The key this one replaced (``APIKeyRepository/insert(_:)`` of a rotation).
    public var rotatedFrom: String?

    public init(
        id: String, keyPrefix: String, keyHash: String, tenantID: String?, name: String, isActive: Bool = true,
        maxCostPerRunUSD: Double? = nil, expiresAt: Date? = nil, allowedCIDRs: [String]? = nil, allowedWorkflows: [String]? = nil,
        createdAt: Date = Date(), lastUsedAt: Date? = nil, rotatedFrom: String? = nil
    ) {
        self.id = id
        self.keyPrefix = keyPrefix
        self.keyHash = keyHash
        self.tenantID = tenantID
        self.name = name
        self.isActive = isActive
        self.maxCostPerRunUSD = maxCostPerRunUSD
        self.expiresAt = expiresAt
        self.allowedCIDRs = allowedCIDRs
        self.allowedWorkflows = allowedWorkflows
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.rotatedFrom = rotatedFrom
    }
}
