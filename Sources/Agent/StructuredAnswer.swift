import JSONSchema
import JSONValues
import ModelProviders

/// An answer that must follow a JSON Schema, asked for as Claude Code asks for one: through a
/// final tool, `StructuredOutput`, whose input is the answer. The loop checks each call with the
/// JSON Schema validator and hands the violations back for repairs (``FinalAnswerRequirement``).
///
/// A tool's input is an object, so a schema of anything else (an array, a string) is asked for
/// as `{"output": …}`; ``unwrap(_:)`` takes the answer back out. Agent steps and Sandstorm's
/// `output_format` both go through here, so both ask the same way.
public struct StructuredAnswer: Sendable {
    /// Claude Code's name for its structured-output tool.
    public static let toolName = "StructuredOutput"

    /// The schema as given.
    public let schema: JSONValue
    /// Whether the tool asks for `{"output": …}` around the answer.
    public let isWrapped: Bool
    /// What the agent loop enforces.
    public let requirement: FinalAnswerRequirement

    /// - Throws: ``JSONSchemaError`` when the schema does not compile.
    public init(schema: JSONValue) throws(JSONSchemaError) {
        self.schema = schema
        isWrapped = !Self.describesObject(schema)
        let toolSchema: JSONValue =
            isWrapped ? ["type": "object", "properties": ["output": schema], "required": ["output"], "additionalProperties": false] : schema
        let validator = try JSONSchemaValidator(schema: toolSchema)
        requirement = FinalAnswerRequirement(
            tool: ToolDefinition(
                name: Self.toolName,
                description: "Give your final answer by calling this tool once, with the answer as its input. "
                    + "It must follow the input schema exactly.",
                inputSchema: toolSchema)
        ) { input in
            validator.validate(input).violations.map(\.description)
        }
    }

    /// The answer as the schema describes it: the tool's input, unwrapped from `{"output": …}`
    /// when it was wrapped.
    public func unwrap(_ input: JSONValue) -> JSONValue {
        isWrapped ? (input.child("output") ?? .null) : input
    }

    /// Whether `schema` is one of an object (a tool's input as it is).
    static func describesObject(_ schema: JSONValue) -> Bool {
        guard case .object(let members) = schema else { return false }
        return members["type"] == "object" || (members["type"] == nil && members["properties"] != nil)
    }
}
