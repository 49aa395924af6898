import Foundation
import JSONSchema
import JSONValues
import Testing

@Suite("Step outputs: Sandcastle's parsing rule")
struct StepOutputParserTests {
    static let person = #"{"type": "object", "required": ["name", "age"], "properties": {"name": {"type": "string"}, "age": {"type": "integer"}}}"#

    @Test(
        "without a schema: fenced or bare JSON objects and arrays become values",
        arguments: [
            ("```json\n{\"a\": 1}\n```", #"{"a":1}"#),
            ("```\n[1, 2]\n```", "[1,2]"),
            ("  \n{\"a\": [true, null]}\n\n", #"{"a":[true,null]}"#),
            ("```json\n{\"a\": 1}\n```   ", #"{"a":1}"#),
            ("```JSON\r\n{\"a\": 1}\r\n   ```", #"{"a":1}"#),
        ])
    func containers(text: String, expected: String) throws {
        #expect(StepOutputParser.parseUnstructured(text) == (try json(expected)))
        #expect(try StepOutputParser().parse(.text(text)) == (try json(expected)))
    }

    @Test(
        "without a schema: anything else stays the original text, untouched",
        arguments: ["  42  ", "hello", "\"quoted\"", "true", "```python\nprint(1)\n```", "```{}```", "{not json", "", "null"])
    func text(text: String) throws {
        #expect(StepOutputParser.parseUnstructured(text) == .string(text))
    }

    @Test("structured answers pass through; a structured string follows the text rule")
    func structured() throws {
        let parser = StepOutputParser()
        #expect(try parser.parse(.structured(.integer(3))) == .integer(3))
        #expect(try parser.parse(.structured(.string("```\n{\"a\":1}\n```"))) == (try json(#"{"a":1}"#)))
        #expect(try parser.parse(.text("")) == .string(""))
        let strict = StepOutputParser(requiresContent: true)
        #expect(throws: StepOutputError.self) { try strict.parse(.text("  \n")) }
    }

    @Test("with a schema: a valid answer is the output, from text or structured")
    func valid() throws {
        let parser = try StepOutputParser(schema: try json(Self.person))
        let expected = try json(#"{"name": "Ada", "age": 36}"#)
        #expect(try parser.parse(.text("```json\n{\"name\": \"Ada\", \"age\": 36}\n```")) == expected)
        #expect(try parser.parse(.structured(expected)) == expected)
    }

    @Test("with a schema: nothing, \"\", {} and [] are empty output, even where the schema would allow them")
    func empty() throws {
        let parser = try StepOutputParser(schema: try json(#"{"type": ["object", "array", "string", "null"]}"#))
        for answer: StepOutputParser.Answer in [.text(""), .text("   "), .text("{}"), .text("```json\n[]\n```"), .structured(.null), .structured(.object([:]))]
        {
            let error = try #require(throws: StepOutputError.self) { try parser.parse(answer) }
            #expect(error.code == .emptyOutput, "\(answer)")
            #expect(error.description.contains("empty"))
        }
    }

    @Test("wrapped answers are unwrapped: a JSON string holding the value, and {\"output\": …} when the schema has no output property")
    func unwrapping() throws {
        let parser = try StepOutputParser(schema: try json(Self.person))
        let expected = try json(#"{"name": "Ada", "age": 36}"#)
        #expect(try parser.parse(.structured(.string(#"{"name": "Ada", "age": 36}"#))) == expected)
        #expect(try parser.parse(.text(#""{\"name\": \"Ada\", \"age\": 36}""#)) == expected) // encoded twice
        #expect(try parser.parse(.structured(try json(#"{"output": {"name": "Ada", "age": 36}}"#))) == expected)
        #expect(try parser.parse(.text(#"{"output": "{\"name\": \"Ada\", \"age\": 36}"}"#)) == expected)
        // A schema that has an `output` property keeps the answer as it is.
        let own = try StepOutputParser(schema: try json(#"{"type": "object", "required": ["output"], "properties": {"output": {"type": "object"}}}"#))
        let wrapped = try json(#"{"output": {"x": 1}}"#)
        #expect(try own.parse(.structured(wrapped)) == wrapped)
        // Scalars a model sent as text reach a scalar schema.
        #expect(try StepOutputParser(schema: try json(#"{"type": "integer"}"#)).parse(.text("42")) == .integer(42))
        #expect(try StepOutputParser(schema: try json(#"{"type": "string"}"#)).parse(.text("hello")) == .string("hello"))
    }

    @Test("violations are reported against the unwrapped answer, one a line, ready for a repair prompt")
    func violations() throws {
        let parser = try StepOutputParser(schema: try json(Self.person))
        let error = try #require(throws: StepOutputError.self) {
            try parser.parse(.structured(try json(#"{"output": {"name": "Ada", "age": "36"}}"#)))
        }
        #expect(error.code == .schemaViolation)
        #expect(error.violations.map(\.instanceLocation) == ["/age"])
        #expect(
            error.description == """
                the answer does not match the output schema:
                - /age: expected integer, got string "36"
                """)
        let prose = try #require(throws: StepOutputError.self) { try parser.parse(.text("Ada is 36.")) }
        #expect(prose.description.contains(#"(root): expected object, got string "Ada is 36.""#))
    }

    @Test("text that tries to be JSON and is not is named as such")
    func brokenJSON() throws {
        let parser = try StepOutputParser(schema: try json(Self.person))
        let error = try #require(throws: StepOutputError.self) { try parser.parse(.text("```json\n{\"name\": \"Ada\", \"age\": 36\n```")) }
        #expect(error.code == .notJSON)
        #expect(error.description.contains("does not parse"), "\(error)")
    }

    @Test("hostile answers: huge text, deep nesting, control characters; nothing is lost or crashes")
    func hostile() throws {
        let huge = String(repeating: "word ", count: 2_000_000)
        #expect(StepOutputParser.parseUnstructured(huge) == .string(huge))
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(StepOutputParser.parseUnstructured(deep) == .string(deep))
        let control = "{\"a\": \"\u{0}\u{7}\"}"
        #expect(StepOutputParser.parseUnstructured(control) == .string(control))
        let parser = try StepOutputParser(schema: try json(Self.person))
        let error = try #require(throws: StepOutputError.self) { try parser.parse(.text(deep)) }
        #expect(error.code == .notJSON)
        #expect(error.description.count < 500)
    }
}
