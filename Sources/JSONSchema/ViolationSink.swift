/// Violations collected while evaluating, up to a limit: once full, evaluation stops early,
/// so an instance with a million bad items costs no more than one with a few.
struct ViolationSink {
    /// A violation and, for the simple ones (`type`, `const`, `enum`), what was expected, so
    /// `anyOf` can say "expected string or null" instead of listing every branch.
    struct Found {
        var violation: JSONSchemaViolation
        var expectation: String?
    }

    let limit: Int
    private(set) var found: [Found] = []

    init(limit: Int) { self.limit = limit }

    var isFull: Bool { found.count >= limit }
    var violations: [JSONSchemaViolation] { found.map(\.violation) }

    mutating func add(_ violation: JSONSchemaViolation, expectation: String? = nil) {
        guard !isFull else { return }
        found.append(Found(violation: violation, expectation: expectation))
    }
}
