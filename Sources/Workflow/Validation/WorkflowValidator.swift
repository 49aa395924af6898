import Suggestions

/// What validation may assume about the machine it validates for.
public struct ValidationOptions: Sendable {
    /// The step kinds to accept.
    public var registry: StepKindRegistry
    /// Backends this build can run; the others parse but are reported.
    public var availableBackends: Set<Backend>
    /// When set, `profile:` values must be one of these.
    public var knownProfiles: Set<String>?
    /// The server's `COMPLIANCE_MODE`; nil: none (unacceptable-risk workflows are refused anyway).
    public var complianceMode: ComplianceMode?

    public init(
        registry: StepKindRegistry = .standard, availableBackends: Set<Backend> = Backend.available,
        knownProfiles: Set<String>? = nil, complianceMode: ComplianceMode? = nil
    ) {
        self.complianceMode = complianceMode
        self.registry = registry
        self.availableBackends = availableBackends
        self.knownProfiles = knownProfiles
    }
}

/// What a step kind's own checks can see.
public final class ValidationContext {
    public let workflow: WorkflowDefinition
    public let graph: WorkflowGraph
    public let options: ValidationOptions
    let subWorkflows: SubWorkflowLoader?

    init(workflow: WorkflowDefinition, graph: WorkflowGraph, options: ValidationOptions, subWorkflows: SubWorkflowLoader?) {
        self.workflow = workflow
        self.graph = graph
        self.options = options
        self.subWorkflows = subWorkflows
    }

    /// Whether `candidate` always finishes before `id` starts.
    public func isUpstream(_ candidate: String, of id: String) -> Bool { graph.isUpstream(candidate, of: id) }

    func checkSubWorkflow(_ config: SubWorkflowConfiguration, of step: StepDefinition, diagnostics: inout DiagnosticList) {
        subWorkflows?.check(config, of: step, parent: workflow, diagnostics: &diagnostics)
    }
}

/// Checks that need the whole workflow: ids, dependencies, cycles, what each reference may
/// read, sessions, backends, and each kind's own rules. Collects every problem.
public struct WorkflowValidator: Sendable {
    public var options: ValidationOptions

    public init(options: ValidationOptions = ValidationOptions()) {
        self.options = options
    }

    /// Validates a parsed workflow. Sub-workflow files are checked only when a loader is given.
    public func validate(_ workflow: WorkflowDefinition) -> [ValidationDiagnostic] {
        validate(workflow, subWorkflows: nil)
    }

    func validate(_ workflow: WorkflowDefinition, subWorkflows: SubWorkflowLoader?) -> [ValidationDiagnostic] {
        var diagnostics = DiagnosticList()
        checkIDs(workflow, &diagnostics)
        checkDependencies(workflow, &diagnostics)
        let graph = WorkflowGraph(workflow)
        checkCycles(workflow, graph, &diagnostics)
        let context = ValidationContext(workflow: workflow, graph: graph, options: options, subWorkflows: subWorkflows)
        for step in workflow.steps {
            checkReferences(of: step, workflow, graph, &diagnostics)
            checkFanOut(step, workflow, &diagnostics)
            checkSandbox(step, workflow, &diagnostics)
            checkFallback(step, &diagnostics)
            options.registry.handler(for: step.kind)?.validate(step, in: context, diagnostics: &diagnostics)
        }
        checkDefaults(workflow, &diagnostics)
        checkSessions(workflow, graph, &diagnostics)
        checkOutputs(workflow, &diagnostics)
        checkUnusedInputs(workflow, &diagnostics)
        diagnostics.append(contentsOf: ComplianceCheck.problems(of: workflow, mode: options.complianceMode))
        return diagnostics.all
    }

    /// `on_failure: fallback` needs somewhere to fall back to: an agent step's `fallback:`.
    private func checkFallback(_ step: StepDefinition, _ diagnostics: inout DiagnosticList) {
        guard let action = step.onFailure, action.value == .fallback else { return }
        guard step.configuration(as: AgentStepConfiguration.self)?.fallback == nil else { return }
        diagnostics.error(
            .invalidValue, at: action.location, "`on_failure: fallback` needs a `fallback:` on the step",
            hint: step.kind == .agent
                ? "add fallback: {prompt: \"…\", model: haiku}" : "only agent (`prompt:`) steps can fall back; use abort, skip or continue")
    }

