import Foundation
import JSONValues

/// Turns a schema document into nodes once: every keyword checked and converted, every
/// pattern compiled, every `$ref` resolved, in-place reference cycles refused.
struct SchemaCompiler {
    private let root: JSONValue
    private let limits: JSONSchemaValidator.Limits
    private(set) var nodes: [SchemaNode] = []
    private var byLocation: [String: NodeID] = [:]
    private var anchors: [String: NodeID] = [:]
    private var pendingReferences: [(node: NodeID, reference: String, location: String)] = []
    private var patterns: [String: ECMAPattern] = [:]
    /// The location of the innermost subschema with an `$id` of its own, while compiling inside it.
    private var embeddedResource: String?

    init(root: JSONValue, limits: JSONSchemaValidator.Limits) {
        self.root = root
        self.limits = limits
    }

    /// Compiles the whole document; node 0 is the root.
    mutating func compileDocument() throws(JSONSchemaError) -> [SchemaNode] {
        _ = try compile(root, at: PointerPath(), depth: 0)
        while let pending = pendingReferences.popLast() {
            nodes[pending.node].ref = try resolve(pending.reference, at: pending.location)
        }
        try refuseInPlaceCycles()
        return nodes
    }

    // MARK: Nodes

    private mutating func compile(_ value: JSONValue, at path: PointerPath, depth: Int) throws(JSONSchemaError) -> NodeID {
        let location = path.rendered
        if let existing = byLocation[location] { return existing }
        guard depth <= limits.maxDepth else {
            throw JSONSchemaError(.tooDeep, at: location, "the schema nests deeper than \(limits.maxDepth) levels")
        }
        let id = nodes.count
        nodes.append(SchemaNode(location: location, source: value))
        byLocation[location] = id
        switch value {
        case .bool(true):
            break
        case .bool(false):
            nodes[id].kind = .rejectAll
        case .object(let keywords):
            let outerResource = embeddedResource
            defer { embeddedResource = outerResource }
            if keywords["$id"] != nil, !location.isEmpty { embeddedResource = location }
            var node = nodes[id]
            try compileKeywords(keywords, into: &node, id: id, at: path, depth: depth)
            nodes[id] = node
        default:
            throw JSONSchemaError(.invalidKeyword, at: location, "a schema must be an object or a boolean, got \(ValueDescription.typed(value))")
        }
        return id
    }

