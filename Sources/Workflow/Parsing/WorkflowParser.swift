import Suggestions

/// Reads workflow YAML into a ``WorkflowDefinition``, collecting every problem it can see
/// locally (types, unknown fields, durations, retry, inputs, templates, expressions).
///
/// Checks that need the whole workflow (dependencies, cycles, what references may read) are
/// ``WorkflowValidator``'s. ``WorkflowLoader`` runs both.
public struct WorkflowParser: Sendable {
    public var registry: StepKindRegistry

    public init(registry: StepKindRegistry = .standard) {
        self.registry = registry
    }

    /// Top-level fields.
    static let topLevelFields = Set(["name", "description", "inputs", "defaults", "steps", "outputs"])
        .union(sandcastleTopLevelFields).union(guardrailTopLevelFields)
    static let defaultsFields: Set<String> = [
        "image", "profile", "backend", "timeout", "retry", "on_failure", "env", "model", "max_turns",
    ]
    static let retryFields: Set<String> = ["max_attempts", "backoff", "initial_delay", "max_delay", "jitter", "on_failure"]
    static let inputFields: Set<String> = ["type", "required", "default", "description", "enum"]

    /// Sandcastle fields with a different home here, and why.
    static let topLevelExplanations: [String: String] = sandcastleLaterFields.merging([
        "env": "put environment for every step in defaults: {env: {…}}",
        "image": "put a workflow-wide image in defaults: {image: python}",
        "on_failure": "put a workflow-wide on_failure in defaults: {on_failure: continue}",
        "credentials": Self.credentialsPerStep,
    ]) { first, _ in first }

    /// Why `credentials:` is refused at the top and in `defaults`.
    static let credentialsPerStep =
        "credentials are given only to the steps that declare them: add `credentials: [NAME]` to each step that needs one"

    /// Step kinds Sandcastle has that this build does not.
    static let laterKinds: Set<String> = [
        "http", "code", "condition", "classify", "loop", "race", "sensor", "gate", "transform",
        "notify", "delegate", "browser", "tool", "acp", "composio", "openclaw", "parse", "report", "managed-agent",
        "trajectory-replay", "computer-use", "accept",
    ]

    /// Other projects' names for our kinds: Sandcastle's `standard` is a `prompt:` step.
    static let kindAliases: [String: StepKind] = ["standard": .agent]

    /// The longest step timeout (Sandcastle's 86400 s).
    public static let maximumStepTimeout: Duration = .seconds(86400)
    public static let maximumSteps = 500
    public static let concurrencyRange = 1...1000

    /// Parses `text` read from `file`. The definition is returned whenever the text is a YAML
    /// mapping, even with errors, so validation can find more of them.
    public func parse(_ text: String, file: String) -> (workflow: WorkflowDefinition?, diagnostics: [ValidationDiagnostic]) {
        let source = SourceText(text, file: file)
        let (root, yamlDiagnostics) = YAMLComposer.compose(text, source: source)
        guard let root else { return (nil, yamlDiagnostics) }
        let session = ParseSession(source: source)
        let workflow = parseWorkflow(root, session: session, file: file)
        return (workflow, session.diagnostics.all)
    }

    private func parseWorkflow(_ root: YAMLNode, session: ParseSession, file: String) -> WorkflowDefinition? {
        guard
            let top = MappingReader(
                root, subject: "the workflow", session: session,
                expectation: "a workflow file is a mapping with `name:` and `steps:`")
        else { return nil }
        let name = top.nonEmptyString("name", required: true, hint: "add `name: my-workflow` at the top")
        if let name, name.value.count > 200 {
            session.error(.invalidValue, at: name.location, "`name` is longer than 200 characters")
        }
        let description = top.string("description")?.value
        var inputs = parseInputs(top, session: session)
        inputs += parseInputSchema(top, alongside: inputs, session: session)
        var defaults = parseDefaults(top, session: session)
        parseSandcastleDefaults(top, into: &defaults, session: session)
        let onComplete = parseOnComplete(top, session: session)
        let onFailure = parseOnFailure(top, session: session)
        let privacy = parsePrivacy(top, session: session)
        let riskLevel = parseRiskLevel(top)
        warnAboutIgnoredFields(top, session: session)
        let policies = parseTopLevelPolicies(top, session: session)
        let steps = parseSteps(top, session: session)
        checkPolicyReferences(steps, policies: policies, session: session)
        var outputs: [WorkflowOutput] = []
        for entry in top.templateMap("outputs", nameRule: Self.nameProblem) ?? [] {
            outputs.append(WorkflowOutput(name: entry.name, value: entry.value, location: entry.location))
        }
        // A mapping `on_failure` is Sandcastle's (read above); a scalar one is explained below.
        if onFailure != nil { top.markRead("on_failure") }
        top.reportUnknownFields(allowed: Self.topLevelFields, explanations: Self.topLevelExplanations)
        return WorkflowDefinition(
            name: name?.value ?? "", description: description, file: file, inputs: inputs,
            defaults: defaults, steps: steps, outputs: outputs, onComplete: onComplete, onFailure: onFailure,
            privacy: privacy, riskLevel: riskLevel, policies: policies)
    }

