/// A parsed workflow: inputs, defaults, steps and outputs.
public struct WorkflowDefinition: Sendable {
    public var name: String
    public var description: String?
    /// The path the workflow was read from (as given), or a label.
    public var file: String
    /// Declared inputs, in the order written.
    public var inputs: [InputDefinition]
    public var defaults: StepDefaults
    /// Steps in the order written.
    public var steps: [StepDefinition]
    /// Named values the run publishes when it completes (and a `sub_workflow` step returns).
    public var outputs: [WorkflowOutput]
    /// What happens once the run has completed (Sandcastle's `on_complete`).
    public var onComplete: CompletionActions?
    /// Who is told when the run fails (Sandcastle's top-level `on_failure`).
    public var onFailure: FailureActions?
    /// The workflow's `privacy:` block; nil leaves the server's privacy settings in force.
    public var privacy: PrivacySettings?
    /// The workflow's `risk_level:` (default `minimal`), where it was written when it was.
    public var riskLevel: Located<RiskLevel>?
    /// Guardrail policies defined at the top (`policies:`): every step gets them unless it
    /// names its own (see ``policies(for:)``).
    public var policies: [PolicyDefinition]

    public init(
        name: String, description: String? = nil, file: String = "<memory>", inputs: [InputDefinition] = [],
        defaults: StepDefaults = StepDefaults(), steps: [StepDefinition], outputs: [WorkflowOutput] = [],
        onComplete: CompletionActions? = nil, onFailure: FailureActions? = nil, privacy: PrivacySettings? = nil,
        riskLevel: Located<RiskLevel>? = nil, policies: [PolicyDefinition] = []
    ) {
        self.privacy = privacy
        self.riskLevel = riskLevel
        self.policies = policies
        self.onComplete = onComplete
        self.onFailure = onFailure
        self.name = name
        self.description = description
        self.file = file
        self.inputs = inputs
        self.defaults = defaults
        self.steps = steps
        self.outputs = outputs
    }

    public func step(_ id: String) -> StepDefinition? { steps.first { $0.id == id } }
    /// The workflow's risk class: its `risk_level`, else `minimal`.
    public var risk: RiskLevel { riskLevel?.value ?? .minimal }
    public func input(_ name: String) -> InputDefinition? { inputs.first { $0.name == name } }

    /// The policies that apply to `step`: every top-level one when the step has no `policies:`,
    /// none for `policies: []`, else the ones it names (references resolved, unknown ones dropped:
    /// validation reports them) and the ones it writes inline, in its order.
    public func policies(for step: StepDefinition) -> [PolicyDefinition] {
        guard let entries = step.policies else { return policies }
        return entries.compactMap { entry in
            switch entry {
            case .inline(let policy): policy
            case .reference(let id): policies.first { $0.id == id.value }
            }
        }
    }

    /// A step's effective settings: its own, else the workflow's `defaults`, else the built-in ones.
    public func settings(for step: StepDefinition) -> ResolvedStepSettings {
        var environment: [String: Template] = [:]
        for entry in defaults.environment { environment[entry.name] = entry.value }
        for entry in step.sandbox.environment { environment[entry.name] = entry.value }
        let retryBase = defaults.retry?.applied(to: .none) ?? .none
        return ResolvedStepSettings(
            image: step.sandbox.image?.value ?? defaults.image?.value
                ?? (step.kind == .agent ? StepDefaults.builtInAgentImage : StepDefaults.builtInImage),
            profile: step.sandbox.profile?.value ?? defaults.profile?.value ?? StepDefaults.builtInProfile,
            backend: step.sandbox.backend?.value ?? defaults.backend?.value ?? .docker,
            timeout: step.timeout?.value ?? defaults.timeout?.value ?? StepDefaults.builtInTimeout,
            retry: step.retry?.applied(to: retryBase) ?? retryBase,
            onFailure: step.onFailure?.value ?? defaults.onFailure?.value ?? .abort,
            environment: environment,
            session: step.sandbox.session?.value)
    }
}

