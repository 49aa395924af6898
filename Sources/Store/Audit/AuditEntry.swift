import Foundation
import JSONValues

/// Which hash chain an entry belongs to: one per run, plus one for admin actions.
public enum AuditChain: Sendable, Hashable, CustomStringConvertible {
    case run(String)
    case global

    /// As stored in `audit_entries.chain`: `run:<id>` or `global`.
    public var description: String {
        switch self {
        case .run(let id): "run:\(id)"
        case .global: "global"
        }
    }

    /// The run id the hash covers: the run's, or `""` for the global chain (as Sandcastle hashes it).
    var hashedRunID: String {
        switch self {
        case .run(let id): id
        case .global: ""
        }
    }
}

/// Who did what an entry records.
///
/// Set for a piece of work with ``AuditActor/$current`` (the server's auth middleware sets the
/// caller's key for each request, the CLI `cli` for its whole process); engine transitions
/// (steps starting and finishing, a run's own progress) are always recorded as ``engine``.
public struct AuditActor: Sendable, Hashable {
    /// A key id (`key_…`), `engine`, `cli`, or `open` (a server without auth).
    public var id: String
    /// The first characters of the API key used (never more: see `APIKeyFormat.prefix`).
    public var keyPrefix: String?
    /// The address the request came from.
    public var sourceIP: String?

    public init(id: String, keyPrefix: String? = nil, sourceIP: String? = nil) {
        self.id = id
        self.keyPrefix = keyPrefix
        self.sourceIP = sourceIP
    }

    public static let engine = AuditActor(id: "engine")
    public static let cli = AuditActor(id: "cli")

    /// The actor of the work running now; nil outside any (then ``engine``).
    @TaskLocal public static var current: AuditActor?
}

/// An entry to append: what happened, to which chain, by whom, with what details.
public struct AuditEvent: Sendable, Hashable {
    /// `run.created`, `step.completed`, `api_key.created`, … (docs/guardrails.md lists them).
    public var eventType: String
    public var chain: AuditChain
    /// The details, a JSON object (stored and hashed in its canonical form). Never a secret.
    public var payload: JSONValue
    public var actor: AuditActor
    /// When it happened; an entry is stamped at least a millisecond after its chain's previous one.
    public var time: Date

    public init(
        _ eventType: String, chain: AuditChain, payload: [String: JSONValue] = [:], actor: AuditActor? = nil, time: Date = Date()
    ) {
        self.eventType = eventType
        self.chain = chain
        self.payload = .object(payload)
        self.actor = actor ?? AuditActor.current ?? .engine
        self.time = time
    }

    /// An admin action on the global chain (key created, emergency stop, credential stored, …).
    public static func global(_ eventType: String, payload: [String: JSONValue] = [:], actor: AuditActor? = nil) -> AuditEvent {
        AuditEvent(eventType, chain: .global, payload: payload, actor: actor)
    }
}

/// One stored entry of a chain.
public struct AuditEntry: Sendable, Hashable {
    /// The row id: unique across chains, increasing in append order.
    public var id: Int64
    public var chain: AuditChain
    /// 1, 2, 3, … within the chain.
    public var seq: Int64
    public var eventType: String
    public var actorID: String
    public var actorKeyPrefix: String?
    public var sourceIP: String?
    /// The payload's canonical JSON text, exactly as hashed.
    public var payloadJSON: String
    /// The previous entry's hash in the chain, or `genesis` for the first.
    public var prevHash: String
    /// Lowercase hex SHA-256 of ``AuditHasher/hashedText(of:)``.
    public var entryHash: String
    /// Milliseconds since 1970 (UTC), strictly increasing within the chain.
    public var createdAtMs: Int64

    /// The run of a run chain; nil for the global chain.
    public var runID: String? {
        if case .run(let id) = chain { return id }
        return nil
    }

    public var createdAt: Date { Date(timeIntervalSince1970: Double(createdAtMs) / 1000) }

    /// The payload as a value (`{}` if the stored text is not JSON, which verification reports).
    public var payload: JSONValue { JSONValue.parse(json: payloadJSON) ?? .object([:]) }

    /// The hashed timestamp: ISO 8601 in UTC with milliseconds, `2026-12-07T19:47:11.123Z`.
    public var timestamp: String { AuditHasher.timestamp(milliseconds: createdAtMs) }

    public static let genesis = "genesis"
}
