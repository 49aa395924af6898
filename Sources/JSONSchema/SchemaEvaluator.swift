import JSONValues

/// Violations collected while evaluating, up to a limit: once full, evaluation stops early,
/// so an instance with a million bad items costs no more than one with a few.
struct ViolationSink {
    /// A violation and, for the simple ones (`type`, `const`, `enum`), what was expected, so
    /// `anyOf` can say "expected string or null" instead of listing every branch.
    struct Found {
        var violation: JSONSchemaViolation
        var expectation: String?
    }

    let limit: Int
    private(set) var found: [Found] = []

    init(limit: Int) { self.limit = limit }

    var isFull: Bool { found.count >= limit }
    var violations: [JSONSchemaViolation] { found.map(\.violation) }

    mutating func add(_ violation: JSONSchemaViolation, expectation: String? = nil) {
        guard !isFull else { return }
        found.append(Found(violation: violation, expectation: expectation))
    }
}

/// Applies compiled nodes to an instance. Recursion is bounded by `maxDepth`, counting both
/// the instance's nesting and the schema's references, so hostile input gives a violation,
/// never a crashed stack.
struct SchemaEvaluator {
    let nodes: [SchemaNode]
    let limits: JSONSchemaValidator.Limits
    /// Where violations go; `anyOf`, `oneOf`, `not`, `if` and `contains` swap in a sink of their own.
    var sink: ViolationSink

    /// How many violations per alternative `anyOf`/`oneOf` keep to pick the closest one from.
    private static let branchLimit = 8

    mutating func evaluate(_ id: NodeID, _ value: JSONValue, at path: PointerPath, depth: Int) -> Bool {
        let node = nodes[id]
        guard depth <= limits.maxDepth else {
            return fail(node, path, "$ref", "nested deeper than \(limits.maxDepth) levels; validation stopped here")
        }
        if case .rejectAll = node.kind {
            sink.add(
                JSONSchemaViolation(
                    instanceLocation: path.rendered, keyword: "false", schemaLocation: node.location,
                    message: "no value is allowed here, got \(ValueDescription.typed(value))"))
            return false
        }
        var valid = true
        if let target = node.ref, !evaluate(target, value, at: path, depth: depth + 1) {
            valid = false
            if sink.isFull { return false }
        }
        if let types = node.types, !types.contains(where: { $0.admits(value) }) {
            let expected = types.map(\.rawValue).joined(separator: " or ")
            valid = fail(node, path, "type", "expected \(expected), got \(ValueDescription.typed(value))", expectation: expected)
        }
        if let constant = node.constValue, Canonical.form(value) != constant {
            let expected = ValueDescription.literal(constant)
            valid = fail(node, path, "const", "expected \(expected), got \(ValueDescription.typed(value))", expectation: expected)
        }
        if let allowed = node.enumValues, let set = node.enumSet, !set.contains(Canonical.form(value)) {
            let expected = Self.list(allowed.map(ValueDescription.literal))
            valid = fail(node, path, "enum", "expected one of \(expected), got \(ValueDescription.typed(value))", expectation: expected)
        }
        if sink.isFull { return false }

        switch value {
        case .integer, .number: valid = checkNumber(node, value, at: path) && valid
        case .string(let text): valid = checkString(node, text, at: path) && valid
        case .array(let items): valid = checkArray(node, items, at: path, depth: depth) && valid
        case .object(let members): valid = checkObject(node, members, at: path, depth: depth) && valid
        default: break
        }
        if sink.isFull { return false }
        return checkApplicators(node, value, at: path, depth: depth) && valid
    }

    /// Records a violation of `keyword` of `node`; always false, for `valid = fail(…)`.
    private mutating func fail(
        _ node: SchemaNode, _ path: PointerPath, _ keyword: String, _ message: String, expectation: String? = nil
    ) -> Bool {
        let violation = JSONSchemaViolation(
            instanceLocation: path.rendered, keyword: keyword,
            schemaLocation: node.location + "/" + JSONPointer.escape(keyword), message: message)
        sink.add(violation, expectation: expectation)
        return false
    }

