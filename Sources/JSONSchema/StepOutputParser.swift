import Foundation
import JSONValues

/// Turns an agent's final answer into a step output, by Sandcastle's rule:
///
/// - Without a schema: a string is trimmed; a leading ```` ``` ```` line and a trailing
///   ```` ``` ```` are removed; if the rest is JSON **and an object or an array**, that value
///   is the output, otherwise the original text is (unchanged, as a string).
/// - With a schema: the same, then the wrappers models put around structured answers are
///   taken off (a JSON string holding the value; `{"output": …}` when the schema has no
///   `output` property), an empty answer (`""`, `{}`, `[]`) is refused, and the value must
///   validate. An answer valid as it is is never unwrapped.
public struct StepOutputParser: Sendable {
    /// What the model gave: its final text, or a value it produced through a forced tool
    /// call or `response_format` (already parsed).
    public enum Answer: Sendable, Hashable {
        case text(String)
        case structured(JSONValue)
    }

    public let validator: JSONSchemaValidator?
    /// Refuse an empty answer even without a schema (Sandcastle does so for agent and `llm`
    /// steps); always true with a schema.
    public let requiresContent: Bool

    public init(validator: JSONSchemaValidator? = nil, requiresContent: Bool = false) {
        self.validator = validator
        self.requiresContent = requiresContent || validator != nil
    }

    /// Compiles `schema` (nil: no schema) for the parser.
    public init(schema: JSONValue?, requiresContent: Bool = false) throws(JSONSchemaError) {
        self.init(validator: try schema.map { schema throws(JSONSchemaError) in try JSONSchemaValidator(schema: schema) }, requiresContent: requiresContent)
    }

    /// The step output for `answer`, or why it is not acceptable (for the model to repair).
    public func parse(_ answer: Answer) throws(StepOutputError) -> JSONValue {
        let value: JSONValue
        switch answer {
        case .text(let text): value = Self.parseUnstructured(text)
        case .structured(.string(let text)): value = Self.parseUnstructured(text)
        case .structured(let structured): value = structured
        }
        guard let validator else {
            if requiresContent, Self.isEmpty(value) { throw StepOutputError(.emptyOutput, "the answer is empty") }
            return value
        }
        let candidates = Self.unwrappings(of: value, schemaProperties: validator.topLevelPropertyNames)
        if let accepted = candidates.first(where: validator.isValid) {
            guard !Self.isEmpty(accepted) else { throw StepOutputError(.emptyOutput, "the answer is empty, but the output schema requires data") }
            return accepted
        }
        // Nothing validates: report against the most unwrapped form, the likeliest intent.
        let closest = candidates[candidates.count - 1]
        if Self.isEmpty(closest) { throw StepOutputError(.emptyOutput, "the answer is empty, but the output schema requires data") }
        if case .string(let text) = closest, let problem = Self.brokenJSON(text) {
            throw StepOutputError(.notJSON, "the answer looks like JSON but does not parse (\(problem)); answer with one JSON value")
        }
        let result = validator.validate(closest)
        throw StepOutputError(
            .schemaViolation, "the answer does not match the output schema", violations: result.violations, truncated: result.truncated)
    }

    /// Sandcastle's rule without a schema: an object or array if the (fence-stripped) text is
    /// one, else the text as it was.
    public static func parseUnstructured(_ text: String) -> JSONValue {
        switch decodeJSON(text) {
        case .some(let value) where value.isContainer: value
        default: .string(text)
        }
    }

    /// `""` (or only whitespace), `{}`, `[]` and `null`: what Sandcastle calls no output.
    public static func isEmpty(_ value: JSONValue) -> Bool {
        switch value {
        case .null: true
        case .string(let text): text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
        case .array(let items): items.isEmpty
        case .object(let members): members.isEmpty
        default: false
        }
    }

    /// Strips whitespace and one level of Markdown code fence, then parses any JSON value.
    static func decodeJSON(_ text: String) -> JSONValue? {
        JSONValue.parse(json: unfenced(text))
    }

    /// Python's `text.strip()`, then: if it starts with ```` ``` ````, everything up to the
    /// first newline goes, and a trailing ```` ``` ```` (with the whitespace before it).
    static func unfenced(_ text: String) -> String {
        var body = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard body.hasPrefix("```") else { return body }
        if let newline = body.firstIndex(where: \.isNewline) {
            body = String(body[body.index(after: newline)...])
        }
        if body.hasSuffix("```") {
            body = String(body.dropLast(3))
            while let last = body.last, last.isWhitespace { body.removeLast() }
        }
        return body
    }

    /// The value and what it may be wrapped in, least unwrapped first: a string holding JSON
    /// (even twice encoded) is parsed, and `{"output": X}` becomes X when the schema's top
    /// level declares no `output` property.
    static func unwrappings(of value: JSONValue, schemaProperties: Set<String>) -> [JSONValue] {
        var candidates = [value]
        var current = value
        // Each step peels one layer; a few are all any model produces.
        for _ in 0..<4 {
            if case .string(let text) = current, let inner = decodeJSON(text), inner != current {
                current = inner
            } else if case .object(let members) = current, members.count == 1, let inner = members["output"],
                !schemaProperties.contains("output")
            {
                current = inner
            } else {
                break
            }
            candidates.append(current)
        }
        return candidates
    }

    /// Why text that starts like a JSON object or array does not parse; nil when it does
    /// or does not try to be JSON.
    static func brokenJSON(_ text: String) -> String? {
        let body = unfenced(text)
        guard body.hasPrefix("{") || body.hasPrefix("["), JSONValue.parse(json: body) == nil else { return nil }
        do {
            _ = try JSONSerialization.jsonObject(with: Data(body.utf8), options: [.fragmentsAllowed])
            return "invalid JSON"
        } catch {
            return ((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String) ?? "invalid JSON"
        }
    }
}

extension JSONValue {
    fileprivate var isContainer: Bool {
        switch self {
        case .array, .object: true
        default: false
        }
    }
}

/// Why an answer cannot be a step's output; its description is what the model is told when
/// it gets a chance to repair.
public struct StepOutputError: Error, Sendable, Hashable, CustomStringConvertible {
    /// An open set of failure kinds, so new ones do not break callers' switches.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// No answer, `""`, `{}` or `[]` where data is required.
        public static let emptyOutput = Code(rawValue: "empty_output")
        /// Text that tries to be JSON and is not.
        public static let notJSON = Code(rawValue: "not_json")
        /// A JSON value that breaks the output schema; see ``StepOutputError/violations``.
        public static let schemaViolation = Code(rawValue: "schema_violation")
    }

    public var code: Code
    public var message: String
    public var violations: [JSONSchemaViolation]
    /// More violations existed than are listed.
    public var truncated: Bool

    public init(_ code: Code, _ message: String, violations: [JSONSchemaViolation] = [], truncated: Bool = false) {
        self.code = code
        self.message = message
        self.violations = violations
        self.truncated = truncated
    }

    /// The message, then one violation a line: `/items/2/price: expected number, got string "12"`.
    public var description: String {
        var lines = [message + (violations.isEmpty ? "" : ":")]
        lines += violations.map { "- \($0)" }
        if truncated { lines.append("- (more violations not shown)") }
        return lines.joined(separator: "\n")
    }
}
