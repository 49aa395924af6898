import Foundation
import Synchronization

/// One sandbox as `sandcastle serve` records it: enough to list it, expire it, and re-adopt
/// (or explain the loss of) its container after the server restarts.
public struct SandboxRecord: Sendable, Hashable {
    public var id: String
    /// The engine's container id; nil until the container exists.
    public var containerID: String?
    public var image: String
    public var profile: String
    public var status: SandboxStatus
    /// Why the sandbox is in its status when that is not obvious (expired, lost after a restart, …).
    public var statusReason: String?
    public var createdAt: Date
    public var updatedAt: Date
    /// When the reaper removes it; nil means never.
    public var expiresAt: Date?
    public var ttlSeconds: Int?
    /// The id (not the secret) of the API key that created it; nil in open mode.
    public var apiKeyID: String?
    /// A named workspace volume, when one is attached.
    public var workspace: String?
    public var environment: [String: String]
    public var memoryBytes: Int64?
    public var nanoCPUs: Int64?
    public var network: String?
    /// The server instance (its data folder's identity) that owns the container.
    public var serverID: String?

    public init(
        id: String, containerID: String? = nil, image: String, profile: String, status: SandboxStatus,
        statusReason: String? = nil, createdAt: Date = Date(), updatedAt: Date? = nil, expiresAt: Date? = nil,
        ttlSeconds: Int? = nil, apiKeyID: String? = nil, workspace: String? = nil, environment: [String: String] = [:],
        memoryBytes: Int64? = nil, nanoCPUs: Int64? = nil, network: String? = nil, serverID: String? = nil
    ) {
        self.id = id
        self.containerID = containerID
        self.image = image
        self.profile = profile
        self.status = status
        self.statusReason = statusReason
        self.createdAt = createdAt.storeRounded
        self.updatedAt = (updatedAt ?? createdAt).storeRounded
        self.expiresAt = expiresAt?.storeRounded
        self.ttlSeconds = ttlSeconds
        self.apiKeyID = apiKeyID
        self.workspace = workspace
        self.environment = environment
        self.memoryBytes = memoryBytes
        self.nanoCPUs = nanoCPUs
        self.network = network
        self.serverID = serverID
    }
}

extension SandboxStatus {
    /// The container could not be re-adopted after a restart and was removed.
    public static let lost = SandboxStatus(rawValue: "lost")
    /// Statuses whose container is (or is about to be) alive.
    public static let live: Set<SandboxStatus> = [.creating, .running]
    public var isLive: Bool { Self.live.contains(self) }
}

/// Which sandboxes to list. Results are ordered by creation time, oldest first, with the id
/// breaking ties, so a cursor (the last record's `(createdAt, id)`) pages stably.
public struct SandboxQuery: Sendable, Hashable {
    public var statuses: Set<SandboxStatus>?
    public var image: String?
    public var apiKeyID: String?
    public var serverID: String?
    /// Only records after this position.
    public var after: SandboxCursor?
    public var limit: Int

    public init(
        statuses: Set<SandboxStatus>? = nil, image: String? = nil, apiKeyID: String? = nil, serverID: String? = nil,
        after: SandboxCursor? = nil, limit: Int = Int.max
    ) {
        self.statuses = statuses
        self.image = image
        self.apiKeyID = apiKeyID
        self.serverID = serverID
        self.after = after
        self.limit = limit
    }
}

/// A position in the `(createdAt, id)` order of sandboxes.
public struct SandboxCursor: Sendable, Hashable {
    public var createdAt: Date
    public var id: String
    public init(createdAt: Date, id: String) {
        self.createdAt = createdAt.storeRounded
        self.id = id
    }

    /// The opaque text form handed to API clients (`<ms>.<id>`).
    public var token: String { "\(Int64((createdAt.timeIntervalSince1970 * 1000).rounded())).\(id)" }

    /// Parses ``token``; nil when malformed.
    public init?(token: String) {
        guard let dot = token.firstIndex(of: "."), let ms = Int64(token[..<dot]) else { return nil }
        let id = String(token[token.index(after: dot)...])
        guard !id.isEmpty else { return nil }
        self.init(createdAt: Date(timeIntervalSince1970: Double(ms) / 1000), id: id)
    }
}

