import Yams

/// Reads YAML text into ``YAMLNode``s with line:column marks, turning Yams' errors into diagnostics.
enum YAMLComposer {
    /// Composes the first document. Returns nil and a diagnostic when the text is not YAML.
    static func compose(_ text: String, source: SourceText) -> (node: YAMLNode?, diagnostics: [ValidationDiagnostic]) {
        do {
            // `.basic` leaves plain scalars untyped; YAMLNode applies the YAML 1.2 core schema itself.
            guard let root = try Yams.compose(yaml: text, .basic) else {
                return (
                    nil,
                    [
                        .error(
                            .yamlSyntax, at: SourceLocation(file: source.file, line: 1, column: 1),
                            "the file is empty", hint: "start with `name:` and `steps:`")
                    ]
                )
            }
            return (convert(root, file: source.file), [])
        } catch let error as YamlError {
            return (nil, [diagnostic(for: error, source: source)])
        } catch {
            return (
                nil,
                [
                    .error(
                        .yamlSyntax, at: SourceLocation(file: source.file, line: 1, column: 1),
                        "cannot read YAML: \(error)")
                ]
            )
        }
    }

    private static func convert(_ node: Node, file: String) -> YAMLNode {
        let location = SourceLocation(file: file, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1)
        switch node {
        case .scalar(let scalar):
            return YAMLNode(content: .scalar(makeScalar(scalar)), location: location)
        case .sequence(let sequence):
            return YAMLNode(content: .sequence(sequence.map { convert($0, file: file) }), location: location)
        case .mapping(let mapping):
            let pairs = mapping.map { YAMLNode.Pair(key: convert($0.key, file: file), value: convert($0.value, file: file)) }
            return YAMLNode(content: .mapping(pairs), location: location)
        case .alias(let alias):
            // The parser already replaces aliases by the anchored node; this case is for completeness.
            return YAMLNode(
                content: .scalar(
                    YAMLNode.Scalar(
                        text: "*\(alias.anchor)", style: .plain,
                        value: .string("*\(alias.anchor)"))),
                location: location)
        }
    }

    private static func makeScalar(_ scalar: Node.Scalar) -> YAMLNode.Scalar {
        let style: YAMLNode.Scalar.Style =
            switch scalar.style {
            case .singleQuoted: .singleQuoted
            case .doubleQuoted: .doubleQuoted
            case .literal: .literal
            case .folded: .folded
            default: .plain
            }
        let value: JSONValue
        // Explicit tags (`!!int 5`, `!!str 5`) win; untagged plain scalars get the core schema.
        switch scalar.tag.rawValue {
        case Tag.Name.int.rawValue where Int(scalar.string) != nil: value = .integer(Int(scalar.string) ?? 0)
        case Tag.Name.float.rawValue where Double(scalar.string) != nil: value = .number(Double(scalar.string) ?? 0)
        case Tag.Name.bool.rawValue: value = YAMLNode.coreSchemaValue(plain: scalar.string)
        case Tag.Name.null.rawValue: value = .null
        case Tag.Name.str.rawValue: value = .string(scalar.string)
        default:
            value = style == .plain ? YAMLNode.coreSchemaValue(plain: scalar.string) : .string(scalar.string)
        }
        return YAMLNode.Scalar(text: scalar.string, style: style, value: value)
    }

    private static func diagnostic(for error: YamlError, source: SourceText) -> ValidationDiagnostic {
        func at(_ mark: Mark) -> SourceLocation { SourceLocation(file: source.file, line: mark.line, column: mark.column) }
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            var message = problem
            if let context { message += " (\(context.text) at line \(context.mark.line), column \(context.mark.column))" }
            let line = source.line(mark.line) ?? ""
            let hint: String?
            if line.contains("\t") {
                hint = "indent with spaces; YAML does not allow tabs for indentation"
            } else if problem.contains("did not find expected"),
                ["{input.", "{steps.", "{env.", "{run_id}"].contains(where: line.contains)
            {
                // `{` opens a YAML flow mapping, so an unquoted template inside `{…}` or `[…]` breaks it.
                hint = "quote values that contain templates: run: \"echo {input.x}\""
            } else {
                hint = yamlHint(problem)
            }
            return .error(.yamlSyntax, at: at(mark), message, hint: hint)
        case .duplicatedKeysInMapping(let duplicates, let context):
            let key = duplicates.first ?? "?"
            let location = duplicateKeyLocation(key, mappingStart: at(context.mark), source: source) ?? at(context.mark)
            return .error(
                .duplicateKey, at: location, "`\(key)` is given twice in the same mapping",
                hint: "keep one `\(key):`; YAML would silently use only one of them")
        case .reader(let problem, _, _, _):
            return .error(
                .yamlSyntax, at: SourceLocation(file: source.file, line: 1, column: 1),
                "cannot read the text: \(problem)", hint: "save the file as UTF-8")
        default:
            return .error(.yamlSyntax, at: SourceLocation(file: source.file, line: 1, column: 1), "cannot read YAML: \(error)")
        }
    }

    private static func yamlHint(_ problem: String) -> String? {
        if problem.contains("tab") { return "indent with spaces; YAML does not allow tabs for indentation" }
        if problem.contains("mapping values are not allowed") {
            return "quote values that contain `: `, e.g. run: \"echo a: b\", or use a block: run: |"
        }
        if problem.contains("did not find expected") { return "check the indentation and the closing bracket or quote" }
        return nil
    }

    /// Yams names a duplicated key but marks only the mapping; find the second `key:` at the
    /// mapping's indentation so the message points at the line to delete.
    private static func duplicateKeyLocation(_ key: String, mappingStart: SourceLocation, source: SourceText) -> SourceLocation? {
        var seen = 0
        var lineNumber = mappingStart.line
        while let line = source.line(lineNumber) {
            let scalars = Array(line.unicodeScalars)
            if lineNumber > mappingStart.line, let first = scalars.firstIndex(where: { $0 != " " && $0 != "-" }),
                first + 1 < mappingStart.column, !line.trimmingSpaces.isEmpty, !line.trimmingSpaces.hasPrefix("#")
            {
                break // left the mapping
            }
            let column = mappingStart.column - 1
            if column < scalars.count {
                let rest = String(String.UnicodeScalarView(scalars[column...]))
                if rest.hasPrefix("\(key):") || rest.hasPrefix("\"\(key)\":") || rest.hasPrefix("'\(key)':") {
                    seen += 1
                    if seen == 2 { return SourceLocation(file: source.file, line: lineNumber, column: column + 1) }
                }
            }
            lineNumber += 1
        }
        return nil
    }
}
