import JSONValues

/// How numbers compare for `minimum`, `maximum`, `exclusive*` and `multipleOf`: integers
/// exactly (so bounds beyond 2^53 still hold), everything else as doubles.
enum NumericKeywords {
    /// Orders two numbers; integers exactly, anything else as doubles.
    static func compare(_ lhs: JSONValue, _ rhs: JSONValue) -> Int {
        if case .integer(let left) = lhs, case .integer(let right) = rhs { return left < right ? -1 : (left > right ? 1 : 0) }
        let left = lhs.doubleValue ?? .nan
        let right = rhs.doubleValue ?? .nan
        return left < right ? -1 : (left > right ? 1 : 0)
    }

    /// Integers exactly; otherwise the quotient must be integral, with a tolerance for binary
    /// floating point (0.0075 is a multiple of 0.0001) and never when it overflows to infinity.
    static func isMultiple(_ value: JSONValue, of divisor: JSONValue) -> Bool {
        if case .integer(let number) = value, case .integer(let step) = divisor { return number % step == 0 }
        guard let number = value.doubleValue, let step = divisor.doubleValue else { return false }
        let quotient = number / step
        guard quotient.isFinite else { return false }
        return abs(quotient - quotient.rounded()) <= 1e-9 * max(1, abs(quotient))
    }
}
