import Suggestions

/// A value given for an input: text from the command line (converted to the declared type)
/// or an already typed value (from the API or a sub-workflow mapping).
public enum InputValue: Sendable, Hashable {
    case text(String)
    case value(JSONValue)
}

/// Checks the values a run starts with against the workflow's inputs, applies defaults and
/// converts command-line text to the declared types. Reports every problem, not the first.
public enum InputBinder {
    /// Where diagnostics about command-line values point.
    public static let commandLine = "<command line>"

    /// Binds `provided` to the workflow's inputs.
    ///
    /// - Returns: the values to run with (defaults filled in) and the problems found: unknown
    ///   names (with "did you mean"), required inputs without a value, values of the wrong type,
    ///   values outside `enum`.
    public static func bind(
        _ workflow: WorkflowDefinition,
        provided: [String: InputValue]
    ) -> (values: [String: JSONValue], diagnostics: [ValidationDiagnostic]) {
        var values: [String: JSONValue] = [:]
        var diagnostics = DiagnosticList()
        let names = workflow.inputs.map(\.name)
        for name in provided.keys.sorted() where workflow.input(name) == nil {
            diagnostics.error(
                .unknownInput, at: nil, "the workflow has no input `\(name)`",
                hint: EditDistance.suggestion(for: name, among: names)
                    ?? (names.isEmpty ? "it declares no inputs" : "its inputs: \(names.joined(separator: ", "))"))
        }
        for input in workflow.inputs {
            guard let given = provided[input.name] else {
                if let defaultValue = input.defaultValue {
                    values[input.name] = defaultValue
                } else if input.required {
                    diagnostics.error(
                        .missingInput, at: input.location, "the required input `\(input.name)` has no value",
                        hint: "pass it with -i \(input.name)=\(example(for: input.type)), or give it a default")
                } else {
                    // An optional input without a default reads as null: empty text in a
                    // template, false in a condition.
                    values[input.name] = .null
                }
                continue
            }
            let value: JSONValue?
            switch given {
            case .text(let text): value = coerce(text, to: input.type)
            case .value(let typed): value = input.type.accepts(typed) ? normalize(typed, to: input.type) : nil
            }
            guard let value else {
                let shown: String =
                    switch given {
                    case .text(let text): "`\(text)`"
                    case .value(let typed): "a \(typed.typeName)"
                    }
                diagnostics.error(
                    .invalidInputValue, at: nil,
                    "input `\(input.name)` must be \(WorkflowParser.article(input.type)), got \(shown)",
                    hint: "for example -i \(input.name)=\(example(for: input.type))")
                continue
            }
            if let allowed = input.allowedValues, !allowed.contains(where: { $0.looselyEquals(value) }) {
                diagnostics.error(
                    .invalidInputValue, at: nil,
                    "input `\(input.name)` must be one of \(allowed.map(\.jsonText).joined(separator: ", ")), got \(value.jsonText)",
                    hint: EditDistance.suggestion(for: value.renderedString, among: allowed.map(\.renderedString)))
                continue
            }
            values[input.name] = value
        }
        return (values, diagnostics.all)
    }

    /// Converts command-line text to a type: numbers and booleans are parsed, a list is JSON
    /// (`[1, 2]`) or comma-separated text (`a,b`), an object is JSON.
    public static func coerce(_ text: String, to type: InputType) -> JSONValue? {
        switch type {
        case .string:
            return .string(text)
        case .integer:
            if let integer = Int(text.trimmingSpaces) { return .integer(integer) }
            return nil
        case .number:
            let trimmed = text.trimmingSpaces
            if let integer = Int(trimmed) { return .integer(integer) }
            if let double = Double(trimmed), double.isFinite { return .number(double) }
            return nil
        case .boolean:
            switch text.trimmingSpaces.lowercased() {
            case "true", "yes", "1", "on": return .bool(true)
            case "false", "no", "0", "off": return .bool(false)
            default: return nil
            }
        case .list:
            if text.trimmingSpaces.hasPrefix("[") {
                guard case .array(let items)? = JSONValue.parse(json: text) else { return nil }
                return .array(items)
            }
            if text.isEmpty { return .array([]) }
            return .array(text.split(separator: ",", omittingEmptySubsequences: false).map { .string(String($0).trimmingSpaces) })
        case .object:
            guard case .object(let members)? = JSONValue.parse(json: text) else { return nil }
            return .object(members)
        default:
            // A type added later with no text form: accept JSON of any shape the type accepts.
            return JSONValue.parse(json: text).flatMap { type.accepts($0) ? $0 : nil }
        }
    }

    /// Splits `-i key=value` arguments.
    public static func parseAssignments(_ arguments: [String]) throws(WorkflowError) -> [String: InputValue] {
        var result: [String: InputValue] = [:]
        var problems: [ValidationDiagnostic] = []
        for argument in arguments {
            guard let equals = argument.firstIndex(of: "="), equals != argument.startIndex else {
                problems.append(
                    .error(
                        .invalidInputValue, at: nil, "`\(argument)` is not KEY=VALUE",
                        hint: "write -i name=value"))
                continue
            }
            let key = String(argument[..<equals])
            if result[key] != nil {
                problems.append(.error(.invalidInputValue, at: nil, "input `\(key)` is given twice", hint: "keep one -i \(key)=…"))
            }
            result[key] = .text(String(argument[argument.index(after: equals)...]))
        }
        guard problems.isEmpty else {
            throw WorkflowError(.invalidInput, "the input values are malformed", diagnostics: problems)
        }
        return result
    }

    private static func normalize(_ value: JSONValue, to type: InputType) -> JSONValue {
        if type == .integer, case .number(let double) = value { return .integer(Int(double)) }
        return value
    }

    private static func example(for type: InputType) -> String {
        switch type {
        case .integer: "3"
        case .number: "1.5"
        case .boolean: "true"
        case .list: "a,b"
        case .object: "'{\"key\": 1}'"
        default: "VALUE"
        }
    }
}
