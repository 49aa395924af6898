import Foundation
import JSONValues

/// The tamper-evident audit log (issue 15 §4): one SHA-256 hash chain per run and one global
/// chain for admin actions, in the `audit_entries` table of the store's database.
///
/// Entries are appended by the store itself, in the transaction of the change they record
/// (``SQLiteRunRepository``'s writes, ``SQLiteAPIKeyRepository``'s), so no caller can forget one
/// and no change commits without its entry. Another part of the store records its own changes
/// the same way: `AuditLog.append(_:on:)` inside its transaction, or
/// ``RunChange/appendAudit(_:)`` in a ``RunRepository/write(_:)``.
public struct AuditLog: Sendable {
    public let database: SQLiteDatabase

    public init(database: SQLiteDatabase) {
        self.database = database
    }

    /// Appends `event` in a transaction of its own (for a change that is not in the database,
    /// such as the emergency stop's file).
    @discardableResult
    public func append(_ event: AuditEvent) throws -> AuditEntry {
        try database.transaction { try Self.append(event, on: $0) }
    }

    /// Appends `event` to its chain inside the caller's open transaction.
    ///
    /// The chain's head is read in the same write transaction (on the `(chain, seq)` unique
    /// index), so two processes appending to one chain never fork it: the second waits for the
    /// first's commit and links to its entry. The entry is stamped at least one millisecond after
    /// the head, so timestamps strictly increase within a chain.
    ///
    /// - Throws: `StoreError` `.invalidArgument` outside a transaction.
    @discardableResult
    public static func append(_ event: AuditEvent, on conn: SQLiteConnection) throws -> AuditEntry {
        guard conn.isInTransaction else {
            throw StoreError(.invalidArgument, "an audit entry is appended inside the transaction of the change it records")
        }
        let chain = event.chain.description
        let head = try conn.queryOne(
            "SELECT seq, entry_hash, created_at FROM audit_entries WHERE chain = ? ORDER BY seq DESC LIMIT 1", [chain])
        let headSeq: Int64 = try head?.get(0) ?? 0
        let prevHash: String = try head?.get(1) ?? AuditEntry.genesis
        let stamped = Int64((event.time.timeIntervalSince1970 * 1000).rounded())
        let createdAtMs = try head.map { max(stamped, try $0.get(2, as: Int64.self) + 1) } ?? stamped
        var entry = AuditEntry(
            id: 0, chain: event.chain, seq: headSeq + 1, eventType: event.eventType, actorID: event.actor.id,
            actorKeyPrefix: event.actor.keyPrefix, sourceIP: event.actor.sourceIP, payloadJSON: CanonicalJSON.encode(event.payload),
            prevHash: prevHash, entryHash: "", createdAtMs: createdAtMs)
        entry.entryHash = AuditHasher.expectedHash(of: entry)
        try conn.execute(
            """
            INSERT INTO audit_entries (chain, seq, event_type, run_id, actor_id, actor_key_prefix, source_ip, payload_json,
                                       prev_hash, entry_hash, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                chain, entry.seq, entry.eventType, entry.runID, entry.actorID, entry.actorKeyPrefix, entry.sourceIP, entry.payloadJSON,
                entry.prevHash, entry.entryHash, entry.createdAtMs,
            ])
        entry.id = conn.lastInsertRowID
        return entry
    }

    // MARK: reading

    /// Entries passing `query` and how many pass its filters (its limit and offset aside).
    public func entries(_ query: AuditQuery) throws -> (entries: [AuditEntry], total: Int) {
        var filterBuilder = SQLFilter()
        filterBuilder.add("chain = ?", query.chain?.description)
        filterBuilder.add("actor_id = ?", query.actorID)
        filterBuilder.add("event_type = ?", query.eventType)
        filterBuilder.add("created_at >= ?", query.since)
        filterBuilder.add("created_at < ?", query.until)
        let filter = filterBuilder.clause
        let bindings = filterBuilder.bindings
        let order = query.newestFirst ? "id DESC" : "id"
        return try database.read { conn in
            let rows = try conn.query(
                "SELECT \(Self.columns) FROM audit_entries\(filter) ORDER BY \(order) LIMIT ? OFFSET ?",
                bindings + [Int64(clamping: max(0, query.limit)), Int64(clamping: max(0, query.offset))])
            let total: Int = try conn.queryOne("SELECT COUNT(*) FROM audit_entries\(filter)", bindings)?.get(0) ?? 0
            return (try rows.map(Self.entry(from:)), total)
        }
    }

    /// The entries of one chain, in order, from `seq > afterSeq`, at most `limit`.
    public func chainEntries(_ chain: AuditChain, afterSeq: Int64 = 0, limit: Int = Int.max) throws -> [AuditEntry] {
        try database.query(
            "SELECT \(Self.columns) FROM audit_entries WHERE chain = ? AND seq > ? ORDER BY seq LIMIT ?",
            [chain.description, afterSeq, Int64(clamping: max(0, limit))]
        ).map(Self.entry(from:))
    }

    /// The newest entry of a chain (its head), or nil for an empty chain.
    public func head(of chain: AuditChain) throws -> AuditEntry? {
        try database.query(
            "SELECT \(Self.columns) FROM audit_entries WHERE chain = ? ORDER BY seq DESC LIMIT 1", [chain.description]
        ).first.map(Self.entry(from:))
    }

    static let columns = """
        id, chain, seq, event_type, run_id, actor_id, actor_key_prefix, source_ip, payload_json, prev_hash, entry_hash, created_at
        """

    static func entry(from r: Row) throws -> AuditEntry {
        let chainText: String = try r.get(1)
        let chain: AuditChain = chainText.hasPrefix("run:") ? .run(String(chainText.dropFirst(4))) : .global
        return AuditEntry(
            id: try r.get(0), chain: chain, seq: try r.get(2), eventType: try r.get(3), actorID: try r.get(5),
            actorKeyPrefix: try r.get(6), sourceIP: try r.get(7), payloadJSON: try r.get(8), prevHash: try r.get(9),
            entryHash: try r.get(10), createdAtMs: try r.get(11))
    }
}

/// Which entries ``AuditLog/entries(_:)`` returns.
public struct AuditQuery: Sendable, Hashable {
    /// One chain only (`GET /api/runs/{id}/audit`, the `run_id` filter); nil: every chain.
    public var chain: AuditChain?
    public var actorID: String?
    public var eventType: String?
    /// Entries at or after / before these times.
    public var since: Date?
    public var until: Date?
    public var limit: Int
    public var offset: Int
    /// Newest first (the admin log) rather than in append order (a run's chain).
    public var newestFirst: Bool

    public init(
        chain: AuditChain? = nil, actorID: String? = nil, eventType: String? = nil, since: Date? = nil, until: Date? = nil,
        limit: Int = 50, offset: Int = 0, newestFirst: Bool = false
    ) {
        self.chain = chain
        self.actorID = actorID
        self.eventType = eventType
        self.since = since
        self.until = until
        self.limit = limit
        self.offset = offset
        self.newestFirst = newestFirst
    }
}