    private mutating func compileKeywords(
        _ keywords: [String: JSONValue], into node: inout SchemaNode, id: NodeID, at path: PointerPath, depth: Int
    ) throws(JSONSchemaError) {
        // Keywords in a fixed order so the first error reported does not depend on hashing.
        for keyword in keywords.keys.sorted() {
            guard let value = keywords[keyword] else { continue }
            let here = path.appending(keyword)
            let reader = KeywordReader(keyword: keyword, value: value, location: here.rendered)
            func subschema(_ value: JSONValue, _ subpath: PointerPath) throws(JSONSchemaError) -> NodeID {
                try compile(value, at: subpath, depth: depth + 1)
            }
            switch keyword {
            case "type": node.types = try reader.types()
            case "enum":
                let values = try reader.array()
                node.enumValues = values
                node.enumSet = Set(values.map(CanonicalJSON.init))
            case "const": node.constValue = value
            case "minimum": node.minimum = try reader.number()
            case "maximum": node.maximum = try reader.number()
            case "exclusiveMinimum": node.exclusiveMinimum = try reader.exclusiveBound()
            case "exclusiveMaximum": node.exclusiveMaximum = try reader.exclusiveBound()
            case "multipleOf": node.multipleOf = try reader.positiveNumber()
            case "minLength": node.minLength = try reader.count()
            case "maxLength": node.maxLength = try reader.count()
            case "pattern": node.pattern = try pattern(try reader.string(), at: here.rendered)
            case "items":
                if case .array(let tuple) = value {
                    // Draft 4–7's tuple form: what 2020-12 calls prefixItems, with
                    // additionalItems for the rest. Taken as that, unless prefixItems is also given.
                    guard keywords["prefixItems"] == nil else {
                        throw reader.invalid("must be a schema when prefixItems is present")
                    }
                    for (index, item) in tuple.enumerated() { node.prefixItems.append(try subschema(item, here.appending(index))) }
                    if let additional = keywords["additionalItems"] {
                        node.items = try subschema(additional, path.appending("additionalItems"))
                    }
                } else {
                    node.items = try subschema(value, here)
                }
            case "prefixItems":
                for (index, item) in try reader.array().enumerated() { node.prefixItems.append(try subschema(item, here.appending(index))) }
            case "contains": node.contains = try subschema(value, here)
            case "minContains": node.minContains = try reader.count()
            case "maxContains": node.maxContains = try reader.count()
            case "minItems": node.minItems = try reader.count()
            case "maxItems": node.maxItems = try reader.count()
            case "uniqueItems": node.uniqueItems = try reader.bool()
            case "properties":
                for (name, schema) in try reader.object().sorted(by: { $0.key < $1.key }) {
                    node.propertyIndex[name] = node.properties.count
                    node.properties.append((name, try subschema(schema, here.appending(name))))
                }
            case "patternProperties":
                for (source, schema) in try reader.object().sorted(by: { $0.key < $1.key }) {
                    let compiled = try pattern(source, at: here.appending(source).rendered)
                    node.patternProperties.append((compiled, try subschema(schema, here.appending(source))))
                }
            case "additionalProperties": node.additionalProperties = try subschema(value, here)
            case "required": node.required = try reader.strings()
            case "minProperties": node.minProperties = try reader.count()
            case "maxProperties": node.maxProperties = try reader.count()
            case "propertyNames": node.propertyNames = try subschema(value, here)
            case "dependentRequired":
                for (name, list) in try reader.object().sorted(by: { $0.key < $1.key }) {
                    let inner = KeywordReader(keyword: keyword, value: list, location: here.appending(name).rendered)
                    node.dependentRequired.append((name, try inner.strings()))
                }
            case "dependentSchemas":
                for (name, schema) in try reader.object().sorted(by: { $0.key < $1.key }) {
                    node.dependentSchemas.append((name, try subschema(schema, here.appending(name))))
                }
            case "dependencies":
                // Draft 4–7: an array means dependentRequired, a schema dependentSchemas.
                for (name, entry) in try reader.object().sorted(by: { $0.key < $1.key }) {
                    if case .array = entry {
                        let inner = KeywordReader(keyword: keyword, value: entry, location: here.appending(name).rendered)
                        node.dependentRequired.append((name, try inner.strings()))
                    } else {
                        node.dependentSchemas.append((name, try subschema(entry, here.appending(name))))
                    }
                }
            case "allOf", "anyOf", "oneOf":
                let list = try reader.array()
                guard !list.isEmpty else { throw reader.invalid("must list at least one schema") }
                var compiled: [NodeID] = []
                for (index, item) in list.enumerated() { compiled.append(try subschema(item, here.appending(index))) }
                switch keyword {
                case "allOf": node.allOf = compiled
                case "anyOf": node.anyOf = compiled
                default: node.oneOf = compiled
                }
            case "not": node.not = try subschema(value, here)
            case "if": node.ifSchema = try subschema(value, here)
            case "then": node.thenSchema = try subschema(value, here)
            case "else": node.elseSchema = try subschema(value, here)
            case "$ref":
                if let resource = embeddedResource {
                    // Inside an embedded resource, "#…" means that resource, not this document.
                    throw JSONSchemaError(
                        .unsupported, at: here.rendered,
                        "$ref inside a subschema with its own $id (at \(JSONPointer.display(resource))) is not supported; remove that $id")
                }
                pendingReferences.append((id, try reader.string(), here.rendered))
            case "$defs", "definitions":
                for (name, schema) in try reader.object().sorted(by: { $0.key < $1.key }) {
                    _ = try subschema(schema, here.appending(name))
                }
            case "$anchor":
                let name = try reader.string()
                if let other = anchors[name], other != id {
                    throw reader.invalid("anchor \"\(name)\" is already defined at \(JSONPointer.display(nodes[other].location))")
                }
                anchors[name] = id
            case "$dynamicRef", "$recursiveRef":
                throw JSONSchemaError(.unsupported, at: here.rendered, "\(keyword) is not supported; use a local $ref (\"#/$defs/NAME\")")
            case "unevaluatedProperties", "unevaluatedItems":
                let instead = keyword == "unevaluatedProperties" ? "additionalProperties" : "items"
                throw JSONSchemaError(
                    .unsupported, at: here.rendered,
                    "\(keyword) is not supported; use \(instead) (list every allowed property in one schema)")
            default:
                // Annotations (title, description, format, default, examples, …), $schema, $id,
                // $comment and keywords of other vocabularies do not constrain the value.
                break
            }
        }
    }

