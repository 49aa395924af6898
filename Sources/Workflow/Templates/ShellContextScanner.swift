/// Works out how the shell would see each template reference in a `run:` command, so the
/// reference can be replaced by a variable expansion that keeps its value data, never code.
///
/// It follows bash's quoting well enough for that one question: single quotes, `$'…'`,
/// double quotes, backslashes, comments, `$(…)` and backticks, `$((…))` / `((…))`, and here-documents.
enum ShellContextScanner {
    /// How the shell reads the text at a position.
    enum Context: Equatable {
        case unquoted
        case doubleQuoted
        case singleQuoted
        /// Inside `$'…'`.
        case ansiCQuoted
        /// The body of a here-document; `expanding` is false for `<<'EOF'`, whose body is literal.
        case heredoc(expanding: Bool)
        /// Inside `$((…))` or `((…))`, where bash evaluates a variable's *value* as an expression
        /// (and `a[$(cmd)]` in it runs `cmd`).
        case arithmetic
    }

    private enum State {
        case normal
        case commandSubstitution(depth: Int)
        case backtick
        case double
        case single
        case ansiC
        case arithmetic(depth: Int)
    }

    private struct PendingHeredoc {
        var delimiter: String
        var stripTabs: Bool
        var expanding: Bool
    }

    /// The context at each of `offsets` (Unicode-scalar offsets into `text`).
    static func contexts(in text: String, at offsets: Set<Int>) -> [Int: Context] {
        let s = Array(text.unicodeScalars)
        var result: [Int: Context] = [:]
        var stack: [State] = [.normal]
        var pending: [PendingHeredoc] = []
        var wordStart = true
        var i = 0

        func current() -> Context {
            // Arithmetic anywhere below the innermost command substitution still evaluates values.
            for state in stack.reversed() {
                switch state {
                case .arithmetic: return .arithmetic
                case .commandSubstitution, .backtick: break
                default: continue
                }
                break
            }
            switch stack.last ?? .normal {
            case .double: return .doubleQuoted
            case .single: return .singleQuoted
            case .ansiC: return .ansiCQuoted
            case .arithmetic: return .arithmetic
            default: return .unquoted
            }
        }

        func at(_ index: Int) -> Unicode.Scalar? { index < s.count ? s[index] : nil }

        while i < s.count {
            if offsets.contains(i) { result[i] = current() }
            let c = s[i]
            switch stack.last ?? .normal {
            case .single:
                if c == "'" { stack.removeLast() }
                i += 1
                continue
            case .ansiC:
                if c == "\\" {
                    i += 2
                    continue
                }
                if c == "'" { stack.removeLast() }
                i += 1
                continue
            case .double:
                if c == "\\" {
                    i += 2
                    continue
                }
                if c == "\"" {
                    stack.removeLast()
                    i += 1
                    continue
                }
                if c == "$", at(i + 1) == "(", at(i + 2) == "(" {
                    stack.append(.arithmetic(depth: 0))
                    i += 3
                    continue
                }
                if c == "$", at(i + 1) == "(" {
                    stack.append(.commandSubstitution(depth: 0))
                    i += 2
                    continue
                }
                if c == "`" {
                    stack.append(.backtick)
                    i += 1
                    continue
                }
                i += 1
                continue
            case .arithmetic(let depth):
                if c == "(" { stack[stack.count - 1] = .arithmetic(depth: depth + 1) }
                if c == ")" {
                    if depth == 0, at(i + 1) == ")" {
                        stack.removeLast()
                        i += 2
                        continue
                    }
                    stack[stack.count - 1] = .arithmetic(depth: max(depth - 1, 0))
                }
                if c == "$", at(i + 1) == "(", at(i + 2) != "(" {
                    stack.append(.commandSubstitution(depth: 0))
                    i += 2
                    continue
                }
                i += 1
                continue
            case .normal, .commandSubstitution, .backtick:
                break
            }

            // Unquoted text (top level, inside $(…) or `…`).
            if c == "\\" {
                i += 2
                wordStart = false
                continue
            }
            if c == "#" && wordStart {
                while i < s.count, s[i] != "\n" {
                    if offsets.contains(i) { result[i] = .unquoted }
                    i += 1
                }
                continue
            }
            if c == "'" {
                stack.append(.single)
                i += 1
                wordStart = false
                continue
            }
            if c == "\"" {
                stack.append(.double)
                i += 1
                wordStart = false
                continue
            }
            if c == "$", at(i + 1) == "'" {
                stack.append(.ansiC)
                i += 2
                wordStart = false
                continue
            }
            if c == "$", at(i + 1) == "(", at(i + 2) == "(" {
                stack.append(.arithmetic(depth: 0))
                i += 3
                continue
            }
            if c == "$", at(i + 1) == "(" {
                stack.append(.commandSubstitution(depth: 0))
                i += 2
                wordStart = true
                continue
            }
            if c == "(", at(i + 1) == "(", wordStart {
                stack.append(.arithmetic(depth: 0))
                i += 2
                continue
            }
            if c == "`" {
                if case .backtick = stack.last { stack.removeLast() } else { stack.append(.backtick) }
                i += 1
                continue
            }
            if case .commandSubstitution(let depth) = stack.last {
                if c == "(" { stack[stack.count - 1] = .commandSubstitution(depth: depth + 1) }
                if c == ")" {
                    if depth == 0 {
                        stack.removeLast()
                        i += 1
                        wordStart = false
                        continue
                    }
                    stack[stack.count - 1] = .commandSubstitution(depth: depth - 1)
                }
            }
            if c == "<", at(i + 1) == "<", at(i + 2) == "<" {
                i += 3 // a here-string: its word is ordinary unquoted text
                continue
            }
            if c == "<", at(i + 1) == "<" {
                var j = i + 2
                var stripTabs = false
                if at(j) == "-" {
                    stripTabs = true
                    j += 1
                }
                while let space = at(j), space == " " || space == "\t" { j += 1 }
                var word = ""
                var quoted = false
                while let scalar = at(j), !" \t\n;&|<>()".unicodeScalars.contains(scalar) {
                    if scalar == "'" || scalar == "\"" || scalar == "\\" { quoted = true } else { word.unicodeScalars.append(scalar) }
                    j += 1
                }
                if !word.isEmpty { pending.append(PendingHeredoc(delimiter: word, stripTabs: stripTabs, expanding: !quoted)) }
                i = j
                wordStart = false
                continue
            }
            if c == "\n", !pending.isEmpty {
                i += 1
                for heredoc in pending {
                    // Body lines up to the delimiter line.
                    while i < s.count {
                        var lineEnd = i
                        while lineEnd < s.count, s[lineEnd] != "\n" { lineEnd += 1 }
                        var line = String(String.UnicodeScalarView(s[i..<lineEnd]))
                        if heredoc.stripTabs { line = String(line.drop(while: { $0 == "\t" })) }
                        let isDelimiter = line == heredoc.delimiter
                        if !isDelimiter {
                            for offset in i..<lineEnd where offsets.contains(offset) {
                                result[offset] = .heredoc(expanding: heredoc.expanding)
                            }
                        }
                        i = min(lineEnd + 1, s.count)
                        if isDelimiter { break }
                    }
                }
                pending.removeAll()
                wordStart = true
                continue
            }
            wordStart = c == " " || c == "\t" || c == "\n" || c == ";" || c == "&" || c == "|" || c == "(" || c == ")"
            i += 1
        }
        return result
    }

