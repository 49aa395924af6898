import Agent
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
    /// The final tool the answer comes through, and how it is checked.
    let structured: StructuredAnswer

    /// The schema the answer follows.
    public var schema: JSONValue { structured.schema }

    /// Claude Code's name for its structured-output tool.
    public static let toolName = StructuredAnswer.toolName

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
        do {
            structured = try StructuredAnswer(schema: schema)
        } catch {
            throw OneShotError(.invalidOutputFormat, "output_format.schema: \(error)")
        }
    }

    /// What the agent loop enforces.
    var requirement: FinalAnswerRequirement { structured.requirement }

    /// The answer as the caller asked for it (unwrapped from `{"output": …}` when it was wrapped).
    func answer(_ input: JSONValue) -> JSONValue { structured.unwrap(input) }
}
