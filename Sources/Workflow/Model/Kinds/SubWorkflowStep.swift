/// A `type: sub_workflow` step: another workflow file, run as one step.
public struct SubWorkflowConfiguration: StepConfiguration {
    /// The workflow file, relative to the file that names it.
    public var workflow: Located<String>
    /// The child's inputs: name → template evaluated in the parent. A template that is exactly
    /// one reference passes the value with its type (a list stays a list).
    public var inputMapping: [(name: String, value: Template, location: SourceLocation)]
    /// The step's output: key → name of one of the child's `outputs`. Empty means all of them.
    public var outputMapping: [(name: String, childOutput: Located<String>)]

    /// How deeply sub-workflows may nest (Sandcastle's `MAX_WORKFLOW_DEPTH`).
    public static let maximumDepth = 5

    public init(
        workflow: Located<String>, inputMapping: [(name: String, value: Template, location: SourceLocation)] = [],
        outputMapping: [(name: String, childOutput: Located<String>)] = []
    ) {
        self.workflow = workflow
        self.inputMapping = inputMapping
        self.outputMapping = outputMapping
    }

    public var templates: [Template] { inputMapping.map(\.value) }
}

/// The `sub_workflow` kind. Its settings go in `sub_workflow:`, as in Sandcastle.
public struct SubWorkflowStepKind: StepKindHandler {
    public init() {}

    public var kind: StepKind { .subWorkflow }
    public var summary: String { "runs another workflow file as one step, mapping inputs in and outputs out" }
    public var fields: Set<String> { ["sub_workflow"] }
    public var sharedFields: Set<String> { StepFields.control.union(StepFields.execution) }
    public var impliedByField: String? { "sub_workflow" }

    public func parseConfiguration(_ step: MappingReader) -> (any StepConfiguration)? {
        guard step.has("sub_workflow") else {
            step.session.error(
                .missingField, at: step.node.location, "\(step.subject) is missing `sub_workflow`",
                hint: "add sub_workflow: {workflow: other.yaml, input_mapping: {…}}")
            return nil
        }
        guard let config = step.mapping("sub_workflow", expectation: "write sub_workflow: {workflow: other.yaml}") else {
            return nil
        }
        let workflow = config.nonEmptyString("workflow", required: true, hint: "name the workflow file: workflow: child.yaml")
        let inputs = config.templateMap("input_mapping") ?? []
        var outputs: [(String, Located<String>)] = []
        if let mapping = config.mapping("output_mapping", expectation: "write output_mapping: {local_name: child_output}") {
            for key in mapping.keys {
                if let child = mapping.nonEmptyString(key) { outputs.append((key, child)) }
            }
        }
        config.reportUnknownFields(
            allowed: ["workflow", "input_mapping", "output_mapping"],
            explanations: [
                "parallel_over": "put `parallel_over` on the step itself",
                "max_concurrent": "put `max_concurrency` on the step itself",
                "timeout": "put `timeout` on the step itself",
            ])
        guard let workflow else { return nil }
        return SubWorkflowConfiguration(workflow: workflow, inputMapping: inputs, outputMapping: outputs)
    }

    public func validate(_ step: StepDefinition, in context: ValidationContext, diagnostics: inout DiagnosticList) {
        guard let config = step.configuration(as: SubWorkflowConfiguration.self) else { return }
        context.checkSubWorkflow(config, of: step, diagnostics: &diagnostics)
    }
}
