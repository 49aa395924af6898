import Foundation
import Suggestions

/// The outcome of reading a workflow: the definition (when the text was usable at all) and
/// every diagnostic, sorted by position.
public struct WorkflowLoadResult: Sendable {
    public var workflow: WorkflowDefinition?
    public var diagnostics: [ValidationDiagnostic]

    public var errors: [ValidationDiagnostic] { diagnostics.filter { $0.severity == .error } }
    public var warnings: [ValidationDiagnostic] { diagnostics.filter { $0.severity == .warning } }
    /// True when there is a definition and no error.
    public var isValid: Bool { workflow != nil && errors.isEmpty }
}

/// Reads, parses and validates workflows — the one entry point the CLI and the engine use.
public struct WorkflowLoader: Sendable {
    /// The path of a sub-workflow file named `child` in the workflow at `parent` (relative to its folder).
    public static func subWorkflowPath(_ child: String, relativeTo parent: String) -> String {
        SubWorkflowLoader.resolve(child, relativeTo: parent)
    }

    public var options: ValidationOptions

    public init(options: ValidationOptions = ValidationOptions()) {
        self.options = options
    }

    /// Parses and validates `text`. Sub-workflow files are looked up relative to `file`.
    public func load(text: String, file: String) -> WorkflowLoadResult {
        let loader = SubWorkflowLoader(options: options)
        return loader.loadRoot(text: text, file: file)
    }

    /// Reads the file at `path`, then parses and validates it and the sub-workflows it names.
    public func load(path: String) -> WorkflowLoadResult {
        do {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            return load(text: text, file: path)
        } catch {
            return WorkflowLoadResult(
                workflow: nil,
                diagnostics: [
                    .error(
                        .yamlSyntax, at: nil, "cannot read \(path): \(Self.reason(error))",
                        hint: FileManager.default.fileExists(atPath: path) ? "save it as UTF-8 text" : "check the path")
                ])
        }
    }

    /// Like ``load(path:)``, but returns only a valid workflow and throws otherwise.
    public func loadValid(path: String) throws(WorkflowError) -> WorkflowDefinition {
        let result = load(path: path)
        guard let workflow = result.workflow, result.isValid else {
            let count = result.errors.count
            throw WorkflowError(
                .invalidWorkflow, "\(path) has \(count) error\(count == 1 ? "" : "s")",
                diagnostics: result.diagnostics)
        }
        return workflow
    }

    static func reason(_ error: any Error) -> String {
        let nsError = error as NSError
        if nsError.domain == NSCocoaErrorDomain, nsError.code == NSFileReadNoSuchFileError { return "no such file" }
        if nsError.domain == NSCocoaErrorDomain, nsError.code == NSFileReadInapplicableStringEncodingError {
            return "it is not UTF-8 text"
        }
        return nsError.localizedDescription
    }
}

/// Loads sub-workflow files while validating, detecting recursion and enforcing the depth
/// limit, and reporting each file's own problems once.
final class SubWorkflowLoader {
    let options: ValidationOptions
    /// Files being validated, outermost first (standardized paths).
    private var stack: [String] = []
    private var cache: [String: WorkflowDefinition?] = [:]
    private var collected = DiagnosticList()

    init(options: ValidationOptions) {
        self.options = options
    }

    func loadRoot(text: String, file: String) -> WorkflowLoadResult {
        let workflow = parseAndValidate(text: text, file: file)
        return WorkflowLoadResult(workflow: workflow, diagnostics: ValidationDiagnostic.sorted(collected.all))
    }

    private func parseAndValidate(text: String, file: String) -> WorkflowDefinition? {
        let parser = WorkflowParser(registry: options.registry)
        let (workflow, parseDiagnostics) = parser.parse(text, file: file)
        collected.append(contentsOf: parseDiagnostics)
        guard let workflow else { return nil }
        stack.append(Self.key(file))
        defer { stack.removeLast() }
        let validator = WorkflowValidator(options: options)
        collected.append(contentsOf: validator.validate(workflow, subWorkflows: self))
        return workflow
    }

    static func key(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }

