import Foundation
import Testing

@testable import Workflow

/// Parses and validates YAML text as if read from `wf.yaml`.
func load(_ yaml: String, file: String = "wf.yaml", options: ValidationOptions = ValidationOptions()) -> WorkflowLoadResult {
    WorkflowLoader(options: options).load(text: yaml, file: file)
}

/// The diagnostics of a workflow, rendered the way the CLI prints their first line.
func lines(_ result: WorkflowLoadResult) -> [String] {
    result.diagnostics.map { $0.description.split(separator: "\n").first.map(String.init) ?? "" }
}

/// The one diagnostic with `code`, failing the test when there is not exactly one.
func only(
    _ code: ValidationDiagnostic.Code, in result: WorkflowLoadResult,
    sourceLocation: Testing.SourceLocation = #_sourceLocation
) -> ValidationDiagnostic? {
    let matching = result.diagnostics.filter { $0.code == code }
    #expect(matching.count == 1, "expected one \(code), got: \(lines(result))", sourceLocation: sourceLocation)
    return matching.first
}

/// Asserts a diagnostic's position.
func expectAt(
    _ diagnostic: ValidationDiagnostic?, _ line: Int, _ column: Int,
    sourceLocation: Testing.SourceLocation = #_sourceLocation
) {
    #expect(diagnostic?.location?.line == line, "line of \(String(describing: diagnostic))", sourceLocation: sourceLocation)
    #expect(diagnostic?.location?.column == column, "column of \(String(describing: diagnostic))", sourceLocation: sourceLocation)
}

/// The repository's root, found from this file's path.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// A minimal valid workflow around the given steps YAML (indented as list items under `steps:`).
func workflow(steps: String, extra: String = "") -> String {
    "name: test\n\(extra)steps:\n\(steps)"
}
