import CSQLite

/// An error from the persistence layer, with a message a person can act on.
///
/// SQLite failures carry SQLite's own message and the SQL that failed, so a log line is
/// enough to find the query.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure; extensible without breaking `switch`es that use `default`.
    ///
    /// Only this file mints codes (the wrapped enum is private); `description` is the snake_case code.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String, Sendable, Hashable {
            case constraint, busy, corrupt
            case notFound = "not_found"
            case io, full, misuse
            case typeMismatch = "type_mismatch"
            case schemaTooNew = "schema_too_new"
            case migrationFailed = "migration_failed"
            case invalidArgument = "invalid_argument"
            case conflict
            case `internal`
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// A UNIQUE, FOREIGN KEY, CHECK or NOT NULL constraint rejected the write.
        public static let constraint = Code(.constraint)
        /// Another process held the database lock longer than the busy timeout.
        public static let busy = Code(.busy)
        /// The database file is damaged or is not a database.
        public static let corrupt = Code(.corrupt)
        /// The requested row does not exist.
        public static let notFound = Code(.notFound)
        /// Reading or writing the database file failed, or it could not be opened.
        public static let io = Code(.io)
        /// The disk (or the database's size limit) is full.
        public static let full = Code(.full)
        /// The library was used wrongly (bad SQL, wrong binding count, closed database).
        public static let misuse = Code(.misuse)
        /// A column held a different type than the caller asked for.
        public static let typeMismatch = Code(.typeMismatch)
        /// The database was written by a newer Sandcastle than this one.
        public static let schemaTooNew = Code(.schemaTooNew)
        /// A migration failed; the database stays at the last good version.
        public static let migrationFailed = Code(.migrationFailed)
        /// The caller passed something malformed.
        public static let invalidArgument = Code(.invalidArgument)
        /// The row is not in a state that allows the change (a dead letter resolved already).
        public static let conflict = Code(.conflict)
        /// Any other SQLite failure.
        public static let `internal` = Code(.internal)

        /// The snake_case code, e.g. `not_found`.
        public var description: String { value.rawValue }
    }

    public let code: Code
    public let message: String
    /// The SQL statement that failed, when there was one.
    public let sql: String?
    /// SQLite's extended result code, when the error came from SQLite.
    public let sqliteCode: Int32?
    public let cause: (any Error)?

    public init(
        _ code: Code, _ message: String, sql: String? = nil, sqliteCode: Int32? = nil,
        cause: (any Error)? = nil
    ) {
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
