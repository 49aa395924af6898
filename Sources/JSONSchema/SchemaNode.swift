import JSONValues

/// A compiled schema's nodes live in one array and point at each other by index, so
/// recursive schemas (`$ref: "#"`) need no reference cycles between objects.
typealias NodeID = Int

/// The seven JSON Schema types.
enum JSONType: String, Sendable, CaseIterable {
    case null, boolean, object, array, number, integer, string

    /// The types a value has: an integral number is both `integer` and `number`
    /// (`3.0` is an integer per the specification, not only `3`).
    static func of(_ value: JSONValue) -> (primary: JSONType, isInteger: Bool) {
        switch value {
        case .null: (.null, false)
        case .bool: (.boolean, false)
        case .integer: (.integer, true)
        case .number(let number): (.number, number.isFinite && number.rounded(.towardZero) == number)
        case .string: (.string, false)
        case .array: (.array, false)
        case .object: (.object, false)
        }
    }

    func admits(_ value: JSONValue) -> Bool {
        let (primary, isInteger) = Self.of(value)
        switch self {
        case .integer: return isInteger
        case .number: return primary == .number || primary == .integer
        default: return primary == self
        }
    }
}

/// One subschema, its keywords compiled. Absent keywords are nil or empty.
struct SchemaNode: Sendable {
    enum Kind: Sendable {
        /// `true` or `{}`-like: only the keywords below apply.
        case keywords
        /// The schema `false`: nothing is valid.
        case rejectAll
    }

    var kind: Kind = .keywords
    /// Where this node is in the schema (JSON Pointer).
    var location: String
    /// The node's source, kept to quote it in messages (`must not match {"required":["x"]}`).
    var source: JSONValue

    var types: [JSONType]?
    var enumValues: [JSONValue]?
    var enumSet: Set<CanonicalJSON>?
    var constValue: JSONValue?

    var minimum: JSONValue?
    var maximum: JSONValue?
    var exclusiveMinimum: JSONValue?
    var exclusiveMaximum: JSONValue?
    var multipleOf: JSONValue?

    var minLength: Int?
    var maxLength: Int?
    var pattern: ECMAPattern?

    var prefixItems: [NodeID] = []
    var items: NodeID?
    var contains: NodeID?
    var minContains: Int?
    var maxContains: Int?
    var minItems: Int?
    var maxItems: Int?
    var uniqueItems = false

    /// Declared properties, sorted by name (the order their violations are reported in).
    var properties: [(name: String, node: NodeID)] = []
    /// Where each declared property is in ``properties``.
    var propertyIndex: [String: Int] = [:]
    var patternProperties: [(pattern: ECMAPattern, node: NodeID)] = []
    var additionalProperties: NodeID?
    var required: [String] = []
    var minProperties: Int?
    var maxProperties: Int?
    var propertyNames: NodeID?
    var dependentRequired: [(property: String, requires: [String])] = []
    var dependentSchemas: [(property: String, node: NodeID)] = []

    var allOf: [NodeID] = []
    var anyOf: [NodeID] = []
    var oneOf: [NodeID] = []
    var not: NodeID?
    var ifSchema: NodeID?
    var thenSchema: NodeID?
    var elseSchema: NodeID?

    /// The `$ref`'s target once resolved (all are, after compilation).
    var ref: NodeID?

    init(location: String, source: JSONValue) {
        self.location = location
        self.source = source
    }

    /// Subschemas applied to the same instance location: the edges along which a cycle
    /// would never terminate.
    var inPlaceChildren: [NodeID] {
        var children = allOf + anyOf + oneOf + dependentSchemas.map(\.node)
        for node in [ref, not, ifSchema, thenSchema, elseSchema] {
            if let node { children.append(node) }
        }
        return children
    }
}

/// A value hashed and compared the way JSON Schema compares values: `1` equals `1.0`, deeply,
/// and object members in any order. Hashing in place (no normalised copy) keeps `enum`, `const`
/// and `uniqueItems` linear and allocation-free: a 100,000-item `uniqueItems` array is one pass.
struct CanonicalJSON: Hashable, Sendable {
    let value: JSONValue

    init(_ value: JSONValue) { self.value = value }

    static func == (lhs: CanonicalJSON, rhs: CanonicalJSON) -> Bool {
        lhs.value.looselyEquals(rhs.value)
    }

    func hash(into hasher: inout Hasher) {
        Self.hash(value, into: &hasher)
    }

    private static func hash(_ value: JSONValue, into hasher: inout Hasher) {
        switch value {
        case .null: hasher.combine(0)
        case .bool(let flag): hasher.combine(flag ? 1 : 2)
        // Integers and numbers hash as doubles, so equal values (1, 1.0) hash alike.
        case .integer(let number): hasher.combine(Double(number))
        case .number(let number): hasher.combine(number)
        case .string(let text): hasher.combine(text)
        case .array(let items):
            hasher.combine(items.count)
            for item in items { hash(item, into: &hasher) }
        case .object(let members):
            // Order-independent: a sum of per-member hashes, as Dictionary itself does.
            var combined = 0
            for (key, member) in members {
                var memberHasher = Hasher()
                memberHasher.combine(key)
                hash(member, into: &memberHasher)
                combined = combined &+ memberHasher.finalize()
            }
            hasher.combine(members.count)
            hasher.combine(combined)
        }
    }
}
