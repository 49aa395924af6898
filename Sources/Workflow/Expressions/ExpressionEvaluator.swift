import Foundation

/// Evaluates a parsed expression over JSON-like values. Nothing it does has side effects.
public enum ExpressionEvaluator {
    /// Evaluates `expression`, reading references through `resolve`.
    ///
    /// `resolve` decides what a missing value is; the engine passes null for paths that do not
    /// exist, so `steps.a.output.ok == true` is simply false when `a` printed no `ok`.
    public static func evaluate(
        _ expression: Expression,
        resolve: (TemplateReference) throws -> JSONValue
    ) throws -> JSONValue {
        switch expression.kind {
        case .literal(let value):
            return value
        case .reference(let reference):
            return try resolve(reference)
        case .list(let items):
            return .array(try items.map { try evaluate($0, resolve: resolve) })
        case .not(let operand):
            return .bool(!(try evaluate(operand, resolve: resolve).isTruthy))
        case .and(let lhs, let rhs):
            guard try evaluate(lhs, resolve: resolve).isTruthy else { return .bool(false) }
            return .bool(try evaluate(rhs, resolve: resolve).isTruthy)
        case .or(let lhs, let rhs):
            if try evaluate(lhs, resolve: resolve).isTruthy { return .bool(true) }
            return .bool(try evaluate(rhs, resolve: resolve).isTruthy)
        case .compare(let op, let lhs, let rhs):
            let left = try evaluate(lhs, resolve: resolve)
            let right = try evaluate(rhs, resolve: resolve)
            return .bool(try compare(op, left, right, column: rhs.column))
        case .membership(let negated, let lhs, let rhs):
            let needle = try evaluate(lhs, resolve: resolve)
            let haystack = try evaluate(rhs, resolve: resolve)
            let found = try contains(haystack, needle, column: rhs.column)
            return .bool(negated ? !found : found)
        case .call(let function, let arguments):
            let values = try arguments.map { try evaluate($0, resolve: resolve) }
            return try call(function, values, column: expression.column)
        }
    }

    /// Evaluates and takes the truthiness, for `when:`.
    public static func isTrue(_ expression: Expression, resolve: (TemplateReference) throws -> JSONValue) throws -> Bool {
        try evaluate(expression, resolve: resolve).isTruthy
    }

    private static func compare(_ op: ComparisonOperator, _ lhs: JSONValue, _ rhs: JSONValue, column: Int) throws -> Bool {
        switch op {
        case .equal: return lhs.looselyEquals(rhs)
        case .notEqual: return !lhs.looselyEquals(rhs)
        default: break
        }
        let order: Int
        switch (lhs, rhs) {
        case (.integer(let a), .integer(let b)):
            order = a < b ? -1 : (a == b ? 0 : 1)
        case _ where lhs.doubleValue != nil && rhs.doubleValue != nil:
            let a = lhs.doubleValue ?? 0
            let b = rhs.doubleValue ?? 0
            guard !a.isNaN && !b.isNaN else { return false }
            order = a < b ? -1 : (a == b ? 0 : 1)
        case (.string(let a), .string(let b)):
            // Unicode scalar order, not locale order: the same on every machine.
            order = a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars) ? -1 : (a == b ? 0 : 1)
        default:
            throw ExpressionError(
                "cannot compare \(lhs.typeName) with \(rhs.typeName) using `\(op.rawValue)`",
                column: column,
                hint: "`<`, `<=`, `>`, `>=` compare two numbers or two strings")
        }
        switch op {
        case .less: return order < 0
        case .lessOrEqual: return order <= 0
        case .greater: return order > 0
        case .greaterOrEqual: return order >= 0
        case .equal, .notEqual: return false
        }
    }

    private static func contains(_ haystack: JSONValue, _ needle: JSONValue, column: Int) throws -> Bool {
        switch haystack {
        case .array(let items):
            return items.contains { $0.looselyEquals(needle) }
        case .string(let text):
            guard case .string(let part) = needle else {
                throw ExpressionError("`in` a string needs a string on the left, found \(needle.typeName)", column: column)
            }
            return part.isEmpty || text.contains(part)
        case .object(let members):
            guard case .string(let key) = needle else {
                throw ExpressionError(
                    "`in` an object needs a key (a string) on the left, found \(needle.typeName)",
                    column: column)
            }
            return members[key] != nil
        case .null:
            // A skipped step's output is null; "x in nothing" is simply false.
            return false
        default:
            throw ExpressionError(
                "`in` needs a list, a string or an object on the right, found \(haystack.typeName)",
                column: column)
        }
    }

    private static func call(_ function: ExpressionFunction, _ arguments: [JSONValue], column: Int) throws -> JSONValue {
        func text(_ index: Int) throws -> String {
            guard case .string(let value) = arguments[index] else {
                throw ExpressionError("`\(function.rawValue)` needs a string, found \(arguments[index].typeName)", column: column)
            }
            return value
        }
        switch function {
        case .len:
            switch arguments[0] {
            case .string(let value): return .integer(value.count)
            case .array(let items): return .integer(items.count)
            case .object(let members): return .integer(members.count)
            case .null: return .integer(0)
            default:
                throw ExpressionError("`len` needs a string, list or object, found \(arguments[0].typeName)", column: column)
            }
        case .lower: return .string(try text(0).lowercased())
        case .upper: return .string(try text(0).uppercased())
        case .trim: return .string(try text(0).trimmingCharacters(in: .whitespacesAndNewlines))
        case .startsWith: return .bool(try text(0).hasPrefix(try text(1)))
        case .endsWith: return .bool(try text(0).hasSuffix(try text(1)))
        }
    }
}