    // MARK: Ids and dependencies

    private func checkIDs(_ workflow: WorkflowDefinition, _ diagnostics: inout DiagnosticList) {
        var first: [String: StepDefinition] = [:]
        for step in workflow.steps {
            if let earlier = first[step.id] {
                diagnostics.error(
                    .duplicateStepID, at: step.fieldLocations["id"] ?? step.location,
                    "duplicate step id `\(step.id)` (first used at line \(earlier.fieldLocations["id"]?.line ?? earlier.location.line))",
                    hint: "give each step its own id")
            } else {
                first[step.id] = step
            }
        }
    }

    private func checkDependencies(_ workflow: WorkflowDefinition, _ diagnostics: inout DiagnosticList) {
        let ids = workflow.steps.map(\.id)
        let known = Set(ids)
        for step in workflow.steps {
            var seen: Set<String> = []
            for dependency in step.dependsOn {
                if dependency.value == step.id {
                    diagnostics.error(
                        .dependencyCycle, at: dependency.location, "step `\(step.id)` depends on itself",
                        hint: "remove `\(step.id)` from its depends_on")
                } else if !known.contains(dependency.value) {
                    diagnostics.error(
                        .unknownDependency, at: dependency.location,
                        "step `\(step.id)` depends on `\(dependency.value)`, which is not a step",
                        hint: EditDistance.suggestion(for: dependency.value, among: ids)
                            ?? "steps: \(ids.joined(separator: ", "))")
                } else if !seen.insert(dependency.value).inserted {
                    diagnostics.warning(
                        .invalidValue, at: dependency.location,
                        "`\(dependency.value)` is listed twice in depends_on of `\(step.id)`",
                        hint: "remove one")
                }
            }
        }
    }

    private func checkCycles(_ workflow: WorkflowDefinition, _ graph: WorkflowGraph, _ diagnostics: inout DiagnosticList) {
        for cycle in graph.cycles() where cycle.count > 2 { // self-dependencies are reported above
            let closing = workflow.step(cycle[1])
            let location = closing?.dependsOn.first { $0.value == cycle[0] }?.location ?? closing?.location
            let edges = zip(cycle, cycle.dropFirst()).map { "`\($1)` depends on `\($0)`" }
            diagnostics.error(
                .dependencyCycle, at: location, "dependency cycle: \(cycle.joined(separator: " → "))",
                hint: "remove one of: \(edges.joined(separator: ", "))")
        }
    }

    // MARK: References

    private func checkReferences(
        of step: StepDefinition, _ workflow: WorkflowDefinition, _ graph: WorkflowGraph,
        _ diagnostics: inout DiagnosticList
    ) {
        let whenReferences = Set(step.when?.expression.references.map(\.description) ?? [])
        for (reference, location) in step.readReferences {
            let place = location ?? step.location
            switch reference {
            case .input(let name, let path):
                checkInput(name, path: path, at: place, workflow, &diagnostics)
            case .fanOutItem, .fanOutIndex:
                if step.fanOut == nil {
                    diagnostics.error(
                        .invalidTemplate, at: place,
                        "`{\(reference)}` only exists in a step with `parallel_over`",
                        hint: "add parallel_over: \"{input.LIST}\" to `\(step.id)`, or read another value")
                } else if whenReferences.contains(reference.description) {
                    diagnostics.error(
                        .invalidExpression, at: place,
                        "`when` is evaluated once for the whole step, so it cannot read `\(reference)`",
                        hint: "filter the list in an earlier step instead")
                }
            case .step(let id, _, _):
                checkStepReference(reference, id: id, from: step, at: place, workflow, graph, &diagnostics)
            case .runID, .env:
                break
            }
        }
    }

