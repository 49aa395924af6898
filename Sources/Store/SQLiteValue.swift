import Foundation

/// One SQLite value: the five storage classes.
public enum SQLiteValue: Sendable, Hashable {
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
    case null
}

extension SQLiteValue: ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByStringLiteral, ExpressibleByNilLiteral
{
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(floatLiteral value: Double) { self = .real(value) }
    public init(stringLiteral value: String) { self = .text(value) }
    public init(nilLiteral: ()) { self = .null }
}

/// A Swift type that binds to a statement parameter and reads back from a column.
public protocol SQLiteValueConvertible {
    /// The value to bind.
    var sqliteValue: SQLiteValue { get }
    /// Reads the type from a column value; nil when the stored type does not fit.
    init?(sqliteValue: SQLiteValue)
}

extension SQLiteValue: SQLiteValueConvertible {
    public var sqliteValue: SQLiteValue { self }
    public init?(sqliteValue: SQLiteValue) { self = sqliteValue }
}

extension Int64: SQLiteValueConvertible {
    public var sqliteValue: SQLiteValue { .integer(self) }
    public init?(sqliteValue: SQLiteValue) {
        guard case .integer(let v) = sqliteValue else { return nil }
        self = v
    }
}

extension Int: SQLiteValueConvertible {
    public var sqliteValue: SQLiteValue { .integer(Int64(self)) }
    public init?(sqliteValue: SQLiteValue) {
        guard case .integer(let v) = sqliteValue, let i = Int(exactly: v) else { return nil }
        self = i
    }
}

extension Int32: SQLiteValueConvertible {
    public var sqliteValue: SQLiteValue { .integer(Int64(self)) }
    public init?(sqliteValue: SQLiteValue) {
        guard case .integer(let v) = sqliteValue, let i = Int32(exactly: v) else { return nil }
        self = i
    }
}

extension Bool: SQLiteValueConvertible {
    public var sqliteValue: SQLiteValue { .integer(self ? 1 : 0) }
    public init?(sqliteValue: SQLiteValue) {
        guard case .integer(let v) = sqliteValue else { return nil }
        self = v != 0
    }
}

extension Double: SQLiteValueConvertible {
    public var sqliteValue: SQLiteValue { .real(self) }
    public init?(sqliteValue: SQLiteValue) {
        switch sqliteValue {
        case .real(let v): self = v
        // SQLite stores integral REAL values as integers in some expressions; accept both.
        case .integer(let v): self = Double(v)
        default: return nil
        }
    }
}

extension String: SQLiteValueConvertible {
    public var sqliteValue: SQLiteValue { .text(self) }
    public init?(sqliteValue: SQLiteValue) {
        guard case .text(let v) = sqliteValue else { return nil }
        self = v
    }
}

extension Array: SQLiteValueConvertible where Element == UInt8 {
    public var sqliteValue: SQLiteValue { .blob(self) }
    public init?(sqliteValue: SQLiteValue) {
        switch sqliteValue {
        case .blob(let v): self = v
        default: return nil
        }
    }
}

/// Stored as INTEGER milliseconds since 1970: sortable, compact, and exact to the millisecond.
extension Date: SQLiteValueConvertible {
    public var sqliteValue: SQLiteValue { .integer(Int64((timeIntervalSince1970 * 1000).rounded())) }
    public init?(sqliteValue: SQLiteValue) {
        guard case .integer(let ms) = sqliteValue else { return nil }
        self = Date(timeIntervalSince1970: Double(ms) / 1000)
    }

    /// This date as the store keeps it (truncated to whole milliseconds).
    public var storeRounded: Date {
        Date(timeIntervalSince1970: (timeIntervalSince1970 * 1000).rounded() / 1000)
    }
}

extension Optional: SQLiteValueConvertible where Wrapped: SQLiteValueConvertible {
    public var sqliteValue: SQLiteValue {
        switch self {
        case .some(let v): v.sqliteValue
        case .none: .null
        }
    }
    /// A NULL column reads as `.none`; any other value must fit `Wrapped`.
    public init?(sqliteValue: SQLiteValue) {
        if case .null = sqliteValue {
            self = .none
            return
        }
        guard let v = Wrapped(sqliteValue: sqliteValue) else { return nil }
        self = .some(v)
    }
}

/// One result row, materialized so it can leave the database lock and cross tasks.
public struct Row: Sendable, Hashable {
    /// Column names, in result order.
    public let columns: [String]
    /// Values, in result order.
    public let values: [SQLiteValue]

    public init(columns: [String], values: [SQLiteValue]) {
        self.columns = columns
        self.values = values
    }

    /// The raw value of a column by position, or `.null` when out of range.
    public subscript(index: Int) -> SQLiteValue {
        values.indices.contains(index) ? values[index] : .null
    }

    /// The raw value of a column by name, or `.null` when there is no such column.
    public subscript(name: String) -> SQLiteValue {
        columns.firstIndex(of: name).map { values[$0] } ?? .null
    }

    /// Reads a column by position as `T`.
    public func get<T: SQLiteValueConvertible>(_ index: Int, as type: T.Type = T.self) throws -> T {
        guard values.indices.contains(index) else {
            throw StoreError(.invalidArgument, "column index \(index) out of range (row has \(values.count) columns)")
        }
        guard let v = T(sqliteValue: values[index]) else {
            throw StoreError(.typeMismatch, "column \(index) (\(columns[index])) holds \(values[index]), not \(T.self)")
        }
        return v
    }

    /// Reads a column by name as `T`.
    public func get<T: SQLiteValueConvertible>(_ name: String, as type: T.Type = T.self) throws -> T {
        guard let index = columns.firstIndex(of: name) else {
            throw StoreError(.invalidArgument, "no column named \(name) (columns: \(columns.joined(separator: ", ")))")
        }
        return try get(index, as: type)
    }
}
