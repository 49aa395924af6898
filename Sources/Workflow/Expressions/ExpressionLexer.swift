import Suggestions

/// A token of the expression language.
struct ExpressionToken: Equatable {
    enum Kind: Equatable {
        case literal(JSONValue)
        case reference(TemplateReference)
        /// A function name (a word followed by `(`).
        case identifier(String)
        case and, or, not, `in`
        case compare(ComparisonOperator)
        case leftParen, rightParen, leftBracket, rightBracket, comma
        case end
    }

    var kind: Kind
    /// 1-based column of the first character.
    var column: Int

    /// How the token is named in "expected …, found …" messages.
    var display: String {
        switch kind {
        case .literal(let value): value.typeName == "string" ? "string \(value.jsonText)" : value.jsonText
        case .reference(let reference): "`\(reference)`"
        case .identifier(let name): "`\(name)`"
        case .and: "`and`"
        case .or: "`or`"
        case .not: "`not`"
        case .in: "`in`"
        case .compare(let op): "`\(op.rawValue)`"
        case .leftParen: "`(`"
        case .rightParen: "`)`"
        case .leftBracket: "`[`"
        case .rightBracket: "`]`"
        case .comma: "`,`"
        case .end: "the end of the expression"
        }
    }
}

/// Splits an expression into tokens.
enum ExpressionLexer {
    static func tokenize(_ text: String, variables: Set<String> = []) throws(ExpressionError) -> [ExpressionToken] {
        let scalars = Array(text.unicodeScalars)
        var tokens: [ExpressionToken] = []
        var index = 0

        func peek(_ offset: Int = 0) -> Unicode.Scalar? {
            index + offset < scalars.count ? scalars[index + offset] : nil
        }

        /// Whether a `-` here starts a negative number rather than being a stray character.
        func operandExpected() -> Bool {
            guard let last = tokens.last else { return true }
            switch last.kind {
            case .literal, .reference, .rightParen, .rightBracket: return false
            default: return true
            }
        }

        while index < scalars.count {
            let scalar = scalars[index]
            let column = index + 1
            if scalar == " " || scalar == "\t" || scalar == "\n" || scalar == "\r" {
                index += 1
                continue
            }
            switch scalar {
            case "(":
                tokens.append(.init(kind: .leftParen, column: column))
                index += 1
            case ")":
                tokens.append(.init(kind: .rightParen, column: column))
                index += 1
            case "[":
                tokens.append(.init(kind: .leftBracket, column: column))
                index += 1
            case "]":
                tokens.append(.init(kind: .rightBracket, column: column))
                index += 1
            case ",":
                tokens.append(.init(kind: .comma, column: column))
                index += 1
            case "=":
                guard peek(1) == "=" else {
                    throw ExpressionError("`=` is not an operator", column: column, hint: "compare with `==`")
                }
                tokens.append(.init(kind: .compare(.equal), column: column))
                index += 2
            case "!":
                guard peek(1) == "=" else {
                    throw ExpressionError("`!` is not an operator", column: column, hint: "negate with `not`")
                }
                tokens.append(.init(kind: .compare(.notEqual), column: column))
                index += 2
            case "<", ">":
                let orEqual = peek(1) == "="
                let op: ComparisonOperator = scalar == "<" ? (orEqual ? .lessOrEqual : .less) : (orEqual ? .greaterOrEqual : .greater)
                tokens.append(.init(kind: .compare(op), column: column))
                index += orEqual ? 2 : 1
            case "&", "|":
                let word = scalar == "&" ? "and" : "or"
                throw ExpressionError("`\(scalar)` is not an operator", column: column, hint: "write `\(word)`")
            case "'", "\"":
                let (value, end) = try string(scalars, from: index)
                tokens.append(.init(kind: .literal(.string(value)), column: column))
                index = end
            case "{":
                guard let close = scalars[index...].firstIndex(of: "}") else {
                    throw ExpressionError("`{` is not closed", column: column, hint: "write {steps.ID.output}")
                }
                let content = String(String.UnicodeScalarView(scalars[(index + 1)..<close]))
                let reference: TemplateReference?
                do {
                    reference = try TemplateReference.parse(content)
                } catch {
                    throw ExpressionError(error.message, column: column, hint: error.hint)
                }
                guard let reference else {
                    throw ExpressionError(
                        "`{\(content)}` is not a reference", column: column,
                        hint: "references are {input.NAME}, {steps.ID.output}, {env.NAME}, {run_id}")
                }
                tokens.append(.init(kind: .reference(reference), column: column))
                index = close + 1
            case "0"..."9":
                let (value, end) = try number(scalars, from: index)
                tokens.append(.init(kind: .literal(value), column: column))
                index = end
            case "-" where operandExpected() && peek(1).map({ ("0"..."9").contains($0) }) == true:
                // A `-` only starts a number where an operand is expected (`x == -1`).
                let (value, end) = try number(scalars, from: index)
                tokens.append(.init(kind: .literal(value), column: column))
                index = end
            case "a"..."z", "A"..."Z", "_":
                let (token, end) = try word(scalars, from: index, variables: variables)
                tokens.append(token)
                index = end
            default:
                throw ExpressionError(
                    "unexpected character `\(scalar)`", column: column,
                    hint: scalar == "-" || scalar == "+" || scalar == "*" || scalar == "/"
                        ? "expressions compare values; they have no arithmetic" : nil)
            }
        }
        tokens.append(.init(kind: .end, column: scalars.count + 1))
        return tokens
    }

