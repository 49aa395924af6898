import JSONValues

/// A tool call's input object, with typed access that fails in words the model understands.
///
/// Models send integers as `5000` or `5000.0`; both read as an integer. A string where a number
/// belongs is an error rather than a guess.
public struct ToolInput: Sendable {
    public let value: JSONValue
    public let fields: [String: JSONValue]

    /// - Throws: ``ToolFailure`` when `value` is not an object.
    public init(_ value: JSONValue) throws {
        guard case .object(let fields) = value else {
            throw ToolFailure("the input must be a JSON object, got \(value.typeName)")
        }
        self.value = value
        self.fields = fields
    }

    /// A field that must be there (`null` counts as absent).
    public func string(_ key: String) throws -> String {
        guard let value = try optionalString(key) else { throw ToolFailure("missing required field `\(key)`") }
        return value
    }

    public func optionalString(_ key: String) throws -> String? {
        switch fields[key] {
        case nil, .null?: return nil
        case .string(let text)?: return text
        case let other?: throw ToolFailure("`\(key)` must be a string, got \(other.typeName)")
        }
    }

    public func optionalInteger(_ key: String) throws -> Int? {
        switch fields[key] {
        case nil, .null?: return nil
        case .integer(let number)?: return number
        case .number(let number)? where number.rounded() == number && abs(number) < 1e15: return Int(number)
        case let other?: throw ToolFailure("`\(key)` must be an integer, got \(other.typeName == "number" ? "a fraction" : other.typeName)")
        }
    }

    public func optionalBool(_ key: String) throws -> Bool? {
        switch fields[key] {
        case nil, .null?: return nil
        case .bool(let flag)?: return flag
        case let other?: throw ToolFailure("`\(key)` must be true or false, got \(other.typeName)")
        }
    }

    /// An integer field that must not be negative.
    public func optionalCount(_ key: String) throws -> Int? {
        guard let number = try optionalInteger(key) else { return nil }
        if number < 0 { throw ToolFailure("`\(key)` must not be negative, got \(number)") }
        return number
    }
}

/// The checks the loop makes on every call's input against its tool's `input_schema` before
/// running it: an object, its `required` fields present, and each known field of the declared
/// `type`. Not a JSON Schema validator: enough that a tool never runs on input of the wrong shape.
enum ToolInputCheck {
    static func problems(_ input: JSONValue, schema: JSONValue) -> [String] {
        guard case .object(let fields) = input else {
            return ["the input must be a JSON object, got \(input.typeName)"]
        }
        var problems: [String] = []
        if case .array(let required)? = schema.child("required") {
            for case .string(let name) in required where fields[name] == nil || fields[name] == .null {
                problems.append("missing required field `\(name)`")
            }
        }
        if case .object(let properties)? = schema.child("properties") {
            for name in fields.keys.sorted() {
                guard let value = fields[name], value != .null, let property = properties[name] else { continue }
                let allowed = declaredTypes(property)
                if !allowed.isEmpty, !allowed.contains(where: { matches(value, type: $0) }) {
                    problems.append("`\(name)` must be \(allowed.joined(separator: " or ")), got \(value.typeName)")
                }
            }
        }
        return problems
    }

    private static func declaredTypes(_ property: JSONValue) -> [String] {
        switch property.child("type") {
        case .string(let type)?: [type]
        case .array(let types)?: types.compactMap { if case .string(let type) = $0 { type } else { nil } }
        default: []
        }
    }

    private static func matches(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("string", .string), ("boolean", .bool), ("array", .array), ("object", .object), ("null", .null): true
        case ("number", .integer), ("number", .number), ("integer", .integer): true
        case ("integer", .number(let number)): number.rounded() == number
        default: false
        }
    }
}
