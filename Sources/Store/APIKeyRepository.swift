import Foundation
import Synchronization

/// Where the server's API keys are kept (``SQLiteAPIKeyRepository``, ``InMemoryAPIKeyRepository``).
public protocol APIKeyRepository: Sendable {
    /// Stores a new key; `.constraint` when its id or hash exists.
    func insert(_ key: APIKeyRecord) throws
    /// Active keys whose first characters are `prefix`.
    func activeKeys(prefix: String) throws -> [APIKeyRecord]
    /// One key, active or not.
    func key(id: String) throws -> APIKeyRecord?
    /// Active keys (of `tenant` when given; nil: all), oldest first, and how many there are.
    func activeKeys(tenant: String?, limit: Int, offset: Int) throws -> (keys: [APIKeyRecord], total: Int)
    /// Whether any key is active: a server with auth on needs one to be usable.
    func hasActiveKeys() throws -> Bool
    /// Marks a key inactive; false when there was no such active key.
    func deactivate(id: String) throws -> Bool
    /// Sets when a key stops working (a rotation's grace); false when there is no such key.
    func setExpiry(id: String, _ expiresAt: Date?) throws -> Bool
    /// Replaces a key's CIDR allowlist (nil: anywhere); false when there is no such key.
    func setAllowedCIDRs(id: String, _ cidrs: [String]?) throws -> Bool
    /// Records a use of the key.
    func touch(id: String, at time: Date) throws
}

/// Keys in memory, for tests and servers without a data folder.
public final class InMemoryAPIKeyRepository: APIKeyRepository {
    private let keys = Mutex<[String: APIKeyRecord]>([:])

    public init() {}

    public func insert(_ key: APIKeyRecord) throws {
        try keys.withLock { keys in
            if keys[key.id] != nil || keys.values.contains(where: { $0.keyHash == key.keyHash }) {
                throw StoreError(.constraint, "UNIQUE constraint failed: api_keys")
            }
            keys[key.id] = key
        }
    }

    public func activeKeys(prefix: String) throws -> [APIKeyRecord] {
        keys.withLock { $0.values.filter { $0.isActive && $0.keyPrefix == prefix } }
    }

    public func key(id: String) throws -> APIKeyRecord? { keys.withLock { $0[id] } }

    public func activeKeys(tenant: String?, limit: Int, offset: Int) throws -> (keys: [APIKeyRecord], total: Int) {
        let all = keys.withLock { keys in
            keys.values.filter { $0.isActive && (tenant == nil || $0.tenantID == tenant) }
                .sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
        }
        return (Array(all.dropFirst(max(0, offset)).prefix(max(0, limit))), all.count)
    }

    public func hasActiveKeys() throws -> Bool { keys.withLock { $0.values.contains(where: \.isActive) } }

    public func deactivate(id: String) throws -> Bool {
        update(id) { key in
            guard key.isActive else { return false }
            key.isActive = false
            return true
        }
    }

    public func setExpiry(id: String, _ expiresAt: Date?) throws -> Bool {
        update(id) { key in
            key.expiresAt = expiresAt
            return true
        }
    }

    public func setAllowedCIDRs(id: String, _ cidrs: [String]?) throws -> Bool {
        update(id) { key in
            key.allowedCIDRs = cidrs
            return true
        }
    }

    public func touch(id: String, at time: Date) throws {
        _ = update(id) { key in
            key.lastUsedAt = time
            return true
        }
    }

    private func update(_ id: String, _ change: (inout APIKeyRecord) -> Bool) -> Bool {
        keys.withLock { keys in
            guard var key = keys[id] else { return false }
            let changed = change(&key)
            keys[id] = key
            return changed
        }
    }
}
