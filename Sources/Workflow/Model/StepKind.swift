/// The kind of a step (`run`, `approval`, `sub_workflow`, and later `agent`, …).
///
/// Kinds are an open set: each one is a ``StepKindHandler`` registered in a ``StepKindRegistry``
/// and brings its own fields, parsing and checks. Adding a kind means adding a handler, not
/// editing a closed enum wherever steps are handled.
public struct StepKind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    /// A shell command in a sandbox.
    public static let run = StepKind("run")
    /// A pause until a person approves or rejects.
    public static let approval = StepKind("approval")
    /// Another workflow, run as one step.
    public static let subWorkflow = StepKind("sub_workflow")
}

/// What a step of a given kind carries beyond the shared fields (its command, its message, …).
public protocol StepConfiguration: Sendable {
    /// Every template in the configuration, so validation can check what they reference.
    var templates: [Template] { get }
}

/// Field names every kind may share. A handler lists the ones it accepts in ``StepKindHandler/sharedFields``.
public enum StepFields {
    /// Identity, ordering and control flow.
    public static let control: Set<String> = ["id", "type", "description", "depends_on", "when", "on_failure"]
    /// How a step that does work is run: time limit, retries, fan-out.
    public static let execution: Set<String> = ["timeout", "retry", "parallel_over", "max_concurrency"]
    /// The guardrail policies over a step's own output (steps whose output the engine produces:
    /// `run`, agent and `llm`; a sub-workflow's steps have their own).
    public static let guarded: Set<String> = ["policies"]
    /// Where a step runs: its sandbox, and the credentials its sandbox receives.
    public static let sandbox: Set<String> = ["image", "profile", "backend", "env", "session", "credentials"]
}

/// Everything the parser and validator need to know about one step kind.
public protocol StepKindHandler: Sendable {
    var kind: StepKind { get }
    /// One line for documentation and `sandcastle dag`.
    var summary: String { get }
    /// Fields only this kind has (e.g. `run`).
    var fields: Set<String> { get }
    /// Shared fields this kind accepts, from ``StepFields``.
    var sharedFields: Set<String> { get }
    /// When a step has no `type:`, a step with this field is of this kind (`run` → `run`).
    var impliedByField: String? { get }
    /// Reads the kind's own fields. Report problems through `step`; return nil when unusable.
    func parseConfiguration(_ step: MappingReader) -> (any StepConfiguration)?
    /// Checks that need the whole workflow (beyond the reference and graph checks every step gets).
    func validate(_ step: StepDefinition, in context: ValidationContext, diagnostics: inout DiagnosticList)
}

extension StepKindHandler {
    /// Whether steps of this kind run in a sandbox, and so take `image`, `profile`, `backend`, `env`, `session`.
    public var usesSandbox: Bool { sharedFields.isSuperset(of: StepFields.sandbox) }
    public func validate(_ step: StepDefinition, in context: ValidationContext, diagnostics: inout DiagnosticList) {}
}

/// The step kinds a parser knows.
public struct StepKindRegistry: Sendable {
    public private(set) var handlers: [StepKind: any StepKindHandler] = [:]
    /// Registration order, so messages list kinds predictably.
    public private(set) var order: [StepKind] = []

    public init(_ handlers: [any StepKindHandler] = []) {
        for handler in handlers { register(handler) }
    }

    /// The kinds this build ships.
    // `llm` before `agent`: a step with both `prompt` and `llm_config` and no `type` is an `llm` step.
    public static let standard = StepKindRegistry([
        RunStepKind(), ApprovalStepKind(), SubWorkflowStepKind(), LLMStepKind(), AgentStepKind(),
    ])

    /// Adds or replaces a kind.
    public mutating func register(_ handler: any StepKindHandler) {
        if handlers[handler.kind] == nil { order.append(handler.kind) }
        handlers[handler.kind] = handler
    }

    public func handler(for kind: StepKind) -> (any StepKindHandler)? { handlers[kind] }

    /// The kind a step without `type:` has, from the fields it has.
    public func inferKind(fromFields fields: Set<String>) -> StepKind? {
        order.first { kind in handlers[kind]?.impliedByField.map(fields.contains) ?? false }
    }

    /// Every field any kind accepts, for "did you mean" across kinds.
    public var allFields: Set<String> {
        handlers.values.reduce(into: Set<String>()) { $0.formUnion($1.fields.union($1.sharedFields)) }
    }
}
