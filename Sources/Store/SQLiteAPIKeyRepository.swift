import Foundation
import JSONValues

/// API keys in the server's SQLite database (schema v8's `api_keys`). Every change is recorded
/// on the global audit chain in its own transaction (`api_key.created`, `.rotated`, `.revoked`,
/// `.expiry_set`, `.allowlist_changed`), by id and prefix only: never a key or its hash.
public struct SQLiteAPIKeyRepository: APIKeyRepository {
    let database: SQLiteDatabase

    public init(database: SQLiteDatabase) {
        self.database = database
    }

    public func insert(_ key: APIKeyRecord) throws {
        try database.transaction { conn in
            try conn.execute(
                """
                INSERT INTO api_keys (id, key_prefix, key_hash, tenant_id, name, is_active, max_cost_per_run_usd, expires_at,
                                      allowed_cidrs, allowed_workflows, created_at, last_used_at, rotated_from)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    key.id, key.keyPrefix, key.keyHash, key.tenantID, key.name, key.isActive, key.maxCostPerRunUSD, key.expiresAt,
                    Self.json(key.allowedCIDRs), Self.json(key.allowedWorkflows), key.createdAt, key.lastUsedAt, key.rotatedFrom,
                ])
            var payload = Self.auditFields(key)
            payload["name"] = .string(key.name)
            payload["rotated_from"] = key.rotatedFrom.map(JSONValue.string)
            payload["max_cost_per_run_usd"] = key.maxCostPerRunUSD.map(JSONValue.number)
            payload["allowed_workflows"] = key.allowedWorkflows.map { .array($0.map(JSONValue.string)) }
            payload["allowed_cidrs"] = key.allowedCIDRs.map { .array($0.map(JSONValue.string)) }
            let type = key.rotatedFrom == nil ? "api_key.created" : "api_key.rotated"
            try AuditLog.append(AuditEvent(type, chain: .global, payload: payload, time: key.createdAt), on: conn)
        }
    }

    public func activeKeys(prefix: String) throws -> [APIKeyRecord] {
        try database.query("SELECT \(Self.columns) FROM api_keys WHERE key_prefix = ? AND is_active = 1", [prefix]).map(Self.record)
    }

    public func key(id: String) throws -> APIKeyRecord? {
        try database.query("SELECT \(Self.columns) FROM api_keys WHERE id = ?", [id]).first.map(Self.record)
    }

    public func activeKeys(tenant: String?, limit: Int, offset: Int) throws -> (keys: [APIKeyRecord], total: Int) {
        let filter = tenant == nil ? "is_active = 1" : "is_active = 1 AND tenant_id = ?"
        let bindings: [any SQLiteValueConvertible] = tenant.map { [$0] } ?? []
        return try database.read { conn in
            let keys = try conn.query(
                "SELECT \(Self.columns) FROM api_keys WHERE \(filter) ORDER BY created_at, id LIMIT ? OFFSET ?",
                bindings + [Int64(clamping: max(0, limit)), Int64(clamping: max(0, offset))]
            ).map(Self.record)
            let total: Int = try conn.queryOne("SELECT COUNT(*) FROM api_keys WHERE \(filter)", bindings)?.get(0) ?? 0
            return (keys, total)
        }
    }

    public func hasActiveKeys() throws -> Bool {
        try database.query("SELECT 1 FROM api_keys WHERE is_active = 1 LIMIT 1").first != nil
    }

    public func deactivate(id: String) throws -> Bool {
        try audited("api_key.revoked", id: id) { conn in
            try conn.execute("UPDATE api_keys SET is_active = 0 WHERE id = ? AND is_active = 1", [id]) > 0
        }
    }

    public func setExpiry(id: String, _ expiresAt: Date?) throws -> Bool {
        let expiry: JSONValue = expiresAt.map { .string(AuditHasher.timestamp(milliseconds: Int64(($0.timeIntervalSince1970 * 1000).rounded()))) } ?? .null
        return try audited("api_key.expiry_set", id: id, extra: ["expires_at": expiry]) { conn in
            try conn.execute("UPDATE api_keys SET expires_at = ? WHERE id = ?", [expiresAt, id]) > 0
        }
    }

    public func setAllowedCIDRs(id: String, _ cidrs: [String]?) throws -> Bool {
        let listed: JSONValue = cidrs.map { .array($0.map(JSONValue.string)) } ?? .null
        return try audited("api_key.allowlist_changed", id: id, extra: ["allowed_cidrs": listed]) { conn in
            try conn.execute("UPDATE api_keys SET allowed_cidrs = ? WHERE id = ?", [Self.json(cidrs), id]) > 0
        }
    }

    /// Runs `change` and, when it changed the key, records `type` on the global chain, together.
    private func audited(
        _ type: String, id: String, extra: [String: JSONValue] = [:], _ change: (SQLiteConnection) throws -> Bool
    ) throws -> Bool {
        try database.transaction { conn in
            guard try change(conn) else { return false }
            guard let row = try conn.queryOne("SELECT \(Self.columns) FROM api_keys WHERE id = ?", [id]) else { return true }
            let payload = Self.auditFields(try Self.record(row)).merging(extra) { _, new in new }
            try AuditLog.append(AuditEvent(type, chain: .global, payload: payload), on: conn)
            return true
        }
    }

    /// What identifies a key in an audit entry: id, prefix, tenant (never the hash).
    private static func auditFields(_ key: APIKeyRecord) -> [String: JSONValue] {
        var fields: [String: JSONValue] = ["id": .string(key.id), "key_prefix": .string(key.keyPrefix)]
        fields["tenant_id"] = key.tenantID.map(JSONValue.string)
        return fields
    }

    public func touch(id: String, at time: Date) throws {
        _ = try database.execute("UPDATE api_keys SET last_used_at = ? WHERE id = ?", [time, id])
    }

    private static let columns = """
        id, key_prefix, key_hash, tenant_id, name, is_active, max_cost_per_run_usd, expires_at, allowed_cidrs, \
        allowed_workflows, created_at, last_used_at, rotated_from
        """

    private static func record(_ r: Row) throws -> APIKeyRecord {
        APIKeyRecord(
            id: try r.get(0), keyPrefix: try r.get(1), keyHash: try r.get(2), tenantID: try r.get(3), name: try r.get(4),
            isActive: try r.get(5), maxCostPerRunUSD: try r.get(6), expiresAt: try r.get(7), allowedCIDRs: strings(try r.get(8)),
            allowedWorkflows: strings(try r.get(9)), createdAt: try r.get(10), lastUsedAt: try r.get(11), rotatedFrom: try r.get(12))
    }

    private static func json(_ strings: [String]?) -> String? {
        guard let strings, let data = try? JSONEncoder().encode(strings) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    private static func strings(_ text: String?) -> [String]? {
        guard let text else { return nil }
        return try? JSONDecoder().decode([String].self, from: Data(text.utf8))
    }
}
