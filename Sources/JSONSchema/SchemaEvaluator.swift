import JSONValues

/// Applies compiled nodes to an instance. Recursion is bounded by `maxDepth`, counting both
/// the instance's nesting and the schema's references, so hostile input gives a violation,
/// never a crashed stack.
struct SchemaEvaluator {
    let nodes: [SchemaNode]
    let limits: JSONSchemaValidator.Limits
    /// Where violations go; `anyOf`, `oneOf`, `not`, `if` and `contains` swap in a sink of their own.
    var sink: ViolationSink
    /// The instance location being evaluated, as tokens: pushed and popped around each child,
    /// and rendered as a JSON Pointer only when a violation is recorded.
    private var location: [PathToken] = []

    enum PathToken {
        case key(String)
        case index(Int)
    }

    init(nodes: [SchemaNode], limits: JSONSchemaValidator.Limits, sink: ViolationSink) {
        self.nodes = nodes
        self.limits = limits
        self.sink = sink
    }

    private var renderedLocation: String {
        var text = ""
        for token in location {
            switch token {
            case .key(let key): text += "/" + JSONPointer.escape(key)
            case .index(let index): text += "/" + String(index)
            }
        }
        return text
    }

    /// How many violations per alternative `anyOf`/`oneOf` keep to pick the closest one from.
    private static let branchLimit = 8

    mutating func evaluate(_ id: NodeID, _ value: JSONValue, depth: Int) -> Bool {
        let node = nodes[id]
        guard depth <= limits.maxDepth else {
            sink.add(
                JSONSchemaViolation(
                    instanceLocation: renderedLocation, keyword: "maxDepth", schemaLocation: node.location,
                    message: "nested deeper than \(limits.maxDepth) levels; validation stopped here"))
            return false
        }
        if case .rejectAll = node.kind {
            sink.add(
                JSONSchemaViolation(
                    instanceLocation: renderedLocation, keyword: "false", schemaLocation: node.location,
                    message: "no value is allowed here, got \(ValueDescription.typed(value))"))
            return false
        }
        var valid = true
        if let target = node.ref, !evaluate(target, value, depth: depth + 1) {
            valid = false
            if sink.isFull { return false }
        }
        if let types = node.types, !types.contains(where: { $0.admits(value) }) {
            let expected = types.map(\.rawValue).joined(separator: " or ")
            valid = fail(node, "type", "expected \(expected), got \(ValueDescription.typed(value))", expectation: expected)
        }
        if let constant = node.constValue, !constant.looselyEquals(value) {
            let expected = ValueDescription.literal(constant)
            valid = fail(node, "const", "expected \(expected), got \(ValueDescription.typed(value))", expectation: expected)
        }
        if let allowed = node.enumValues, let set = node.enumSet, !set.contains(CanonicalJSON(value)) {
            let expected = Self.list(allowed.map(ValueDescription.literal))
            valid = fail(node, "enum", "expected one of \(expected), got \(ValueDescription.typed(value))", expectation: expected)
        }
        if sink.isFull { return false }

        switch value {
        case .integer, .number: valid = checkNumber(node, value) && valid
        case .string(let text): valid = checkString(node, text) && valid
        case .array(let items): valid = checkArray(node, items, depth: depth) && valid
        case .object(let members): valid = checkObject(node, members, depth: depth) && valid
        default: break
        }
        if sink.isFull { return false }
        return checkApplicators(node, value, depth: depth) && valid
    }

    /// Records a violation of `keyword` of `node`; always false, for `valid = fail(…)`.
    private mutating func fail(
        _ node: SchemaNode, _ keyword: String, _ message: String, expectation: String? = nil
    ) -> Bool {
        let violation = JSONSchemaViolation(
            instanceLocation: renderedLocation, keyword: keyword,
            schemaLocation: node.location + "/" + JSONPointer.escape(keyword), message: message)
        sink.add(violation, expectation: expectation)
        return false
    }

