import Crypto
import Foundation

/// How an entry's hash is computed (Sandcastle's `engine/audit.py`, notes §2.7):
///
///     entry_hash = sha256(canonical JSON of {"actor_id", "event_type", "payload", "prev_hash",
///                                            "run_id" ("" for the global chain), "timestamp"})
///
/// in lowercase hex, the canonical JSON being ``CanonicalJSON`` (Python's
/// `json.dumps(sort_keys=True, separators=(",", ":"))`). The payload is spliced in as its stored
/// canonical text, so verifying never re-encodes (and never depends on) a parsed value.
public enum AuditHasher {
    /// The exact text that is hashed.
    public static func hashedText(
        eventType: String, runID: String, actorID: String, timestamp: String, payloadJSON: String, prevHash: String
    ) -> String {
        String(
            decoding: hashedBytes(
                eventType: eventType, runID: runID, actorID: actorID, timestamp: timestamp, payloadJSON: payloadJSON, prevHash: prevHash),
            as: UTF8.self)
    }

    /// The hash an entry with these fields must carry.
    public static func hash(
        eventType: String, runID: String, actorID: String, timestamp: String, payloadJSON: String, prevHash: String
    ) -> String {
        let bytes = hashedBytes(
            eventType: eventType, runID: runID, actorID: actorID, timestamp: timestamp, payloadJSON: payloadJSON, prevHash: prevHash)
        var hex: [UInt8] = []
        hex.reserveCapacity(64)
        for byte in SHA256.hash(data: bytes) {
            hex.append(CanonicalJSON.hexDigits[Int(byte >> 4)])
            hex.append(CanonicalJSON.hexDigits[Int(byte & 0xF)])
        }
        return String(decoding: hex, as: UTF8.self)
    }

    /// The hashed text's UTF-8. Keys in code-point order: actor_id, event_type, payload,
    /// prev_hash, run_id, timestamp; the payload spliced in as stored.
    private static func hashedBytes(
        eventType: String, runID: String, actorID: String, timestamp: String, payloadJSON: String, prevHash: String
    ) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(payloadJSON.utf8.count + 256)
        out.append(contentsOf: #"{"actor_id":"#.utf8)
        CanonicalJSON.writeString(actorID, to: &out)
        out.append(contentsOf: #","event_type":"#.utf8)
        CanonicalJSON.writeString(eventType, to: &out)
        out.append(contentsOf: #","payload":"#.utf8)
        out.append(contentsOf: payloadJSON.utf8)
        out.append(contentsOf: #","prev_hash":"#.utf8)
        CanonicalJSON.writeString(prevHash, to: &out)
        out.append(contentsOf: #","run_id":"#.utf8)
        CanonicalJSON.writeString(runID, to: &out)
        out.append(contentsOf: #","timestamp":"#.utf8)
        CanonicalJSON.writeString(timestamp, to: &out)
        out.append(0x7D)
        return out
    }

    /// What `entry`'s hash should be, recomputed from its fields.
    public static func expectedHash(of entry: AuditEntry) -> String {
        hash(
            eventType: entry.eventType, runID: entry.chain.hashedRunID, actorID: entry.actorID, timestamp: entry.timestamp,
            payloadJSON: entry.payloadJSON, prevHash: entry.prevHash)
    }

    /// ISO 8601 in UTC with milliseconds: `2026-12-07T19:47:11.123Z` (Python:
    /// `datetime.fromtimestamp(ms / 1000, timezone.utc).isoformat(timespec="milliseconds")`
    /// with `+00:00` written `Z`).
    public static func timestamp(milliseconds: Int64) -> String {
        var seconds = time_t(milliseconds.floorDivided(by: 1000))
        let millis = Int(milliseconds - Int64(seconds) * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var out: [UInt8] = []
        out.reserveCapacity(24)
        func digits(_ value: Int, _ width: Int) {
            var divisor = 1
            for _ in 1..<width { divisor *= 10 }
            var rest = value
            while divisor > 0 {
                out.append(UInt8(0x30 + rest / divisor % 10))
                rest %= divisor
                divisor /= 10
            }
        }
        digits(Int(parts.tm_year) + 1900, 4)
        out.append(0x2D)
        digits(Int(parts.tm_mon) + 1, 2)
        out.append(0x2D)
        digits(Int(parts.tm_mday), 2)
        out.append(0x54)
        digits(Int(parts.tm_hour), 2)
        out.append(0x3A)
        digits(Int(parts.tm_min), 2)
        out.append(0x3A)
        digits(Int(parts.tm_sec), 2)
        out.append(0x2E)
        digits(millis, 3)
        out.append(0x5A)
        return String(decoding: out, as: UTF8.self)
    }
}

extension Int64 {
    fileprivate func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
