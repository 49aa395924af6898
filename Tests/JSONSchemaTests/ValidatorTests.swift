import Foundation
import JSONSchema
import JSONValues
import Testing

/// Parses JSON text written in a test; fails the test when it is not JSON.
func json(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> JSONValue {
    try #require(JSONValue.parse(json: text), "not JSON: \(text)", sourceLocation: sourceLocation)
}

func validator(_ schema: String, limits: JSONSchemaValidator.Limits = .init()) throws -> JSONSchemaValidator {
    try JSONSchemaValidator(schema: try json(schema), limits: limits)
}

@Suite("JSON Schema: messages a model can act on")
struct ViolationMessageTests {
    static let order = """
        {"type": "object", "required": ["items"], "additionalProperties": false,
         "properties": {"items": {"type": "array", "items": {"$ref": "#/$defs/item"}}},
         "$defs": {"item": {"type": "object", "required": ["name", "price"],
                            "properties": {"name": {"type": "string", "minLength": 1}, "price": {"type": "number", "minimum": 0}}}}}
        """

    @Test("a wrong type names the instance location, the keyword, expected and got")
    func wrongType() throws {
        let result = try validator(Self.order).validate(
            try json(#"{"items": [{"name": "a", "price": 1}, {"name": "b", "price": 2}, {"name": "c", "price": "12"}]}"#))
        #expect(result.violations.count == 1)
        let violation = try #require(result.violations.first)
        #expect(violation.description == #"/items/2/price: expected number, got string "12""#)
        #expect(violation.instanceLocation == "/items/2/price")
        #expect(violation.keyword == "type")
        #expect(violation.schemaLocation == "/$defs/item/properties/price/type")
        #expect(result.description == violation.description)
    }

    @Test("missing, extra and out-of-range members are each reported")
    func severalViolations() throws {
        let result = try validator(Self.order).validate(try json(#"{"items": [{"name": "", "price": -1}, {}], "note": "hi"}"#))
        #expect(
            result.violations.map(\.description) == [
                #"/items/0/name: expected at least 1 character, got 0"#,
                #"/items/0/price: expected a number >= 0, got -1"#,
                #"/items/1: missing required property "name""#,
                #"/items/1: missing required property "price""#,
                #"/note: property "note" is not allowed; allowed properties: "items""#,
            ])
        #expect(try validator(Self.order).validate(try json("[]")).description == "(root): expected object, got array of 0 items")
    }

    @Test("anyOf over simple alternatives says what would do; otherwise the closest alternative")
    func alternatives() throws {
        let nullable = try validator(#"{"anyOf": [{"type": "string"}, {"type": "null"}]}"#)
        #expect(nullable.validate(5).description == "(root): expected string or null, got integer 5")
        let choice = try validator(#"{"oneOf": [{"const": "low"}, {"const": "high"}]}"#)
        #expect(choice.validate("mid").description == #"(root): expected "low" or "high", got string "mid""#)

        let shapes = try validator(
            """
            {"anyOf": [
              {"type": "object", "required": ["kind", "radius"], "properties": {"kind": {"const": "circle"}, "radius": {"type": "number"}}},
              {"type": "object", "required": ["kind", "side"], "properties": {"kind": {"const": "square"}, "side": {"type": "number"}}}]}
            """)
        let message = shapes.validate(try json(#"{"kind": "circle", "radius": "big"}"#)).description
        #expect(message.contains("closest is alternative 1: /radius: expected number, got string \"big\""), "\(message)")
        #expect(shapes.isValid(try json(#"{"kind": "square", "side": 2}"#)))

        let both = try validator(#"{"oneOf": [{"type": "integer"}, {"minimum": 0}]}"#)
        #expect(both.validate(3).description == "(root): matches alternatives 1 and 2 of oneOf, but must match exactly one")
    }

    @Test("enum, const, not, pattern, uniqueItems, dependentRequired and items: false read well")
    func otherKeywords() throws {
        #expect(try validator(#"{"enum": ["a", "b", 3]}"#).validate("c").description == #"(root): expected one of "a", "b", 3, got string "c""#)
        #expect(try validator(#"{"not": {"required": ["x"]}}"#).validate(try json(#"{"x": 1}"#)).description == #"(root): must not match {"required":["x"]}"#)
        #expect(
            try validator(#"{"pattern": "^[a-z]+$"}"#).validate("ABC").description
                == #"(root): expected a string matching the pattern /^[a-z]+$/, got "ABC""#)
        #expect(try validator(#"{"uniqueItems": true}"#).validate([1, 2, 1.0]).description == "(root): items 0 and 2 are equal; every item must be unique")
        #expect(
            try validator(#"{"dependentRequired": {"card": ["cvv"]}}"#).validate(try json(#"{"card": "4111"}"#)).description
                == #"(root): property "card" requires property "cvv", which is missing"#)
        #expect(
            try validator(#"{"prefixItems": [{"type": "string"}], "items": false}"#).validate(["a", "b"]).description
                == "(root): expected at most 1 item, got 2")
        #expect(try validator("false").validate(1).description == "(root): no value is allowed here, got integer 1")
    }

    @Test("keys with / and ~ are escaped in locations; long strings are cut in messages")
    func hostileKeysAndValues() throws {
        let schema = try validator(#"{"additionalProperties": {"type": "integer"}}"#)
        let long = String(repeating: "x", count: 10_000)
        let result = schema.validate(.object(["a/b~c": .string(long)]))
        let violation = try #require(result.violations.first)
        #expect(violation.instanceLocation == "/a~1b~0c")
        #expect(violation.message.count < 120)
        #expect(violation.message.contains("…"))
    }

    @Test("violations are capped and the cap is said")
    func capped() throws {
        let schema = try validator(#"{"items": {"type": "string"}}"#, limits: .init(maxViolations: 5))
        let result = schema.validate(.array((0..<1000).map { .integer($0) }))
        #expect(result.violations.count == 5)
        #expect(result.truncated)
        #expect(result.description.hasSuffix("(more violations not shown)"))
        #expect(result.violations.last?.instanceLocation == "/4")
    }
}

@Suite("JSON Schema: keyword semantics")
struct KeywordSemanticsTests {
    @Test("3.0 is an integer, 3.5 is not; integer and number bounds compare exactly")
    func integers() throws {
        let integer = try validator(#"{"type": "integer"}"#)
        #expect(integer.isValid(.number(3.0)))
        #expect(integer.isValid(.integer(-7)))
        #expect(!integer.isValid(.number(3.5)))
        #expect(!integer.isValid("3"))
        #expect(!integer.isValid(.number(.infinity)))
        let bounded = try validator(#"{"maximum": 9007199254740993}"#)
        #expect(!bounded.isValid(.integer(9_007_199_254_740_994)))
        #expect(bounded.isValid(.integer(9_007_199_254_740_993)))
    }

    @Test("lengths count Unicode code points, not UTF-16 units or grapheme clusters")
    func codePoints() throws {
        let one = try validator(#"{"maxLength": 1}"#)
        #expect(one.isValid("é")) // U+00E9
        #expect(!one.isValid("e\u{301}")) // e + combining acute: one grapheme, two code points
        #expect(one.isValid("😀")) // one code point, two UTF-16 units
        #expect(try validator(#"{"minLength": 2}"#).validate("😀").description == "(root): expected at least 2 characters, got 1")
    }

    @Test("multipleOf tolerates binary fractions and refuses overflow")
    func multipleOf() throws {
        #expect(try validator(#"{"multipleOf": 0.0001}"#).isValid(.number(0.0075)))
        #expect(!(try validator(#"{"multipleOf": 0.0001}"#).isValid(.number(0.00751))))
        #expect(try validator(#"{"multipleOf": 0.01}"#).isValid(.number(19.99)))
        #expect(!(try validator(#"{"multipleOf": 0.123456789}"#).isValid(.number(1e308))))
        #expect(try validator(#"{"multipleOf": 3}"#).isValid(.integer(-9)))
    }

    @Test("patterns are ECMA-262: $ is end of input, \\d is ASCII, . skips line breaks, [ and { are literals where ECMA says so")
    func patternDialect() throws {
        #expect(!(try validator(#"{"pattern": "^abc$"}"#).isValid("abc\n")))
        #expect(try validator(#"{"pattern": "^abc$"}"#).isValid("abc"))
        #expect(!(try validator(#"{"pattern": "^\\d+$"}"#).isValid("١٢٣"))) // Arabic-Indic digits
        #expect(try validator(#"{"pattern": "^\\d+$"}"#).isValid("123"))
        #expect(try validator(#"{"pattern": "^\\w+$"}"#).isValid("snake_case9"))
        #expect(!(try validator(#"{"pattern": "^\\w+$"}"#).isValid("café")))
        #expect(!(try validator(#"{"pattern": "^a.c$"}"#).isValid("a\nc")))
        #expect(try validator(#"{"pattern": "^a.c$"}"#).isValid("a\u{0B}c"))
        #expect(try validator(#"{"pattern": "^[[]$"}"#).isValid("["))
        #expect(try validator(#"{"pattern": "^a{$"}"#).isValid("a{"))
        #expect(try validator(#"{"pattern": "^a{2}$"}"#).isValid("aa"))
        #expect(try validator(#"{"pattern": "^[^]$"}"#).isValid("\n"))
        #expect(!(try validator(#"{"pattern": "[]"}"#).isValid("anything")))
        #expect(try validator(#"{"pattern": "^[\\s\\d]+$"}"#).isValid("1\u{A0}2"))
        // Unanchored patterns search, as in ECMA-262.
        #expect(try validator(#"{"pattern": "b"}"#).isValid("abc"))
    }

    @Test("a catastrophically backtracking pattern is reported within its budget, not a hang")
    func backtracking() throws {
        let schema = try validator(#"{"pattern": "^(a+)+$"}"#, limits: .init(patternBudget: .milliseconds(50)))
        let hostile = String(repeating: "a", count: 64) + "!"
        let start = ContinuousClock.now
        let result = schema.validate(.string(hostile))
        let elapsed = ContinuousClock.now - start
        #expect(result.violations.first?.keyword == "pattern")
        #expect(result.description.contains("could not be checked within"), "\(result)")
        #expect(elapsed < .seconds(2), "took \(elapsed)")
        #expect(schema.isValid("aaaa"))
    }

    @Test("local references: $defs, definitions, percent-encoded pointers, anchors and recursion through #")
    func references() throws {
        let tree = try validator(
            ##"{"type": "object", "properties": {"value": {"type": "integer"}, "children": {"type": "array", "items": {"$ref": "#"}}}}"##)
        #expect(tree.isValid(try json(#"{"value": 1, "children": [{"value": 2, "children": [{"value": 3}]}]}"#)))
        #expect(
            tree.validate(try json(#"{"children": [{"children": [{"value": "x"}]}]}"#)).description
                == #"/children/0/children/0/value: expected integer, got string "x""#)

        #expect(try validator(##"{"definitions": {"a b": {"type": "null"}}, "$ref": "#/definitions/a%20b"}"##).isValid(.null))
        #expect(try validator(##"{"$defs": {"x~y": {"type": "null"}}, "$ref": "#/$defs/x~0y"}"##).isValid(.null))
        #expect(
            try validator(##"{"$defs": {"n": {"$anchor": "num", "type": "number"}}, "items": {"$ref": "#num"}}"##).validate(["1"]).description
                == ##"/0: expected number, got string "1""##)
        // $ref with siblings: both apply (2020-12).
        let sibling = try validator(##"{"$defs": {"s": {"type": "string"}}, "$ref": "#/$defs/s", "maxLength": 2}"##)
        #expect(!sibling.isValid("abc"))
        #expect(!sibling.isValid(1))
        #expect(sibling.isValid("ab"))
    }

    @Test("annotations, format and unknown keywords (OpenAPI's nullable too) do not constrain")
    func ignored() throws {
        let schema = try validator(#"{"type": "string", "format": "email", "title": "t", "nullable": true, "x-vendor": {"type": 5}}"#)
        #expect(schema.isValid("not an email"))
        #expect(!schema.isValid(.null))
    }

    @Test("the schema's top-level property names, also behind a $ref")
    func topLevelNames() throws {
        #expect(try validator(#"{"properties": {"a": {}, "b": {}}}"#).topLevelPropertyNames == ["a", "b"])
        #expect(try validator(##"{"$defs": {"o": {"properties": {"output": {}}}}, "$ref": "#/$defs/o"}"##).topLevelPropertyNames == ["output"])
    }

    @Test("one compiled validator is shared by concurrent tasks")
    func concurrent() async throws {
        let schema = try validator(#"{"type": "array", "items": {"type": "integer", "minimum": 0}, "uniqueItems": true}"#)
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for task in 0..<16 {
                group.addTask { schema.isValid(.array((0..<2000).map { .integer($0 * (task % 2 == 0 ? 1 : -1)) })) }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 }.count == 8)
    }
}

@Suite("JSON Schema: invalid schemas are refused at compile time, naming the place")
struct SchemaCompileErrorTests {
    @Test(
        "each broken schema gives its code and location",
        arguments: [
            (#"{"type": 5}"#, "invalid_keyword", "/type"),
            (#"{"type": "text"}"#, "invalid_keyword", "/type"),
            (#"{"properties": {"a": {"minLength": -1}}}"#, "invalid_keyword", "/properties/a/minLength"),
            (#"{"required": "a"}"#, "invalid_keyword", "/required"),
            (#"{"items": 3}"#, "invalid_keyword", "/items"),
            (#"{"anyOf": []}"#, "invalid_keyword", "/anyOf"),
            (#"{"multipleOf": 0}"#, "invalid_keyword", "/multipleOf"),
            (#"{"maximum": 5, "exclusiveMaximum": true}"#, "invalid_keyword", "/exclusiveMaximum"),
            (##"{"properties": {"a": {"$ref": "#/$defs/missing"}}}"##, "unresolved_reference", "/properties/a/$ref"),
            (##"{"$ref": "#nowhere"}"##, "unresolved_reference", "/$ref"),
            (##"{"$ref": "other.json#/a"}"##, "unsupported", "/$ref"),
            (#"{"pattern": "(unclosed"}"#, "invalid_pattern", "/pattern"),
            (#"{"patternProperties": {"[a-": {}}}"#, "invalid_pattern", "/patternProperties/[a-"),
            (##"{"$ref": "#"}"##, "reference_cycle", ""),
            (
                ##"{"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"allOf": [{"$ref": "#/$defs/a"}]}}, "$ref": "#/$defs/a"}"##, "reference_cycle",
                "/$defs/b/allOf/0"
            ),
            (#"{"unevaluatedProperties": false}"#, "unsupported", "/unevaluatedProperties"),
            (##"{"$dynamicRef": "#x"}"##, "unsupported", "/$dynamicRef"),
            (##"{"$defs": {"r": {"$id": "http://x/r", "$ref": "#/a"}}}"##, "unsupported", "/$defs/r/$ref"),
            (#"5"#, "invalid_keyword", ""),
        ])
    func refused(schema: String, code: String, location: String) throws {
        let error = try #require(throws: JSONSchemaError.self) { try validator(schema) }
        #expect(error.code.rawValue == code, "\(error)")
        #expect(error.schemaLocation == location, "\(error)")
        #expect(!error.message.isEmpty)
    }

    @Test("messages say what to write instead")
    func messages() throws {
        let type = try #require(throws: JSONSchemaError.self) { try validator(#"{"type": 5}"#) }
        #expect(type.description == "schema /type: type must be a type name or a non-empty list of them, got integer 5")
        let draft4 = try #require(throws: JSONSchemaError.self) { try validator(#"{"exclusiveMinimum": true}"#) }
        #expect(draft4.message.contains("write exclusiveMinimum: N instead of minimum: N"))
        let cycle = try #require(throws: JSONSchemaError.self) { try validator(##"{"$ref": "#"}"##) }
        #expect(cycle.message.contains("(root) → (root)"))
    }
}

@Suite("JSON Schema: hostile input costs bounded work")
struct HostileInputTests {
    static func nestedArrays(_ depth: Int) -> JSONValue {
        var value = JSONValue.array([])
        for _ in 0..<depth { value = .array([value]) }
        return value
    }

    @Test("a value nested deeper than the limit is a violation, not a crash (also on a task's stack)")
    func deepInstance() async throws {
        let schema = try validator(##"{"type": "array", "items": {"$ref": "#"}}"##, limits: .init(maxDepth: 200))
        let deep = Self.nestedArrays(5000)
        let result = await Task.detached { schema.validate(deep) }.value
        #expect(result.violations.count == 1)
        #expect(result.description.contains("nested deeper than 200 levels"), "\(result)")
        #expect(schema.isValid(Self.nestedArrays(50)))
    }

    @Test("a schema nested deeper than the limit is refused")
    func deepSchema() throws {
        var schema = JSONValue.object([:])
        for _ in 0..<5000 { schema = .object(["items": schema]) }
        let error = try #require(throws: JSONSchemaError.self) { try JSONSchemaValidator(schema: schema) }
        #expect(error.code == .tooDeep)
    }

    @Test("a long chain of references compiles without exhausting the stack")
    func referenceChain() throws {
        var defs: [String: JSONValue] = [:]
        for index in 0..<20_000 { defs["d\(index)"] = .object(["$ref": .string("#/$defs/d\(index + 1)")]) }
        defs["d20000"] = .object(["type": "integer"])
        let schema = JSONValue.object(["$defs": .object(defs), "items": .object(["$ref": "#/$defs/d0"])])
        // Compiles (the cycle check is iterative); evaluating such a chain stops at the depth limit.
        let compiled = try JSONSchemaValidator(schema: schema)
        #expect(compiled.validate([1]).description.contains("nested deeper than"))
    }

    @Test("huge arrays validate in linear time, uniqueItems included")
    func hugeArray() throws {
        let schema = try validator(
            #"{"type": "array", "uniqueItems": true, "items": {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}}}"#)
        let items = JSONValue.array((0..<200_000).map { .object(["id": .integer($0)]) })
        let start = ContinuousClock.now
        #expect(schema.isValid(items))
        let elapsed = ContinuousClock.now - start
        // Generous for a shared 2-core machine in debug builds; quadratic would take minutes.
        #expect(elapsed < .seconds(20), "200,000 items took \(elapsed)")
        let bad = JSONValue.array((0..<1_000_000).map { _ in .string("x") })
        let started = ContinuousClock.now
        #expect(schema.validate(bad).truncated)
        #expect(ContinuousClock.now - started < .seconds(5))
    }
}