    /// Evaluates with a sink of its own, leaving the caller's untouched.
    private mutating func evaluateApart(_ id: NodeID, _ value: JSONValue, depth: Int, limit: Int) -> (Bool, ViolationSink) {
        let outer = sink
        sink = ViolationSink(limit: limit)
        let valid = evaluate(id, value, depth: depth)
        let inner = sink
        sink = outer
        return (valid, inner)
    }

    // MARK: Numbers and strings

    private mutating func checkNumber(_ node: SchemaNode, _ value: JSONValue) -> Bool {
        var valid = true
        let got = ValueDescription.literal(value)
        if let bound = node.minimum, NumericKeywords.compare(value, bound) < 0 {
            valid = fail(node, "minimum", "expected a number >= \(ValueDescription.literal(bound)), got \(got)")
        }
        if let bound = node.maximum, NumericKeywords.compare(value, bound) > 0 {
            valid = fail(node, "maximum", "expected a number <= \(ValueDescription.literal(bound)), got \(got)")
        }
        if let bound = node.exclusiveMinimum, NumericKeywords.compare(value, bound) <= 0 {
            valid = fail(node, "exclusiveMinimum", "expected a number > \(ValueDescription.literal(bound)), got \(got)")
        }
        if let bound = node.exclusiveMaximum, NumericKeywords.compare(value, bound) >= 0 {
            valid = fail(node, "exclusiveMaximum", "expected a number < \(ValueDescription.literal(bound)), got \(got)")
        }
        if let divisor = node.multipleOf, !NumericKeywords.isMultiple(value, of: divisor) {
            valid = fail(node, "multipleOf", "expected a multiple of \(ValueDescription.literal(divisor)), got \(got)")
        }
        return valid
    }

    private mutating func checkString(_ node: SchemaNode, _ text: String) -> Bool {
        var valid = true
        if node.minLength != nil || node.maxLength != nil {
            // Lengths are in Unicode code points, as the specification counts them.
            let length = text.unicodeScalars.count
            if let minimum = node.minLength, length < minimum {
                valid = fail(node, "minLength", "expected at least \(Self.plural(minimum, "character")), got \(length)")
            }
            if let maximum = node.maxLength, length > maximum {
                valid = fail(node, "maxLength", "expected at most \(Self.plural(maximum, "character")), got \(length)")
            }
        }
        if let pattern = node.pattern {
            switch pattern.match(text) {
            case .match: break
            case .noMatch:
                valid = fail(
                    node, "pattern", "expected a string matching the pattern /\(pattern.source)/, got \(ValueDescription.quoted(text))")
            case .tooSlow:
                valid = fail(node, "pattern", Self.tooSlow(pattern))
            }
        }
        return valid
    }

    // MARK: Arrays

    private mutating func checkArray(_ node: SchemaNode, _ items: [JSONValue], depth: Int) -> Bool {
        var valid = true
        if let minimum = node.minItems, items.count < minimum {
            valid = fail(node, "minItems", "expected at least \(Self.plural(minimum, "item")), got \(items.count)")
        }
        if let maximum = node.maxItems, items.count > maximum {
            valid = fail(node, "maxItems", "expected at most \(Self.plural(maximum, "item")), got \(items.count)")
        }
        for (index, item) in items.enumerated() {
            let schema: NodeID
            if index < node.prefixItems.count {
                schema = node.prefixItems[index]
            } else if let rest = node.items {
                if case .rejectAll = nodes[rest].kind {
                    // `items: false` after prefixItems: say how many are allowed, not "no value" per extra item.
                    let allowed = node.prefixItems.count
                    valid = fail(node, "items", "expected at most \(Self.plural(allowed, "item")), got \(items.count)")
                    break
                }
                schema = rest
            } else {
                break
            }
            location.append(.index(index))
            let itemValid = evaluate(schema, item, depth: depth + 1)
            location.removeLast()
            if !itemValid {
                valid = false
                if sink.isFull { return false }
            }
        }
        if let contains = node.contains {
            var matches = 0
            for item in items where evaluateApart(contains, item, depth: depth + 1, limit: 1).0 {
                matches += 1
            }
            let minimum = node.minContains ?? 1
            let described = "items matching the \"contains\" schema \(ValueDescription.literal(nodes[contains].source))"
            if matches < minimum {
                valid = fail(node, "contains", "expected at least \(minimum) \(described), got \(matches)")
            }
            if let maximum = node.maxContains, matches > maximum {
                valid = fail(node, "maxContains", "expected at most \(maximum) \(described), got \(matches)")
            }
        }
        if node.uniqueItems {
            var firstIndex: [CanonicalJSON: Int] = [:]
            firstIndex.reserveCapacity(items.count)
            for (index, item) in items.enumerated() {
                if let earlier = firstIndex.updateValue(index, forKey: CanonicalJSON(item)) {
                    valid = fail(node, "uniqueItems", "items \(earlier) and \(index) are equal; every item must be unique")
                    break
                }
            }
        }
        return valid
    }