/// The workflow's `defaults:` block.
public struct StepDefaults: Sendable {
    public var image: Located<String>?
    public var profile: Located<String>?
    public var backend: Located<Backend>?
    public var timeout: Located<Duration>?
    public var retry: RetrySettings?
    public var onFailure: Located<FailureAction>?
    /// Environment for every sandbox step; a step's own `env` wins per name.
    public var environment: [EnvironmentEntry]
    /// The model of agent and `llm` steps that name none (`defaults.model`, Sandcastle's `default_model`).
    public var model: Located<String>?
    /// The turn limit of agent steps that set none (`defaults.max_turns`, Sandcastle's `default_max_turns`).
    public var maxTurns: Located<Int>?

    /// Used when neither the step nor `defaults` names an image.
    public static let builtInImage = "base"
    /// What an agent step runs in when nothing names an image: python3, node, git, ripgrep, curl, jq.
    public static let builtInAgentImage = "agent"
    public static let builtInProfile = "default"
    /// Sandcastle's `default_timeout` (300 s).
    public static let builtInTimeout: Duration = .seconds(300)

    public init(
        image: Located<String>? = nil, profile: Located<String>? = nil, backend: Located<Backend>? = nil,
        timeout: Located<Duration>? = nil, retry: RetrySettings? = nil, onFailure: Located<FailureAction>? = nil,
        environment: [EnvironmentEntry] = [], model: Located<String>? = nil, maxTurns: Located<Int>? = nil
    ) {
        self.model = model
        self.maxTurns = maxTurns
        self.image = image
        self.profile = profile
        self.backend = backend
        self.timeout = timeout
        self.retry = retry
        self.onFailure = onFailure
        self.environment = environment
    }
}

/// Sandcastle's `on_complete`: where the run's result is kept once it has completed, and who
/// is told.
public struct CompletionActions: Sendable {
    /// A path under the data folder's `storage/` (templated: `leads/{run_id}/result.json`) the
    /// run's outputs are written to as JSON.
    public var storagePath: Template?
    /// A URL that gets the `workflow.completed` webhook (when the run has no `callback_url` of its
    /// own; runs `sandcastle serve` drives).
    public var webhook: Located<String>?

    public init(storagePath: Template? = nil, webhook: Located<String>? = nil) {
        self.storagePath = storagePath
        self.webhook = webhook
    }
}

/// Sandcastle's top-level `on_failure: {dead_letter, webhook}`: what a failure leaves behind
/// and who is told when the run fails.
public struct FailureActions: Sendable {
    /// A URL that gets the `workflow.failed` webhook (runs `sandcastle serve` drives).
    public var webhook: Located<String>?
    /// Sandcastle's `dead_letter: true`: a step that failed for good (its retries spent) becomes a
    /// dead-letter item (its error, the run's input, its attempts) and ends `failed` with a null
    /// output, and the run goes on (its dependents run and read null), whatever the step's own
    /// `on_failure` says. Approval gates are not steps that fail this way (a rejection fails the run).
    public var deadLetter: Located<Bool>?

    public init(webhook: Located<String>? = nil, deadLetter: Located<Bool>? = nil) {
        self.webhook = webhook
        self.deadLetter = deadLetter
    }

    /// Whether failed steps become dead letters.
    public var deadLetters: Bool { deadLetter?.value ?? false }
}

/// What a step ends up with after defaults are applied.
public struct ResolvedStepSettings: Sendable {
    public var image: String
    public var profile: String
    public var backend: Backend
    public var timeout: Duration
    public var retry: RetryPolicy
    public var onFailure: FailureAction
    /// `defaults.env` overlaid with the step's `env`.
    public var environment: [String: Template]
    public var session: String?
}

/// One entry of the workflow's `outputs:`: a name and the template that computes it.
public struct WorkflowOutput: Sendable {
    public var name: String
    public var value: Template
    public var location: SourceLocation

    public init(name: String, value: Template, location: SourceLocation) {
        self.name = name
        self.value = value
        self.location = location
    }
}
