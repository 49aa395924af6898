import Foundation
import Testing

@testable import Store

@Suite struct DatabaseTests {
    @Test func opensFileCreatingParentFoldersWithPragmas() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("a/b/c/db.sqlite").path
            let db = try SQLiteDatabase(path: path)
            #expect(FileManager.default.fileExists(atPath: path))
            #expect(try db.query("PRAGMA journal_mode").first?.get(0, as: String.self) == "wal")
            #expect(try db.query("PRAGMA foreign_keys").first?.get(0, as: Int.self) == 1)
            // NORMAL is 1, FULL is 2.
            #expect(try db.query("PRAGMA synchronous").first?.get(0, as: Int.self) == 1)
            #expect(try db.query("PRAGMA busy_timeout").first?.get(0, as: Int.self) == 5000)
        }
    }

    @Test func fullSynchronousOnRequest() throws {
        let db = try SQLiteDatabase(path: ":memory:", synchronous: .full)
        #expect(try db.query("PRAGMA synchronous").first?.get(0, as: Int.self) == 2)
    }

    @Test func typedRoundTrips() throws {
        let db = try SQLiteDatabase(path: ":memory:")
        try db.execute("CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, n TEXT)")
        let blob: [UInt8] = [0, 1, 2, 255, 0, 128]
        let text = "héllo 🏰 世界 \u{0} after-nul"
        let absent: String? = nil
        try db.execute("INSERT INTO t VALUES (?, ?, ?, ?, ?)", [Int64.min, 3.25, text, blob, absent])
        try db.execute("INSERT INTO t VALUES (?, ?, ?, ?, ?)", [Int64.max, -0.5, "", [UInt8](), SQLiteValue.null])
        let rows = try db.query("SELECT i, r, s, b, n FROM t ORDER BY rowid")
        #expect(rows.count == 2)
        #expect(try rows[0].get("i", as: Int64.self) == Int64.min)
        #expect(try rows[0].get("r", as: Double.self) == 3.25)
        #expect(try rows[0].get("s", as: String.self) == text)
        #expect(try rows[0].get("b", as: [UInt8].self) == blob)
        #expect(try rows[0].get("n", as: String?.self) == nil)
        #expect(rows[0]["n"] == .null)
        #expect(try rows[1].get(0, as: Int64.self) == Int64.max)
        #expect(try rows[1].get(2, as: String.self) == "")
        // An empty blob stays a blob, not NULL.
        #expect(rows[1][3] == .blob([]))
        #expect(try rows[1].get(4, as: Int?.self) == nil)
    }

    @Test func datesAndBoolsRoundTrip() throws {
        let db = try SQLiteDatabase(path: ":memory:")
        let now = Date().storeRounded
        let row = try db.query("SELECT ?, ?, ?", [now, true, false]).first
        #expect(try row?.get(0, as: Date.self) == now)
        #expect(try row?.get(1, as: Bool.self) == true)
        #expect(try row?.get(2, as: Bool.self) == false)
    }

    @Test func readingTheWrongTypeIsATypeMismatch() throws {
        let db = try SQLiteDatabase(path: ":memory:")
        let row = try #require(try db.query("SELECT 'text', NULL").first)
        #expect(storeError { _ = try row.get(0, as: Int64.self) }?.code == .typeMismatch)
        #expect(storeError { _ = try row.get(1, as: String.self) }?.code == .typeMismatch)
        #expect(storeError { _ = try row.get("missing", as: String.self) }?.code == .invalidArgument)
    }

    @Test func transactionCommitsAndRollsBackOnThrow() throws {
        struct Boom: Error {}
        let db = try SQLiteDatabase(path: ":memory:")
        try db.execute("CREATE TABLE t (v INTEGER)")
        try db.transaction { try $0.execute("INSERT INTO t VALUES (1)") }
        #expect(throws: Boom.self) {
            try db.transaction { conn in
                try conn.execute("INSERT INTO t VALUES (2)")
                throw Boom()
            }
        }
        #expect(try db.query("SELECT v FROM t").map { try $0.get(0, as: Int.self) } == [1])
        #expect(try db.read { !$0.isInTransaction })
    }

    @Test func nestedTransactionsAreSavepoints() throws {
        struct Boom: Error {}
        let db = try SQLiteDatabase(path: ":memory:")
        try db.execute("CREATE TABLE t (v INTEGER)")
        try db.transaction { conn in
            try conn.execute("INSERT INTO t VALUES (1)")
            _ = try? conn.transaction { inner in
                try inner.execute("INSERT INTO t VALUES (2)")
                throw Boom()
            }
            try conn.transaction { try $0.execute("INSERT INTO t VALUES (3)") }
        }
        #expect(try db.query("SELECT v FROM t ORDER BY v").map { try $0.get(0, as: Int.self) } == [1, 3])
    }

    @Test func constraintViolationsMapToConstraint() throws {
        let db = try SQLiteDatabase(path: ":memory:")
        try db.execute("CREATE TABLE p (id TEXT PRIMARY KEY)")
        try db.execute("CREATE TABLE c (p TEXT NOT NULL REFERENCES p(id), n INTEGER CHECK (n > 0))")
        try db.execute("INSERT INTO p VALUES ('a')")
        let unique = storeError { try db.execute("INSERT INTO p VALUES (?)", ["a"]) }
        #expect(unique?.code == .constraint)
        #expect(unique?.message.contains("UNIQUE") == true)
        #expect(unique?.sql == "INSERT INTO p VALUES (?)")
        #expect(storeError { try db.execute("INSERT INTO c VALUES ('zzz', 1)") }?.code == .constraint)
        #expect(storeError { try db.execute("INSERT INTO c VALUES ('a', 0)") }?.code == .constraint)
        #expect(storeError { try db.execute("INSERT INTO c VALUES (NULL, 1)") }?.code == .constraint)
    }

    @Test func misuseIsReportedWithTheSQL() throws {
        let db = try SQLiteDatabase(path: ":memory:")
        let syntax = storeError { try db.execute("SELEC nonsense") }
        #expect(syntax?.code == .misuse)
        #expect(syntax?.sql == "SELEC nonsense")
        #expect(syntax?.description.contains("SELEC nonsense") == true)
        #expect(storeError { try db.execute("SELECT ?", []) }?.code == .misuse)
    }

    @Test func fullDatabaseSaysDiskFull() throws {
        try withTemporaryDirectory { dir in
            let db = try SQLiteDatabase(path: dir.appendingPathComponent("small.sqlite").path)
            try db.execute("CREATE TABLE t (b BLOB)")
            // A page-count cap behaves like a full disk: SQLite answers SQLITE_FULL.
            _ = try db.query("PRAGMA max_page_count = 5")
            let error = storeError {
                _ = try db.transaction { try $0.execute("INSERT INTO t VALUES (?)", [[UInt8](repeating: 7, count: 100_000)]) }
            }
            #expect(error?.code == .full)
            #expect(error?.message.contains("disk full") == true)
            #expect(try db.read { !$0.isInTransaction })
        }
    }

    @Test func garbageFileIsCorrupt() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("garbage.sqlite").path
            try Data(repeating: 0x41, count: 8192).write(to: URL(fileURLWithPath: path))
            let error = storeError { _ = try SQLiteDatabase(path: path) }
            #expect(error?.code == .corrupt)
        }
    }

    @Test func statementCacheSurvivesErrors() throws {
        let db = try SQLiteDatabase(path: ":memory:")
        try db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
        for i in 0..<3 {
            try db.execute("INSERT INTO t VALUES (?)", [i])
            #expect(storeError { try db.execute("INSERT INTO t VALUES (?)", [i]) }?.code == .constraint)
        }
        #expect(try db.query("SELECT count(*) FROM t").first?.get(0, as: Int.self) == 3)
    }
}

@Suite struct ConnectionMisuseTests {
    @Test func aTransactionLeftOpenInReadIsRolledBack() throws {
        let db = try SQLiteDatabase(path: ":memory:")
        try db.execute("CREATE TABLE t (v INTEGER)")
        let error = storeError {
            try db.read { conn in
                try conn.executeScript("BEGIN")
                try conn.execute("INSERT INTO t VALUES (1)")
            }
        }
        #expect(error?.code == .misuse)
        #expect(try db.query("SELECT count(*) FROM t").first?.get(0, as: Int.self) == 0)
        #expect(try db.read { !$0.isInTransaction })
    }
}