    // MARK: Objects

    private mutating func checkObject(_ node: SchemaNode, _ members: [String: JSONValue], depth: Int) -> Bool {
        var valid = true
        for name in node.required where members[name] == nil {
            valid = fail(node, "required", "missing required property \(ValueDescription.quoted(name))")
            if sink.isFull { return false }
        }
        if let minimum = node.minProperties, members.count < minimum {
            valid = fail(
                node, "minProperties", "expected at least \(Self.plural(minimum, "property", "properties")), got \(members.count)")
        }
        if let maximum = node.maxProperties, members.count > maximum {
            valid = fail(
                node, "maxProperties", "expected at most \(Self.plural(maximum, "property", "properties")), got \(members.count)")
        }
        for (name, requirements) in node.dependentRequired where members[name] != nil {
            for required in requirements where members[required] == nil {
                valid = fail(
                    node, "dependentRequired",
                    "property \(ValueDescription.quoted(name)) requires property \(ValueDescription.quoted(required)), which is missing")
            }
        }
        if sink.isFull { return false }

        if let namesSchema = node.propertyNames {
            for name in members.keys.sorted() {
                let (allowed, reasons) = evaluateApart(namesSchema, .string(name), depth: depth + 1, limit: 1)
                if !allowed {
                    let reason = reasons.violations.first?.message ?? "not allowed"
                    valid = fail(node, "propertyNames", "property name \(ValueDescription.quoted(name)) is not allowed: \(reason)")
                    if sink.isFull { return false }
                }
            }
        }
        // Declared properties in the schema's (sorted) order, then the others sorted: a stable
        // order for violations without sorting every object's keys.
        for (name, schema) in node.properties {
            guard let member = members[name] else { continue }
            location.append(.key(name))
            valid = evaluate(schema, member, depth: depth + 1) && valid
            location.removeLast()
            if sink.isFull { return false }
        }
        guard !node.patternProperties.isEmpty || node.additionalProperties != nil else { return valid }
        let undeclared = members.keys.filter { node.propertyIndex[$0] == nil }
        let checked = node.patternProperties.isEmpty ? undeclared : Array(members.keys)
        for name in checked.sorted() {
            guard let member = members[name] else { continue }
            location.append(.key(name))
            defer { location.removeLast() }
            var matched = node.propertyIndex[name] != nil
            for (pattern, schema) in node.patternProperties {
                switch pattern.match(name) {
                case .noMatch: continue
                case .tooSlow: valid = fail(node, "patternProperties", Self.tooSlow(pattern))
                case .match:
                    matched = true
                    valid = evaluate(schema, member, depth: depth + 1) && valid
                }
            }
            if !matched, let additional = node.additionalProperties {
                if case .rejectAll = nodes[additional].kind {
                    let allowed = node.properties.map { ValueDescription.quoted($0.name) }
                    let hint = allowed.isEmpty ? "" : "; allowed properties: \(Self.list(allowed))"
                    valid = fail(node, "additionalProperties", "property \(ValueDescription.quoted(name)) is not allowed\(hint)")
                } else {
                    valid = evaluate(additional, member, depth: depth + 1) && valid
                }
            }
            if sink.isFull { return false }
        }
        return valid
    }

    // MARK: Applicators