    private func checkInput(
        _ name: String, path: [String], at location: SourceLocation, _ workflow: WorkflowDefinition,
        _ diagnostics: inout DiagnosticList
    ) {
        guard let input = workflow.input(name) else {
            let names = workflow.inputs.map(\.name)
            diagnostics.error(
                .unknownInput, at: location, "`input.\(name)` is not a declared input",
                hint: EditDistance.suggestion(for: name, among: names)
                    ?? "declare it: inputs: {\(name): {type: string}}")
            return
        }
        if !path.isEmpty && input.type != .list && input.type != .object {
            diagnostics.error(
                .invalidTemplate, at: location,
                "input `\(name)` is \(WorkflowParser.article(input.type)), which has no `\(path.joined(separator: "."))`",
                hint: "declare it as type: object or list, or read {input.\(name)}")
        }
    }

    private func checkStepReference(
        _ reference: TemplateReference, id: String, from step: StepDefinition,
        at location: SourceLocation, _ workflow: WorkflowDefinition, _ graph: WorkflowGraph,
        _ diagnostics: inout DiagnosticList
    ) {
        guard workflow.step(id) != nil else {
            diagnostics.error(
                .unknownStep, at: location, "`{\(reference)}` names step `\(id)`, which does not exist",
                hint: EditDistance.suggestion(for: id, among: workflow.steps.map(\.id)))
            return
        }
        if id == step.id {
            diagnostics.error(
                .referenceNotUpstream, at: location, "step `\(step.id)` reads its own result `{\(reference)}`",
                hint: "a step can only read steps that finish before it")
            return
        }
        guard !graph.isUpstream(id, of: step.id) else { return }
        let hint: String
        if graph.isUpstream(step.id, of: id) {
            hint = "`\(id)` runs after `\(step.id)` (it depends on it), so its result does not exist yet"
        } else {
            let current = step.dependencyIDs
            hint = "add it to the dependencies: depends_on: [\((current + [id]).joined(separator: ", "))]"
        }
        diagnostics.error(
            .referenceNotUpstream, at: location,
            "step `\(step.id)` reads `{\(reference)}` but `\(id)` is not upstream of it", hint: hint)
    }

    // MARK: Fan-out, sandbox, sessions

    private func checkFanOut(_ step: StepDefinition, _ workflow: WorkflowDefinition, _ diagnostics: inout DiagnosticList) {
        guard let fanOut = step.fanOut, case .input(let name, let path) = fanOut.reference, path.isEmpty,
            let input = workflow.input(name), input.type != .list
        else { return }
        diagnostics.error(
            .invalidValue, at: fanOut.location,
            "`parallel_over` needs a list, but input `\(name)` is \(WorkflowParser.article(input.type))",
            hint: "declare it as type: list")
    }

    private func checkBackend(_ backend: Located<Backend>?, _ diagnostics: inout DiagnosticList) {
        guard let backend, !options.availableBackends.contains(backend.value) else { return }
        let available = options.availableBackends.map(\.rawValue).sorted().joined(separator: ", ")
        diagnostics.error(
            .unavailableBackend, at: backend.location,
            "backend `\(backend.value)` is not available here",
            hint: "use backend: \(options.availableBackends.contains(.docker) ? "docker" : available)")
    }

    private func checkProfile(_ profile: Located<String>?, _ diagnostics: inout DiagnosticList) {
        guard let profile, let known = options.knownProfiles, !known.contains(profile.value) else { return }
        diagnostics.error(
            .invalidValue, at: profile.location, "unknown isolation profile `\(profile.value)`",
            hint: EditDistance.suggestion(for: profile.value, among: known)
                ?? "profiles: \(known.sorted().joined(separator: ", "))")
    }

    private func checkSandbox(_ step: StepDefinition, _ workflow: WorkflowDefinition, _ diagnostics: inout DiagnosticList) {
        checkBackend(step.sandbox.backend, &diagnostics)
        checkProfile(step.sandbox.profile, &diagnostics)
        if let image = step.sandbox.image, image.value.contains(where: { $0 == " " || $0 == "\t" || $0 == "\n" }) {
            diagnostics.error(
                .invalidValue, at: image.location, "`\(image.value)` is not an image name",
                hint: "use base, python, node or an image reference such as repo/name:tag")
        }
    }

