import Foundation

/// Every run's events in one order: the events table's own row id, which only grows, is the
/// cursor of the server's global event stream (`GET /api/events`, `Last-Event-ID`).
extension SQLiteRunRepository {
    /// Events of any run (of `kinds`, when given) after the global position `afterID`, oldest
    /// first, at most `limit`, each with its global position.
    public func events(afterID: Int64, kinds: Set<String>? = nil, limit: Int) throws -> [(id: Int64, record: EventRecord)] {
        var sql = "SELECT id, run_id, seq, time, kind, payload_json FROM events WHERE id > ?"
        var bindings: [any SQLiteValueConvertible] = [afterID]
        if let kinds {
            guard !kinds.isEmpty else { return [] }
            let sorted = kinds.sorted()
            sql += " AND kind IN (\(Array(repeating: "?", count: sorted.count).joined(separator: ", ")))"
            bindings += sorted
        }
        sql += " ORDER BY id LIMIT ?"
        bindings.append(Int64(clamping: max(0, limit)))
        return try database.query(sql, bindings).map { r in
            (
                try r.get(0),
                EventRecord(runID: try r.get(1), seq: try r.get(2), time: try r.get(3), kind: try r.get(4), payloadJSON: try r.get(5))
            )
        }
    }

    /// The runs that recorded anything after the global position `afterID` (what a live list
    /// of runs must redraw), without reading the events themselves.
    public func runIDs(withEventsAfter afterID: Int64) throws -> [String] {
        try database.query("SELECT DISTINCT run_id FROM events WHERE id > ?", [afterID]).map { try $0.get(0) }
    }

    /// The global position of the newest event (0 when there is none).
    public func latestEventID() throws -> Int64 {
        try database.query("SELECT COALESCE(MAX(id), 0) FROM events").first?.get(0) ?? 0
    }
}
