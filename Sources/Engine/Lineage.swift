import Foundation
import Store
import Workflow

/// How a fork changes its from-step: what a person would tune when trying a step again. A `run:`
/// step takes a new command, image, environment and time limit; an agent (`prompt:`) step a new
/// prompt, model, turn limit, environment and time limit (Sandcastle's fork changes); an `llm`
/// step a new prompt, model and time limit.
public struct ForkChanges: Sendable, Hashable {
    /// A new `run:` command (a template, like the original).
    public var command: String?
    public var image: String?
    /// Variables added to (or replacing those of) the step's `env:`; values are plain text.
    public var environment: [String: String]
    public var timeout: Duration?
    /// A new prompt for an agent or `llm` step (a template, like the original).
    public var prompt: String?
    /// A name from the models file for an agent or `llm` step.
    public var model: String?
    /// A new `max_turns` for an agent step.
    public var maxTurns: Int?

    public init(
        command: String? = nil, image: String? = nil, environment: [String: String] = [:], timeout: Duration? = nil,
        prompt: String? = nil, model: String? = nil, maxTurns: Int? = nil
    ) {
        self.command = command
        self.image = image
        self.environment = environment
        self.timeout = timeout
        self.prompt = prompt
        self.model = model
        self.maxTurns = maxTurns
    }

    public var isEmpty: Bool {
        command == nil && image == nil && environment.isEmpty && timeout == nil && prompt == nil && model == nil && maxTurns == nil
    }

    /// As stored with the run (`fork_changes_json`), so `resume` can apply them again.
    public var json: JSONValue {
        var object: [String: JSONValue] = [:]
        if let command { object["run"] = .string(command) }
        if let image { object["image"] = .string(image) }
        if !environment.isEmpty { object["env"] = .object(environment.mapValues(JSONValue.string)) }
        if let timeout { object["timeout"] = .string(DurationParser.format(timeout)) }
        if let prompt { object["prompt"] = .string(prompt) }
        if let model { object["model"] = .string(model) }
        if let maxTurns { object["max_turns"] = .integer(maxTurns) }
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
        if case .string(let value)? = object["prompt"] { prompt = value }
        if case .string(let value)? = object["model"] { model = value }
        if case .integer(let value)? = object["max_turns"] { maxTurns = value }
    }

    /// `workflow` with these changes made to step `stepID`.
    ///
    /// - Throws: ``EngineError`` `.invalidRequest` when the step cannot take them (a change its
    ///   kind has no field for, a command or prompt with a malformed template or reading a step
    ///   that is not upstream, a turn limit out of bounds).
    public func applied(to workflow: WorkflowDefinition, step stepID: String) throws -> WorkflowDefinition {
        guard let index = workflow.steps.firstIndex(where: { $0.id == stepID }) else {
            throw EngineError(.notFound, "the workflow has no step `\(stepID)`")
        }
        var step = workflow.steps[index]
        if isEmpty { return workflow }
        try refuseWhatTheStepCannotTake(step)
        if let command { step.configuration = RunStepConfiguration(command: try template(command, "--set-run", workflow, stepID)) }
        if var agent = step.configuration as? AgentStepConfiguration {
            if let prompt { agent.prompt = try template(prompt, "--prompt", workflow, stepID) }
            if let model { agent.model = Located(model, at: Self.location) }
            if let maxTurns { agent.maxTurns = Located(maxTurns, at: Self.location) }
            step.configuration = agent
        }
        if var llm = step.configuration as? LLMStepConfiguration {
            if let prompt { llm.prompt = try template(prompt, "--prompt", workflow, stepID) }
            if let model { llm.model = Located(model, at: Self.location) }
            step.configuration = llm
        }
        if let image { step.sandbox.image = Located(image, at: Self.location) }
        if let timeout { step.timeout = Located(timeout, at: Self.location) }
        for (name, value) in environment.sorted(by: { $0.key < $1.key }) {
            step.sandbox.environment.removeAll { $0.name == name }
            step.sandbox.environment.append(
                EnvironmentEntry(
                    name: name, value: Template(literal: value, location: Self.location),
                    location: Self.location))
        }
        var changed = workflow
        changed.steps[index] = step
        return changed
    }

    static let location = SourceLocation(file: "<fork>", line: 1, column: 1)

    /// Each change names a field of the step's kind; any other is refused by name, not ignored.
    private func refuseWhatTheStepCannotTake(_ step: StepDefinition) throws {
        var asked: [String] = []
        if command != nil { asked.append("run") }
        if image != nil { asked.append("image") }
        if !environment.isEmpty { asked.append("env") }
        if prompt != nil { asked.append("prompt") }
        if model != nil { asked.append("model") }
        if maxTurns != nil { asked.append("max_turns") }
        let takes: Set<String> =
            switch step.kind {
            case .run: ["run", "image", "env"]
            case .agent: ["prompt", "model", "max_turns", "image", "env"]
            case .llm: ["prompt", "model"]
            default: []
            }
        guard step.kind == .run || step.kind == .agent || step.kind == .llm else {
            throw EngineError(
                .invalidRequest, "step `\(step.id)` is a `\(step.kind)` step; only `run`, agent (`prompt:`) and `llm` steps can be forked with changes")
        }
        let refused = asked.filter { !takes.contains($0) }
        guard refused.isEmpty else {
            throw EngineError(
                .invalidRequest,
                "step `\(step.id)` is a `\(step.kind)` step: it cannot take \(refused.joined(separator: ", ")) "
                    + "(it takes \(takes.sorted().joined(separator: ", ")) and timeout)")
        }
        if let maxTurns, !AgentStepConfiguration.maxTurnsRange.contains(maxTurns) {
            throw EngineError(
                .invalidRequest,
                "max_turns must be \(AgentStepConfiguration.maxTurnsRange.lowerBound) to \(AgentStepConfiguration.maxTurnsRange.upperBound), not \(maxTurns)")
        }
    }

    /// `text` as a template of step `stepID`: well formed, reading only steps upstream of it.
    private func template(_ text: String, _ option: String, _ workflow: WorkflowDefinition, _ stepID: String) throws -> Template {
        let parsed = Template.parse(text, location: Self.location)
        if let issue = parsed.issues.first {
            throw EngineError(.invalidRequest, "\(option): \(issue.error)")
        }
        let graph = WorkflowGraph(workflow)
        for reference in parsed.template.references {
            if let id = reference.stepID, !graph.isUpstream(id, of: stepID) {
                throw EngineError(.invalidRequest, "\(option) reads `{\(reference)}` but `\(id)` is not upstream of `\(stepID)`")
            }
        }
        return parsed.template
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