    private static func string(_ scalars: [Unicode.Scalar], from start: Int) throws(ExpressionError) -> (String, Int) {
        let quote = scalars[start]
        var value = String.UnicodeScalarView()
        var index = start + 1
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == quote { return (String(value), index + 1) }
            if scalar == "\\" {
                guard index + 1 < scalars.count else { break }
                let escaped = scalars[index + 1]
                switch escaped {
                case "n": value.append("\n")
                case "t": value.append("\t")
                case "r": value.append("\r")
                case "\\", "'", "\"": value.append(escaped)
                default:
                    throw ExpressionError(
                        "unknown escape `\\\(escaped)`", column: index + 1,
                        hint: "use \\n, \\t, \\r, \\\\, \\' or \\\"")
                }
                index += 2
                continue
            }
            value.append(scalar)
            index += 1
        }
        throw ExpressionError("the string is not closed", column: start + 1, hint: "add the closing \(quote)")
    }

    private static func number(_ scalars: [Unicode.Scalar], from start: Int) throws(ExpressionError) -> (JSONValue, Int) {
        var index = start
        if scalars[index] == "-" { index += 1 }
        func digits() { while index < scalars.count, ("0"..."9").contains(scalars[index]) { index += 1 } }
        digits()
        var isInteger = true
        if index + 1 < scalars.count, scalars[index] == ".", ("0"..."9").contains(scalars[index + 1]) {
            isInteger = false
            index += 1
            digits()
        }
        if index < scalars.count, scalars[index] == "e" || scalars[index] == "E" {
            var probe = index + 1
            if probe < scalars.count, scalars[probe] == "+" || scalars[probe] == "-" { probe += 1 }
            if probe < scalars.count, ("0"..."9").contains(scalars[probe]) {
                isInteger = false
                index = probe
                digits()
            }
        }
        if index < scalars.count, isWordScalar(scalars[index]) {
            throw ExpressionError("a number runs into a name", column: start + 1, hint: "put a space between them")
        }
        let text = String(String.UnicodeScalarView(scalars[start..<index]))
        if isInteger, let integer = Int(text) { return (.integer(integer), index) }
        guard let double = Double(text), double.isFinite else {
            throw ExpressionError("`\(text)` is not a number this language can hold", column: start + 1)
        }
        return (.number(double), index)
    }

    private static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar) || scalar == "_"
    }

    private static func word(
        _ scalars: [Unicode.Scalar], from start: Int, variables: Set<String>
    ) throws(ExpressionError) -> (ExpressionToken, Int) {
        var index = start
        while index < scalars.count, isWordScalar(scalars[index]) { index += 1 }
        let word = String(String.UnicodeScalarView(scalars[start..<index]))
        let column = start + 1
        switch word {
        case "and": return (.init(kind: .and, column: column), index)
        case "or": return (.init(kind: .or, column: column), index)
        case "not": return (.init(kind: .not, column: column), index)
        case "in": return (.init(kind: .in, column: column), index)
        case "true": return (.init(kind: .literal(.bool(true)), column: column), index)
        case "false": return (.init(kind: .literal(.bool(false)), column: column), index)
        case "null": return (.init(kind: .literal(.null), column: column), index)
        case "run_id": return (.init(kind: .reference(.runID), column: column), index)
        case "True", "False", "None", "TRUE", "FALSE", "NULL", "nil":
            let fix = word.lowercased() == "none" || word == "nil" ? "null" : word.lowercased()
            throw ExpressionError("`\(word)` is not a literal here", column: column, hint: "write `\(fix)`")
        default: break
        }
        if variables.contains(word) { return (.init(kind: .reference(.env(name: word)), column: column), index) }
        // A path: `steps.build.output.items.0` (segments may contain `-`, as step ids do).
        if index < scalars.count, scalars[index] == ".", ["input", "steps", "env"].contains(word) {
            var end = index
            while end < scalars.count, isWordScalar(scalars[end]) || scalars[end] == "." || scalars[end] == "-" { end += 1 }
            let path = String(String.UnicodeScalarView(scalars[start..<end]))
            let reference: TemplateReference?
            do {
                reference = try TemplateReference.parse(path)
            } catch {
                throw ExpressionError(error.message, column: column, hint: error.hint)
            }
            guard let reference else { throw ExpressionError("`\(path)` is not a reference", column: column) }
            return (.init(kind: .reference(reference), column: column), end)
        }
        var probe = index
        while probe < scalars.count, scalars[probe] == " " { probe += 1 }
        if probe < scalars.count, scalars[probe] == "(" { return (.init(kind: .identifier(word), column: column), index) }
        let hint: String
        if !variables.isEmpty {
            hint =
                EditDistance.closest(to: word, among: variables.sorted(), maximumDistance: 2).map { "did you mean `\($0)`?" }
                ?? "this expression reads \(variables.sorted().joined(separator: ", "))"
        } else if let root = EditDistance.closest(to: word, among: ["input", "steps", "env", "run_id"], maximumDistance: 2) {
            hint = "did you mean `\(root)`? References look like steps.ID.output or input.NAME"
        } else {
            hint = "quote text: '\(word)'; references start with input., steps. or env."
        }
        throw ExpressionError("unknown name `\(word)`", column: column, hint: hint)
    }
}
