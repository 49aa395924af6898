/// The type of a workflow input. Values given on the command line as text are converted to it.
public struct InputType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    public static let string = InputType(rawValue: "string")
    /// Any number, integer or not.
    public static let number = InputType(rawValue: "number")
    public static let integer = InputType(rawValue: "integer")
    public static let boolean = InputType(rawValue: "boolean")
    public static let list = InputType(rawValue: "list")
    public static let object = InputType(rawValue: "object")

    /// The types a declaration may name.
    public static let all: [InputType] = [.string, .number, .integer, .boolean, .list, .object]

    /// Spellings accepted for compatibility: `array` is Sandcastle's (JSON Schema's) name for a list.
    static let aliases: [String: InputType] = ["array": .list]

    /// Reads a type name, accepting the aliases.
    public init?(name: String) {
        if let known = Self.all.first(where: { $0.rawValue == name }) {
            self = known
        } else if let alias = Self.aliases[name] {
            self = alias
        } else {
            return nil
        }
    }

    /// Whether a value already has this type (an integer is also a number).
    public func accepts(_ value: JSONValue) -> Bool {
        switch (self, value) {
        case (.string, .string), (.integer, .integer), (.boolean, .bool), (.list, .array), (.object, .object):
            return true
        case (.number, .integer), (.number, .number):
            return true
        case (.integer, .number(let number)):
            // 3.0 from JSON is still a whole number.
            return number.rounded() == number && abs(number) < 9.0e15
        default:
            return false
        }
    }
}

/// A declared workflow input.
public struct InputDefinition: Sendable {
    public var name: String
    public var type: InputType
    /// A required input must get a value when the run starts. Defaults to true exactly when there is no default.
    public var required: Bool
    public var defaultValue: JSONValue?
    public var description: String?
    /// When set, the value must be one of these.
    public var allowedValues: [JSONValue]?
    public var location: SourceLocation

    public init(
        name: String, type: InputType = .string, required: Bool? = nil, defaultValue: JSONValue? = nil,
        description: String? = nil, allowedValues: [JSONValue]? = nil,
        location: SourceLocation = SourceLocation(file: "", line: 0, column: 0)
    ) {
        self.name = name
        self.type = type
        self.required = required ?? (defaultValue == nil)
        self.defaultValue = defaultValue
        self.description = description
        self.allowedValues = allowedValues
        self.location = location
    }
}
