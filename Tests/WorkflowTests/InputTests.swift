import Testing

@testable import Workflow

@Suite struct InputTests {
    func definition() throws -> WorkflowDefinition {
        let result = load(
            """
            name: inputs
            inputs:
              name: {type: string}
              count: {type: integer, default: 2}
              ratio: {type: number, default: 0.5}
              verbose: {type: boolean, default: false}
              files: {type: list, default: []}
              config: {type: object, default: {}}
              mode: {type: string, enum: [fast, slow], default: fast}
            steps:
              - id: a
                run: echo {input.name} {input.count} {input.ratio} {input.verbose} {input.files} {input.config} {input.mode}
            """)
        #expect(result.isValid, "\(lines(result))")
        return try #require(result.workflow)
    }

    @Test func bindsTextAndAppliesDefaults() throws {
        let (values, diagnostics) = InputBinder.bind(
            try definition(),
            provided: [
                "name": .text("world"), "count": .text("5"), "ratio": .text("2"), "verbose": .text("yes"),
                "files": .text("a.csv, b.csv"), "config": .text(#"{"k": [1]}"#),
            ])
        #expect(diagnostics.isEmpty)
        #expect(
            values == [
                "name": "world", "count": 5, "ratio": 2, "verbose": true, "files": ["a.csv", "b.csv"],
                "config": ["k": [1]], "mode": "fast",
            ])
        let json = InputBinder.bind(try definition(), provided: ["name": .text("x"), "files": .text(#"["x", 1]"#)])
        #expect(json.values["files"] == ["x", 1])
    }

    @Test func reportsEveryBadValue() throws {
        let (_, diagnostics) = InputBinder.bind(
            try definition(),
            provided: [
                "count": .text("many"), "ratio": .text("NaN-ish"), "verbose": .text("perhaps"), "config": .text("[1]"),
                "mode": .text("fsat"), "nmae": .text("x"), "files": .value(.integer(3)),
            ])
        let messages = diagnostics.map { "\($0.message) | \($0.hint ?? "")" }
        #expect(
            messages == [
                "the workflow has no input `nmae` | did you mean `name`?",
                "the required input `name` has no value | pass it with -i name=VALUE, or give it a default",
                "input `count` must be an integer, got `many` | for example -i count=3",
                "input `ratio` must be a number, got `NaN-ish` | for example -i ratio=1.5",
                "input `verbose` must be a boolean, got `perhaps` | for example -i verbose=true",
                "input `files` must be a list, got a integer | for example -i files=a,b",
                "input `config` must be an object, got `[1]` | for example -i config='{\"key\": 1}'",
                "input `mode` must be one of \"fast\", \"slow\", got \"fsat\" | did you mean `fast`?",
            ], "\(messages)")
        // The missing required input points at its declaration.
        #expect(diagnostics[1].location?.line == 3)
    }

    @Test func optionalInputsWithoutDefaultsAreNull() throws {
        let result = load("name: x\ninputs:\n  note: {type: string, required: false}\nsteps:\n  - {id: a, run: \"echo {input.note}\"}\n")
        let workflow = try #require(result.workflow)
        let (values, diagnostics) = InputBinder.bind(workflow, provided: [:])
        #expect(diagnostics.isEmpty)
        #expect(values == ["note": .null])
        let command = try #require(workflow.step("a")?.configuration(as: RunStepConfiguration.self)?.command)
        let rendered = try TemplateRenderer.renderCommand(command, context: TemplateContext(runID: "r", inputs: values))
        #expect(rendered.environment == ["SC_INPUT_NOTE": ""])
    }

    @Test func typedValuesAreChecked() throws {
        let (values, diagnostics) = InputBinder.bind(
            try definition(),
            provided: [
                "name": .value("n"), "count": .value(.number(4.0)), "ratio": .value(1),
            ])
        #expect(diagnostics.isEmpty)
        #expect(values["count"] == 4)
        #expect(values["ratio"] == 1)
    }

    @Test func assignments() throws {
        #expect(try InputBinder.parseAssignments(["a=1", "b=x=y", "c="]) == ["a": .text("1"), "b": .text("x=y"), "c": .text("")])
        #expect(throws: WorkflowError.self) { try InputBinder.parseAssignments(["novalue"]) }
        do {
            _ = try InputBinder.parseAssignments(["=x", "a=1", "a=2"])
        } catch {
            #expect(error.diagnostics.map(\.message) == ["`=x` is not KEY=VALUE", "input `a` is given twice"])
        }
    }

    @Test func retryDelays() {
        let exponential = RetryPolicy(
            maxAttempts: 5, backoff: .exponential, initialDelay: .seconds(1), maxDelay: .seconds(5),
            jitter: false)
        #expect((1...5).map { exponential.delay(afterAttempt: $0) } == [.seconds(1), .seconds(2), .seconds(4), .seconds(5), .seconds(5)])
        #expect(exponential.delay(afterAttempt: 10_000) == .seconds(5))
        let fixed = RetryPolicy(maxAttempts: 3, backoff: .fixed, initialDelay: .seconds(3), jitter: false)
        #expect(fixed.delay(afterAttempt: 2) == .seconds(3))
        let jittered = RetryPolicy(maxAttempts: 3, initialDelay: .seconds(4), jitter: true)
        #expect(jittered.delay(afterAttempt: 2, unitRandom: { 0.25 }) == .seconds(2))
        #expect(jittered.delay(afterAttempt: 2, unitRandom: { 7 }) == .seconds(8))
    }
}
