import JSONValues

/// A JSON Schema (draft 2020-12, local references only), compiled once and used to
/// validate many instances, with violations a model can act on.
///
/// Implemented: `type` (a name or a list; `3.0` is an integer), `enum`, `const`, `minimum`,
/// `maximum`, `exclusiveMinimum`, `exclusiveMaximum` (numbers, as in 2020-12), `multipleOf`,
/// `minLength`/`maxLength` (in code points), `pattern` (ECMA-262 on ICU, see ``ECMAPattern``),
/// `items`, `prefixItems` (and the older array form of `items` with `additionalItems`),
/// `contains`/`minContains`/`maxContains`, `minItems`, `maxItems`, `uniqueItems`,
/// `properties`, `patternProperties`, `additionalProperties`, `required`, `propertyNames`,
/// `minProperties`, `maxProperties`, `dependentRequired`, `dependentSchemas` (and the older
/// `dependencies`), `allOf`, `anyOf`, `oneOf`, `not`, `if`/`then`/`else`, `$ref` to `#`,
/// `#/json/pointer` (`$defs`, `definitions`, anywhere) or `#anchor` (`$anchor`), and the
/// schemas `true` and `false`.
///
/// Ignored, as the specification allows: annotations (`title`, `description`, `default`,
/// `examples`, `format`, …), `$schema`, `$id`, `$comment` and unknown keywords (so also
/// OpenAPI's `nullable`). Refused with an error, rather than silently not enforced:
/// `$dynamicRef`, `$recursiveRef`, `unevaluatedProperties`, `unevaluatedItems`, references
/// to other documents.
public struct JSONSchemaValidator: Sendable {
    /// Bounds on the work one schema or one instance can cause.
    public struct Limits: Sendable, Hashable {
        /// Violations kept per validation; the rest are only counted as "more".
        public var maxViolations: Int
        /// How deep a schema may nest, and how deep evaluation may go (the instance's
        /// nesting plus the references followed) before it stops with a violation.
        public var maxDepth: Int
        /// How long one `pattern` may take on one string before it is reported as too slow.
        public var patternBudget: Duration

        public init(maxViolations: Int = 50, maxDepth: Int = 256, patternBudget: Duration = .milliseconds(100)) {
            self.maxViolations = max(1, maxViolations)
            self.maxDepth = max(1, maxDepth)
            self.patternBudget = patternBudget
        }
    }

    /// The schema as given.
    public let schema: JSONValue
    public let limits: Limits
    private let nodes: [SchemaNode]

    /// Compiles `schema`; throws when it is not a usable schema, naming the place.
    public init(schema: JSONValue, limits: Limits = Limits()) throws(JSONSchemaError) {
        self.schema = schema
        self.limits = limits
        var compiler = SchemaCompiler(root: schema, limits: limits)
        nodes = try compiler.compileDocument()
    }

    /// Every way `instance` breaks the schema (up to ``Limits/maxViolations``).
    public func validate(_ instance: JSONValue) -> JSONSchemaValidationResult {
        // One more than kept, to know whether there were more.
        var evaluator = SchemaEvaluator(nodes: nodes, limits: limits, sink: ViolationSink(limit: limits.maxViolations + 1))
        _ = evaluator.evaluate(0, instance, depth: 0)
        let found = evaluator.sink.violations
        return JSONSchemaValidationResult(violations: Array(found.prefix(limits.maxViolations)), truncated: found.count > limits.maxViolations)
    }

    /// Whether `instance` is valid; stops at the first violation.
    public func isValid(_ instance: JSONValue) -> Bool {
        var evaluator = SchemaEvaluator(nodes: nodes, limits: limits, sink: ViolationSink(limit: 1))
        return evaluator.evaluate(0, instance, depth: 0)
    }

    /// The names the schema's top level declares under `properties` (also through a
    /// top-level `$ref`), for callers that need to know whether a key is the schema's own.
    public var topLevelPropertyNames: Set<String> {
        var names = Set<String>()
        var seen = Set<NodeID>()
        var pending: [NodeID] = [0]
        while let id = pending.popLast(), seen.insert(id).inserted {
            names.formUnion(nodes[id].properties.map(\.name))
            pending.append(contentsOf: nodes[id].inPlaceChildren)
        }
        return names
    }
}
