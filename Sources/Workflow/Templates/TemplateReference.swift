import Suggestions

/// A value a template or an expression reads: `{input.x}`, `{steps.id.output.a.0}`,
/// `{run_id}`, `{env.X}`, and inside a `parallel_over` fan-out `{input._item}` / `{input._index}`.
public enum TemplateReference: Hashable, Sendable, CustomStringConvertible {
    /// A workflow input, optionally with a path into its value.
    case input(name: String, path: [String])
    /// The current item of a `parallel_over` fan-out (`input._item`), optionally with a path.
    case fanOutItem(path: [String])
    /// The 0-based index of the current item of a fan-out (`input._index`).
    case fanOutIndex
    /// A field of an upstream step's result, optionally with a path into its output.
    case step(id: String, field: StepField, path: [String])
    /// The id of the run.
    case runID
    /// A variable of the environment the run was started with.
    case env(name: String)

    /// What a step reference reads from the step's result.
    public enum StepField: String, Sendable, CaseIterable {
        /// The step's output: stdout parsed as JSON when it is JSON, else the text.
        case output
        /// `completed`, `failed` or `skipped`.
        case status
        /// The failure message, or null.
        case error
        /// The command's exit status, or null when it did not run.
        case exitCode = "exit_code"
    }

    /// The reserved input names that mean the fan-out item and index.
    public static let itemName = "_item"
    public static let indexName = "_index"

    /// The id of the step this reference reads, if it reads one.
    public var stepID: String? {
        if case .step(let id, _, _) = self { return id }
        return nil
    }

    /// The canonical text between the braces, e.g. `steps.fetch.output.items.0`.
    public var description: String {
        switch self {
        case .input(let name, let path): (["input", name] + path).joined(separator: ".")
        case .fanOutItem(let path): (["input", Self.itemName] + path).joined(separator: ".")
        case .fanOutIndex: "input.\(Self.indexName)"
        case .step(let id, let field, let path): (["steps", id, field.rawValue] + path).joined(separator: ".")
        case .runID: "run_id"
        case .env(let name): "env.\(name)"
        }
    }

    /// The environment variable a shell command reads this value from: `SC_` and the
    /// reference in upper case with every other character turned into `_`
    /// (`steps.fetch.output.items.0` → `SC_STEPS_FETCH_OUTPUT_ITEMS_0`).
    public var environmentVariableName: String {
        var name = "SC_"
        for scalar in description.unicodeScalars {
            if ("a"..."z").contains(scalar) {
                name.unicodeScalars.append(Unicode.Scalar(scalar.value - 32) ?? "_")
            } else if ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar) || scalar == "_" {
                name.unicodeScalars.append(scalar)
            } else {
                name += "_"
            }
        }
        return name
    }

    /// The roots a reference may start with, for "did you mean" on typos such as `{inputs.x}`.
    static let roots = ["input", "steps", "env", "run_id"]

    /// Parses the text between braces (or a bare path in an expression).
    ///
    /// - Returns: nil when the text does not look like a reference at all (so `${HOME}` or a
    ///   brace group in a shell command stays literal text).
    /// - Throws: ``TemplateSyntaxError`` when it starts like a reference but is malformed.
    public static func parse(_ text: String) throws(TemplateSyntaxError) -> TemplateReference? {
        let trimmed = text.trimmingSpaces
        if trimmed == "run_id" { return .runID }
        let segments = trimmed.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard let root = segments.first, isName(root, allowDash: false) else { return nil }
        if segments.count == 1 {
            // A bare root is almost certainly an unfinished reference; anything else is literal.
            switch root {
            case "input": throw TemplateSyntaxError("`{input}` needs an input name", hint: "write {input.NAME}")
            case "steps": throw TemplateSyntaxError("`{steps}` needs a step id and a field", hint: "write {steps.ID.output}")
            case "env": throw TemplateSyntaxError("`{env}` needs a variable name", hint: "write {env.NAME}")
            default: return nil
            }
        }
        guard segments.dropFirst().allSatisfy({ isName($0, allowDash: true) }) else {
            // `{a..b}` and `{x.}` are shell brace expansions or prose unless they start with a root.
            guard roots.contains(root) else { return nil }
            throw TemplateSyntaxError(
                "`{\(trimmed)}` has an empty or invalid path segment",
                hint: "path segments are letters, digits, `_` and `-`, separated by single dots")
        }
        let rest = Array(segments.dropFirst())
        switch root {
        case "input":
            let name = rest[0]
            if name == itemName { return .fanOutItem(path: Array(rest.dropFirst())) }
            if name == indexName {
                guard rest.count == 1 else {
                    throw TemplateSyntaxError("`{input._index}` is a number and has no fields", hint: "write {input._index}")
                }
                return .fanOutIndex
            }
            return .input(name: name, path: Array(rest.dropFirst()))
        case "steps":
            guard rest.count >= 2 else {
                throw TemplateSyntaxError(
                    "`{steps.\(rest[0])}` needs a field",
                    hint: "write {steps.\(rest[0]).output} (or .status, .error, .exit_code)")
            }
            guard let field = StepField(rawValue: rest[1]) else {
                let names = StepField.allCases.map(\.rawValue)
                throw TemplateSyntaxError(
                    "`\(rest[1])` is not a field of a step result",
                    hint: EditDistance.suggestion(for: rest[1], among: names)
                        ?? "use one of \(names.joined(separator: ", "))")
            }
            if field != .output && rest.count > 2 {
                throw TemplateSyntaxError(
                    "only `output` has a path; `\(field.rawValue)` is a single value",
                    hint: "write {steps.\(rest[0]).\(field.rawValue)}")
            }
            return .step(id: rest[0], field: field, path: Array(rest.dropFirst(2)))
        case "env":
            guard rest.count == 1 else {
                throw TemplateSyntaxError(
                    "`{env.\(rest.joined(separator: "."))}` names more than one variable",
                    hint: "write {env.NAME}; environment values are plain strings")
            }
            return .env(name: rest[0])
        default:
            // Only near misses (`inputs`, `step`, `Env`) are errors: `{data.csv}` in a shell command
            // is just text, and a wider net would reject it.
            if let suggestion = EditDistance.closest(
                to: root.lowercased(), among: ["input", "steps", "env"],
                maximumDistance: 1)
            {
                throw TemplateSyntaxError("unknown template root `\(root)`", hint: "did you mean `\(suggestion)`?")
            }
            return nil
        }
    }

    private static func isName(_ text: String, allowDash: Bool) -> Bool {
        !text.isEmpty
            && text.unicodeScalars.allSatisfy { scalar in
                ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
                    || scalar == "_" || (allowDash && scalar == "-")
            }
    }
}

/// A malformed template reference, with a fix.
public struct TemplateSyntaxError: Error, Sendable, Hashable {
    public var message: String
    public var hint: String?

    public init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }
}

extension String {
    var trimmingSpaces: String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" { scalars = scalars.dropFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars = scalars.dropLast() }
        return String(scalars)
    }
}
