/// A shell command ready for a sandbox: references replaced by variable expansions, and the
/// values in `environment`.
public struct RenderedCommand: Sendable, Hashable {
    public var command: String
    /// `SC_*` variables holding the referenced values; the step's own `env` is added by the engine.
    public var environment: [String: String]

    public init(command: String, environment: [String: String]) {
        self.command = command
        self.environment = environment
    }
}

/// Turns templates into values, strings and shell commands.
public enum TemplateRenderer {
    /// Renders a `run:` command so that no value is ever spliced into the command line.
    ///
    /// Each reference becomes an expansion of an `SC_*` variable, quoted for where it sits
    /// (`"${SC_X}"` unquoted, `${SC_X}` inside double quotes, `'"${SC_X}"'` inside single
    /// quotes), and the value goes into ``RenderedCommand/environment``. An output containing
    /// `$(rm -rf /)` or quotes therefore reaches the program as one argument of plain data.
    ///
    /// - Throws: ``WorkflowError`` when a value cannot be resolved, contains a NUL byte (which no
    ///   environment can carry), or a reference sits in shell arithmetic or a quoted here-document.
    public static func renderCommand(_ template: Template, context: TemplateContext) throws(WorkflowError) -> RenderedCommand {
        let spans = template.referenceSpans
        guard !spans.isEmpty else { return RenderedCommand(command: template.source, environment: [:]) }
        let contexts = ShellContextScanner.contexts(in: template.source, at: Set(spans.map(\.span.offset)))
        var environment: [String: String] = [:]
        var names: [String: String] = [:] // reference text → variable
        var command = ""
        for part in template.parts {
            switch part {
            case .literal(let text):
                command += text
            case .reference(let reference, let span):
                let key = reference.description
                let variable: String
                if let existing = names[key] {
                    variable = existing
                } else {
                    variable = uniqueName(reference.environmentVariableName, taken: Set(names.values))
                    names[key] = variable
                    let value = try context.resolve(reference).renderedString
                    guard !value.unicodeScalars.contains("\0") else {
                        throw WorkflowError(
                            .templateResolution,
                            "`{\(reference)}` contains a NUL byte, which cannot be passed to a command",
                            diagnostics: location(span, template, .invalidValue))
                    }
                    environment[variable] = value
                }
                guard
                    let replacement = ShellContextScanner.replacement(
                        for: contexts[span.offset] ?? .unquoted,
                        variable: variable)
                else {
                    throw WorkflowError(
                        .unsafeTemplate,
                        "`{\(reference)}` sits where the shell would evaluate its value as code "
                            + "(arithmetic or a quoted here-document)",
                        diagnostics: location(span, template, .unsafeShellContext))
                }
                command += replacement
            }
        }
        return RenderedCommand(command: command, environment: environment)
    }

    /// Renders a template as text: strings as they are, null as nothing, other values as compact JSON.
    /// For messages, environment values and file names, never for shell commands.
    ///
    /// - Parameter missingAsNull: read values that do not exist as null instead of failing
    ///   (for a run's `outputs`, where a skipped step is not an error).
    public static func renderString(
        _ template: Template, context: TemplateContext,
        missingAsNull: Bool = false
    ) throws(WorkflowError) -> String {
        var text = ""
        for part in template.parts {
            switch part {
            case .literal(let literal): text += literal
            case .reference(let reference, _):
                let value = missingAsNull ? context.resolveOrNull(reference) : try context.resolve(reference)
                text += value.renderedString
            }
        }
        return text
    }

    /// Evaluates a template as a value: a template that is exactly one reference keeps the
    /// value's type (a list stays a list); anything else is rendered as a string.
    public static func resolveValue(
        _ template: Template, context: TemplateContext,
        missingAsNull: Bool = false
    ) throws(WorkflowError) -> JSONValue {
        if let reference = template.singleReference {
            return missingAsNull ? context.resolveOrNull(reference) : try context.resolve(reference)
        }
        return .string(try renderString(template, context: context, missingAsNull: missingAsNull))
    }

    /// Renders `env:` entries into plain strings.
    public static func renderEnvironment(
        _ entries: [String: Template],
        context: TemplateContext
    ) throws(WorkflowError) -> [String: String] {
        var result: [String: String] = [:]
        for (name, template) in entries {
            let value = try renderString(template, context: context)
            guard !value.unicodeScalars.contains("\0") else {
                throw WorkflowError(.templateResolution, "the value of env `\(name)` contains a NUL byte")
            }
            result[name] = value
        }
        return result
    }

    private static func uniqueName(_ base: String, taken: Set<String>) -> String {
        // `steps.a-b.output` and `steps.a_b.output` both map to SC_STEPS_A_B_OUTPUT.
        guard taken.contains(base) else { return base }
        var counter = 2
        while taken.contains("\(base)_\(counter)") { counter += 1 }
        return "\(base)_\(counter)"
    }

    private static func location(
        _ span: Template.Span, _ template: Template,
        _ code: ValidationDiagnostic.Code
    ) -> [ValidationDiagnostic] {
        guard let location = span.location ?? template.location else { return [] }
        return [.error(code, at: location, "this reference")]
    }
}