    private mutating func checkApplicators(_ node: SchemaNode, _ value: JSONValue, depth: Int) -> Bool {
        var valid = true
        if case .object(let members) = value {
            for (name, schema) in node.dependentSchemas where members[name] != nil {
                valid = evaluate(schema, value, depth: depth + 1) && valid
            }
        }
        for schema in node.allOf {
            valid = evaluate(schema, value, depth: depth + 1) && valid
            if sink.isFull { return false }
        }
        if !node.anyOf.isEmpty {
            var failures: [ViolationSink] = []
            for schema in node.anyOf {
                let (matches, branch) = evaluateApart(schema, value, depth: depth + 1, limit: Self.branchLimit)
                if matches { break }
                failures.append(branch)
            }
            if failures.count == node.anyOf.count {
                let (message, expectation) = noAlternative(failures, keyword: "anyOf", value: value)
                valid = fail(node, "anyOf", message, expectation: expectation)
            }
        }
        if !node.oneOf.isEmpty {
            var failures: [ViolationSink] = []
            var matching: [Int] = []
            for (index, schema) in node.oneOf.enumerated() {
                let (matches, branch) = evaluateApart(schema, value, depth: depth + 1, limit: Self.branchLimit)
                if matches {
                    matching.append(index + 1)
                    if matching.count == 2 { break }
                } else {
                    failures.append(branch)
                }
            }
            if matching.isEmpty {
                let (message, expectation) = noAlternative(failures, keyword: "oneOf", value: value)
                valid = fail(node, "oneOf", message, expectation: expectation)
            } else if matching.count > 1 {
                valid = fail(node, "oneOf", "matches alternatives \(matching[0]) and \(matching[1]) of oneOf, but must match exactly one")
            }
        }
        if let schema = node.not, evaluateApart(schema, value, depth: depth + 1, limit: 1).0 {
            valid = fail(node, "not", "must not match \(ValueDescription.literal(nodes[schema].source))")
        }
        if let condition = node.ifSchema {
            let holds = evaluateApart(condition, value, depth: depth + 1, limit: 1).0
            if let branch = holds ? node.thenSchema : node.elseSchema {
                valid = evaluate(branch, value, depth: depth + 1) && valid
            }
        }
        return valid
    }

    /// The message for an `anyOf`/`oneOf` no alternative matched: merged when every
    /// alternative failed the same simple way here ("expected string or null"), else the
    /// closest alternative's violations (the one that got deepest into the value).
    private func noAlternative(_ failures: [ViolationSink], keyword: String, value: JSONValue) -> (String, String?) {
        let here = renderedLocation
        let simple = failures.compactMap { branch -> String? in
            guard branch.found.count == 1, let only = branch.found.first, only.violation.instanceLocation == here else { return nil }
            return only.expectation
        }
        if simple.count == failures.count {
            let expected = simple.joined(separator: " or ")
            return ("expected \(expected), got \(ValueDescription.typed(value))", expected)
        }
        func reach(_ branch: ViolationSink) -> (Int, Int) {
            let deepest = branch.violations.map { $0.instanceLocation.count(where: { $0 == "/" }) }.max() ?? 0
            return (deepest, -branch.found.count)
        }
        var closest = 0
        for index in failures.indices where reach(failures[index]) > reach(failures[closest]) { closest = index }
        let reasons = failures[closest].violations.map(\.description).joined(separator: "; ")
        return ("matches none of the \(failures.count) alternatives of \(keyword); closest is alternative \(closest + 1): \(reasons)", nil)
    }

    // MARK: Helpers

    private static func tooSlow(_ pattern: ECMAPattern) -> String {
        "the pattern /\(pattern.source)/ could not be checked within \(pattern.budget) on this string (it backtracks too much); "
            + "send a shorter or simpler string"
    }

    private static func plural(_ count: Int, _ singular: String, _ plural: String? = nil) -> String {
        count == 1 ? "1 \(singular)" : "\(count) \(plural ?? singular + "s")"
    }

    /// `"a", "b", "c"`, cut after ten entries.
    private static func list(_ entries: [String]) -> String {
        entries.count <= 10 ? entries.joined(separator: ", ") : entries.prefix(10).joined(separator: ", ") + ", … (\(entries.count) in all)"
    }
}