    private mutating func pattern(_ source: String, at location: String) throws(JSONSchemaError) -> ECMAPattern {
        if let compiled = patterns[source] { return compiled }
        do {
            let compiled = try ECMAPattern(source, budget: limits.patternBudget)
            patterns[source] = compiled
            return compiled
        } catch {
            throw JSONSchemaError(.invalidPattern, at: location, "\(ValueDescription.quoted(source)) is \(error.message)")
        }
    }

    // MARK: References

    /// The node a local reference names: `#` (the root), `#/json/pointer` (percent-encoded
    /// as in a URI fragment) or `#anchor`.
    private mutating func resolve(_ reference: String, at location: String) throws(JSONSchemaError) -> NodeID {
        guard reference.hasPrefix("#") else {
            throw JSONSchemaError(
                .unsupported, at: location,
                "only references inside this schema are supported (\"#\", \"#/$defs/NAME\"); \(ValueDescription.quoted(reference)) points elsewhere")
        }
        guard let fragment = String(reference.dropFirst()).removingPercentEncoding else {
            throw JSONSchemaError(.unresolvedReference, at: location, "\(ValueDescription.quoted(reference)) has a bad percent-encoding")
        }
        if !fragment.isEmpty, !fragment.hasPrefix("/") {
            guard let anchored = anchors[fragment] else {
                throw JSONSchemaError(.unresolvedReference, at: location, "no $anchor named \(ValueDescription.quoted(fragment)) in this schema")
            }
            return anchored
        }
        if let known = byLocation[fragment] { return known }
        guard let tokens = JSONPointer.tokens(fragment) else {
            throw JSONSchemaError(.unresolvedReference, at: location, "\(ValueDescription.quoted(reference)) is not a valid JSON Pointer")
        }
        var target = root
        var path = PointerPath()
        for token in tokens {
            guard let next = target.child(token) else {
                throw JSONSchemaError(.unresolvedReference, at: location, "\(ValueDescription.quoted(reference)) points to nothing in this schema")
            }
            target = next
            path = path.appending(token)
        }
        // A place no keyword above compiled (inside an unknown keyword, say): compile it now.
        return try compile(target, at: path, depth: tokens.count)
    }

