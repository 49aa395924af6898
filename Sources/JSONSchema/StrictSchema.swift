import JSONValues

/// OpenAI's Structured Outputs `strict: true` accepts only a subset of JSON Schema: the root
/// is an object; every object lists its `properties`, all of them `required`, with
/// `additionalProperties: false`; and only some keywords may appear. A client asks here
/// whether a step's schema can be sent with `strict: true` (tightened if needed) or must go
/// without it (and is then enforced by our own validation and repairs alone).
///
/// The keyword list is deliberately conservative: a keyword not known to be accepted makes
/// the schema incompatible, which costs only the provider-side guarantee, never a 400.
public enum StrictSchema {
    /// Keywords strict mode is known to accept, beside the structural ones checked below.
    static let acceptedKeywords: Set<String> = [
        "type", "properties", "required", "additionalProperties", "items", "enum", "const", "anyOf", "$ref", "$defs",
        "definitions", "title", "description", "$comment", "$schema", "pattern", "format", "minimum", "maximum",
        "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minItems", "maxItems",
    ]

    /// Why `schema` cannot be sent with `strict: true` as it is, one reason per place
    /// (`/properties/tags: uniqueItems is not supported in strict mode`); empty when it can.
    public static func incompatibilities(_ schema: JSONValue) -> [String] {
        var reasons: [String] = []
        check(schema, at: PointerPath(), isRoot: true, tighten: false, reasons: &reasons)
        return reasons
    }

    /// Whether `schema` can be sent with `strict: true` unchanged.
    public static func isCompatible(_ schema: JSONValue) -> Bool {
        incompatibilities(schema).isEmpty
    }

    /// `schema` with `additionalProperties: false` added to every object that leaves it out and
    /// every property made required, or nil when more than that would be needed (a keyword
    /// strict mode refuses, a free-form object, `additionalProperties` allowing more).
    ///
    /// Tightening only: every value valid against the result is valid against `schema`, so
    /// an answer produced under strict mode still passes our validation against the original.
    public static func tightened(_ schema: JSONValue) -> JSONValue? {
        var reasons: [String] = []
        let result = check(schema, at: PointerPath(), isRoot: true, tighten: true, reasons: &reasons)
        return reasons.isEmpty ? result : nil
    }

    @discardableResult
    private static func check(_ schema: JSONValue, at path: PointerPath, isRoot: Bool, tighten: Bool, reasons: inout [String]) -> JSONValue {
        let here = JSONPointer.display(path.rendered)
        guard case .object(var keywords) = schema else {
            reasons.append("\(here): boolean schemas are not supported in strict mode")
            return schema
        }
        for keyword in keywords.keys.sorted() where !acceptedKeywords.contains(keyword) {
            reasons.append("\(here): \(keyword) is not supported in strict mode")
        }
        let declaresObject: Bool
        switch keywords["type"] {
        case .string("object"): declaresObject = true
        case .array(let types): declaresObject = types.contains(.string("object"))
        default: declaresObject = keywords["properties"] != nil
        }
        if isRoot {
            if keywords["anyOf"] != nil { reasons.append("\(here): the root may not be anyOf in strict mode") }
            if !declaresObject { reasons.append("\(here): the root must be an object in strict mode") }
        }
        if declaresObject {
            checkObject(&keywords, at: path, tighten: tighten, reasons: &reasons)
        }
        for keyword in ["items", "additionalProperties"] {
            if let sub = keywords[keyword], sub != .bool(false) {
                keywords[keyword] = check(sub, at: path.appending(keyword), isRoot: false, tighten: tighten, reasons: &reasons)
            }
        }
        if case .array(let alternatives) = keywords["anyOf"] {
            keywords["anyOf"] = .array(
                alternatives.enumerated().map { index, sub in
                    check(sub, at: path.appending("anyOf").appending(index), isRoot: false, tighten: tighten, reasons: &reasons)
                })
        }
        for container in ["properties", "$defs", "definitions"] {
            guard case .object(let members) = keywords[container] else { continue }
            var checked: [String: JSONValue] = [:]
            for name in members.keys.sorted() {
                guard let sub = members[name] else { continue }
                checked[name] = check(sub, at: path.appending(container).appending(name), isRoot: false, tighten: tighten, reasons: &reasons)
            }
            keywords[container] = .object(checked)
        }
        return .object(keywords)
    }

    private static func checkObject(_ keywords: inout [String: JSONValue], at path: PointerPath, tighten: Bool, reasons: inout [String]) {
        let here = JSONPointer.display(path.rendered)
        guard case .object(let properties) = keywords["properties"], !properties.isEmpty else {
            reasons.append("\(here): an object must list its properties in strict mode (a free-form object is not supported)")
            return
        }
        switch keywords["additionalProperties"] {
        case .bool(false): break
        case nil where tighten: keywords["additionalProperties"] = .bool(false)
        case nil: reasons.append("\(here): an object needs additionalProperties: false in strict mode")
        default: reasons.append("\(here): additionalProperties must be false in strict mode")
        }
        var required: [String] = []
        if case .array(let names) = keywords["required"] {
            required = names.compactMap { if case .string(let name) = $0 { name } else { nil } }
        }
        let missing = properties.keys.sorted().filter { !required.contains($0) }
        guard !missing.isEmpty else { return }
        if tighten {
            keywords["required"] = .array((required + missing).map(JSONValue.string))
        } else {
            reasons.append("\(here): every property must be required in strict mode; not required: \(missing.joined(separator: ", "))")
        }
    }
}
