import CSQLite
import Foundation
import Synchronization

/// A connection to one SQLite database file (or `:memory:`), safe to share between tasks.
///
/// Why a `final class` with its connection behind a `Mutex` rather than an actor: SQLite calls
/// are synchronous and short (microseconds; the WAL commit is one `write`), so hopping onto an
/// actor's executor would cost more than the work and force every caller to be `async`. The
/// engine's budget is ≤ 0.5 ms per step including persistence. A mutex serializes the single
/// connection, which is what SQLite wants for writers anyway. The cost: a closure passed to
/// `read`/`transaction` blocks its thread while it runs, so keep it to database work (no
/// awaits, no network). The lock is not reentrant: do not call back into the same
/// `SQLiteDatabase` from inside a closure; use the `SQLiteConnection` you are given.
///
/// Durability: the database runs in WAL mode with `synchronous=NORMAL`. Every committed
/// transaction has been written to the WAL file with `write(2)` before `transaction` returns, so
/// it survives the process being killed (kill -9, crash, OOM): the kernel holds the data.
/// What NORMAL gives up compared with FULL is the `fsync` on every commit; on power loss or a
/// kernel panic the last few transactions before the most recent checkpoint can be lost, but
/// the database is never corrupted. That matches "persisted before acted on" for the failures
/// the engine is designed to recover from (process death), at a fraction of the latency;
/// pass `synchronous: .full` where power-loss durability is worth an fsync per commit.
public final class SQLiteDatabase: Sendable {
    /// How hard SQLite pushes each commit to stable storage.
    public enum Synchronous: String, Sendable {
        /// Survives process crashes; may lose the latest commits on power loss (WAL mode).
        case normal = "NORMAL"
        /// fsync on every commit: survives power loss too.
        case full = "FULL"
    }

    /// The path the database was opened with.
    public let path: String
    private let connection: Mutex<ConnectionState>

    /// Opens (creating if needed) the database at `path`, creating its parent folders.
    ///
    /// - Parameters:
    ///   - path: a file path, or `:memory:` for a private in-memory database.
    ///   - busyTimeout: how long to wait for another process's lock before failing with `.busy`.
    ///   - synchronous: see the type's documentation on durability.
    public init(path: String, busyTimeout: Duration = .seconds(5), synchronous: Synchronous = .normal) throws {
        self.path = path
        if path != ":memory:" && !path.isEmpty && !path.hasPrefix("file:") {
            let parent = URL(fileURLWithPath: path).deletingLastPathComponent()
            do {
                try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
            } catch {
                throw StoreError(
                    .io, "cannot create the folder \(parent.path) for the database \(path): \(error.localizedDescription)",
                    cause: error)
            }
        }
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI
        let rc = sqlite3_open_v2(path, &handle, flags, nil)
        guard rc == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(handle)
            let error = StoreError.sqlite(rc, message: "cannot open the database \(path): \(message)", sql: nil)
            throw error
        }
        if path != ":memory:" && !path.isEmpty && !path.hasPrefix("file:") {
            // Only the owner reads the state (SQLite gives its WAL and shared-memory files the same mode).
            for file in [path, path + "-wal", path + "-shm"] where FileManager.default.fileExists(atPath: file) {
                chmod(file, 0o600)
            }
        }
        sqlite3_extended_result_codes(handle, 1)
        let ms = busyTimeout.components.seconds * 1000 + busyTimeout.components.attoseconds / 1_000_000_000_000_000
        sqlite3_busy_timeout(handle, Int32(clamping: ms))
        let state = ConnectionState(handle: handle)
        let conn = SQLiteConnection(state: state)
        try Self.enableWAL(conn, within: busyTimeout)
        try conn.execute("PRAGMA synchronous=\(synchronous.rawValue)")
        // Checkpoint every ~16 MiB of WAL instead of ~4 MiB: the engine commits small
        // transactions all the time and each checkpoint rewrites (and syncs) the hot pages again.
        _ = try conn.query("PRAGMA wal_autocheckpoint=4000")
        try conn.execute("PRAGMA foreign_keys=ON")
        // Deleted and overwritten content is zeroed where that costs no extra I/O, so a value
        // replaced (a sandbox's environment dropped when it is deleted) does not linger in a page.
        _ = try conn.query("PRAGMA secure_delete=FAST")
        self.connection = Mutex(state)
    }

    /// Puts the database in WAL mode (a property of the file: done once, by whoever opens it first).
    ///
    /// Switching needs an exclusive lock, and SQLite answers `SQLITE_BUSY` at once, without its
    /// busy handler, while another process is opening or reading the same new file (two
    /// commands starting on a fresh data folder). So a file already in WAL mode is left alone,
    /// and the switch is retried until `timeout`.
    private static func enableWAL(_ conn: SQLiteConnection, within timeout: Duration) throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            do {
                // journal_mode answers with a row; on :memory: it stays "memory", which is fine.
                let current = try conn.query("PRAGMA journal_mode").first?[0]
                if case .text(let mode)? = current, mode.lowercased() == "wal" { return }
                _ = try conn.query("PRAGMA journal_mode=WAL")
                return
            } catch let error as StoreError where error.code == .busy && ContinuousClock.now < deadline {
                usleep(10_000)
            }
        }
    }

    /// Runs `body` with exclusive use of the connection, outside any explicit transaction.
    /// Each statement is its own transaction; use for reads and single-statement writes.
    public func read<T: Sendable>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        try connection.withLock { state in
            let conn = SQLiteConnection(state: state)
            let wasInTransaction = conn.isInTransaction
            let result = try body(conn)
            if conn.isInTransaction && !wasInTransaction {
                // A transaction left open would hold the write lock and block every other process.
                try? conn.executeScript("ROLLBACK")
                throw StoreError(.misuse, "a transaction was begun inside read { } and left open; it was rolled back (use transaction { })")
            }
            return result
        }
    }

    /// Runs `body` in a write transaction (`BEGIN IMMEDIATE … COMMIT`): rolled back if it throws.
    ///
    /// IMMEDIATE takes the write lock up front, so a transaction never fails half-way with
    /// SQLITE_BUSY after reading; it waits up to the busy timeout instead.
    @discardableResult
    public func transaction<T: Sendable>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        try connection.withLock { state in
            try SQLiteConnection(state: state).transaction(body)
        }
    }

    /// Runs one statement and returns how many rows it changed.
    @discardableResult
    public func execute(_ sql: String, _ bindings: [any SQLiteValueConvertible] = []) throws -> Int {
        try read { try $0.execute(sql, bindings) }
    }

    /// Runs one query and returns all its rows.
    public func query(_ sql: String, _ bindings: [any SQLiteValueConvertible] = []) throws -> [Row] {
        try read { try $0.query(sql, bindings) }
    }
}