    /// The path of `child` as named from a workflow at `parent`, as a person would type it.
    static func resolve(_ child: String, relativeTo parent: String) -> String {
        if child.hasPrefix("/") { return child }
        let directory = (parent as NSString).deletingLastPathComponent
        let joined = directory.isEmpty ? child : (directory as NSString).appendingPathComponent(child)
        return (joined as NSString).standardizingPath
    }

    func check(
        _ config: SubWorkflowConfiguration, of step: StepDefinition, parent: WorkflowDefinition,
        diagnostics: inout DiagnosticList
    ) {
        let location = config.workflow.location
        let path = Self.resolve(config.workflow.value, relativeTo: parent.file)
        let key = Self.key(path)
        if let start = stack.firstIndex(of: key) {
            let chain = (stack[start...] + [key]).map { ($0 as NSString).lastPathComponent }
            diagnostics.error(
                .subWorkflow, at: location, "sub-workflows recurse: \(chain.joined(separator: " → "))",
                hint: "a workflow cannot run itself, directly or through others")
            return
        }
        guard stack.count < SubWorkflowConfiguration.maximumDepth else {
            diagnostics.error(
                .subWorkflow, at: location,
                "sub-workflows nest deeper than \(SubWorkflowConfiguration.maximumDepth) levels",
                hint: "flatten some of them into steps")
            return
        }
        let child: WorkflowDefinition?
        if let cached = cache[key] {
            child = cached
        } else {
            let text: String
            do {
                text = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                diagnostics.error(
                    .subWorkflow, at: location, "cannot read sub-workflow \(path): \(WorkflowLoader.reason(error))",
                    hint: "the path is relative to \(parent.file)")
                cache[key] = .some(nil)
                return
            }
            let before = collected.errors.count
            child = parseAndValidate(text: text, file: path)
            cache[key] = .some(child)
            let childErrors = collected.errors.count - before
            if childErrors > 0 {
                diagnostics.error(
                    .subWorkflow, at: location,
                    "sub-workflow \(path) has \(childErrors) error\(childErrors == 1 ? "" : "s") (listed with its path)")
            }
        }
        guard let child else { return }
        checkMapping(config, child: child, childPath: path, step: step, diagnostics: &diagnostics)
    }

    private func checkMapping(
        _ config: SubWorkflowConfiguration, child: WorkflowDefinition, childPath: String,
        step: StepDefinition, diagnostics: inout DiagnosticList
    ) {
        let childInputs = child.inputs.map(\.name)
        var mapped: Set<String> = []
        for entry in config.inputMapping {
            mapped.insert(entry.name)
            guard let input = child.input(entry.name) else {
                diagnostics.error(
                    .subWorkflow, at: entry.location, "\(childPath) has no input `\(entry.name)`",
                    hint: EditDistance.suggestion(for: entry.name, among: childInputs)
                        ?? (childInputs.isEmpty ? "it declares no inputs" : "its inputs: \(childInputs.joined(separator: ", "))"))
                continue
            }
            // A literal can be checked now; a reference only when the run has its value.
            if entry.value.references.isEmpty, InputBinder.coerce(entry.value.source, to: input.type) == nil {
                diagnostics.error(
                    .subWorkflow, at: entry.value.location ?? entry.location,
                    "input `\(entry.name)` of \(childPath) must be \(WorkflowParser.article(input.type)), found `\(entry.value.source)`")
            }
        }
        for input in child.inputs where input.required && input.defaultValue == nil && !mapped.contains(input.name) {
            diagnostics.error(
                .subWorkflow, at: step.fieldLocations["sub_workflow"] ?? step.location,
                "\(childPath) requires input `\(input.name)`, which input_mapping does not give",
                hint: "add input_mapping: {\(input.name): \"{input.…}\"}")
        }
        let childOutputs = child.outputs.map(\.name)
        for entry in config.outputMapping where !childOutputs.contains(entry.childOutput.value) {
            diagnostics.error(
                .subWorkflow, at: entry.childOutput.location,
                "\(childPath) has no output `\(entry.childOutput.value)`",
                hint: EditDistance.suggestion(for: entry.childOutput.value, among: childOutputs)
                    ?? (childOutputs.isEmpty ? "declare it under `outputs:` in \(childPath)" : "its outputs: \(childOutputs.joined(separator: ", "))"))
        }
    }
}