/// Durable sandbox state for the server. Synchronous like ``RunRepository``: the SQLite
/// implementation does microsecond work under a lock.
public protocol SandboxRepository: Sendable {
    /// Stores a new sandbox; `.constraint` if the id exists.
    func insert(_ record: SandboxRecord) throws
    /// Replaces a stored sandbox; `.notFound` if there is none with its id.
    func update(_ record: SandboxRecord) throws
    func sandbox(id: String) throws -> SandboxRecord?
    func list(_ query: SandboxQuery) throws -> [SandboxRecord]
    /// How many sandboxes have one of `statuses` (and, when given, belong to `apiKeyID`).
    func count(statuses: Set<SandboxStatus>, apiKeyID: String?) throws -> Int
}

/// `SandboxRepository` over a migrated `SQLiteDatabase`.
public struct SQLiteSandboxRepository: SandboxRepository {
    public let database: SQLiteDatabase
    /// Seals each sandbox's environment in the file (its values may be secrets); nil keeps it in clear.
    public let secrets: SecretBox?

    /// Wraps an already-migrated database.
    public init(database: SQLiteDatabase, secrets: SecretBox? = nil) {
        self.database = database
        self.secrets = secrets
    }

    /// Seals what a database written before sealing existed keeps in clear: each sandbox's
    /// environment (a gone sandbox's values dropped, as ``SandboxRecord/keptAtRest`` says), then
    /// rebuilds the file and empties the WAL, so no old copy stays in a free page or a log frame.
    /// Opening the store calls it once; without ``secrets`` there is nothing to seal with.
    ///
    /// - Returns: how many sandboxes were sealed.
    @discardableResult
    public func sealEnvironmentsKeptInClear() throws -> Int {
        guard let secrets else { return 0 }
        let rows = try database.query(
            "SELECT id, status, env_json FROM sandboxes WHERE env_json NOT LIKE ? AND env_json != '{}'", [SecretBox.prefix + "%"])
        guard !rows.isEmpty else { return 0 }
        try database.transaction { conn in
            for row in rows {
                let id: String = try row.get("id")
                let status = SandboxStatus(rawValue: try row.get("status"))
                let text: String = try row.get("env_json")
                var environment = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: String] ?? [:]
                if !status.isLive { environment = environment.mapValues { _ in "" } }
                let json = String(decoding: try JSONSerialization.data(withJSONObject: environment, options: [.sortedKeys]), as: UTF8.self)
                _ = try conn.execute("UPDATE sandboxes SET env_json = ? WHERE id = ?", [try secrets.seal(json), id])
            }
        }
        _ = try database.execute("VACUUM")
        _ = try database.query("PRAGMA wal_checkpoint(TRUNCATE)")
        return rows.count
    }

    static let columns = """
        id, container_id, image, profile, status, status_reason, created_at, updated_at, expires_at, ttl_seconds,
        api_key_id, workspace, env_json, memory_bytes, nano_cpus, network, server_id
        """

    public func insert(_ r: SandboxRecord) throws {
        try database.execute(
            "INSERT INTO sandboxes (\(Self.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            try bindings(r))
    }

    public func update(_ r: SandboxRecord) throws {
        var bindings = try bindings(r)
        bindings.append(bindings.removeFirst())
        let changed = try database.execute(
            """
            UPDATE sandboxes SET container_id = ?, image = ?, profile = ?, status = ?, status_reason = ?, created_at = ?,
                updated_at = ?, expires_at = ?, ttl_seconds = ?, api_key_id = ?, workspace = ?, env_json = ?,
                memory_bytes = ?, nano_cpus = ?, network = ?, server_id = ?
            WHERE id = ?
            """, bindings)
        if changed == 0 { throw StoreError(.notFound, "no sandbox with id \(r.id)") }
    }

    public func sandbox(id: String) throws -> SandboxRecord? {
        try database.query("SELECT \(Self.columns) FROM sandboxes WHERE id = ?", [id]).first.map(record)
    }

    public func list(_ query: SandboxQuery) throws -> [SandboxRecord] {
        var filter = SQLFilter()
        if let statuses = query.statuses {
            if statuses.isEmpty { return [] }
            filter.add("status", in: statuses.map(\.rawValue))
        }
        filter.add("image = ?", query.image)
        filter.add("api_key_id = ?", query.apiKeyID)
        filter.add("server_id = ?", query.serverID)
        if let after = query.after {
            filter.add("(created_at > ? OR (created_at = ? AND id > ?))", bindings: [after.createdAt, after.createdAt, after.id])
        }
        return try database.query(
            "SELECT \(Self.columns) FROM sandboxes\(filter.clause) ORDER BY created_at, id LIMIT ?",
            filter.bindings + [min(query.limit, Int(Int32.max))]
        ).map(record)
    }

    public func count(statuses: Set<SandboxStatus>, apiKeyID: String?) throws -> Int {
        guard !statuses.isEmpty else { return 0 }
        var bindings: [any SQLiteValueConvertible] = statuses.map(\.rawValue).sorted()
        var sql = "SELECT COUNT(*) FROM sandboxes WHERE status IN (\(statuses.map { _ in "?" }.joined(separator: ", ")))"
        if let apiKeyID {
            sql += " AND api_key_id = ?"
            bindings.append(apiKeyID)
        }
        return try database.query(sql, bindings).first?.get(0, as: Int.self) ?? 0
    }

    func bindings(_ r: SandboxRecord) throws -> [any SQLiteValueConvertible] {
        let json = String(decoding: try JSONSerialization.data(withJSONObject: r.keptAtRest.environment, options: [.sortedKeys]), as: UTF8.self)
        let stored = try secrets.map { try $0.seal(json) } ?? json
        return [
            r.id, r.containerID, r.image, r.profile, r.status.rawValue, r.statusReason, r.createdAt, r.updatedAt,
            r.expiresAt, r.ttlSeconds, r.apiKeyID, r.workspace, stored, r.memoryBytes,
            r.nanoCPUs, r.network, r.serverID,
        ]
    }

    func record(_ row: Row) throws -> SandboxRecord {
        let stored: String = try row.get("env_json")
        let envText = try secrets.map { try $0.unseal(stored) } ?? stored
        let env = (try? JSONSerialization.jsonObject(with: Data(envText.utf8))) as? [String: String] ?? [:]
        return SandboxRecord(
            id: try row.get("id"), containerID: try row.get("container_id"), image: try row.get("image"),
            profile: try row.get("profile"), status: SandboxStatus(rawValue: try row.get("status")),
            statusReason: try row.get("status_reason"), createdAt: try row.get("created_at"),
            updatedAt: try row.get("updated_at", as: Date?.self), expiresAt: try row.get("expires_at"),
            ttlSeconds: try row.get("ttl_seconds"), apiKeyID: try row.get("api_key_id"), workspace: try row.get("workspace"),
            environment: env, memoryBytes: try row.get("memory_bytes"), nanoCPUs: try row.get("nano_cpus"),
            network: try row.get("network"), serverID: try row.get("server_id"))
    }
}

