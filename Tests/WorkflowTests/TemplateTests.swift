import Testing

@testable import Workflow

@Suite struct TemplateTests {
    @Test func parsesReferencesAndLeavesShellBracesAlone() {
        let (template, issues) = Template.parse(
            "cp {input.src} ${HOME}/{a,b} {steps.fetch-data.output.items.0} {run_id} {env.TOKEN} {input._item.name} {input._index} {} { x }")
        #expect(issues.isEmpty)
        #expect(
            template.references == [
                .input(name: "src", path: []),
                .step(id: "fetch-data", field: .output, path: ["items", "0"]),
                .runID,
                .env(name: "TOKEN"),
                .fanOutItem(path: ["name"]),
                .fanOutIndex,
            ])
        #expect(template.singleReference == nil)
        #expect(Template.parse("{steps.a.output}").template.singleReference == .step(id: "a", field: .output, path: []))
        #expect(Template.parse("x{").template.references.isEmpty)
        #expect(Template.parse("{{input.x}}").template.references == [.input(name: "x", path: [])])
    }

    @Test func malformedReferencesAreIssues() {
        let cases: [(String, String, String?)] = [
            ("{input}", "`{input}` needs an input name", "write {input.NAME}"),
            ("{steps.a}", "`{steps.a}` needs a field", "write {steps.a.output} (or .status, .error, .exit_code)"),
            ("{steps.a.outputs}", "`outputs` is not a field of a step result", "did you mean `output`?"),
            ("{steps.a.status.x}", "only `output` has a path; `status` is a single value", "write {steps.a.status}"),
            ("{env.A.B}", "`{env.A.B}` names more than one variable", "write {env.NAME}; environment values are plain strings"),
            ("{inputs.x}", "unknown template root `inputs`", "did you mean `input`?"),
            (
                "{input..x}", "`{input..x}` has an empty or invalid path segment",
                "path segments are letters, digits, `_` and `-`, separated by single dots"
            ),
            ("{input._index.x}", "`{input._index}` is a number and has no fields", "write {input._index}"),
        ]
        for (text, message, hint) in cases {
            let (template, issues) = Template.parse("run " + text)
            #expect(issues.map(\.error.message) == [message], "\(text)")
            #expect(issues.first?.error.hint == hint, "\(text)")
            #expect(issues.first?.offset == 4)
            #expect(template.references.isEmpty)
            #expect(template.source == "run " + text)
        }
        // Text that merely contains braces and dots is not a reference.
        for literal in ["{data.csv}", "{r['region']}", "{a..b}", "{HOME}", "{1.2}"] {
            let (template, issues) = Template.parse(literal)
            #expect(issues.isEmpty && template.references.isEmpty, "\(literal)")
        }
    }

    static let context = TemplateContext(
        runID: "run-1",
        inputs: ["name": "world", "count": 3, "items": ["a", "b"], "config": ["depth": 2]],
        steps: [
            "fetch": StepResult(output: ["items": [["id": 7], ["id": 8]], "ok": true]),
            "text": StepResult(output: "plain text\n"),
            "skipped": StepResult(output: .null, status: .skipped),
            "broken": StepResult(output: .null, status: .failed, error: "exit 2", exitCode: 2),
        ],
        environment: ["HOME": "/home/u"])

    @Test func resolvesValuesAndPaths() throws {
        let context = Self.context
        #expect(try context.resolve(.input(name: "name", path: [])) == "world")
        #expect(try context.resolve(.input(name: "config", path: ["depth"])) == 2)
        #expect(try context.resolve(.step(id: "fetch", field: .output, path: ["items", "1", "id"])) == 8)
        #expect(try context.resolve(.step(id: "broken", field: .status, path: [])) == "failed")
        #expect(try context.resolve(.step(id: "broken", field: .error, path: [])) == "exit 2")
        #expect(try context.resolve(.step(id: "broken", field: .exitCode, path: [])) == 2)
        #expect(try context.resolve(.step(id: "fetch", field: .exitCode, path: [])) == .null)
        #expect(try context.resolve(.runID) == "run-1")
        #expect(try context.resolve(.env(name: "HOME")) == "/home/u")
        let item = context.withItem(["path": "x.csv"], index: 4)
        #expect(try item.resolve(.fanOutItem(path: ["path"])) == "x.csv")
        #expect(try item.resolve(.fanOutIndex) == 4)
    }

    @Test func resolutionErrorsSayWhatExists() {
        let context = Self.context
        let cases: [(TemplateReference, String)] = [
            (
                .step(id: "fetch", field: .output, path: ["items", "5"]),
                "`{steps.fetch.output.items.5}`: `steps.fetch.output.items` is a list of 2, with no `5`"
            ),
            (
                .step(id: "fetch", field: .output, path: ["nope"]),
                "`{steps.fetch.output.nope}`: `steps.fetch.output` is an object with keys `items`, `ok`, with no `nope`"
            ),
            (
                .step(id: "skipped", field: .output, path: ["x"]),
                "`{steps.skipped.output.x}`: `steps.skipped.output` is null, with no `x`"
            ),
            (.step(id: "later", field: .output, path: []), "`{steps.later.output}`: step `later` has not finished"),
            (.env(name: "MISSING"), "`{env.MISSING}`: the environment variable MISSING is not set"),
            (.fanOutItem(path: []), "`{input._item}` is only defined inside a `parallel_over` step"),
            (.input(name: "other", path: []), "`{input.other}`: the input `other` has no value"),
        ]
        for (reference, message) in cases {
            #expect(throws: WorkflowError.self) { try context.resolve(reference) }
            do {
                _ = try context.resolve(reference)
            } catch {
                #expect(error.message == message)
                #expect(error.code == .templateResolution)
            }
            #expect(context.resolveOrNull(reference) == .null)
        }
    }

    @Test func renderingStringsAndValues() throws {
        let context = Self.context
        let text = Template.parse("hi {input.name}, {input.count} {input.items} {steps.skipped.output}!").template
        #expect(try TemplateRenderer.renderString(text, context: context) == "hi world, 3 [\"a\",\"b\"] !")
        let whole = Template.parse("{input.items}").template
        #expect(try TemplateRenderer.resolveValue(whole, context: context) == ["a", "b"])
        let mixed = Template.parse("n={input.count}").template
        #expect(try TemplateRenderer.resolveValue(mixed, context: context) == "n=3")
        let env = try TemplateRenderer.renderEnvironment(["A": Template.parse("{steps.fetch.output.ok}").template], context: context)
        #expect(env == ["A": "true"])
    }

    @Test func jsonValues() {
        let value: JSONValue = ["b": [1, 2.5, "x\n\"q\"", .null, true], "a": ["z": "é\u{1}"]]
        #expect(value.jsonText == #"{"a":{"z":"é\u0001"},"b":[1,2.5,"x\n\"q\"",null,true]}"#)
        #expect(JSONValue.parse(json: value.jsonText) == value)
        #expect(JSONValue.parse(json: "  42 \n") == 42)
        #expect(JSONValue.parse(json: "true") == true)
        #expect(JSONValue.parse(json: "1.5") == 1.5)
        #expect(JSONValue.parse(json: "hello") == nil)
        #expect(JSONValue.parse(json: "") == nil)
        #expect(JSONValue.integer(1).looselyEquals(.number(1.0)))
        #expect(!JSONValue.string("1").looselyEquals(.integer(1)))
        #expect(JSONValue.number(.nan).jsonText == "null")
    }
}
