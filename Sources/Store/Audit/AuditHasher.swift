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
        // Keys in code-point order: actor_id, event_type, payload, prev_hash, run_id, timestamp.
        var out = "{\"actor_id\":"
        CanonicalJSON.writeString(actorID, to: &out)
        out.append(",\"event_type\":")
        CanonicalJSON.writeString(eventType, to: &out)
        out.append(",\"payload\":")
        out.append(payloadJSON)
        out.append(",\"prev_hash\":")
        CanonicalJSON.writeString(prevHash, to: &out)
        out.append(",\"run_id\":")
        CanonicalJSON.writeString(runID, to: &out)
        out.append(",\"timestamp\":")
        CanonicalJSON.writeString(timestamp, to: &out)
        out.append("}")
        return out
    }

    /// The hash an entry with these fields must carry.
    public static func hash(
        eventType: String, runID: String, actorID: String, timestamp: String, payloadJSON: String, prevHash: String
    ) -> String {
        let text = hashedText(
            eventType: eventType, runID: runID, actorID: actorID, timestamp: timestamp, payloadJSON: payloadJSON, prevHash: prevHash)
        return SHA256.hash(data: Array(text.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
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
        func padded(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return padded(Int(parts.tm_year) + 1900, 4) + "-" + padded(Int(parts.tm_mon) + 1, 2) + "-" + padded(Int(parts.tm_mday), 2)
            + "T" + padded(Int(parts.tm_hour), 2) + ":" + padded(Int(parts.tm_min), 2) + ":" + padded(Int(parts.tm_sec), 2) + "."
            + padded(millis, 3) + "Z"
    }
}

extension Int64 {
    fileprivate func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
