/// A parsed `when:` expression.
///
/// The language is small on purpose and has no way to run code: literals, references,
/// comparisons, `and`/`or`/`not`, `in`, lists and a few pure functions. See docs/workflows.md.
public struct Expression: Sendable, Hashable {
    public indirect enum Kind: Sendable, Hashable {
        case literal(JSONValue)
        case reference(TemplateReference)
        case list([Expression])
        case not(Expression)
        case and(Expression, Expression)
        case or(Expression, Expression)
        case compare(ComparisonOperator, Expression, Expression)
        /// `a in b`, or `a not in b` when negated.
        case membership(negated: Bool, Expression, Expression)
        case call(ExpressionFunction, [Expression])
    }

    public var kind: Kind
    /// The 1-based column where this part of the expression starts.
    public var column: Int

    public init(_ kind: Kind, column: Int) {
        self.kind = kind
        self.column = column
    }

    /// Every reference with the column it is written at, in order.
    public var referencesWithColumns: [(reference: TemplateReference, column: Int)] {
        var result: [(TemplateReference, Int)] = []
        collect(into: &result)
        return result
    }

    /// Every reference, in order.
    public var references: [TemplateReference] { referencesWithColumns.map(\.reference) }

    private func collect(into result: inout [(TemplateReference, Int)]) {
        switch kind {
        case .literal: break
        case .reference(let reference): result.append((reference, column))
        case .list(let items): for item in items { item.collect(into: &result) }
        case .not(let operand): operand.collect(into: &result)
        case .and(let lhs, let rhs), .or(let lhs, let rhs), .compare(_, let lhs, let rhs), .membership(_, let lhs, let rhs):
            lhs.collect(into: &result)
            rhs.collect(into: &result)
        case .call(_, let arguments): for argument in arguments { argument.collect(into: &result) }
        }
    }
}

/// `==`, `!=`, `<`, `<=`, `>`, `>=`.
public enum ComparisonOperator: String, Sendable, Hashable, CaseIterable {
    case equal = "=="
    case notEqual = "!="
    case less = "<"
    case lessOrEqual = "<="
    case greater = ">"
    case greaterOrEqual = ">="
}

/// The functions an expression may call. All are pure.
public enum ExpressionFunction: String, Sendable, Hashable, CaseIterable {
    /// Length of a string (characters), list or object; 0 for null.
    case len
    case lower
    case upper
    /// A string without leading and trailing whitespace.
    case trim
    /// `starts_with(text, prefix)`.
    case startsWith = "starts_with"
    /// `ends_with(text, suffix)`.
    case endsWith = "ends_with"

    public var arity: Int {
        switch self {
        case .len, .lower, .upper, .trim: 1
        case .startsWith, .endsWith: 2
        }
    }
}

/// A malformed expression, or one that failed while evaluating, with the column to look at.
public struct ExpressionError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    /// 1-based column in the expression's text.
    public var column: Int
    public var hint: String?

    public init(_ message: String, column: Int, hint: String? = nil) {
        self.message = message
        self.column = column
        self.hint = hint
    }

    public var description: String { "column \(column): \(message)" }
}