    // MARK: Inputs

    private func parseInputs(_ top: MappingReader, session: ParseSession) -> [InputDefinition] {
        guard let reader = top.mapping("inputs", expectation: "write inputs: {NAME: {type: string, default: …}}") else {
            return []
        }
        var inputs: [InputDefinition] = []
        for name in reader.keys {
            guard let node = reader.value(name) else { continue }
            let location = reader.keyLocation(name) ?? node.location
            if let problem = Self.nameProblem(name) {
                session.error(.invalidInputDeclaration, at: location, problem)
                continue
            }
            if name == TemplateReference.itemName || name == TemplateReference.indexName {
                session.error(
                    .invalidInputDeclaration, at: location,
                    "`\(name)` is reserved for the current item of a `parallel_over` fan-out",
                    hint: "rename the input")
                continue
            }
            if let input = parseInput(name, node: node, location: location, session: session) { inputs.append(input) }
        }
        return inputs
    }

    func parseInput(
        _ name: String, node: YAMLNode, location: SourceLocation,
        session: ParseSession
    ) -> InputDefinition? {
        // Shorthand: `count: integer`.
        if let scalar = node.scalar {
            guard case .string(let typeName) = scalar.value, let type = inputType(typeName, at: node.location, session) else {
                if case .string = scalar.value {
                } else {
                    session.error(
                        .invalidInputDeclaration, at: node.location,
                        "input `\(name)` must be a type name or a mapping, found \(node.typeName)",
                        hint: "write \(name): {type: \(scalar.value.typeName == "list" ? "list" : "string"), default: \(scalar.text)}")
                }
                return nil
            }
            return InputDefinition(name: name, type: type, location: location)
        }
        guard
            let reader = MappingReader(
                node, subject: "input `\(name)`", session: session,
                expectation: "write \(name): {type: string, default: …}")
        else { return nil }
        var type = InputType.string
        if let typeName = reader.string("type") {
            guard let parsed = inputType(typeName.value, at: typeName.location, session) else { return nil }
            type = parsed
        }
        let required = reader.bool("required")
        let defaultNode = reader.value("default")
        var defaultValue = defaultNode?.jsonValue
        if let defaultNode, let value = defaultValue {
            if value == .null {
                defaultValue = nil
            } else if !type.accepts(value) {
                session.error(
                    .invalidInputDeclaration, at: defaultNode.location,
                    "the default of `\(name)` must be \(Self.article(type)), found \(value.typeName)",
                    hint: Self.typeHint(type, value: value))
                defaultValue = nil
            }
        }
        var allowed: [JSONValue]?
        if let enumNode = reader.value("enum") {
            if case .sequence(let items) = enumNode.content, !items.isEmpty {
                allowed = []
                for item in items {
                    if type.accepts(item.jsonValue) {
                        allowed?.append(item.jsonValue)
                    } else {
                        session.error(
                            .invalidInputDeclaration, at: item.location,
                            "values in `enum` of `\(name)` must be \(Self.article(type)), found \(item.typeName)")
                    }
                }
            } else {
                session.error(.wrongType, at: enumNode.location, "`enum` must be a non-empty list of allowed values")
            }
        }
        if let allowed, let defaultValue, !allowed.contains(where: { $0.looselyEquals(defaultValue) }) {
            session.error(
                .invalidInputDeclaration, at: defaultNode?.location ?? location,
                "the default of `\(name)` is not one of its `enum` values")
        }
        if required?.value == true, defaultValue != nil {
            session.warning(
                .invalidInputDeclaration, at: required?.location,
                "`\(name)` is required but has a default, so it can never be missing",
                hint: "remove `required: true` or the default")
        }
        let description = reader.string("description")?.value
        reader.reportUnknownFields(
            allowed: Self.inputFields,
            explanations: ["choices": "write the allowed values as `enum: [...]`"])
        return InputDefinition(
            name: name, type: type, required: required?.value, defaultValue: defaultValue,
            description: description, allowedValues: allowed, location: location)
    }

