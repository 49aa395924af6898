import JSONValues

/// How values appear in messages: short, typed and quoted, so a model sees exactly what it
/// sent (`string "12"`) without a huge value flooding the message.
enum ValueDescription {
    static let maxQuotedCharacters = 60

    /// `string "12"`, `integer 5`, `number 1.5`, `boolean true`, `null`, `object`, `array of 3 items`.
    static func typed(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool(let flag): "boolean \(flag)"
        case .integer(let number): "integer \(number)"
        case .number: "number \(literal(value))"
        case .string(let text): "string \(quoted(text))"
        case .array(let items): items.count == 1 ? "array of 1 item" : "array of \(items.count) items"
        case .object(let members): members.isEmpty ? "empty object" : "object"
        }
    }

    /// The value as JSON, cut to a readable length.
    static func literal(_ value: JSONValue) -> String {
        cut(value.jsonText)
    }

    /// A string as a JSON literal, cut to a readable length.
    static func quoted(_ text: String) -> String {
        cut(JSONValue.string(text).jsonText)
    }

    /// The name JSON Schema gives the value's type (`array`, not the workflow language's `list`).
    static func typeName(_ value: JSONValue) -> String {
        JSONType.of(value).primary.rawValue
    }

    private static func cut(_ text: String) -> String {
        guard text.count > maxQuotedCharacters else { return text }
        return String(text.prefix(maxQuotedCharacters)) + "…"
    }
}
