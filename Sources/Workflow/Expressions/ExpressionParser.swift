import Suggestions

/// Parses the expression language with precedence climbing.
///
/// Precedence, loosest first: `or`, `and`, `not`, then comparisons and `in` / `not in`
/// (which do not chain: `a < b < c` is an error rather than a surprise).
public struct ExpressionParser {
    /// Deeper nesting is refused, so a hostile expression cannot exhaust the stack.
    public static let maximumDepth = 32
    /// Longer expressions are refused; a condition is a line, not a program.
    public static let maximumLength = 4096

    private var tokens: [ExpressionToken]
    private var position = 0
    private var depth = 0

    private init(tokens: [ExpressionToken]) {
        self.tokens = tokens
    }

    /// Parses `text`, or throws an error with the column to look at.
    ///
    /// `variables` are bare names the caller binds (a policy condition's `output`, `duration`, …);
    /// each parses as `.env(name:)`, which the caller resolves from its own values.
    public static func parse(_ text: String, variables: Set<String> = []) throws(ExpressionError) -> Expression {
        guard text.unicodeScalars.count <= maximumLength else {
            throw ExpressionError(
                "the expression is longer than \(maximumLength) characters", column: 1,
                hint: "compute the condition in a step and test its output")
        }
        guard !text.trimmingSpaces.replacingNewlines.isEmpty else {
            throw ExpressionError("the expression is empty", column: 1, hint: "write a condition, e.g. input.deploy == true")
        }
        var parser = ExpressionParser(tokens: try ExpressionLexer.tokenize(text, variables: variables))
        let expression = try parser.parseExpression(minimumPrecedence: 0)
        let next = parser.current
        guard next.kind == .end else {
            throw ExpressionError(
                "unexpected \(next.display)", column: next.column,
                hint: "join conditions with `and` / `or`")
        }
        return expression
    }

    private var current: ExpressionToken { tokens[min(position, tokens.count - 1)] }

    private mutating func advance() -> ExpressionToken {
        let token = current
        if position < tokens.count - 1 { position += 1 }
        return token
    }

    private static let orPrecedence = 1
    private static let andPrecedence = 2
    private static let notPrecedence = 3
    private static let comparisonPrecedence = 4

    /// The infix operator at the current position and its precedence.
    private func infix() -> (precedence: Int, width: Int)? {
        switch current.kind {
        case .or: (Self.orPrecedence, 1)
        case .and: (Self.andPrecedence, 1)
        case .compare, .in: (Self.comparisonPrecedence, 1)
        case .not where position + 1 < tokens.count && tokens[position + 1].kind == .in: (Self.comparisonPrecedence, 2)
        default: nil
        }
    }

    private mutating func enter(_ column: Int) throws(ExpressionError) {
        depth += 1
        if depth > Self.maximumDepth {
            throw ExpressionError(
                "the expression nests deeper than \(Self.maximumDepth) levels", column: column,
                hint: "simplify it")
        }
    }

    private mutating func parseExpression(minimumPrecedence: Int) throws(ExpressionError) -> Expression {
        try enter(current.column)
        defer { depth -= 1 }
        var left = try parsePrefix()
        while let (precedence, _) = infix(), precedence >= minimumPrecedence {
            let operatorToken = advance()
            switch operatorToken.kind {
            case .or:
                let right = try parseExpression(minimumPrecedence: precedence + 1)
                left = Expression(.or(left, right), column: left.column)
            case .and:
                let right = try parseExpression(minimumPrecedence: precedence + 1)
                left = Expression(.and(left, right), column: left.column)
            case .compare(let op):
                let right = try parseExpression(minimumPrecedence: precedence + 1)
                left = Expression(.compare(op, left, right), column: left.column)
                try refuseChaining()
            case .in:
                let right = try parseExpression(minimumPrecedence: precedence + 1)
                left = Expression(.membership(negated: false, left, right), column: left.column)
                try refuseChaining()
            case .not:
                _ = advance() // the `in` of `not in`
                let right = try parseExpression(minimumPrecedence: precedence + 1)
                left = Expression(.membership(negated: true, left, right), column: left.column)
                try refuseChaining()
            default:
                throw ExpressionError("unexpected \(operatorToken.display)", column: operatorToken.column)
            }
        }
        return left
    }

    private func refuseChaining() throws(ExpressionError) {
        if let (precedence, _) = infix(), precedence == Self.comparisonPrecedence {
            throw ExpressionError(
                "comparisons cannot be chained", column: current.column,
                hint: "write `a < b and b < c`, or add parentheses")
        }
    }

    private mutating func parsePrefix() throws(ExpressionError) -> Expression {
        let token = advance()
        switch token.kind {
        case .literal(let value):
            return Expression(.literal(value), column: token.column)
        case .reference(let reference):
            return Expression(.reference(reference), column: token.column)
        case .not:
            let operand = try parseExpression(minimumPrecedence: Self.notPrecedence)
            return Expression(.not(operand), column: token.column)
        case .leftParen:
            let inner = try parseExpression(minimumPrecedence: 0)
            try expect(.rightParen, closing: token)
            return inner
        case .leftBracket:
            var items: [Expression] = []
            if current.kind != .rightBracket {
                repeat {
                    if current.kind == .rightBracket { break } // a trailing comma
                    items.append(try parseExpression(minimumPrecedence: 0))
                } while consume(.comma)
            }
            try expect(.rightBracket, closing: token)
            return Expression(.list(items), column: token.column)
        case .identifier(let name):
            guard let function = ExpressionFunction(rawValue: name) else {
                let names = ExpressionFunction.allCases.map(\.rawValue)
                throw ExpressionError(
                    "unknown function `\(name)`", column: token.column,
                    hint: EditDistance.suggestion(for: name, among: names)
                        ?? "functions: \(names.joined(separator: ", "))")
            }
            let open = advance()
            guard open.kind == .leftParen else { throw ExpressionError("expected `(` after `\(name)`", column: open.column) }
            var arguments: [Expression] = []
            if current.kind != .rightParen {
                repeat { arguments.append(try parseExpression(minimumPrecedence: 0)) } while consume(.comma)
            }
            try expect(.rightParen, closing: open)
            guard arguments.count == function.arity else {
                throw ExpressionError(
                    "`\(name)` takes \(function.arity) argument\(function.arity == 1 ? "" : "s"), found \(arguments.count)",
                    column: token.column)
            }
            return Expression(.call(function, arguments), column: token.column)
        case .end:
            throw ExpressionError(
                "the expression ends where a value is expected", column: token.column,
                hint: "complete the condition")
        default:
            throw ExpressionError("expected a value, found \(token.display)", column: token.column)
        }
    }

    private mutating func consume(_ kind: ExpressionToken.Kind) -> Bool {
        guard current.kind == kind else { return false }
        _ = advance()
        return true
    }

    private mutating func expect(_ kind: ExpressionToken.Kind, closing open: ExpressionToken) throws(ExpressionError) {
        guard current.kind == kind else {
            let wanted = kind == .rightParen ? "`)`" : "`]`"
            throw ExpressionError(
                "expected \(wanted) to close the \(open.display) at column \(open.column), found \(current.display)",
                column: current.column)
        }
        _ = advance()
    }
}
