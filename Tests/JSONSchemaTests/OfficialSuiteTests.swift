import Foundation
import JSONSchema
import JSONValues
import Testing

/// The official JSON-Schema-Test-Suite's draft 2020-12 files for the keywords we implement.
@Suite("JSON Schema: the official test suite")
struct OfficialSuiteTests {
    struct Case: Decodable {
        struct Test: Decodable {
            var description: String
            var data: JSONValue
            var valid: Bool
        }
        var description: String
        var schema: JSONValue
        var tests: [Test]
    }

    static let files = [
        "additionalProperties", "allOf", "anyOf", "boolean_schema", "const", "contains", "default", "dependentRequired",
        "dependentSchemas", "enum", "exclusiveMaximum", "exclusiveMinimum", "format", "if-then-else", "infinite-loop-detection",
        "items", "maxContains", "maxItems", "maxLength", "maxProperties", "maximum", "minContains", "minItems", "minLength",
        "minProperties", "minimum", "multipleOf", "not", "oneOf", "pattern", "patternProperties", "prefixItems", "properties",
        "propertyNames", "ref", "required", "type", "uniqueItems",
    ]

    /// Cases outside what we implement, by file and description, with the reason. A schema
    /// here must be refused at compile time (we never validate what we cannot honour).
    static let outOfScope: [String: [String: String]] = [
        "not": ["collect annotations inside a 'not', even if collection is disabled": "unevaluatedProperties"],
        "ref": [
            "remote ref, containing refs itself": "a remote $ref (the 2020-12 metaschema)",
            "Recursive references between schemas": "$ref resolved against an embedded $id",
            "ref creates new scope when adjacent to keywords": "unevaluatedProperties",
            "refs with relative uris and defs": "$ref resolved against an embedded $id",
            "relative refs with absolute uris and defs": "$ref resolved against an embedded $id",
            "$id must be resolved against nearest parent, not just immediate parent": "$ref resolved against an embedded $id",
            "order of evaluation: $id and $ref": "$ref resolved against $id",
            "order of evaluation: $id and $anchor and $ref": "anchors scoped by embedded $id",
            "simple URN base URI with $ref via the URN": "$ref by URN",
            "URN base URI with URN and JSON pointer ref": "$ref by URN",
            "URN base URI with URN and anchor ref": "$ref by URN",
            "URN ref with nested pointer ref": "$ref by URN",
            "ref to if": "$ref by absolute URI",
            "ref to then": "$ref by absolute URI",
            "ref to else": "$ref by absolute URI",
            "ref with absolute-path-reference": "$ref by URI path",
        ],
    ]

    static func load(_ file: String) throws -> [Case] {
        let url = try #require(
            Bundle.module.url(forResource: file, withExtension: "json", subdirectory: "JSON-Schema-Test-Suite/draft2020-12"),
            "missing suite file \(file).json")
        return try JSONDecoder().decode([Case].self, from: Data(contentsOf: url))
    }

    @Test("every case of the file passes", arguments: files)
    func file(_ file: String) throws {
        let cases = try Self.load(file)
        #expect(!cases.isEmpty)
        let excluded = Self.outOfScope[file] ?? [:]
        for name in excluded.keys {
            #expect(cases.contains { $0.description == name }, "\(file): excluded case \"\(name)\" no longer exists")
        }
        var checked = 0
        for suiteCase in cases {
            if excluded[suiteCase.description] != nil {
                #expect(throws: JSONSchemaError.self, "\(file): \"\(suiteCase.description)\" must be refused, not half-honoured") {
                    try JSONSchemaValidator(schema: suiteCase.schema)
                }
                continue
            }
            let validator: JSONSchemaValidator
            do {
                validator = try JSONSchemaValidator(schema: suiteCase.schema)
            } catch {
                Issue.record("\(file): \"\(suiteCase.description)\": the schema does not compile: \(error)")
                continue
            }
            for test in suiteCase.tests {
                let result = validator.validate(test.data)
                #expect(
                    result.isValid == test.valid,
                    "\(file): \"\(suiteCase.description)\" / \"\(test.description)\": expected \(test.valid ? "valid" : "invalid"), got \(result)")
                #expect(validator.isValid(test.data) == result.isValid, "isValid and validate disagree")
                if !test.valid { #expect(!result.violations.isEmpty) }
                checked += 1
            }
        }
        #expect(checked > 0)
    }
}
