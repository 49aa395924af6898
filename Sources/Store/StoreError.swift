import CSQLite

/// An error from the persistence layer, with a message a person can act on.
///
/// `code` is an extensible struct: new codes can be added without breaking callers
/// that switch on the ones they know. SQLite failures carry SQLite's own message and
/// the SQL that failed, so a log line is enough to find the query.
public struct StoreError: Error, CustomStringConvertible {
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        /// A UNIQUE, FOREIGN KEY, CHECK or NOT NULL constraint rejected the write.
        public static let constraint = Code(rawValue: "constraint")
        /// Another process held the database lock longer than the busy timeout.
        public static let busy = Code(rawValue: "busy")
        /// The database file is damaged or is not a database.
        public static let corrupt = Code(rawValue: "corrupt")
        /// The requested row does not exist.
        public static let notFound = Code(rawValue: "not_found")
        /// Reading or writing the database file failed, or it could not be opened.
        public static let io = Code(rawValue: "io")
        /// The disk (or the database's size limit) is full.
        public static let full = Code(rawValue: "full")
        /// The library was used wrongly (bad SQL, wrong binding count, closed database).
        public static let misuse = Code(rawValue: "misuse")
        /// A column held a different type than the caller asked for.
        public static let typeMismatch = Code(rawValue: "type_mismatch")
        /// The database was written by a newer Sandcastle than this one.
        public static let schemaTooNew = Code(rawValue: "schema_too_new")
        /// A migration failed; the database stays at the last good version.
        public static let migrationFailed = Code(rawValue: "migration_failed")
        /// The caller passed something malformed.
        public static let invalidArgument = Code(rawValue: "invalid_argument")
        /// Any other SQLite failure.
        public static let `internal` = Code(rawValue: "internal")

        public var description: String { rawValue }
    }

    public var code: Code
    public var message: String
    /// The SQL statement that failed, when there was one.
    public var sql: String?
    /// SQLite's extended result code, when the error came from SQLite.
    public var sqliteCode: Int32?
    public var cause: (any Error)?

    public init(_ code: Code, _ message: String, sql: String? = nil, sqliteCode: Int32? = nil,
                cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.sql = sql
        self.sqliteCode = sqliteCode
        self.cause = cause
    }

    public var description: String {
        guard let sql else { return message }
        return "\(message) (SQL: \(sql))"
    }

    /// Maps an SQLite result code (primary or extended) and its message to a `StoreError`.
    static func sqlite(_ result: Int32, message: String, sql: String?) -> StoreError {
        let code: Code
        var text = message
        switch result & 0xFF {
        case SQLITE_CONSTRAINT: code = .constraint
        case SQLITE_BUSY, SQLITE_LOCKED: code = .busy
        case SQLITE_CORRUPT, SQLITE_NOTADB: code = .corrupt
        case SQLITE_NOTFOUND: code = .notFound
        case SQLITE_IOERR, SQLITE_CANTOPEN, SQLITE_READONLY, SQLITE_PERM: code = .io
        case SQLITE_FULL:
            code = .full
            text = "disk full: the database could not grow (\(message)); free some space in the data folder"
        case SQLITE_MISUSE, SQLITE_ERROR, SQLITE_RANGE: code = .misuse
        case SQLITE_MISMATCH: code = .typeMismatch
        default: code = .internal
        }
        return StoreError(code, text, sql: sql, sqliteCode: result)
    }
}
