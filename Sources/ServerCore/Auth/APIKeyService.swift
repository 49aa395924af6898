import Foundation
import Store
import Synchronization

/// The one key system of every API the server has (native `/v1`, E2B, Sandkasten, `/query`,
/// Sandcastle's `/api`): the keys configured at start (`--api-key`, `SANDCASTLE_API_KEYS`,
/// `api_key_sha256`; admins, as SHA-256 digests) and the keys stored in the data folder
/// (`/api/api-keys`, `ADMIN_API_KEY`; HMAC with the server's pepper, optionally a tenant's,
/// with expiry, CIDR allowlist, budget and workflow restrictions).
///
/// No key, pepper or hash ever appears in an error or a log line: messages name key ids only.
public final class APIKeyService: Sendable {
    let configured: APIKeyStore
    let repository: any APIKeyRepository
    let pepper: APIKeyPepper?
    /// A rotation's default grace (`KEY_ROTATION_GRACE_HOURS`).
    public let defaultGraceHours: Int
    let now: @Sendable () -> Date
    /// When each stored key's use was last written: `last_used_at` moves at most every ``touchInterval``.
    private let touched = Mutex<[String: Date]>([:])

    public static let touchInterval: TimeInterval = 5 * 60
    public static let maxGraceHours = 8760

    public init(
        configured: APIKeyStore, repository: any APIKeyRepository, pepper: APIKeyPepper?, defaultGraceHours: Int = 24,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.configured = configured
        self.repository = repository
        self.pepper = pepper
        self.defaultGraceHours = defaultGraceHours
        self.now = now
    }

    // MARK: authentication

    /// The caller `presented` belongs to, seen from `clientAddress` (the connection's peer).
    ///
    /// - Throws: ``ServerError`` `unauthorized` (unknown or deactivated key), `keyExpired`,
    ///   `ipBlocked`, `internal` (the store failed).
    public func authenticate(_ presented: String, clientAddress: String?) throws -> APICaller {
        if let keyID = configured.authenticate(presented) { return APICaller(keyID: keyID, tenantID: nil) }
        guard let pepper else { throw Self.invalidKey }
        let hash = Array(APIKeyFormat.hash(presented, pepper: pepper).utf8)
        let candidates = try store { try repository.activeKeys(prefix: APIKeyFormat.prefix(of: presented)) }
        var match: APIKeyRecord?
        // Every candidate is compared, all the way: the time taken says nothing about which came close.
        for candidate in candidates where APIKeyStore.constantTimeEqual(Array(candidate.keyHash.utf8), hash) {
            match = candidate
        }
        guard let key = match else { throw Self.invalidKey }
        let time = now()
        if let expiry = key.expiresAt, expiry <= time {
            throw ServerError(.keyExpired, "API key \(key.id) expired at \(expiry.formatted(.iso8601)); use its replacement or ask an admin for a new key")
        }
        if let cidrs = key.allowedCIDRs, !cidrs.isEmpty {
            let blocks = cidrs.compactMap(CIDRBlock.init)
            guard let clientAddress, let address = CIDRBlock.parseAddress(clientAddress), blocks.contains(where: { $0.contains(address) }) else {
                throw ServerError(.ipBlocked, "API key \(key.id) may not be used from \(clientAddress ?? "an unknown address")")
            }
        }
        touch(key, at: time)
        return APICaller(
            keyID: key.id, tenantID: key.tenantID, allowedWorkflows: key.allowedWorkflows, maxCostPerRunUSD: key.maxCostPerRunUSD,
            keyPrefix: key.keyPrefix)
    }

    static let invalidKey = ServerError(.unauthorized, "the API key is not valid")

    /// Writes `last_used_at` when the last write is older than ``touchInterval`` (a lost write
    /// costs accuracy only, never the request).
    private func touch(_ key: APIKeyRecord, at time: Date) {
        let due = touched.withLock { touched in
            let last = max(touched[key.id] ?? .distantPast, key.lastUsedAt ?? .distantPast)
            guard time.timeIntervalSince(last) >= Self.touchInterval else { return false }
            touched[key.id] = time
            return true
        }
        if due { try? repository.touch(id: key.id, at: time) }
    }

    // MARK: start-up

    /// Whether a request can authenticate at all: a configured key or an active stored one.
    public func hasKeys() throws -> Bool {
        if !configured.isEmpty { return true }
        return try store { try repository.hasActiveKeys() }
    }

    /// Whether the data folder holds active keys (which need the pepper to be checked).
    public func hasStoredKeys() throws -> Bool { try store { try repository.hasActiveKeys() } }

    /// Stores `ADMIN_API_KEY` as an admin key unless it is stored already (in any state: a key an
    /// admin deactivated stays so across restarts).
    public func bootstrapAdmin(_ key: RedactedSecret) throws {
        let pepper = try requirePepper()
        let hash = APIKeyFormat.hash(key.value, pepper: pepper)
        let existing = try store { try repository.activeKeys(prefix: APIKeyFormat.prefix(of: key.value)) }
        if existing.contains(where: { $0.keyHash == hash }) { return }
        do {
            try repository.insert(
                APIKeyRecord(
                    id: APIKeyFormat.newID(), keyPrefix: APIKeyFormat.prefix(of: key.value), keyHash: hash, tenantID: nil,
                    name: "admin (ADMIN_API_KEY)", createdAt: now()))
        } catch let error as StoreError where error.code == .constraint {
            // Stored before and deactivated since: left as it is.
        } catch {
            throw ServerError(.internal, "the ADMIN_API_KEY could not be stored: \(error)")
        }
    }

    // MARK: management (`/api/api-keys`)