    private func inputType(_ name: String, at location: SourceLocation, _ session: ParseSession) -> InputType? {
        if let type = InputType(name: name) { return type }
        let names = InputType.all.map(\.rawValue)
        session.error(
            .invalidInputDeclaration, at: location, "unknown input type `\(name)`",
            hint: EditDistance.suggestion(for: name, among: names + Array(InputType.aliases.keys))
                ?? "use one of \(names.joined(separator: ", "))")
        return nil
    }

    static func article(_ type: InputType) -> String {
        switch type {
        case .integer, .object: "an \(type)"
        case .list: "a list"
        default: "a \(type)"
        }
    }

    static func typeHint(_ type: InputType, value: JSONValue) -> String? {
        switch (type, value) {
        case (.integer, .string(let text)) where Int(text) != nil: "remove the quotes: default: \(text)"
        case (.number, .string(let text)) where Double(text) != nil: "remove the quotes: default: \(text)"
        case (.boolean, .string(let text)) where ["true", "false"].contains(text.lowercased()):
            "remove the quotes: default: \(text.lowercased())"
        case (.string, _): "quote it: default: \"\(value.renderedString)\""
        case (.list, _): "write a list: default: [a, b]"
        case (.integer, .number): "use a whole number, or declare type: number"
        default: nil
        }
    }

    /// Names of inputs, outputs and environment entries follow identifier rules, so they map to
    /// environment variables without surprises.
    static func nameProblem(_ name: String) -> String? {
        guard let first = name.unicodeScalars.first,
            ("a"..."z").contains(first) || ("A"..."Z").contains(first) || first == "_",
            name.unicodeScalars.allSatisfy({
                ("a"..."z").contains($0) || ("A"..."Z").contains($0)
                    || ("0"..."9").contains($0) || $0 == "_"
            })
        else { return "`\(name)` is not a valid name: use letters, digits and `_`, starting with a letter or `_`" }
        return nil
    }

    static func environmentNameProblem(_ name: String) -> String? {
        if let problem = nameProblem(name) { return problem }
        if name.hasPrefix("SC_") {
            return "`\(name)`: names starting with SC_ are reserved for the values of template references"
        }
        return nil
    }

    // MARK: Defaults

    private func parseDefaults(_ top: MappingReader, session: ParseSession) -> StepDefaults {
        guard let reader = top.mapping("defaults", expectation: "write defaults: {image: python, timeout: 5m}") else {
            return StepDefaults()
        }
        var defaults = StepDefaults()
        defaults.image = reader.nonEmptyString("image")
        defaults.profile = reader.nonEmptyString("profile")
        defaults.backend = backend(reader)
        defaults.timeout = reader.duration("timeout", in: .seconds(1)...Self.maximumStepTimeout)
        defaults.retry = reader.has("retry") ? retry(reader, session: session) : nil
        defaults.onFailure = reader.choice("on_failure", FailureAction.self)
        if let action = defaults.onFailure, action.value == .fallback {
            session.error(
                .invalidValue, at: action.location, "`on_failure: fallback` is set per step, beside the step's `fallback:`",
                hint: "use abort, skip or continue in defaults")
            defaults.onFailure = nil
        }
        defaults.environment = environment(reader)
        defaults.model = reader.nonEmptyString("model")
        defaults.maxTurns = reader.integer("max_turns", in: AgentStepConfiguration.maxTurnsRange)
        reader.reportUnknownFields(
            allowed: Self.defaultsFields,
            explanations: [
                "session": "a session is per step: set `session:` on the steps that share it",
                "credentials": Self.credentialsPerStep,
            ])
        return defaults
    }

    // MARK: Steps

