/// A `run:` step: a shell command in the step's sandbox.
public struct RunStepConfiguration: StepConfiguration {
    /// The command. References in it reach the shell as environment variables, never as code:
    /// see ``TemplateRenderer/renderCommand(_:context:)``.
    public var command: Template

    public init(command: Template) { self.command = command }

    public var templates: [Template] { [command] }
}

/// The `run` kind: the default for a step that has `run:`.
public struct RunStepKind: StepKindHandler {
    public init() {}

    public var kind: StepKind { .run }
    public var summary: String { "runs a shell command in a fresh sandbox (or the step's session)" }
    public var fields: Set<String> { ["run"] }
    public var sharedFields: Set<String> { StepFields.control.union(StepFields.execution).union(StepFields.sandbox).union(StepFields.guarded) }
    public var impliedByField: String? { "run" }

    public func parseConfiguration(_ step: MappingReader) -> (any StepConfiguration)? {
        guard let command = step.template("run", required: true, hint: "add `run: <shell command>`") else { return nil }
        guard !command.source.trimmingSpaces.replacingNewlines.isEmpty else {
            step.session.error(.invalidValue, at: command.location, "`run` must not be empty", hint: "write the shell command to run")
            return nil
        }
        return RunStepConfiguration(command: command)
    }

    public func validate(_ step: StepDefinition, in context: ValidationContext, diagnostics: inout DiagnosticList) {
        guard let command = step.configuration(as: RunStepConfiguration.self)?.command else { return }
        for problem in ShellContextScanner.unsafeReferences(in: command) {
            diagnostics.error(
                .unsafeShellContext, at: problem.span.location ?? command.location, problem.message,
                hint: problem.hint)
        }
    }
}

extension String {
    var replacingNewlines: String { filter { $0 != "\n" && $0 != "\r" && $0 != " " && $0 != "\t" } }
}
