/// One versioned schema change.
public struct Migration: Sendable {
    /// The schema version the database has after this migration (1, 2, 3, …).
    public var version: Int
    /// A short name for logs and errors.
    public var name: String
    /// The SQL script; may hold several statements.
    public var sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }
}

/// Applies migrations in order, each in its own transaction, tracking the version in
/// `PRAGMA user_version` (which lives in the database header and is transactional, so a
/// failed migration leaves both the schema and the version untouched).
public enum Migrator {
    /// The schema version recorded in the database (0 for a fresh one).
    public static func currentVersion(of database: SQLiteDatabase) throws -> Int {
        try database.read { try version($0) }
    }

    /// Brings the database up to the last migration's version and returns that version.
    ///
    /// Throws `.schemaTooNew` when the database was written by a newer program, so an old
    /// binary never writes rows a newer schema does not expect.
    @discardableResult
    public static func migrate(_ database: SQLiteDatabase, migrations: [Migration] = Schema.migrations) throws -> Int {
        for (offset, migration) in migrations.enumerated() where migration.version != offset + 1 {
            throw StoreError(
                .invalidArgument,
                "migration \(migration.name) has version \(migration.version); versions must be 1, 2, 3, … in order")
        }
        let latest = migrations.count
        let current = try currentVersion(of: database)
        if current > latest {
            throw StoreError(
                .schemaTooNew,
                "the database \(database.path) has schema version \(current) but this Sandcastle only knows up to \(latest); upgrade Sandcastle or use another data folder"
            )
        }
        for migration in migrations where migration.version > current {
            do {
                try database.transaction { conn in
                    // Re-check inside the write lock: another process may have migrated meanwhile.
                    guard try version(conn) < migration.version else { return }
                    try conn.executeScript(migration.sql)
                    try conn.executeScript("PRAGMA user_version = \(migration.version)")
                }
            } catch let error as StoreError {
                throw StoreError(
                    .migrationFailed,
                    "migration \(migration.version) (\(migration.name)) failed: \(error.message)",
                    sql: error.sql, sqliteCode: error.sqliteCode, cause: error)
            }
        }
        return latest
    }

    private static func version(_ conn: SQLiteConnection) throws -> Int {
        try conn.queryOne("PRAGMA user_version")?.get(0, as: Int.self) ?? 0
    }
}
