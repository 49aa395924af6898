import JSONSchema
import JSONValues
import Testing

@Suite("JSON Schema: OpenAI strict-mode compatibility")
struct StrictSchemaTests {
    static let compatible = """
        {"type": "object", "additionalProperties": false, "required": ["name", "tags"],
         "properties": {"name": {"type": "string", "pattern": "^[a-z]+$"},
                        "tags": {"type": "array", "items": {"$ref": "#/$defs/tag"}}},
         "$defs": {"tag": {"type": "object", "additionalProperties": false, "required": ["label"], "properties": {"label": {"type": ["string", "null"]}}}}}
        """

    @Test("a schema already in strict form is compatible as it is")
    func alreadyStrict() throws {
        let schema = try json(Self.compatible)
        #expect(StrictSchema.isCompatible(schema))
        #expect(StrictSchema.incompatibilities(schema).isEmpty)
        #expect(StrictSchema.tightened(schema) == schema)
    }

    @Test("missing additionalProperties and optional properties are named, and tightening fixes them everywhere")
    func tightening() throws {
        let loose = try json(
            """
            {"type": "object", "required": ["name"],
             "properties": {"name": {"type": "string"}, "age": {"type": "integer"},
                            "pets": {"type": "array", "items": {"type": "object", "properties": {"kind": {"type": "string"}}}},
                            "home": {"anyOf": [{"type": "null"}, {"type": "object", "properties": {"city": {"type": "string"}}}]}}}
            """)
        #expect(
            StrictSchema.incompatibilities(loose) == [
                "(root): an object needs additionalProperties: false in strict mode",
                "(root): every property must be required in strict mode; not required: age, home, pets",
                "/properties/home/anyOf/1: an object needs additionalProperties: false in strict mode",
                "/properties/home/anyOf/1: every property must be required in strict mode; not required: city",
                "/properties/pets/items: an object needs additionalProperties: false in strict mode",
                "/properties/pets/items: every property must be required in strict mode; not required: kind",
            ])
        let tight = try #require(StrictSchema.tightened(loose))
        #expect(StrictSchema.isCompatible(tight))
        // Tightening only: what the tightened schema accepts, the original accepts too.
        let original = try JSONSchemaValidator(schema: loose)
        let strict = try JSONSchemaValidator(schema: tight)
        let full = try json(#"{"name": "a", "age": 3, "pets": [{"kind": "cat"}], "home": {"city": "Oslo"}}"#)
        #expect(strict.isValid(full) && original.isValid(full))
        let extra = try json(#"{"name": "a", "age": 3, "pets": [{"kind": "cat", "legs": 4}], "home": null}"#)
        #expect(original.isValid(extra))
        #expect(strict.validate(extra).description == #"/pets/0/legs: property "legs" is not allowed; allowed properties: "kind""#)
        #expect(!strict.isValid(try json(#"{"name": "a"}"#)))
    }

    @Test(
        "what tightening cannot fix makes the schema incompatible",
        arguments: [
            (#"{"type": "array", "items": {"type": "string"}}"#, "(root): the root must be an object in strict mode"),
            (#"{"type": "object", "properties": {"meta": {"type": "object"}}}"#, "/properties/meta: an object must list its properties"),
            (#"{"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": true}"#, "(root): additionalProperties must be false"),
            (#"{"type": "object", "properties": {"t": {"type": "array", "uniqueItems": true}}}"#, "/properties/t: uniqueItems is not supported"),
            (#"{"type": "object", "properties": {"a": {"oneOf": [{"type": "string"}]}}}"#, "/properties/a: oneOf is not supported"),
            (#"{"anyOf": [{"type": "object", "properties": {"a": {}}}]}"#, "(root): the root may not be anyOf"),
            (#"{"type": "object", "properties": {"a": true}}"#, "/properties/a: boolean schemas are not supported"),
        ])
    func incompatible(schema: String, reason: String) throws {
        let value = try json(schema)
        #expect(StrictSchema.tightened(value) == nil)
        #expect(!StrictSchema.isCompatible(value))
        #expect(StrictSchema.incompatibilities(value).contains { $0.hasPrefix(reason) }, "\(StrictSchema.incompatibilities(value))")
    }
}
