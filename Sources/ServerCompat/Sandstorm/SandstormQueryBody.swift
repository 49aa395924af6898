import Foundation
import JSONValues
import ModelProviders

/// One problem with a `POST /query` body, as FastAPI reports a pydantic validation error:
/// `{"type": "value_error", "loc": ["body", "files"], "msg": "Value error, Too many files: 21 (max 20)"}`.
///
/// Unlike pydantic, the offending `input` is never echoed: a body may carry provider keys.
struct SandstormValidationError: Error, Sendable, Hashable {
    var type: String
    var location: [JSONValue]
    var message: String
    var context: JSONValue?

    init(_ type: String, _ location: [JSONValue], _ message: String, context: JSONValue? = nil) {
        self.type = type
        self.location = location
        self.message = message
        self.context = context
    }

    /// A check of ours failed (pydantic prefixes the validator's message with "Value error, ").
    static func value(_ location: [JSONValue], _ message: String) -> SandstormValidationError {
        SandstormValidationError("value_error", location, "Value error, " + message, context: ["error": [:]])
    }

    var json: JSONValue {
        var members: [String: JSONValue] = ["type": .string(type), "loc": .array(location), "msg": .string(message)]
        if let context { members["ctx"] = context }
        return .object(members)
    }
}

/// The problems that refuse a request, answered together as one 422.
struct SandstormValidationFailure: Error, Sendable {
    var errors: [SandstormValidationError]

    init(_ errors: [SandstormValidationError]) { self.errors = errors }
}

/// Sandstorm's `QueryRequest` (`models.py`), decoded field by field so each problem is reported
/// where FastAPI reports it. Unknown fields are ignored, as pydantic does.
struct SandstormQueryBody: Sendable {
    var prompt = ""
    var model: String?
    var maxTurns: Int?
    var outputFormat: JSONValue?
    var timeout: Int?
    var files: [String: String]?
    var anthropicAPIKey: SecretValue?
    var openRouterAPIKey: SecretValue?
    var allowedTools: [String]?
    var allowedAgents: [String]?
    var allowedMCPServers: [String]?
    var extraAgents: [String: JSONValue]?
    var extraSkills: [String: String]?
    var resume: String?
    var maxBudgetUSD: Double?
    /// Ours (the Agent SDK's option, which Sandstorm's runner knows but never sets): also stream
    /// each text delta as a `stream_event`.
    var includePartialMessages = false

    /// Sandstorm's agent and skill names: `[a-zA-Z0-9_-]+` (checked by character, so no line
    /// end can slip past an anchor as it can past `$`).
    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty
            && name.unicodeScalars.allSatisfy { scalar in
                switch scalar.value {
                case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x2D, 0x5F: true
                default: false
                }
            }
    }

    /// - Returns: the body, or every problem found (all fields are checked, as pydantic does).
    static func decode(_ bytes: [UInt8]) -> Result<SandstormQueryBody, SandstormValidationFailure> {
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(bytes)) else {
            return .failure(
                SandstormValidationFailure([
                    SandstormValidationError("json_invalid", ["body", 0], "JSON decode error", context: ["error": "Expecting value"])
                ]))
        }
        guard case .object(let fields) = value else {
            return .failure(
                SandstormValidationFailure([
                    SandstormValidationError(
                        "model_attributes_type", ["body"], "Input should be a valid dictionary or object to extract fields from")
                ]))
        }
        var reader = FieldReader(fields: fields)
        var body = SandstormQueryBody()
        body.prompt = reader.requiredString("prompt", length: 1...1_000_000) ?? ""
        body.model = reader.string("model", length: 1...Int.max)
        body.maxTurns = reader.integer("max_turns", in: 1...Int.max)
        body.outputFormat = reader.object("output_format")
        body.timeout = reader.integer("timeout", in: 5...3600)
        body.files = reader.stringMap("files")
        body.anthropicAPIKey = reader.string("anthropic_api_key").map(SecretValue.init)
        _ = reader.string("e2b_api_key")
        body.openRouterAPIKey = reader.string("openrouter_api_key").map(SecretValue.init)
        body.allowedTools = reader.stringList("allowed_tools")
        body.allowedAgents = reader.stringList("allowed_agents")
        body.allowedMCPServers = reader.stringList("allowed_mcp_servers")
        _ = reader.stringList("allowed_skills")
        body.extraAgents = reader.objectMap("extra_agents", kind: "agent")
        body.extraSkills = reader.stringMap("extra_skills", kind: "skill")
        body.resume = reader.string("resume")
        _ = reader.boolean("fork_session")
        body.maxBudgetUSD = reader.number("max_budget_usd", atLeast: 0)
        for key in ["team_id", "user_id", "channel_id", "remember"] { _ = reader.string(key) }
        body.includePartialMessages = reader.boolean("include_partial_messages") ?? false
        return reader.errors.isEmpty ? .success(body) : .failure(SandstormValidationFailure(reader.errors))
    }
}

/// Reads typed fields out of a JSON object, collecting pydantic's errors.
private struct FieldReader {
    let fields: [String: JSONValue]
    var errors: [SandstormValidationError] = []

    /// The field's value; nil when absent or null (every optional field of Sandstorm's takes null).
    private func present(_ key: String) -> JSONValue? {
        guard let value = fields[key], value != .null else { return nil }
        return value
    }

    private mutating func fail(_ type: String, _ location: [JSONValue], _ message: String, context: JSONValue? = nil) {
        errors.append(SandstormValidationError(type, location, message, context: context))
    }

    mutating func requiredString(_ key: String, length: ClosedRange<Int>) -> String? {
        guard fields[key] != nil else {
            fail("missing", ["body", .string(key)], "Field required")
            return nil
        }
        return string(key, length: length, nullAllowed: false)
    }