    /// Refuses schemas where `$ref`s and in-place applicators (allOf, anyOf, oneOf, not,
    /// if/then/else, dependentSchemas) lead from a node back to itself: validating would apply
    /// the same schema to the same value forever. Iterative, so a long chain cannot exhaust the stack.
    private func refuseInPlaceCycles() throws(JSONSchemaError) {
        enum Mark { case unvisited, onStack, done }
        var marks = [Mark](repeating: .unvisited, count: nodes.count)
        for start in nodes.indices where marks[start] == .unvisited {
            var stack: [(node: NodeID, nextChild: Int)] = [(start, 0)]
            marks[start] = .onStack
            while let top = stack.last {
                let children = nodes[top.node].inPlaceChildren
                guard top.nextChild < children.count else {
                    marks[top.node] = .done
                    stack.removeLast()
                    continue
                }
                stack[stack.count - 1].nextChild += 1
                let child = children[top.nextChild]
                switch marks[child] {
                case .onStack:
                    let cycleStart = stack.firstIndex { $0.node == child } ?? 0
                    let route = (stack[cycleStart...].map(\.node) + [child]).map { JSONPointer.display(nodes[$0].location) }
                    throw JSONSchemaError(
                        .referenceCycle, at: nodes[top.node].location,
                        "references loop without descending into the value: \(route.joined(separator: " → "))")
                case .unvisited:
                    marks[child] = .onStack
                    stack.append((child, 0))
                case .done:
                    break
                }
            }
        }
    }
}

/// Reads one keyword's value, with errors that name the keyword and what it must be.
private struct KeywordReader {
    let keyword: String
    let value: JSONValue
    let location: String

    func invalid(_ requirement: String) -> JSONSchemaError {
        JSONSchemaError(.invalidKeyword, at: location, "\(keyword) \(requirement), got \(ValueDescription.typed(value))")
    }

    func types() throws(JSONSchemaError) -> [JSONType] {
        let names: [JSONValue]
        switch value {
        case .string: names = [value]
        case .array(let list) where !list.isEmpty: names = list
        default: throw invalid("must be a type name or a non-empty list of them")
        }
        var types: [JSONType] = []
        for name in names {
            guard case .string(let text) = name, let type = JSONType(rawValue: text) else {
                throw JSONSchemaError(
                    .invalidKeyword, at: location,
                    "type \(ValueDescription.typed(name)) is not one of \(JSONType.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard !types.contains(type) else { throw JSONSchemaError(.invalidKeyword, at: location, "type lists \(text) twice") }
            types.append(type)
        }
        return types
    }

    func array() throws(JSONSchemaError) -> [JSONValue] {
        guard case .array(let list) = value else { throw invalid("must be an array") }
        return list
    }

    func object() throws(JSONSchemaError) -> [String: JSONValue] {
        guard case .object(let members) = value else { throw invalid("must be an object") }
        return members
    }

    func string() throws(JSONSchemaError) -> String {
        guard case .string(let text) = value else { throw invalid("must be a string") }
        return text
    }

    func strings() throws(JSONSchemaError) -> [String] {
        var result: [String] = []
        for item in try array() {
            guard case .string(let text) = item else { throw invalid("must be an array of strings") }
            result.append(text)
        }
        return result
    }

    func bool() throws(JSONSchemaError) -> Bool {
        guard case .bool(let flag) = value else { throw invalid("must be true or false") }
        return flag
    }

    func number() throws(JSONSchemaError) -> JSONValue {
        guard let number = value.doubleValue, number.isFinite else { throw invalid("must be a number") }
        return value
    }

    func exclusiveBound() throws(JSONSchemaError) -> JSONValue {
        if case .bool = value {
            let bound = keyword == "exclusiveMinimum" ? "minimum" : "maximum"
            throw invalid("must be a number (the draft-4 boolean form is not supported: write \(keyword): N instead of \(bound): N with \(keyword): true)")
        }
        return try number()
    }

    func positiveNumber() throws(JSONSchemaError) -> JSONValue {
        guard let number = value.doubleValue, number.isFinite, number > 0 else { throw invalid("must be a number greater than 0") }
        return value
    }

    /// A non-negative integer; `2.0` counts, as the specification says.
    func count() throws(JSONSchemaError) -> Int {
        switch value {
        case .integer(let number) where number >= 0: return number
        case .number(let number) where number >= 0 && number.rounded(.towardZero) == number:
            guard let exact = Int(exactly: number) else { return Int.max }
            return exact
        default: throw invalid("must be a non-negative integer")
        }
    }
}