    /// Evaluates with a sink of its own, leaving the caller's untouched.
    private mutating func evaluateApart(_ id: NodeID, _ value: JSONValue, at path: PointerPath, depth: Int, limit: Int) -> (Bool, ViolationSink) {
        let outer = sink
        sink = ViolationSink(limit: limit)
        let valid = evaluate(id, value, at: path, depth: depth)
        let inner = sink
        sink = outer
        return (valid, inner)
    }

    // MARK: Numbers and strings

    private mutating func checkNumber(_ node: SchemaNode, _ value: JSONValue, at path: PointerPath) -> Bool {
        var valid = true
        let got = ValueDescription.literal(value)
        if let bound = node.minimum, Self.compare(value, bound) < 0 {
            valid = fail(node, path, "minimum", "expected a number >= \(ValueDescription.literal(bound)), got \(got)")
        }
        if let bound = node.maximum, Self.compare(value, bound) > 0 {
            valid = fail(node, path, "maximum", "expected a number <= \(ValueDescription.literal(bound)), got \(got)")
        }
        if let bound = node.exclusiveMinimum, Self.compare(value, bound) <= 0 {
            valid = fail(node, path, "exclusiveMinimum", "expected a number > \(ValueDescription.literal(bound)), got \(got)")
        }
        if let bound = node.exclusiveMaximum, Self.compare(value, bound) >= 0 {
            valid = fail(node, path, "exclusiveMaximum", "expected a number < \(ValueDescription.literal(bound)), got \(got)")
        }
        if let divisor = node.multipleOf, !Self.isMultiple(value, of: divisor) {
            valid = fail(node, path, "multipleOf", "expected a multiple of \(ValueDescription.literal(divisor)), got \(got)")
        }
        return valid
    }

    private mutating func checkString(_ node: SchemaNode, _ text: String, at path: PointerPath) -> Bool {
        var valid = true
        if node.minLength != nil || node.maxLength != nil {
            // Lengths are in Unicode code points, as the specification counts them.
            let length = text.unicodeScalars.count
            if let minimum = node.minLength, length < minimum {
                valid = fail(node, path, "minLength", "expected at least \(Self.plural(minimum, "character")), got \(length)")
            }
            if let maximum = node.maxLength, length > maximum {
                valid = fail(node, path, "maxLength", "expected at most \(Self.plural(maximum, "character")), got \(length)")
            }
        }
        if let pattern = node.pattern {
            switch pattern.match(text) {
            case .match: break
            case .noMatch:
                valid = fail(
                    node, path, "pattern", "expected a string matching the pattern /\(pattern.source)/, got \(ValueDescription.quoted(text))")
            case .tooSlow:
                valid = fail(node, path, "pattern", Self.tooSlow(pattern))
            }
        }
        return valid
    }

    // MARK: Arrays

    private mutating func checkArray(_ node: SchemaNode, _ items: [JSONValue], at path: PointerPath, depth: Int) -> Bool {
        var valid = true
        if let minimum = node.minItems, items.count < minimum {
            valid = fail(node, path, "minItems", "expected at least \(Self.plural(minimum, "item")), got \(items.count)")
        }
        if let maximum = node.maxItems, items.count > maximum {
            valid = fail(node, path, "maxItems", "expected at most \(Self.plural(maximum, "item")), got \(items.count)")
        }
        for (index, item) in items.enumerated() {
            let schema: NodeID
            if index < node.prefixItems.count {
                schema = node.prefixItems[index]
            } else if let rest = node.items {
                if case .rejectAll = nodes[rest].kind {
                    // `items: false` after prefixItems: say how many are allowed, not "no value" per extra item.
                    let allowed = node.prefixItems.count
                    valid = fail(node, path, "items", "expected at most \(Self.plural(allowed, "item")), got \(items.count)")
                    break
                }
                schema = rest
            } else {
                break
            }
            if !evaluate(schema, item, at: path.appending(index), depth: depth + 1) {
                valid = false
                if sink.isFull { return false }
            }
        }
        if let contains = node.contains {
            var matches = 0
            for item in items where evaluateApart(contains, item, at: path, depth: depth + 1, limit: 1).0 {
                matches += 1
            }
            let minimum = node.minContains ?? 1
            let described = "items matching the \"contains\" schema \(ValueDescription.literal(nodes[contains].source))"
            if matches < minimum {
                valid = fail(node, path, "contains", "expected at least \(minimum) \(described), got \(matches)")
            }
            if let maximum = node.maxContains, matches > maximum {
                valid = fail(node, path, "maxContains", "expected at most \(maximum) \(described), got \(matches)")
            }
        }
        if node.uniqueItems {
            var firstIndex: [JSONValue: Int] = [:]
            for (index, item) in items.enumerated() {
                if let earlier = firstIndex.updateValue(index, forKey: Canonical.form(item)) {
                    valid = fail(node, path, "uniqueItems", "items \(earlier) and \(index) are equal; every item must be unique")
                    break
                }
            }
        }
        return valid
    }

