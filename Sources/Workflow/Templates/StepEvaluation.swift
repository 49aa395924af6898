/// The pieces the engine evaluates while a run goes on, built on templates and expressions.

extension StepResult {
    /// A step's output from its stdout: JSON when the text is JSON, else the text (without the
    /// one trailing newline every `echo` adds).
    public static func output(fromStdout text: String) -> JSONValue {
        if let json = JSONValue.parse(json: text) { return json }
        var trimmed = Substring(text)
        if trimmed.hasSuffix("\r\n") { trimmed = trimmed.dropLast(2) } else if trimmed.hasSuffix("\n") { trimmed = trimmed.dropLast() }
        return .string(String(trimmed))
    }
}

extension WhenCondition {
    /// Evaluates the condition; values that do not exist read as null, so a condition on an
    /// optional field is simply false.
    ///
    /// - Throws: ``WorkflowError`` with code `expressionEvaluation` and the position in the file,
    ///   e.g. when a string is compared with a number.
    public func evaluate(in context: TemplateContext) throws(WorkflowError) -> Bool {
        do {
            return try ExpressionEvaluator.isTrue(expression) { context.resolveOrNull($0) }
        } catch let error as ExpressionError {
            let location = location(ofColumn: error.column)
            throw WorkflowError(
                .expressionEvaluation, "`when: \(source)`: \(error.message)", cause: error,
                diagnostics: [.error(.invalidExpression, at: location, error.message, hint: error.hint)])
        } catch {
            throw WorkflowError(.expressionEvaluation, "`when: \(source)`: \(error)", cause: error)
        }
    }
}

extension FanOut {
    /// The items to fan out over.
    ///
    /// - Throws: ``WorkflowError`` when the value is missing or not a list.
    public func items(in context: TemplateContext) throws(WorkflowError) -> [JSONValue] {
        let value = try context.resolve(reference)
        guard case .array(let items) = value else {
            throw WorkflowError(
                .templateResolution,
                "`parallel_over: {\(reference)}` must be a list, but it is \(value.typeName == "null" ? "null" : "a \(value.typeName)")",
                diagnostics: [.error(.invalidValue, at: location, "not a list")])
        }
        return items
    }
}

extension WorkflowDefinition {
    /// The run's `outputs`, computed once it has finished. A value that does not exist (a
    /// skipped step's field) is null rather than an error.
    public func resolveOutputs(in context: TemplateContext) throws(WorkflowError) -> [String: JSONValue] {
        var result: [String: JSONValue] = [:]
        for output in outputs {
            result[output.name] = try TemplateRenderer.resolveValue(output.value, context: context, missingAsNull: true)
        }
        return result
    }
}

extension SubWorkflowConfiguration {
    /// The child's input values, evaluated in the parent's context. A mapping that is one
    /// reference keeps its type; other text is converted by the child's declared types.
    public func childInputs(in context: TemplateContext) throws(WorkflowError) -> [String: InputValue] {
        var result: [String: InputValue] = [:]
        for entry in inputMapping {
            if entry.value.singleReference != nil {
                result[entry.name] = .value(try TemplateRenderer.resolveValue(entry.value, context: context))
            } else {
                result[entry.name] = .text(try TemplateRenderer.renderString(entry.value, context: context))
            }
        }
        return result
    }

    /// The step's output from the child's outputs: all of them, or the ones `output_mapping` picks.
    public func stepOutput(fromChildOutputs outputs: [String: JSONValue]) -> JSONValue {
        guard !outputMapping.isEmpty else { return .object(outputs) }
        var picked: [String: JSONValue] = [:]
        for entry in outputMapping { picked[entry.name] = outputs[entry.childOutput.value] ?? .null }
        return .object(picked)
    }
}