    /// A reference that cannot be made safe where it sits.
    struct UnsafeReference {
        var span: Template.Span
        var message: String
        var hint: String
    }

    /// The references of a `run:` command that sit where no quoting keeps their value data.
    static func unsafeReferences(in template: Template) -> [UnsafeReference] {
        let spans = template.referenceSpans
        guard !spans.isEmpty else { return [] }
        let contexts = contexts(in: template.source, at: Set(spans.map(\.span.offset)))
        return spans.compactMap { reference, span in
            switch contexts[span.offset] ?? .unquoted {
            case .arithmetic:
                return UnsafeReference(
                    span: span,
                    message: "`{\(reference)}` is inside shell arithmetic, where bash evaluates the value as code",
                    hint: "check it is a number first, then use the variable: n=\"{\(reference)}\"; "
                        + "case $n in ''|*[!0-9]*) exit 1;; esac; echo $((n + 1))")
            case .heredoc(expanding: false):
                return UnsafeReference(
                    span: span,
                    message: "`{\(reference)}` is in a quoted here-document, whose text the shell does not expand",
                    hint: "read the value from the environment inside the script, e.g. set env: {VALUE: \"{\(reference)}\"} "
                        + "and use os.environ['VALUE'] / $VALUE, or unquote the delimiter")
            default:
                return nil
            }
        }
    }

    /// The text that replaces a reference in a given context so the shell expands `variable`
    /// as one word of data; nil where that is impossible.
    static func replacement(for context: Context, variable: String) -> String? {
        switch context {
        case .unquoted: "\"${\(variable)}\""
        case .doubleQuoted, .heredoc(expanding: true): "${\(variable)}"
        // Close the quote, expand in double quotes, reopen the same kind of quote.
        case .singleQuoted: "'\"${\(variable)}\"'"
        case .ansiCQuoted: "'\"${\(variable)}\"$'"
        case .heredoc(expanding: false), .arithmetic: nil
        }
    }
}