    // MARK: Objects

    private mutating func checkObject(_ node: SchemaNode, _ members: [String: JSONValue], at path: PointerPath, depth: Int) -> Bool {
        var valid = true
        for name in node.required where members[name] == nil {
            valid = fail(node, path, "required", "missing required property \(ValueDescription.quoted(name))")
            if sink.isFull { return false }
        }
        if let minimum = node.minProperties, members.count < minimum {
            valid = fail(
                node, path, "minProperties", "expected at least \(Self.plural(minimum, "property", "properties")), got \(members.count)")
        }
        if let maximum = node.maxProperties, members.count > maximum {
            valid = fail(
                node, path, "maxProperties", "expected at most \(Self.plural(maximum, "property", "properties")), got \(members.count)")
        }
        for (name, requirements) in node.dependentRequired where members[name] != nil {
            for required in requirements where members[required] == nil {
                valid = fail(
                    node, path, "dependentRequired",
                    "property \(ValueDescription.quoted(name)) requires property \(ValueDescription.quoted(required)), which is missing")
            }
        }
        if sink.isFull { return false }

        let constrainsMembers = !node.properties.isEmpty || !node.patternProperties.isEmpty || node.additionalProperties != nil
        guard constrainsMembers || node.propertyNames != nil else { return valid }
        // Sorted so violations come in a stable order whatever the dictionary's hashing.
        for name in members.keys.sorted() {
            guard let member = members[name] else { continue }
            let memberPath = path.appending(name)
            if let namesSchema = node.propertyNames {
                let (allowed, reasons) = evaluateApart(namesSchema, .string(name), at: path, depth: depth + 1, limit: 1)
                if !allowed {
                    let reason = reasons.violations.first?.message ?? "not allowed"
                    valid = fail(node, path, "propertyNames", "property name \(ValueDescription.quoted(name)) is not allowed: \(reason)")
                }
            }
            var matched = false
            if let schema = node.properties[name] {
                matched = true
                valid = evaluate(schema, member, at: memberPath, depth: depth + 1) && valid
            }
            for (pattern, schema) in node.patternProperties {
                switch pattern.match(name) {
                case .noMatch: continue
                case .tooSlow: valid = fail(node, memberPath, "patternProperties", Self.tooSlow(pattern))
                case .match:
                    matched = true
                    valid = evaluate(schema, member, at: memberPath, depth: depth + 1) && valid
                }
            }
            if !matched, let additional = node.additionalProperties {
                if case .rejectAll = nodes[additional].kind {
                    let allowed = node.properties.keys.sorted().map(ValueDescription.quoted)
                    let hint = allowed.isEmpty ? "" : "; allowed properties: \(Self.list(allowed))"
                    valid = fail(node, memberPath, "additionalProperties", "property \(ValueDescription.quoted(name)) is not allowed\(hint)")
                } else {
                    valid = evaluate(additional, member, at: memberPath, depth: depth + 1) && valid
                }
            }
            if sink.isFull { return false }
        }
        return valid
    }

