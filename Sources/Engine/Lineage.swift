import Foundation
import Store
import Workflow

/// How a fork changes its from-step. Only what a person would tune when re-trying a step:
/// the command, the image, environment variables and the time limit (Sandcastle's fork changes
/// are prompt/model/max_turns/timeout, for agent steps, which arrive later).
public struct ForkChanges: Sendable, Hashable {
    /// A new `run:` command (a template, like the original).
    public var command: String?
    public var image: String?
    /// Variables added to (or replacing those of) the step's `env:`; values are plain text.
    public var environment: [String: String]
    public var timeout: Duration?

    public init(command: String? = nil, image: String? = nil, environment: [String: String] = [:], timeout: Duration? = nil) {
        self.command = command
        self.image = image
        self.environment = environment
        self.timeout = timeout
    }

    public var isEmpty: Bool { command == nil && image == nil && environment.isEmpty && timeout == nil }

    /// As stored with the run (`fork_changes_json`), so `resume` can apply them again.
    public var json: JSONValue {
        var object: [String: JSONValue] = [:]
        if let command { object["run"] = .string(command) }
        if let image { object["image"] = .string(image) }
        if !environment.isEmpty { object["env"] = .object(environment.mapValues(JSONValue.string)) }
        if let timeout { object["timeout"] = .string(DurationParser.format(timeout)) }
        return .object(object)
    }

    /// Reads what ``json`` wrote; nil for anything else.
    public init?(json: JSONValue) {
        guard case .object(let object) = json else { return nil }
        self.init()
        if case .string(let value)? = object["run"] { command = value }
        if case .string(let value)? = object["image"] { image = value }
        if case .object(let env)? = object["env"] {
            for (name, value) in env { if case .string(let text) = value { environment[name] = text } }
        }
        if case .string(let value)? = object["timeout"] { timeout = DurationParser.parse(value) }
    }

    /// `workflow` with these changes made to step `stepID`.
    ///
    /// - Throws: ``EngineError`` `.invalidRequest` when the step cannot take them (not a `run`
    ///   step, a command with a malformed template or reading a step that is not upstream).
    public func applied(to workflow: WorkflowDefinition, step stepID: String) throws -> WorkflowDefinition {
        guard let index = workflow.steps.firstIndex(where: { $0.id == stepID }) else {
            throw EngineError(.notFound, "the workflow has no step `\(stepID)`")
        }
        var step = workflow.steps[index]
        if isEmpty { return workflow }
        guard step.kind == .run else {
            throw EngineError(.invalidRequest, "step `\(stepID)` is a `\(step.kind)` step; only `run` steps can be forked with changes")
        }
        let location = SourceLocation(file: "<fork>", line: 1, column: 1)
        if let command {
            let parsed = Template.parse(command, location: location)
            if let issue = parsed.issues.first {
                throw EngineError(.invalidRequest, "--set-run: \(issue.error)")
            }
            let graph = WorkflowGraph(workflow)
            for reference in parsed.template.references {
                if let id = reference.stepID, !graph.isUpstream(id, of: stepID) {
                    throw EngineError(.invalidRequest, "--set-run reads `{\(reference)}` but `\(id)` is not upstream of `\(stepID)`")
                }
            }
            step.configuration = RunStepConfiguration(command: parsed.template)
        }
        if let image { step.sandbox.image = Located(image, at: location) }
        if let timeout { step.timeout = Located(timeout, at: location) }
        for (name, value) in environment.sorted(by: { $0.key < $1.key }) {
            step.sandbox.environment.removeAll { $0.name == name }
            step.sandbox.environment.append(
                EnvironmentEntry(
                    name: name, value: Template(literal: value, location: location),
                    location: location))
        }
        var changed = workflow
        changed.steps[index] = step
        return changed
    }
}

