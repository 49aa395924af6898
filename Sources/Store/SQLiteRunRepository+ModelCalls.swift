import Foundation

extension SQLiteRunRepository {
    static func recordModelCall(_ call: ModelCallRecord, on conn: SQLiteConnection) throws {
        try conn.execute(
            """
            INSERT INTO model_calls (run_id, step_id, fanout_index, attempt, turn, provider, model, input_tokens,
                                     output_tokens, cache_read_tokens, cache_write_tokens, cost_usd, duration_ms, created_at,
                                     region, pii_redacted)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                call.runID, call.stepID, storedFanout(call.fanoutIndex), call.attempt, call.turn, call.provider, call.model,
                call.inputTokens, call.outputTokens, call.cacheReadTokens, call.cacheWriteTokens, call.costUSD,
                call.durationMs, call.createdAt, call.region, call.piiRedacted,
            ])
    }

    public func modelCalls(runID: String) throws -> [ModelCallRecord] {
        try database.query(
            """
            SELECT run_id, step_id, fanout_index, attempt, turn, provider, model, input_tokens, output_tokens,
                   cache_read_tokens, cache_write_tokens, cost_usd, duration_ms, created_at, region, pii_redacted
            FROM model_calls WHERE run_id = ? ORDER BY rowid
            """, [runID]
        ).map { r in
            ModelCallRecord(
                runID: try r.get(0), stepID: try r.get(1), fanoutIndex: fanoutFromStore(try r.get(2)), attempt: try r.get(3),
                turn: try r.get(4), provider: try r.get(5), model: try r.get(6), inputTokens: try r.get(7),
                outputTokens: try r.get(8), cacheReadTokens: try r.get(9), cacheWriteTokens: try r.get(10),
                costUSD: try r.get(11), durationMs: try r.get(12), createdAt: try r.get(13), region: try r.get(14),
                piiRedacted: try r.get(15))
        }
    }

    public func modelUsage(runIDs: [String]) throws -> [String: ModelUsageTotals] {
        guard !runIDs.isEmpty else { return [:] }
        var totals: [String: ModelUsageTotals] = [:]
        // Bound parameters per statement are limited (32766 in SQLite ≥ 3.32): ask in slices.
        for start in stride(from: 0, to: runIDs.count, by: 500) {
            let slice = Array(runIDs[start..<min(start + 500, runIDs.count)])
            let rows = try database.query(
                """
                SELECT run_id, COUNT(*), SUM(input_tokens), SUM(output_tokens), SUM(cache_read_tokens),
                       SUM(cache_write_tokens), COALESCE(SUM(cost_usd), 0), COUNT(*) - COUNT(cost_usd)
                FROM model_calls WHERE run_id IN (\(Array(repeating: "?", count: slice.count).joined(separator: ", ")))
                GROUP BY run_id
                """, slice)
            for r in rows {
                totals[try r.get(0)] = ModelUsageTotals(
                    calls: try r.get(1), inputTokens: try r.get(2), outputTokens: try r.get(3), cacheReadTokens: try r.get(4),
                    cacheWriteTokens: try r.get(5), pricedCostUSD: try r.get(6), unpricedCalls: try r.get(7))
            }
        }
        return totals
    }
}
