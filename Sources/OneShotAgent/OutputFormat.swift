import Agent
import JSONSchema
import JSONValues
import ModelProviders

/// Sandstorm's `output_format`: `{"type": "json_schema", "schema": {…}}` makes the agent end with
/// an answer that follows the schema (the `result` message's `structured_output`); `{}` turns a
/// configured one off.
///
/// As in Claude Code, the answer comes through a final tool, `StructuredOutput`, whose input is
/// checked with the JSON Schema validator; a wrong answer goes back to the model with the
/// violations, for up to two repairs (the run then ends `error_max_structured_output_retries`).
public struct OutputFormat: Sendable {
    /// The schema the answer follows.
    public let schema: JSONValue
    let validator: JSONSchemaValidator
    /// A tool's input is an object: any other schema is asked for as `{"output": …}` and unwrapped.
    let wrapped: Bool

    /// Claude Code's name for its structured-output tool.
    public static let toolName = "StructuredOutput"

    /// - Returns: nil for `{}` (no structured output).
    /// - Throws: ``OneShotError`` `invalidOutputFormat` for another `type`, a missing schema or
    ///   one that does not compile.
    public static func parse(_ value: JSONValue) throws -> OutputFormat? {
        guard case .object(let members) = value else {
            throw OneShotError(.invalidOutputFormat, "output_format must be an object, not \(value.typeName)")
        }
        if members.isEmpty { return nil }
        guard members["type"] == .string("json_schema") else {
            throw OneShotError(
                .invalidOutputFormat,
                #"output_format: the only type is "json_schema" ({"type": "json_schema", "schema": {…}}), not "#
                    + (members["type"]?.jsonText ?? "none"))
        }
        guard let schema = members["schema"], case .object = schema else {
            throw OneShotError(.invalidOutputFormat, "output_format.schema must be a JSON Schema object")
        }
        return try OutputFormat(schema: schema)
    }

    public init(schema: JSONValue) throws {
        self.schema = schema
        let isObject: Bool
        if case .object(let members) = schema {
            isObject = members["type"] == .string("object") || (members["type"] == nil && members["properties"] != nil)
        } else {
            isObject = false
        }
        wrapped = !isObject
        let toolSchema: JSONValue =
            wrapped ? ["type": "object", "properties": ["output": schema], "required": ["output"], "additionalProperties": false] : schema
        do {
            validator = try JSONSchemaValidator(schema: toolSchema)
        } catch {
            throw OneShotError(.invalidOutputFormat, "output_format.schema: \(error)")
        }
    }

    /// What the agent loop enforces.
    var requirement: FinalAnswerRequirement {
        let validator = self.validator
        return FinalAnswerRequirement(
            tool: ToolDefinition(
                name: Self.toolName,
                description: "Give your final answer by calling this tool once, with the answer as its input. It must follow the input schema exactly.",
                inputSchema: validator.schema)
        ) { input in
            validator.validate(input).violations.map(\.description)
        }
    }

    /// The answer as the caller asked for it (unwrapped from `{"output": …}` when it was wrapped).
    func answer(_ input: JSONValue) -> JSONValue {
        wrapped ? (input.child("output") ?? .null) : input
    }
}
