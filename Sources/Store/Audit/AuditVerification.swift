import Foundation

/// Why a chain is not intact at an entry. Extensible: new checks add codes.
public struct AuditBreak: Sendable, Hashable {
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        /// The entry's stored hash is not the hash of its fields: a field was edited.
        public static let hashMismatch = Code(rawValue: "hash_mismatch")
        /// Its `prev_hash` is not the previous entry's hash: an entry was removed, inserted or moved.
        public static let prevLinkBroken = Code(rawValue: "prev_link_broken")
        /// Its `seq` does not follow the previous entry's: an entry was removed.
        public static let seqGap = Code(rawValue: "seq_gap")
        /// Its timestamp is not after the previous entry's.
        public static let timestampNotIncreasing = Code(rawValue: "timestamp_not_increasing")
        public var description: String { rawValue }
    }

    public var code: Code
    /// The entry's sequence number in its chain and its row id.
    public var seq: Int64
    public var entryID: Int64
    /// What is wrong, in words (hashes abbreviated; never a payload).
    public var message: String
}

/// What ``AuditLog/verify(_:)`` found.
public struct AuditVerification: Sendable, Hashable {
    public var chain: AuditChain
    /// Every entry's hash and link checked out.
    public var valid: Bool { broken == nil }
    /// How many entries the chain holds.
    public var chainLength: Int
    /// The first bad entry; nil for an intact chain.
    public var broken: AuditBreak?
    /// The hash of the last entry (the head), nil for an empty chain: keep it elsewhere to notice
    /// entries cut off the end, which no check inside the chain can see.
    public var headHash: String?
}

extension AuditLog {
    /// Recomputes every hash and link of a run's chain.
    public func verify(runID: String) throws -> AuditVerification { try verify(.run(runID)) }

    /// Recomputes every hash and link of the global chain.
    public func verifyGlobal() throws -> AuditVerification { try verify(.global) }

    /// Recomputes every entry's hash from its fields and checks, in order, that each entry's
    /// `seq` follows the previous one's, its `prev_hash` is the previous entry's hash
    /// (`genesis` for the first), its own hash matches, and its timestamp is later. Reports the
    /// first entry that fails, and reads the chain in pages, so a long chain costs no memory.
    public func verify(_ chain: AuditChain) throws -> AuditVerification {
        var previous: AuditEntry?
        var length = 0
        var broken: AuditBreak?
        let page = 1000
        var after: Int64 = Int64.min
        while true {
            let entries = try chainEntries(chain, afterSeq: after, limit: page)
            for entry in entries {
                length += 1
                if broken == nil { broken = Self.check(entry, after: previous, in: chain) }
                previous = entry
            }
            guard entries.count == page, let last = entries.last else { break }
            after = last.seq
        }
        return AuditVerification(chain: chain, chainLength: length, broken: broken, headHash: previous?.entryHash)
    }

    static func check(_ entry: AuditEntry, after previous: AuditEntry?, in chain: AuditChain) -> AuditBreak? {
        func broken(_ code: AuditBreak.Code, _ message: String) -> AuditBreak {
            AuditBreak(code: code, seq: entry.seq, entryID: entry.id, message: "entry \(entry.seq) (id \(entry.id)): \(message)")
        }
        let expectedSeq = (previous?.seq ?? 0) + 1
        if entry.seq != expectedSeq {
            return broken(.seqGap, "sequence number \(entry.seq) where \(expectedSeq) was expected (entries are missing)")
        }
        let expectedPrev = previous?.entryHash ?? AuditEntry.genesis
        if entry.prevHash != expectedPrev {
            return broken(
                .prevLinkBroken,
                "prev_hash \(abbreviated(entry.prevHash)) is not the previous entry's hash \(abbreviated(expectedPrev))")
        }
        let expectedHash = AuditHasher.expectedHash(of: entry)
        if entry.entryHash != expectedHash {
            return broken(
                .hashMismatch,
                "stored hash \(abbreviated(entry.entryHash)) but its contents hash to \(abbreviated(expectedHash)) (the entry was altered)")
        }
        if let previous, entry.createdAtMs <= previous.createdAtMs {
            return broken(.timestampNotIncreasing, "timestamp \(entry.timestamp) is not after the previous entry's \(previous.timestamp)")
        }
        return nil
    }

    private static func abbreviated(_ hash: String) -> String {
        hash.count > 16 ? String(hash.prefix(12)) + "…" : hash
    }
}