/// `SandboxRepository` in memory, for tests and `--data-dir :memory:`-style runs.
public final class InMemorySandboxRepository: SandboxRepository {
    private let state = Mutex<[String: SandboxRecord]>([:])

    public init() {}

    public func insert(_ record: SandboxRecord) throws {
        try state.withLock { rows in
            guard rows[record.id] == nil else { throw StoreError(.constraint, "a sandbox with id \(record.id) exists") }
            rows[record.id] = record.keptAtRest
        }
    }

    public func update(_ record: SandboxRecord) throws {
        try state.withLock { rows in
            guard rows[record.id] != nil else { throw StoreError(.notFound, "no sandbox with id \(record.id)") }
            rows[record.id] = record.keptAtRest
        }
    }

    public func sandbox(id: String) throws -> SandboxRecord? { state.withLock { $0[id] } }

    public func list(_ query: SandboxQuery) throws -> [SandboxRecord] {
        state.withLock { rows in
            let matching = rows.values.filter { r in
                (query.statuses?.contains(r.status) ?? true) && (query.image.map { $0 == r.image } ?? true)
                    && (query.apiKeyID.map { $0 == r.apiKeyID } ?? true) && (query.serverID.map { $0 == r.serverID } ?? true)
                    && (query.after.map { (r.createdAt, r.id) > ($0.createdAt, $0.id) } ?? true)
            }
            return Array(matching.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }.prefix(max(0, query.limit)))
        }
    }

    public func count(statuses: Set<SandboxStatus>, apiKeyID: String?) throws -> Int {
        state.withLock { rows in
            rows.values.filter { statuses.contains($0.status) && (apiKeyID == nil || $0.apiKeyID == apiKeyID) }.count
        }
    }
}

extension SandboxRecord {
    /// What a repository keeps of the record: a sandbox that is gone keeps its variables' names
    /// (the API shows them), not their values, which may be secrets.
    public var keptAtRest: SandboxRecord {
        guard !status.isLive else { return self }
        var kept = self
        kept.environment = environment.mapValues { _ in "" }
        return kept
    }
}