    private func checkDefaults(_ workflow: WorkflowDefinition, _ diagnostics: inout DiagnosticList) {
        checkBackend(workflow.defaults.backend, &diagnostics)
        checkProfile(workflow.defaults.profile, &diagnostics)
        for entry in workflow.defaults.environment {
            for (reference, span) in entry.value.referenceSpans {
                let place = span.location ?? entry.location
                switch reference {
                case .input(let name, let path): checkInput(name, path: path, at: place, workflow, &diagnostics)
                case .step, .fanOutItem, .fanOutIndex:
                    diagnostics.error(
                        .invalidTemplate, at: place,
                        "defaults.env applies to every step, so it cannot read `{\(reference)}`",
                        hint: "set it in the env of the steps that need it")
                case .runID, .env: break
                }
            }
        }
    }

    private func checkSessions(_ workflow: WorkflowDefinition, _ graph: WorkflowGraph, _ diagnostics: inout DiagnosticList) {
        var members: [String: [StepDefinition]] = [:]
        var order: [String] = []
        for step in workflow.steps {
            guard let session = step.sandbox.session?.value else { continue }
            if members[session] == nil { order.append(session) }
            members[session, default: []].append(step)
        }
        for session in order {
            let steps = members[session] ?? []
            for (index, step) in steps.enumerated() {
                let location = step.sandbox.session?.location ?? step.location
                if step.fanOut != nil {
                    diagnostics.error(
                        .sessionConflict, at: location,
                        "step `\(step.id)` fans out with parallel_over, so its items cannot share session `\(session)`",
                        hint: "remove `session` from `\(step.id)`")
                }
                for earlier in steps[..<index]
                where !graph.isUpstream(earlier.id, of: step.id) && !graph.isUpstream(step.id, of: earlier.id) {
                    diagnostics.error(
                        .sessionConflict, at: location,
                        "steps `\(earlier.id)` and `\(step.id)` share session `\(session)` but may run at the same time",
                        hint: "a session is one shell: make `\(step.id)` depend on `\(earlier.id)`")
                }
                if let first = steps.first, first.id != step.id {
                    let a = workflow.settings(for: first)
                    let b = workflow.settings(for: step)
                    for (field, x, y) in [
                        ("image", a.image, b.image), ("profile", a.profile, b.profile),
                        ("backend", a.backend.rawValue, b.backend.rawValue),
                    ] where x != y {
                        diagnostics.error(
                            .sessionConflict, at: location,
                            "steps in session `\(session)` share one sandbox, but `\(first.id)` uses \(field) `\(x)` and `\(step.id)` uses `\(y)`",
                            hint: "give them the same \(field), or use separate sessions")
                    }
                }
            }
        }
    }

    private func checkOutputs(_ workflow: WorkflowDefinition, _ diagnostics: inout DiagnosticList) {
        let ids = Set(workflow.steps.map(\.id))
        for output in workflow.outputs {
            for (reference, span) in output.value.referenceSpans {
                let place = span.location ?? output.location
                switch reference {
                case .input(let name, let path):
                    checkInput(name, path: path, at: place, workflow, &diagnostics)
                case .step(let id, _, _) where !ids.contains(id):
                    diagnostics.error(
                        .unknownStep, at: place, "output `\(output.name)` reads step `\(id)`, which does not exist",
                        hint: EditDistance.suggestion(for: id, among: workflow.steps.map(\.id)))
                case .fanOutItem, .fanOutIndex:
                    diagnostics.error(.invalidTemplate, at: place, "`{\(reference)}` only exists inside a `parallel_over` step")
                default:
                    break
                }
            }
        }
    }

    private func checkUnusedInputs(_ workflow: WorkflowDefinition, _ diagnostics: inout DiagnosticList) {
        var used: Set<String> = []
        func note(_ reference: TemplateReference) {
            if case .input(let name, _) = reference { used.insert(name) }
        }
        for step in workflow.steps { for (reference, _) in step.readReferences { note(reference) } }
        for output in workflow.outputs { output.value.references.forEach(note) }
        for entry in workflow.defaults.environment { entry.value.references.forEach(note) }
        for input in workflow.inputs where !used.contains(input.name) {
            diagnostics.warning(
                .invalidInputDeclaration, at: input.location, "input `\(input.name)` is never used",
                hint: "read it with {input.\(input.name)}, or remove it")
        }
    }
}