    /// What a new key is made with.
    public struct NewKey: Sendable {
        public var name: String
        public var tenantID: String?
        public var maxCostPerRunUSD: Double?
        public var allowedWorkflows: [String]?
        public var allowedCIDRs: [String]?
        public var expiresAt: Date?

        public init(
            name: String, tenantID: String? = nil, maxCostPerRunUSD: Double? = nil, allowedWorkflows: [String]? = nil,
            allowedCIDRs: [String]? = nil, expiresAt: Date? = nil
        ) {
            self.name = name
            self.tenantID = tenantID
            self.maxCostPerRunUSD = maxCostPerRunUSD
            self.allowedWorkflows = allowedWorkflows
            self.allowedCIDRs = allowedCIDRs
            self.expiresAt = expiresAt
        }
    }

    /// Makes and stores a key; the plaintext is returned here once and never again.
    ///
    /// - Throws: ``ServerError`` `invalidInput` (a CIDR that does not parse), `conflict` (no pepper), `internal`.
    public func create(_ new: NewKey, rotatedFrom: String? = nil) throws -> (record: APIKeyRecord, key: String) {
        let pepper = try requirePepper()
        let cidrs = try Self.normalized(cidrs: new.allowedCIDRs)
        let key = APIKeyFormat.generate()
        let record = APIKeyRecord(
            id: APIKeyFormat.newID(), keyPrefix: APIKeyFormat.prefix(of: key), keyHash: APIKeyFormat.hash(key, pepper: pepper),
            tenantID: new.tenantID, name: new.name, maxCostPerRunUSD: new.maxCostPerRunUSD, expiresAt: new.expiresAt, allowedCIDRs: cidrs,
            allowedWorkflows: new.allowedWorkflows, createdAt: now(), rotatedFrom: rotatedFrom)
        try store { try repository.insert(record) }
        return (record, key)
    }

    /// Active keys (a tenant's only, when `tenant` is given), oldest first.
    public func list(tenant: String?, limit: Int, offset: Int) throws -> (keys: [APIKeyRecord], total: Int) {
        try store { try repository.activeKeys(tenant: tenant, limit: limit, offset: offset) }
    }

    /// An active key `tenant` (nil: an admin) may manage, or `notFound` (as if it did not exist).
    public func key(id: String, tenant: String?) throws -> APIKeyRecord {
        guard let key = try store({ try repository.key(id: id) }), key.isActive, tenant == nil || key.tenantID == tenant else {
            throw ServerError(.notFound, "no active API key \(id.prefix(80))")
        }
        return key
    }

    /// Deactivates a key for good (it answers 401 from now on).
    public func deactivate(id: String, tenant: String?) throws {
        _ = try key(id: id, tenant: tenant)
        guard try store({ try repository.deactivate(id: id) }) else { throw ServerError(.notFound, "no active API key \(id.prefix(80))") }
    }

    /// A rotation: a new key with the old one's tenant, name and restrictions; the old one keeps
    /// working for `graceHours` (0: it stops now), then answers `KEY_EXPIRED`.
    public func rotate(id: String, graceHours: Int?) throws -> (record: APIKeyRecord, key: String, old: APIKeyRecord) {
        let grace = graceHours ?? defaultGraceHours
        guard (0...Self.maxGraceHours).contains(grace) else {
            throw ServerError(.invalidInput, "grace_period_hours must be 0 to \(Self.maxGraceHours)")
        }
        var old = try key(id: id, tenant: nil)
        let made = try create(
            NewKey(
                name: old.name, tenantID: old.tenantID, maxCostPerRunUSD: old.maxCostPerRunUSD, allowedWorkflows: old.allowedWorkflows,
                allowedCIDRs: old.allowedCIDRs),
            rotatedFrom: old.id)
        // An expiry set before (an earlier rotation) is never pushed later.
        let expiry = min(now().addingTimeInterval(TimeInterval(grace) * 3600), old.expiresAt ?? .distantFuture)
        _ = try store { try repository.setExpiry(id: old.id, expiry) }
        old.expiresAt = expiry
        return (made.record, made.key, old)
    }

    /// Replaces a key's CIDR allowlist (empty: anywhere).
    public func setAllowlist(id: String, cidrs: [String]) throws -> APIKeyRecord {
        var key = try key(id: id, tenant: nil)
        let normalized = try Self.normalized(cidrs: cidrs)
        _ = try store { try repository.setAllowedCIDRs(id: id, normalized) }
        key.allowedCIDRs = normalized
        return key
    }

    /// Each block checked and written in its canonical form; nil for none.
    static func normalized(cidrs: [String]?) throws -> [String]? {
        guard let cidrs, !cidrs.isEmpty else { return nil }
        guard cidrs.count <= 256 else { throw ServerError(.invalidInput, "at most 256 CIDR blocks per key") }
        return try cidrs.map { text in
            guard let block = CIDRBlock(text) else {
                throw ServerError(.invalidInput, "'\(text.prefix(64))' is not an IPv4 or IPv6 address or CIDR block (like 10.0.0.0/8 or 2001:db8::/32)")
            }
            return block.description
        }
    }

    private func requirePepper() throws -> APIKeyPepper {
        guard let pepper else {
            throw ServerError(
                .conflict, "stored API keys need the server's pepper: start it with API_KEY_PEPPER (or --api-key-pepper-file)")
        }
        return pepper
    }

    private func store<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as ServerError {
            throw error
        } catch let error as StoreError where error.code == .constraint {
            throw ServerError(.conflict, "the API key could not be stored: \(error.message)")
        } catch {
            throw ServerError(.internal, "the API key store failed: \(error)")
        }
    }
}