extension WorkflowEngine {
    /// Starts a new run of `workflow` that re-runs `fromStep` and everything downstream of it,
    /// reusing the parent run's recorded results for the rest (a replay), or, with `changes`,
    /// re-running `fromStep` changed (a fork). The new run records its lineage: parent run id,
    /// from-step, `replay` or `fork`, and the changes.
    ///
    /// Steps upstream of `fromStep` must have completed in the parent. Steps on other branches
    /// are reused when they finished there and run otherwise. The new run gets its own, empty
    /// workspace: files the parent's reused steps wrote are not there.
    ///
    /// - Throws: ``EngineError`` `.notFound` (no parent run, no such step), `.notResumable` (the
    ///   workflow file changed since the parent ran, or an upstream step did not complete),
    ///   `.invalidRequest` (changes the step cannot take), `.persistence`.
    public func replay(
        parentRunID: String, fromStep: String, workflow: WorkflowDefinition,
        changes: ForkChanges? = nil, runID: String = WorkflowEngine.makeRunID()
    ) async throws -> RunOutcome {
        let parent: RunDetail
        do {
            guard let found = try repository.run(id: parentRunID) else { throw EngineError(.notFound, "no run \(parentRunID)") }
            parent = found
        } catch let error as EngineError {
            throw error
        } catch {
            throw EngineError(.persistence, "cannot read run \(parentRunID): \(error)", cause: error)
        }
        guard workflow.step(fromStep) != nil else {
            throw EngineError(
                .notFound,
                "workflow `\(workflow.name)` has no step `\(fromStep)`; its steps: "
                    + workflow.steps.map(\.id).joined(separator: ", "))
        }
        if let recorded = parent.run.workflowHash, Self.contentHash(ofFile: workflow.file) != recorded {
            throw EngineError(
                .notResumable,
                "the workflow file \(workflow.file) changed since run \(parentRunID); "
                    + "its recorded results no longer match the steps")
        }
        let changes = changes.flatMap { $0.isEmpty ? nil : $0 }
        let effective = try changes?.applied(to: workflow, step: fromStep) ?? workflow
        if let problem = unroutableStep(in: effective) { throw EngineError(.backendUnavailable, problem) }
        let graph = WorkflowGraph(effective)
        let rerun = graph.descendants(of: fromStep).union([fromStep])
        let stepsByID = Dictionary(effective.steps.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let parentSteps = Dictionary(
            parent.steps.filter { $0.fanoutIndex == nil }.map { ($0.stepID, $0) },
            uniquingKeysWith: { first, _ in first })

        var reused: [String: (DependencyTracker.Outcome, StepResult, StepRecord)] = [:]
        for id in graph.ids where !rerun.contains(id) {
            guard let record = parentSteps[id], let step = stepsByID[id],
                let prior = Self.priorResult(record, step: step, workflow: effective)
            else { continue }
            reused[id] = (prior.0, prior.1, record)
        }
        for id in graph.ancestors(of: fromStep).sorted() where reused[id] == nil {
            throw EngineError(
                .notResumable,
                "step `\(id)` (upstream of `\(fromStep)`) did not complete in run \(parentRunID) "
                    + "(\(parentSteps[id]?.status.rawValue ?? "never ran")); replay from an earlier step")
        }

        var inputs: [String: JSONValue] = [:]
        if case .object(let values)? = JSONValue.parse(json: parent.run.inputsJSON) { inputs = values }
        do {
            try repository.createRun(
                RunRecord(
                    id: runID, workflowName: effective.name, workflowPath: workflow.file, workflowHash: parent.run.workflowHash,
                    inputsJSON: parent.run.inputsJSON, parentRunID: parentRunID, forkedFromStep: fromStep,
                    lineageKind: changes == nil ? "replay" : "fork", forkChangesJSON: changes?.json.jsonText,
                    owner: configuration.owner))
            for step in effective.steps {
                if let (_, _, record) = reused[step.id] {
                    var copy = record
                    copy.runID = runID
                    try repository.upsertStep(copy)
                    try repository.append(
                        .stepReused(
                            RunEvent.StepReused(
                                step: step.id, fromRun: parentRunID,
                                status: record.status)), runID: runID)
                } else {
                    try repository.upsertStep(StepRecord(runID: runID, stepID: step.id, status: .pending))
                }
            }
            try repository.updateRunStatus(id: runID, to: .running, at: Date(), error: nil)
            try repository.append(
                .runStarted(
                    RunEvent.RunStarted(
                        workflow: effective.name, parentRun: parentRunID,
                        fromStep: fromStep, changes: changes?.json)), runID: runID)
        } catch {
            throw EngineError(.persistence, "cannot record the new run: \(error)", cause: error)
        }
        onEvent(.runStarted(runID: runID, workflow: effective.name))

        var context = TemplateContext(runID: runID, inputs: inputs, environment: configuration.environment)
        var tracker = DependencyTracker(graph: graph)
        for id in graph.ids {
            guard let (outcome, result, _) = reused[id] else { continue }
            context.steps[id] = result
            let (_, pruned) = tracker.markFinished(id, outcome)
            for prunedID in pruned where context.steps[prunedID] == nil {
                context.steps[prunedID] = StepResult(output: .null, status: .skipped)
            }
        }
        // The reused steps' files: the parent's workspace as it ended.
        await restoreWorkspace(runID: runID, fromRunID: parentRunID)
        return try await execute(effective, runID: runID, context: context, tracker: tracker)
    }

    /// The workflow a recorded run actually runs: its file, with a fork's changes applied again.
    public static func effectiveWorkflow(_ workflow: WorkflowDefinition, for run: RunRecord) throws -> WorkflowDefinition {
        guard run.lineageKind == "fork", let step = run.forkedFromStep, let text = run.forkChangesJSON else { return workflow }
        guard let json = JSONValue.parse(json: text), let changes = ForkChanges(json: json) else {
            throw EngineError(.notResumable, "run \(run.id) has unreadable fork changes: \(text)")
        }
        return try changes.applied(to: workflow, step: step)
    }
}
