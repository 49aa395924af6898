import Foundation
import Testing

@testable import Workflow

@Suite struct ExampleTests {
    static let examples = [
        "data-pipeline.yaml", "repo-check.yaml", "approval-gated.yaml", "lead-enrichment.yaml", "competitor-analysis.yaml",
    ]

    @Test(arguments: examples)
    func exampleIsValidWithoutWarnings(_ name: String) throws {
        let path = repositoryRoot.appendingPathComponent("examples").appendingPathComponent(name).path
        let result = WorkflowLoader().load(path: path)
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics.map(\.description))")
        let workflow = try #require(result.workflow)
        // Every input has a default, so each example runs with no -i at all.
        let (_, inputProblems) = InputBinder.bind(workflow, provided: [:])
        #expect(inputProblems.isEmpty)
        #expect(WorkflowGraph(workflow).topologicalOrder()?.count == workflow.steps.count)
    }

    @Test func dataPipelineShape() throws {
        let path = repositoryRoot.appendingPathComponent("examples/data-pipeline.yaml").path
        let workflow = try WorkflowLoader().loadValid(path: path)
        #expect(WorkflowGraph(workflow).layers() == [["generate"], ["analyze"], ["merge"]])
        #expect(workflow.step("analyze")?.fanOut?.reference == .step(id: "generate", field: .output, path: ["files"]))
        let context = TemplateContext(
            runID: "r", inputs: ["rows": 10],
            steps: ["generate": StepResult(output: ["files": ["data/north.csv"]])]
        )
        .withItem("data/north.csv", index: 0)
        let command = try #require(workflow.step("analyze")?.configuration(as: RunStepConfiguration.self)?.command)
        let rendered = try TemplateRenderer.renderCommand(command, context: context)
        #expect(rendered.command.hasPrefix("python3 - \"${SC_INPUT__ITEM}\" <<'PY'\n"))
        #expect(rendered.environment == ["SC_INPUT__ITEM": "data/north.csv"])
    }

    @Test func missingFileIsReported() {
        let result = WorkflowLoader().load(path: "/nonexistent/wf.yaml")
        #expect(!result.isValid)
        #expect(result.diagnostics.first?.message == "cannot read /nonexistent/wf.yaml: no such file")
    }
}
