/// One step of a workflow as written, after parsing.
///
/// Fields every kind shares live here; what a kind adds (a command, an approval message, …)
/// is in ``configuration``. Unset fields stay nil: ``WorkflowDefinition/settings(for:)`` applies
/// the workflow's `defaults` and the built-in ones.
public struct StepDefinition: Sendable {
    public var id: String
    public var kind: StepKind
    public var description: String?
    /// Steps that must finish first, as written.
    public var dependsOn: [Located<String>]
    /// Runs the step only when this is true; otherwise it is skipped.
    public var when: WhenCondition?
    public var onFailure: Located<FailureAction>?
    public var timeout: Located<Duration>?
    public var retry: RetrySettings?
    /// Runs the step once per item of a list.
    public var fanOut: FanOut?
    public var sandbox: SandboxSettings
    public var configuration: any StepConfiguration
    /// Where the step's mapping starts.
    public var location: SourceLocation
    /// Where each field's value was written, for messages about it later (e.g. at run time).
    public var fieldLocations: [String: SourceLocation]
    /// The step's `policies:`; nil (the field is absent) means every top-level policy, `[]` none.
    public var policies: [StepPolicyEntry]?

    public init(
        id: String, kind: StepKind, configuration: any StepConfiguration, description: String? = nil,
        dependsOn: [Located<String>] = [], when: WhenCondition? = nil, onFailure: Located<FailureAction>? = nil,
        timeout: Located<Duration>? = nil, retry: RetrySettings? = nil, fanOut: FanOut? = nil,
        sandbox: SandboxSettings = SandboxSettings(), location: SourceLocation,
        fieldLocations: [String: SourceLocation] = [:], policies: [StepPolicyEntry]? = nil
    ) {
        self.policies = policies
        self.id = id
        self.kind = kind
        self.configuration = configuration
        self.description = description
        self.dependsOn = dependsOn
        self.when = when
        self.onFailure = onFailure
        self.timeout = timeout
        self.retry = retry
        self.fanOut = fanOut
        self.sandbox = sandbox
        self.location = location
        self.fieldLocations = fieldLocations
    }

    /// The ids in `depends_on`.
    public var dependencyIDs: [String] { dependsOn.map(\.value) }

    /// The configuration as a concrete type, e.g. `step.configuration(as: RunStepConfiguration.self)`.
    public func configuration<C: StepConfiguration>(as type: C.Type) -> C? { configuration as? C }

    /// Every template of the step: its configuration's and its environment's.
    public var templates: [Template] {
        configuration.templates + sandbox.environment.map(\.value)
    }

    /// Every value the step reads, with where it was written: templates, `when` and `parallel_over`.
    public var readReferences: [(reference: TemplateReference, location: SourceLocation?)] {
        var result: [(TemplateReference, SourceLocation?)] = []
        for template in templates {
            for (reference, span) in template.referenceSpans { result.append((reference, span.location ?? template.location)) }
        }
        if let when {
            for (reference, column) in when.expression.referencesWithColumns {
                result.append((reference, when.location(ofColumn: column)))
            }
        }
        if let fanOut { result.append((fanOut.reference, fanOut.location)) }
        return result
    }
}

/// A `when:` condition: its text, where it was written and its parsed form.
public struct WhenCondition: Sendable {
    public var source: String
    public var expression: Expression
    public var location: SourceLocation
    /// Maps a 1-based column of `source` to a file position.
    let columnLocations: [SourceLocation]

    public init(source: String, expression: Expression, location: SourceLocation, columnLocations: [SourceLocation] = []) {
        self.source = source
        self.expression = expression
        self.location = location
        self.columnLocations = columnLocations
    }

    /// The file position of a column of the expression.
    public func location(ofColumn column: Int) -> SourceLocation {
        column >= 1 && column <= columnLocations.count ? columnLocations[column - 1] : location
    }
}

/// `parallel_over` and `max_concurrency`: one run of the step per item of a list.
public struct FanOut: Sendable {
    /// The list, e.g. `{steps.generate.output.files}` or `{input.regions}`.
    public var reference: TemplateReference
    /// At most this many items run at once; nil leaves it to the engine's limits.
    public var maxConcurrency: Int?
    public var location: SourceLocation

    public init(reference: TemplateReference, maxConcurrency: Int? = nil, location: SourceLocation) {
        self.reference = reference
        self.maxConcurrency = maxConcurrency
        self.location = location
    }
}

/// Where a step that uses a sandbox runs. Unset fields come from the workflow's defaults.
public struct SandboxSettings: Sendable {
    /// `base`, `python`, `node` or any image name.
    public var image: Located<String>?
    /// An isolation profile by name.
    public var profile: Located<String>?
    public var backend: Located<Backend>?
    /// Extra environment variables; values are templates.
    public var environment: [EnvironmentEntry]
    /// Steps with the same session share one sandbox and its persistent shell, one after another.
    public var session: Located<String>?
    /// The vault's credentials this step's sandbox receives as environment variables; no
    /// other step's does.
    public var credentials: [CredentialDeclaration]

    public init(
        image: Located<String>? = nil, profile: Located<String>? = nil, backend: Located<Backend>? = nil,
        environment: [EnvironmentEntry] = [], session: Located<String>? = nil, credentials: [CredentialDeclaration] = []
    ) {
        self.image = image
        self.profile = profile
        self.backend = backend
        self.environment = environment
        self.session = session
        self.credentials = credentials
    }
}

/// One `env:` entry. Its value is a template; it reaches the sandbox as an environment variable, never as code.
public struct EnvironmentEntry: Sendable {
    public var name: String
    public var value: Template
    public var location: SourceLocation

    public init(name: String, value: Template, location: SourceLocation) {
        self.name = name
        self.value = value
        self.location = location
    }
}
