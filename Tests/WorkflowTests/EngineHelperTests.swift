import Testing

@testable import Workflow

/// The helpers the engine will call while a run goes on.
@Suite struct EngineHelperTests {
    @Test func stdoutBecomesJSONOrText() {
        #expect(StepResult.output(fromStdout: "{\"a\": 1}\n") == ["a": 1])
        #expect(StepResult.output(fromStdout: "42\n") == 42)
        #expect(StepResult.output(fromStdout: "hello\n") == "hello")
        #expect(StepResult.output(fromStdout: "two\nlines\n\n") == "two\nlines\n")
        #expect(StepResult.output(fromStdout: "") == "")
    }

    @Test func whenFanOutOutputsAndSubWorkflows() throws {
        let result = load(
            """
            name: helpers
            inputs: {limit: {type: integer, default: 2}}
            steps:
              - id: list
                run: echo
              - id: each
                depends_on: [list]
                parallel_over: "{steps.list.output.items}"
                when: len(steps.list.output.items) <= input.limit and steps.list.output.mode != 3
                run: echo {input._item}
              - id: child
                depends_on: [list]
                sub_workflow:
                  workflow: child.yaml
                  input_mapping: {items: "{steps.list.output.items}", label: "n={input.limit}"}
                  output_mapping: {sum: total}
            outputs:
              items: "{steps.list.output.items}"
              missing: "{steps.each.output.nope}"
              text: "limit {input.limit}"
            """)
        let workflow = try #require(result.workflow)
        let context = TemplateContext(
            runID: "r", inputs: ["limit": 2],
            steps: ["list": StepResult(output: ["items": ["a", "b"], "mode": "x"])])
        let each = try #require(workflow.step("each"))
        #expect(try each.when?.evaluate(in: context) == true)
        #expect(try each.fanOut?.items(in: context) == ["a", "b"])

        let notList = TemplateContext(runID: "r", inputs: ["limit": 2], steps: ["list": StepResult(output: ["items": "a"])])
        #expect(throws: WorkflowError.self) { try each.fanOut?.items(in: notList) }
        let stringMode = TemplateContext(
            runID: "r", inputs: ["limit": "two"],
            steps: ["list": StepResult(output: ["items": ["a"]])])
        do {
            _ = try each.when?.evaluate(in: stringMode)
            Issue.record("compared a number with a string")
        } catch {
            #expect(error.code == .expressionEvaluation)
            #expect(error.diagnostics.first?.location?.line == 9)
            #expect(error.diagnostics.first?.location?.column == 43)
        }

        let outputs = try workflow.resolveOutputs(in: context)
        #expect(outputs == ["items": ["a", "b"], "missing": .null, "text": "limit 2"])

        let child = try #require(workflow.step("child")?.configuration(as: SubWorkflowConfiguration.self))
        #expect(try child.childInputs(in: context) == ["items": .value(["a", "b"]), "label": .text("n=2")])
        #expect(child.stepOutput(fromChildOutputs: ["total": 5, "other": 1]) == ["sum": 5])
    }
}
