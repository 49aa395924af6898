import Foundation
import Testing

@testable import Store

@Suite struct MigrationTests {
    @Test func migratesAnEmptyDatabaseToTheLatestSchema() throws {
        let db = try SQLiteDatabase(path: ":memory:")
        #expect(try Migrator.currentVersion(of: db) == 0)
        #expect(try Migrator.migrate(db) == Schema.latestVersion)
        #expect(try Migrator.currentVersion(of: db) == Schema.latestVersion)
        let tables = try db.query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .map { try $0.get(0, as: String.self) }
        #expect(
            tables == [
                "api_keys", "approvals", "audit_entries", "credentials", "dead_letters", "events", "model_calls", "run_submissions", "runs",
                "sandboxes", "schedule_fires", "schedules", "secret_key_state", "step_attempts", "steps", "violations", "workflow_versions",
            ])
        let indexes = try db.query("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'")
            .map { try $0.get(0, as: String.self) }
        #expect(Set(indexes).isSuperset(of: ["runs_by_status", "sandboxes_by_status", "approvals_pending"]))
        // Migrating again is a no-op.
        #expect(try Migrator.migrate(db) == Schema.latestVersion)
    }

    @Test func reopeningKeepsData() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("state/sandcastle.sqlite").path
            do {
                let repo = try SQLiteRunRepository(path: path)
                try repo.createRun(RunRecord(id: "r1", workflowName: "wf"))
                #expect(try repo.appendEvent(runID: "r1", kind: "created") == 1)
            }
            let reopened = try SQLiteRunRepository(path: path)
            #expect(try reopened.run(id: "r1")?.run.workflowName == "wf")
            #expect(try reopened.appendEvent(runID: "r1", kind: "resumed") == 2)
        }
    }

    @Test func refusesADatabaseFromANewerProgram() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("db.sqlite").path
            do {
                let db = try SQLiteDatabase(path: path)
                try Migrator.migrate(db)
                try db.execute("PRAGMA user_version = \(Schema.latestVersion + 7)")
            }
            let db = try SQLiteDatabase(path: path)
            let error = storeError { try Migrator.migrate(db) }
            #expect(error?.code == .schemaTooNew)
            #expect(error?.message.contains("upgrade Sandcastle") == true)
            #expect(storeError { _ = try SQLiteRunRepository(path: path) }?.code == .schemaTooNew)
        }
    }

    @Test func aFailingMigrationLeavesTheLastGoodVersion() throws {
        let db = try SQLiteDatabase(path: ":memory:")
        let migrations = [
            Migration(version: 1, name: "one", sql: "CREATE TABLE a (x INTEGER);"),
            Migration(version: 2, name: "two", sql: "CREATE TABLE b (x INTEGER); INSERT INTO nowhere VALUES (1);"),
        ]
        let error = storeError { try Migrator.migrate(db, migrations: migrations) }
        #expect(error?.code == .migrationFailed)
        #expect(error?.message.contains("two") == true)
        #expect(try Migrator.currentVersion(of: db) == 1)
        // Table b was created inside the failed migration's transaction, so it is gone.
        #expect(try db.query("SELECT name FROM sqlite_master WHERE name = 'b'").isEmpty)
        #expect(try db.query("SELECT name FROM sqlite_master WHERE name = 'a'").count == 1)
    }

    @Test func migrationVersionsMustBeContiguous() throws {
        let db = try SQLiteDatabase(path: ":memory:")
        let error = storeError {
            try Migrator.migrate(db, migrations: [Migration(version: 2, name: "skip", sql: "SELECT 1;")])
        }
        #expect(error?.code == .invalidArgument)
    }

    @Test func schemaEnforcesOneStateRowPerStepIncludingUnfannedSteps() throws {
        let repo = try SQLiteRunRepository(path: ":memory:")
        try repo.createRun(RunRecord(id: "r", workflowName: "wf"))
        let insert = "INSERT INTO steps (run_id, step_id, fanout_index, status) VALUES ('r', 's', -1, 'pending')"
        try repo.database.execute(insert)
        #expect(storeError { try repo.database.execute(insert) }?.code == .constraint)
        #expect(
            storeError {
                try repo.database.execute("INSERT INTO steps (run_id, step_id, status) VALUES ('missing', 's', 'x')")
            }?.code == .constraint)
    }
}