    mutating func string(_ key: String, length: ClosedRange<Int> = 0...Int.max, nullAllowed: Bool = true) -> String? {
        guard let value = nullAllowed ? present(key) : fields[key] else { return nil }
        guard case .string(let text) = value else {
            fail("string_type", ["body", .string(key)], "Input should be a valid string")
            return nil
        }
        // Python counts code points.
        let count = text.unicodeScalars.count
        if count < length.lowerBound {
            let plural = length.lowerBound == 1 ? "character" : "characters"
            fail(
                "string_too_short", ["body", .string(key)], "String should have at least \(length.lowerBound) \(plural)",
                context: ["min_length": .integer(length.lowerBound)])
            return nil
        }
        if count > length.upperBound {
            fail(
                "string_too_long", ["body", .string(key)], "String should have at most \(length.upperBound) characters",
                context: ["max_length": .integer(length.upperBound)])
            return nil
        }
        return text
    }

    mutating func integer(_ key: String, in range: ClosedRange<Int>) -> Int? {
        guard let value = present(key) else { return nil }
        let number: Int
        switch value {
        case .integer(let whole): number = whole
        case .number(let real) where real.rounded() == real && abs(real) < 1e15: number = Int(real)
        case .number:
            fail("int_from_float", ["body", .string(key)], "Input should be a valid integer, got a number with a fractional part")
            return nil
        default:
            fail("int_type", ["body", .string(key)], "Input should be a valid integer")
            return nil
        }
        if number < range.lowerBound {
            fail(
                "greater_than_equal", ["body", .string(key)], "Input should be greater than or equal to \(range.lowerBound)",
                context: ["ge": .integer(range.lowerBound)])
            return nil
        }
        if number > range.upperBound {
            fail(
                "less_than_equal", ["body", .string(key)], "Input should be less than or equal to \(range.upperBound)",
                context: ["le": .integer(range.upperBound)])
            return nil
        }
        return number
    }

    mutating func number(_ key: String, atLeast minimum: Double) -> Double? {
        guard let value = present(key) else { return nil }
        guard let number = value.doubleValue, number.isFinite else {
            fail("float_type", ["body", .string(key)], "Input should be a valid number")
            return nil
        }
        guard number >= minimum else {
            fail(
                "greater_than_equal", ["body", .string(key)], "Input should be greater than or equal to \(minimum)",
                context: ["ge": .number(minimum)])
            return nil
        }
        return number
    }

    mutating func boolean(_ key: String) -> Bool? {
        guard let value = present(key) else { return nil }
        guard case .bool(let flag) = value else {
            fail("bool_type", ["body", .string(key)], "Input should be a valid boolean")
            return nil
        }
        return flag
    }

    mutating func object(_ key: String) -> JSONValue? {
        guard let value = present(key) else { return nil }
        guard case .object = value else {
            fail("dict_type", ["body", .string(key)], "Input should be a valid dictionary")
            return nil
        }
        return value
    }

    mutating func stringList(_ key: String) -> [String]? {
        guard let value = present(key) else { return nil }
        guard case .array(let items) = value else {
            fail("list_type", ["body", .string(key)], "Input should be a valid list")
            return nil
        }
        var strings: [String] = []
        for (index, item) in items.enumerated() {
            guard case .string(let text) = item else {
                fail("string_type", ["body", .string(key), .integer(index)], "Input should be a valid string")
                continue
            }
            strings.append(text)
        }
        return strings.count == items.count ? strings : nil
    }

    mutating func stringMap(_ key: String, kind: String? = nil) -> [String: String]? {
        guard let value = present(key) else { return nil }
        guard case .object(let members) = value else {
            fail("dict_type", ["body", .string(key)], "Input should be a valid dictionary")
            return nil
        }
        var map: [String: String] = [:]
        for name in members.keys.sorted() {
            guard case .string(let text)? = members[name] else {
                fail("string_type", ["body", .string(key), .string(name)], "Input should be a valid string")
                continue
            }
            map[name] = text
        }
        guard map.count == members.count else { return nil }
        return checkNames(map, key: key, kind: kind) ? map : nil
    }

    mutating func objectMap(_ key: String, kind: String) -> [String: JSONValue]? {
        guard let value = present(key) else { return nil }
        guard case .object(let members) = value else {
            fail("dict_type", ["body", .string(key)], "Input should be a valid dictionary")
            return nil
        }
        for name in members.keys.sorted() {
            guard case .object? = members[name] else {
                fail("dict_type", ["body", .string(key), .string(name)], "Input should be a valid dictionary")
                return nil
            }
        }
        return checkNames(members, key: key, kind: kind) ? members : nil
    }

    /// Names of `kind` (agents, skills) must be Sandstorm's; nil kind: any key.
    private mutating func checkNames<Value>(_ map: [String: Value], key: String, kind: String?) -> Bool {
        guard let kind else { return true }
        for name in map.keys.sorted() where !SandstormQueryBody.isValidName(name) {
            errors.append(.value(["body", .string(key)], "Invalid \(kind) name \(Self.pythonRepr(name)): must match [a-zA-Z0-9_-]+"))
            return false
        }
        return true
    }

    /// A string as Python's `repr` writes it (Sandstorm's messages use `{name!r}`).
    static func pythonRepr(_ text: String) -> String {
        let quote = text.contains("'") && !text.contains("\"") ? "\"" : "'"
        var out = quote
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where String(scalar) == quote: out += "\\" + quote
            case _ where scalar.value < 0x20 || scalar.value == 0x7F: out += String(format: "\\x%02x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + quote
    }
}