// Not Sendable: a connection is lent to one closure on one thread and must not leave it.
@available(*, unavailable)
extension SQLiteConnection: Sendable {}

/// The connection and its prepared-statement cache.
///
/// `@unchecked Sendable` because it is only reached through `SQLiteDatabase`'s mutex (which
/// serializes every use) and `SQLiteConnection`, which is not Sendable and lives only inside
/// the locked closure; region checking cannot see that a closure argument does not escape.
final class ConnectionState: @unchecked Sendable {
    let handle: OpaquePointer
    var statements: [String: OpaquePointer] = [:]

    init(handle: OpaquePointer) { self.handle = handle }

    deinit {
        for statement in statements.values { sqlite3_finalize(statement) }
        sqlite3_close_v2(handle)
    }
}

/// The connection, lent to a closure by `SQLiteDatabase.read` or `.transaction`.
///
/// It is only valid inside that closure; do not keep it.
public struct SQLiteConnection {
    let state: ConnectionState

    /// Whether a transaction is open on this connection.
    public var isInTransaction: Bool { sqlite3_get_autocommit(state.handle) == 0 }

    /// The rowid of the most recent successful INSERT.
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(state.handle) }

    /// Runs one statement and returns how many rows it changed.
    @discardableResult
    public func execute(_ sql: String, _ bindings: [any SQLiteValueConvertible] = []) throws -> Int {
        try run(sql, bindings) { _ in }
        return Int(sqlite3_changes(state.handle))
    }

    /// Runs one query and returns all its rows.
    public func query(_ sql: String, _ bindings: [any SQLiteValueConvertible] = []) throws -> [Row] {
        var rows: [Row] = []
        try run(sql, bindings) { rows.append($0) }
        return rows
    }

    /// Runs one query and returns its first row, if any.
    public func queryOne(_ sql: String, _ bindings: [any SQLiteValueConvertible] = []) throws -> Row? {
        try query(sql, bindings).first
    }

    /// Runs several `;`-separated statements without bindings (schema scripts, migrations).
    public func executeScript(_ sql: String) throws {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(state.handle, sql, nil, nil, &errorMessage)
        if rc != SQLITE_OK {
            let message = errorMessage.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_free(errorMessage)
            throw StoreError.sqlite(sqlite3_extended_errcode(state.handle), message: message, sql: sql)
        }
    }

    /// Runs `body` in a transaction; nested calls become savepoints so helpers compose.
    @discardableResult
    public func transaction<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        if isInTransaction {
            let name = "sp\(UInt32.random(in: 0...UInt32.max))"
            try executeScript("SAVEPOINT \(name)")
            do {
                let result = try body(self)
                try executeScript("RELEASE \(name)")
                return result
            } catch {
                try? executeScript("ROLLBACK TO \(name); RELEASE \(name)")
                throw error
            }
        }
        try executeScript("BEGIN IMMEDIATE")
        do {
            let result = try body(self)
            try executeScript("COMMIT")
            return result
        } catch {
            // SQLite may already have rolled back on its own (e.g. SQLITE_FULL); ROLLBACK would then fail.
            if isInTransaction { try? executeScript("ROLLBACK") }
            throw error
        }
    }

    private func prepared(_ sql: String) throws -> OpaquePointer {
        if let cached = state.statements[sql] { return cached }
        var statement: OpaquePointer?
        let rc = sqlite3_prepare_v3(state.handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard rc == SQLITE_OK, let statement else {
            throw error(rc, sql: sql)
        }
        state.statements[sql] = statement
        return statement
    }

    private func error(_ rc: Int32, sql: String) -> StoreError {
        let extended = sqlite3_extended_errcode(state.handle)
        let code = (extended & 0xFF) == (rc & 0xFF) ? extended : rc
        return StoreError.sqlite(code, message: String(cString: sqlite3_errmsg(state.handle)), sql: sql)
    }

    private func run(_ sql: String, _ bindings: [any SQLiteValueConvertible], onRow: (Row) -> Void) throws {
        let statement = try prepared(sql)
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        let expected = Int(sqlite3_bind_parameter_count(statement))
        guard expected == bindings.count else {
            throw StoreError(.misuse, "the statement takes \(expected) parameters but \(bindings.count) were given", sql: sql)
        }
        for (offset, binding) in bindings.enumerated() {
            let index = Int32(offset + 1)
            let rc: Int32
            switch binding.sqliteValue {
            case .integer(let v): rc = sqlite3_bind_int64(statement, index, v)
            case .real(let v): rc = sqlite3_bind_double(statement, index, v)
            case .text(var v):
                // Pass the byte count, not -1, so text with an embedded NUL is kept whole.
                rc = v.withUTF8 { utf8 in
                    guard let base = utf8.baseAddress, utf8.count > 0 else {
                        return sqlite3_bind_text(statement, index, "", 0, csqlite_transient())
                    }
                    return base.withMemoryRebound(to: CChar.self, capacity: utf8.count) {
                        sqlite3_bind_text(statement, index, $0, Int32(utf8.count), csqlite_transient())
                    }
                }
            case .blob(let v):
                rc = v.withUnsafeBytes { raw in
                    // A zero-length blob must stay a blob, not NULL, so never pass a nil pointer.
                    raw.count == 0
                        ? sqlite3_bind_zeroblob(statement, index, 0)
                        : sqlite3_bind_blob(statement, index, raw.baseAddress, Int32(raw.count), csqlite_transient())
                }
            case .null: rc = sqlite3_bind_null(statement, index)
            }
            guard rc == SQLITE_OK else { throw error(rc, sql: sql) }
        }
        let columnCount = sqlite3_column_count(statement)
        var columns: [String] = []
        while true {
            let rc = sqlite3_step(statement)
            if rc == SQLITE_DONE { return }
            guard rc == SQLITE_ROW else { throw error(rc, sql: sql) }
            if columns.isEmpty && columnCount > 0 {
                columns = (0..<columnCount).map { String(cString: sqlite3_column_name(statement, $0)) }
            }
            var values: [SQLiteValue] = []
            values.reserveCapacity(Int(columnCount))
            for i in 0..<columnCount {
                switch sqlite3_column_type(statement, i) {
                case SQLITE_INTEGER: values.append(.integer(sqlite3_column_int64(statement, i)))
                case SQLITE_FLOAT: values.append(.real(sqlite3_column_double(statement, i)))
                case SQLITE_TEXT:
                    let count = Int(sqlite3_column_bytes(statement, i))
                    if let pointer = sqlite3_column_text(statement, i) {
                        values.append(.text(String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)))
                    } else {
                        values.append(.text(""))
                    }
                case SQLITE_BLOB:
                    let count = Int(sqlite3_column_bytes(statement, i))
                    if let pointer = sqlite3_column_blob(statement, i), count > 0 {
                        values.append(.blob(Array(UnsafeRawBufferPointer(start: pointer, count: count))))
                    } else {
                        values.append(.blob([]))
                    }
                default: values.append(.null)
                }
            }
            onRow(Row(columns: columns, values: values))
        }
    }
}