    // MARK: Applicators

    private mutating func checkApplicators(_ node: SchemaNode, _ value: JSONValue, at path: PointerPath, depth: Int) -> Bool {
        var valid = true
        if case .object(let members) = value {
            for (name, schema) in node.dependentSchemas where members[name] != nil {
                valid = evaluate(schema, value, at: path, depth: depth + 1) && valid
            }
        }
        for schema in node.allOf {
            valid = evaluate(schema, value, at: path, depth: depth + 1) && valid
            if sink.isFull { return false }
        }
        if !node.anyOf.isEmpty {
            var failures: [ViolationSink] = []
            for schema in node.anyOf {
                let (matches, branch) = evaluateApart(schema, value, at: path, depth: depth + 1, limit: Self.branchLimit)
                if matches { break }
                failures.append(branch)
            }
            if failures.count == node.anyOf.count {
                let (message, expectation) = noAlternative(failures, keyword: "anyOf", value: value, at: path)
                valid = fail(node, path, "anyOf", message, expectation: expectation)
            }
        }
        if !node.oneOf.isEmpty {
            var failures: [ViolationSink] = []
            var matching: [Int] = []
            for (index, schema) in node.oneOf.enumerated() {
                let (matches, branch) = evaluateApart(schema, value, at: path, depth: depth + 1, limit: Self.branchLimit)
                if matches {
                    matching.append(index + 1)
                    if matching.count == 2 { break }
                } else {
                    failures.append(branch)
                }
            }
            if matching.isEmpty {
                let (message, expectation) = noAlternative(failures, keyword: "oneOf", value: value, at: path)
                valid = fail(node, path, "oneOf", message, expectation: expectation)
            } else if matching.count > 1 {
                valid = fail(node, path, "oneOf", "matches alternatives \(matching[0]) and \(matching[1]) of oneOf, but must match exactly one")
            }
        }
        if let schema = node.not, evaluateApart(schema, value, at: path, depth: depth + 1, limit: 1).0 {
            valid = fail(node, path, "not", "must not match \(ValueDescription.literal(nodes[schema].source))")
        }
        if let condition = node.ifSchema {
            let holds = evaluateApart(condition, value, at: path, depth: depth + 1, limit: 1).0
            if let branch = holds ? node.thenSchema : node.elseSchema {
                valid = evaluate(branch, value, at: path, depth: depth + 1) && valid
            }
        }
        return valid
    }

    /// The message for an `anyOf`/`oneOf` no alternative matched: merged when every
    /// alternative failed the same simple way here ("expected string or null"), else the
    /// closest alternative's violations (the one that got deepest into the value).
    private func noAlternative(_ failures: [ViolationSink], keyword: String, value: JSONValue, at path: PointerPath) -> (String, String?) {
        let simple = failures.compactMap { branch -> String? in
            guard branch.found.count == 1, let only = branch.found.first, only.violation.instanceLocation == path.rendered else { return nil }
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

    /// Orders two numbers; integers exactly, anything else as doubles.
    static func compare(_ lhs: JSONValue, _ rhs: JSONValue) -> Int {
        if case .integer(let left) = lhs, case .integer(let right) = rhs { return left < right ? -1 : (left > right ? 1 : 0) }
        let left = lhs.doubleValue ?? .nan
        let right = rhs.doubleValue ?? .nan
        return left < right ? -1 : (left > right ? 1 : 0)
    }

    /// Integers exactly; otherwise the quotient must be integral, with a tolerance for binary
    /// floating point (0.0075 is a multiple of 0.0001) and never when it overflows to infinity.
    static func isMultiple(_ value: JSONValue, of divisor: JSONValue) -> Bool {
        if case .integer(let number) = value, case .integer(let step) = divisor { return number % step == 0 }
        guard let number = value.doubleValue, let step = divisor.doubleValue else { return false }
        let quotient = number / step
        guard quotient.isFinite else { return false }
        return abs(quotient - quotient.rounded()) <= 1e-9 * max(1, abs(quotient))
    }

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
