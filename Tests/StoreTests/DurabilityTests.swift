import Foundation
import Testing

@testable import Store

@Suite struct DurabilityTests {
    /// Simulates kill -9 in the middle of a transaction: the database and WAL files are copied
    /// while a big transaction is open (its pages already spilled into the WAL, but without a
    /// commit record), which is exactly what a killed process leaves on disk. Opening the copy
    /// must show every committed row and none of the uncommitted ones.
    @Test func crashMidTransactionKeepsOnlyCommittedData() throws {
        try withTemporaryDirectory { dir in
            let live = dir.appendingPathComponent("live/sandcastle.sqlite")
            let crashed = dir.appendingPathComponent("crashed/sandcastle.sqlite")
            let repo = try SQLiteRunRepository(path: live.path)
            try repo.createRun(RunRecord(id: "r", workflowName: "wf"))
            for i in 1...50 {
                try repo.appendEvent(runID: "r", kind: "committed", payloadJSON: #"{"i":\#(i)}"#)
            }
            try repo.upsertStep(StepRecord(runID: "r", stepID: "s", status: .completed, exitCode: 0))

            try repo.database.read { conn in
                // A tiny page cache forces the open transaction to write its pages to the WAL.
                _ = try conn.query("PRAGMA cache_size = 2")
                try conn.executeScript("BEGIN IMMEDIATE")
                for i in 1...2000 {
                    try conn.execute(
                        "INSERT INTO events (run_id, seq, time, kind, payload_json) VALUES ('r', ?, 0, 'uncommitted', ?)",
                        [1000 + i, String(repeating: "x", count: 200)])
                }
                try conn.execute("UPDATE steps SET status = 'running' WHERE run_id = 'r'")
                let fm = FileManager.default
                try fm.createDirectory(at: crashed.deletingLastPathComponent(), withIntermediateDirectories: true)
                try fm.copyItem(at: live, to: crashed)
                let wal = URL(fileURLWithPath: live.path + "-wal")
                #expect(fm.fileExists(atPath: wal.path))
                let walSize = (try fm.attributesOfItem(atPath: wal.path)[.size] as? Int) ?? 0
                #expect(walSize > 100_000, "the open transaction should have spilled into the WAL")
                try fm.copyItem(at: wal, to: URL(fileURLWithPath: crashed.path + "-wal"))
                try conn.executeScript("ROLLBACK")
            }

            let recovered = try SQLiteRunRepository(path: crashed.path)
            let events = try recovered.events(runID: "r")
            #expect(events.count == 50)
            #expect(events.allSatisfy { $0.kind == "committed" })
            #expect(try recovered.run(id: "r")?.steps.first?.status == .completed)
            #expect(try recovered.database.query("PRAGMA integrity_check").first?.get(0, as: String.self) == "ok")
            #expect(try recovered.appendEvent(runID: "r", kind: "resumed") == 51)
        }
    }

    /// Two connections (as the CLI and the server would have) write to the same file at once;
    /// BEGIN IMMEDIATE and the busy timeout serialize them without errors or duplicate seqs.
    @Test func twoConnectionsWriteTheSameFile() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("shared.sqlite").path
            let a = try SQLiteRunRepository(path: path)
            let b = try SQLiteRunRepository(path: path)
            try a.createRun(RunRecord(id: "r", workflowName: "wf"))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for repo in [a, b, a, b] {
                    group.addTask {
                        for _ in 0..<100 { try repo.appendEvent(runID: "r", kind: "tick") }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try b.events(runID: "r").map(\.seq) == Array(1...400))
        }
    }
}
