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
    /// The workflow a recorded run actually runs: its file, with a fork's changes applied again.
    public static func effectiveWorkflow(_ workflow: WorkflowDefinition, for run: RunRecord) throws -> WorkflowDefinition {
        guard run.lineageKind == "fork", let step = run.forkedFromStep, let text = run.forkChangesJSON else { return workflow }
        guard let json = JSONValue.parse(json: text), let changes = ForkChanges(json: json) else {
            throw EngineError(.notResumable, "run \(run.id) has unreadable fork changes: \(text)")
        }
        return try changes.applied(to: workflow, step: step)
    }
}