    private func parseSteps(_ top: MappingReader, session: ParseSession) -> [StepDefinition] {
        guard let node = top.value("steps") else {
            session.error(
                .missingField, at: top.node.location, "the workflow has no `steps`",
                hint: "add steps:\n    - id: hello\n      run: echo hello")
            return []
        }
        guard case .sequence(let items) = node.content else {
            session.error(
                .wrongType, at: node.location, "`steps` must be a list, found \(node.typeName)",
                hint: "start each step with `- id: …`")
            return []
        }
        if items.isEmpty {
            session.error(.invalidValue, at: node.location, "`steps` is empty", hint: "add at least one step")
        } else if items.count > Self.maximumSteps {
            session.error(
                .invalidValue, at: node.location,
                "a workflow may have at most \(Self.maximumSteps) steps, found \(items.count)",
                hint: "split it with `type: sub_workflow` steps")
        }
        return items.enumerated().compactMap { parseStep($1, number: $0 + 1, session: session) }
    }

    static let stepIDRule = "step ids are 1–100 letters, digits, `_` and `-`, not starting with `-`"

    static func isValidStepID(_ id: String) -> Bool {
        guard let first = id.unicodeScalars.first, first != "-", id.unicodeScalars.count <= 100 else { return false }
        return id.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0)
                || ("0"..."9").contains($0) || $0 == "_" || $0 == "-"
        }
    }

    private func parseStep(_ node: YAMLNode, number: Int, session: ParseSession) -> StepDefinition? {
        var subject = "step \(number)"
        if case .mapping(let pairs) = node.content,
            let id = pairs.first(where: { $0.key.scalar?.text == "id" })?.value.scalar?.text
        {
            subject = "step `\(id)`"
        }
        guard
            let step = MappingReader(
                node, subject: subject, session: session,
                expectation: "each step is a mapping: - id: NAME\n      run: COMMAND")
        else { return nil }
        let id = step.nonEmptyString("id", required: true, hint: "give the step a unique id: - id: build")
        if let id, !Self.isValidStepID(id.value) {
            session.error(.invalidValue, at: id.location, "`\(id.value)` is not a valid step id", hint: Self.stepIDRule)
        }
        let stepID = id?.value ?? "#\(number)"

        let kind = stepKind(step, session: session)
        let handler = kind.flatMap { registry.handler(for: $0) }
        let allowed = handler.map { $0.fields.union($0.sharedFields) } ?? registry.allFields
        func accepts(_ field: String) -> Bool { allowed.contains(field) }

        var fieldLocations: [String: SourceLocation] = [:]
        for key in step.keys { if let location = step.peek(key)?.location { fieldLocations[key] = location } }

        let description = accepts("description") ? step.string("description")?.value : nil
        let dependsOn = accepts("depends_on") ? (step.stringList("depends_on") ?? []) : []
        let when = accepts("when") ? parseWhen(step, session: session) : nil
        var onFailure = accepts("on_failure") ? step.choice("on_failure", FailureAction.self) : nil
        let timeout = accepts("timeout") ? step.duration("timeout", in: .seconds(1)...Self.maximumStepTimeout) : nil
        let retry = accepts("retry") && step.has("retry") ? self.retry(step, session: session) : nil
        if let fromRetry = retry?.onFailure {
            // Sandcastle's home for it; one step cannot say two things.
            if let own = onFailure, own.value != fromRetry.value {
                session.error(
                    .invalidRetry, at: fromRetry.location,
                    "`retry.on_failure: \(fromRetry.value.rawValue)` contradicts the step's `on_failure: \(own.value.rawValue)`",
                    hint: "keep one of them")
            }
            onFailure = onFailure ?? fromRetry
        }
        let fanOut = accepts("parallel_over") ? parseFanOut(step, session: session) : nil
        if fanOut == nil, accepts("max_concurrency"), let location = step.keyLocation("max_concurrency"),
            !step.has("parallel_over")
        {
            session.error(
                .invalidValue, at: location, "`max_concurrency` only applies to a step with `parallel_over`",
                hint: "add parallel_over: \"{input.items}\" or remove max_concurrency")
        }
        var sandbox = SandboxSettings()
        if handler?.usesSandbox ?? false {
            sandbox.image = step.nonEmptyString("image")
            sandbox.profile = step.nonEmptyString("profile")
            sandbox.backend = backend(step)
            sandbox.environment = environment(step)
            sandbox.session = step.nonEmptyString("session")
            sandbox.credentials = credentials(step, environment: sandbox.environment, session: sandbox.session)
        }
        let configuration = handler?.parseConfiguration(step) ?? UnparsedStepConfiguration()
        let policies = accepts("policies") ? parseStepPolicies(step, session: session) : nil

        // Fields that exist for other kinds get a precise explanation instead of "did you mean".
        var explanations: [String: String] = [:]
        let kindName = kind?.rawValue ?? "this"
        for field in registry.allFields where !allowed.contains(field) {
            let owners = registry.order.filter { registry.handlers[$0].map { $0.fields.contains(field) } ?? false }
            explanations[field] =
                owners.isEmpty
                ? "\(kindName) steps do not take `\(field)`"
                : "`\(field)` belongs to \(owners.map { "`type: \($0)`" }.joined(separator: " and ")) steps; this is a \(kindName) step"
        }
        explanations["max_concurrent"] = accepts("max_concurrency") ? "did you mean `max_concurrency`?" : nil
        explanations["approval"] = "write `type: approval` and put its settings in `approval_config`"
        explanations["needs"] = "write dependencies as `depends_on: [a, b]`"
        step.reportUnknownFields(allowed: allowed, explanations: explanations)

        return StepDefinition(
            id: stepID, kind: kind ?? StepKind("unknown"), configuration: configuration,
            description: description, dependsOn: dependsOn, when: when, onFailure: onFailure,
            timeout: timeout, retry: retry, fanOut: fanOut, sandbox: sandbox, location: node.location,
            fieldLocations: fieldLocations, policies: policies)
    }

    private func stepKind(_ step: MappingReader, session: ParseSession) -> StepKind? {
        guard let type = step.string("type") else {
            if step.has("type") { return nil }
            if let inferred = registry.inferKind(fromFields: Set(step.keys)) { return inferred }
            let triggers = registry.order.compactMap { registry.handlers[$0]?.impliedByField }
            session.error(
                .missingField, at: step.node.location, "\(step.subject) has nothing to do",
                hint: "add `run: <command>`, or set `type:` (\(registry.order.map(\.rawValue).joined(separator: ", "))); "
                    + "a step's kind comes from `type:` or from one of \(triggers.joined(separator: ", "))")
            return nil
        }
        let kind = Self.kindAliases[type.value] ?? StepKind(type.value)
        guard registry.handler(for: kind) == nil else { return kind }
        if Self.laterKinds.contains(type.value) {
            session.error(
                .invalidValue, at: type.location, "`type: \(type.value)` steps are not supported yet",
                hint: "use a `run:` step with a shell command; supported types: \(registry.order.map(\.rawValue).joined(separator: ", "))")
        } else {
            session.error(
                .invalidValue, at: type.location, "unknown step type `\(type.value)`",
                hint: EditDistance.suggestion(for: type.value, among: registry.order.map(\.rawValue))
                    ?? "use one of \(registry.order.map(\.rawValue).joined(separator: ", "))")
        }
        return nil
    }

    private func parseWhen(_ step: MappingReader, session: ParseSession) -> WhenCondition? {
        guard let node = step.value("when") else { return nil }
        guard let scalar = node.scalar, scalar.value != .null else {
            session.error(
                .wrongType, at: node.location, "`when` must be an expression, found \(node.typeName)",
                hint: "write when: steps.check.output.ok == true")
            return nil
        }
        let text = scalar.text
        let source = session.source
        let count = text.unicodeScalars.count
        // Column → file position, so errors and references inside long expressions point exactly.
        let columns =
            count <= 2000
            ? (0..<count).map { source.location(ofOffset: $0, inValue: text, startingAt: node.location) }
            : []
        func location(_ column: Int) -> SourceLocation {
            column >= 1 && column <= columns.count ? columns[column - 1] : node.location
        }
        do {
            let expression = try ExpressionParser.parse(text)
            return WhenCondition(source: text, expression: expression, location: node.location, columnLocations: columns)
        } catch {
            session.error(.invalidExpression, at: location(error.column), "invalid `when`: \(error.message)", hint: error.hint)
            return nil
        }
    }

    private func parseFanOut(_ step: MappingReader, session: ParseSession) -> FanOut? {
        guard let text = step.nonEmptyString("parallel_over", hint: "write parallel_over: \"{steps.ID.output.items}\"") else {
            return nil
        }
        let maxConcurrency = step.integer("max_concurrency", in: Self.concurrencyRange)
        var body = text.value.trimmingSpaces
        if body.hasPrefix("{") && body.hasSuffix("}") { body = String(body.dropFirst().dropLast()) }
        let hint = "write the list to fan out over as one reference: \"{input.NAME}\" or \"{steps.ID.output.PATH}\""
        do {
            guard let reference = try TemplateReference.parse(body) else {
                session.error(.invalidValue, at: text.location, "`parallel_over` must be a reference to a list", hint: hint)
                return nil
            }
            switch reference {
            case .input, .step(_, .output, _):
                return FanOut(reference: reference, maxConcurrency: maxConcurrency?.value, location: text.location)
            default:
                session.error(.invalidValue, at: text.location, "`parallel_over` cannot fan out over `{\(reference)}`", hint: hint)
                return nil
            }
        } catch {
            session.error(.invalidTemplate, at: text.location, error.message, hint: error.hint ?? hint)
            return nil
        }
    }

    // MARK: Shared pieces

    private func backend(_ reader: MappingReader) -> Located<Backend>? {
        guard let text = reader.nonEmptyString("backend") else { return nil }
        let backend = Backend(rawValue: text.value)
        guard Backend.known.contains(backend) else {
            let names = Backend.known.map(\.rawValue)
            reader.session.error(
                .invalidValue, at: text.location, "unknown backend `\(text.value)`",
                hint: EditDistance.suggestion(for: text.value, among: names)
                    ?? "use one of \(names.joined(separator: ", "))")
            return nil
        }
        return Located(backend, at: text.location)
    }

    private func environment(_ reader: MappingReader) -> [EnvironmentEntry] {
        (reader.templateMap("env", nameRule: Self.environmentNameProblem) ?? []).map {
            EnvironmentEntry(name: $0.name, value: $0.value, location: $0.location)
        }
    }

    private func retry(_ owner: MappingReader, session: ParseSession) -> RetrySettings? {
        guard let reader = owner.mapping("retry", expectation: "write retry: {max_attempts: 3, backoff: exponential}") else {
            return nil
        }
        var settings = RetrySettings(location: reader.node.location)
        if let node = reader.value("max_attempts") {
            if case .integer(let attempts)? = node.scalar?.value {
                if RetryPolicy.attemptsRange.contains(attempts) {
                    settings.maxAttempts = attempts
                } else {
                    session.error(
                        .invalidRetry, at: node.location,
                        "`retry.max_attempts` must be between \(RetryPolicy.attemptsRange.lowerBound) and \(RetryPolicy.attemptsRange.upperBound), found \(attempts)",
                        hint: attempts < 1 ? "max_attempts counts the first try too: 1 means no retry" : nil)
                }
            } else {
                session.error(
                    .wrongType, at: node.location, "`retry.max_attempts` must be an integer, found \(node.typeName)",
                    hint: "write max_attempts: 3")
            }
        }
        settings.backoff = reader.choice("backoff", RetryPolicy.Backoff.self)?.value
        let initial = reader.duration("initial_delay", in: .zero...Duration.seconds(3600))
        let maximum = reader.duration("max_delay", in: .zero...Duration.seconds(86400))
        settings.initialDelay = initial?.value
        settings.maxDelay = maximum?.value
        if let initial, let maximum, initial.value > maximum.value {
            session.error(
                .invalidRetry, at: maximum.location, "`retry.max_delay` is shorter than `initial_delay`",
                hint: "make max_delay at least \(DurationParser.format(initial.value))")
        }
        settings.jitter = reader.bool("jitter")?.value
        settings.onFailure = reader.choice("on_failure", FailureAction.self)
        reader.reportUnknownFields(allowed: Self.retryFields, explanations: ["attempts": "did you mean `max_attempts`?"])
        return settings
    }
}

/// The configuration of a step whose kind or fields could not be read. It keeps the step in
/// the graph so one mistake does not cascade into "unknown dependency" errors elsewhere.
public struct UnparsedStepConfiguration: StepConfiguration {
    public init() {}
    public var templates: [Template] { [] }
}
