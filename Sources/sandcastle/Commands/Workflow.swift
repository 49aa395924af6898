import ArgumentParser
import Foundation
import Workflow

/// `sandcastle validate wf.yaml [-i k=v …]`
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a workflow file without running anything.",
        discussion: """
            Prints every problem as file:line:column: error: message, with the line and a fix hint, \
            and exits 1 if there is any error. With -i, the input values are checked as a run would \
            check them (types, required inputs, enum values).
            """)

    @Argument(help: "The workflow YAML file.")
    var file: String

    @Option(name: [.customShort("i"), .customLong("input")], help: "An input value KEY=VALUE (repeatable).")
    var inputs: [String] = []

    func run() throws {
        let result = WorkflowLoader(options: try RunDriver.validationOptions()).load(path: file)
        var diagnostics = result.diagnostics
        if let workflow = result.workflow, !inputs.isEmpty {
            do {
                let provided = try InputBinder.parseAssignments(inputs)
                diagnostics += InputBinder.bind(workflow, provided: provided).diagnostics
            } catch {
                diagnostics += error.diagnostics
            }
        }
        DiagnosticPrinter().print(diagnostics)
        let errors = diagnostics.filter { $0.severity == .error }.count
        let warnings = diagnostics.filter { $0.severity == .warning }.count
        guard let workflow = result.workflow, errors == 0 else {
            Console.error(
                "\(file): \(errors) error\(errors == 1 ? "" : "s")"
                    + (warnings > 0 ? ", \(warnings) warning\(warnings == 1 ? "" : "s")" : ""))
            throw ExitCode(1)
        }
        Console.print(Self.summary(of: workflow, file: file, warnings: warnings))
    }

    static func summary(of workflow: WorkflowDefinition, file: String, warnings: Int) -> String {
        let layers = WorkflowGraph(workflow).layers().count
        func plural(_ count: Int, _ noun: String) -> String { "\(count) \(noun)\(count == 1 ? "" : "s")" }
        var lines = [
            "\(file): valid — workflow `\(workflow.name)`, \(plural(workflow.steps.count, "step")) in \(plural(layers, "layer"))"
                + (warnings > 0 ? ", \(plural(warnings, "warning"))" : "")
        ]
        if let description = workflow.description { lines.append("  \(description.trimmingCharacters(in: .whitespacesAndNewlines))") }
        for input in workflow.inputs {
            var line = "  input \(input.name): \(input.type)"
            if let value = input.defaultValue { line += " = \(value.jsonText)" } else if input.required { line += " (required: -i \(input.name)=…)" }
            lines.append(line)
        }
        let kinds = Dictionary(grouping: workflow.steps, by: \.kind.rawValue).map { "\($0.value.count) \($0.key)" }.sorted()
        lines.append("  steps: \(kinds.joined(separator: ", "))")
        if !workflow.outputs.isEmpty { lines.append("  outputs: \(workflow.outputs.map(\.name).joined(separator: ", "))") }
        return lines.joined(separator: "\n")
    }
}

/// `sandcastle dag wf.yaml [--format text|tree|dot|mermaid]`
struct DagCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dag",
        abstract: "Draw a workflow's steps and dependencies as text, a tree, Graphviz DOT or Mermaid.",
        discussion: "Pipe DOT into Graphviz: sandcastle dag wf.yaml --format dot | dot -Tsvg > wf.svg")

    @Argument(help: "The workflow YAML file.")
    var file: String

    @Option(name: .long, help: "text, tree, dot or mermaid.")
    var format = "text"

    func validate() throws {
        guard GraphRenderer.Format(rawValue: format) != nil else {
            throw ValidationError("--format must be one of \(GraphRenderer.Format.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() throws {
        let result = WorkflowLoader().load(path: file)
        guard let workflow = result.workflow, result.isValid, let format = GraphRenderer.Format(rawValue: format) else {
            DiagnosticPrinter().print(result.diagnostics)
            Console.error("\(file): fix the errors above to draw the DAG")
            throw ExitCode(1)
        }
        Console.write(Array(GraphRenderer.render(workflow, format: format).utf8))
    }
}

/// Prints diagnostics the way compilers do: the position, the message, the source line with
/// a caret under the column, and the hint.
struct DiagnosticPrinter {
    private var files: [String: [String]] = [:]

    mutating func sourceLine(_ location: SourceLocation) -> String? {
        if files[location.file] == nil {
            let text = (try? String(contentsOfFile: location.file, encoding: .utf8)) ?? ""
            files[location.file] = text.components(separatedBy: "\n")
        }
        guard let lines = files[location.file], location.line >= 1, location.line <= lines.count else { return nil }
        return lines[location.line - 1]
    }

    func print(_ diagnostics: [ValidationDiagnostic]) {
        var printer = self
        for diagnostic in diagnostics {
            let position = diagnostic.location.map { "\($0): " } ?? "\(InputBinder.commandLine): "
            Console.error("\(position)\(diagnostic.severity.rawValue): \(diagnostic.message)")
            if let location = diagnostic.location, let line = printer.sourceLine(location), !line.isEmpty {
                // Tabs stay tabs under the caret so it lines up in any terminal.
                let pad = String(line.unicodeScalars.prefix(max(location.column - 1, 0)).map { $0 == "\t" ? "\t" : " " })
                Console.error("    \(line.replacingOccurrences(of: "\r", with: ""))")
                Console.error("    \(pad)^")
            }
            if let hint = diagnostic.hint { Console.error("  hint: \(hint)") }
        }
    }
}
