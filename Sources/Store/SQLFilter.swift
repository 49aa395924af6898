/// A `WHERE` clause built from a query's optional filters: each filter that is set adds its
/// condition and its bindings, and one that is not adds nothing. Every list query of the store
/// (runs, approvals, sandboxes, dead letters, violations, audit entries) builds its clause here,
/// so none of them can pair a condition with the wrong binding.
struct SQLFilter {
    private var conditions: [String] = []
    private(set) var bindings: [any SQLiteValueConvertible] = []

    /// Adds `condition` (one `?`) bound to `value`, when there is a value.
    mutating func add(_ condition: String, _ value: (any SQLiteValueConvertible)?) {
        guard let value else { return }
        conditions.append(condition)
        bindings.append(value)
    }

    /// Adds a condition with no binding (`resolved_at IS NULL`).
    mutating func add(_ condition: String) {
        conditions.append(condition)
    }

    /// Adds `column IN (?, ?, …)` over `values` (sorted, so the statement text is stable).
    mutating func add(_ column: String, in values: [String]) {
        let sorted = values.sorted()
        conditions.append("\(column) IN (\(Array(repeating: "?", count: sorted.count).joined(separator: ", ")))")
        bindings += sorted
    }

    /// Adds `condition` with its several bindings, in order.
    mutating func add(_ condition: String, bindings values: [any SQLiteValueConvertible]) {
        conditions.append(condition)
        bindings += values
    }

    /// ` WHERE a AND b` (with its leading space), or nothing when no filter is set.
    var clause: String {
        conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
    }
}
