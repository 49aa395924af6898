/// A `type: llm` step: one model call, no sandbox, no tools (Sandcastle's `llm`).
public struct LLMStepConfiguration: StepConfiguration {
    /// The user message. References are spliced in as text, as in an agent's prompt.
    public var prompt: Template
    /// nil takes the workflow's `default_model`, then `sonnet`.
    public var model: Located<String>?
    public var systemPrompt: Template?
    /// Sandcastle's default is 0.2.
    public var temperature: Double?
    /// Sandcastle's default is 4096.
    public var maxTokens: Int?
    public var outputSchema: Located<JSONValue>?

    public init(
        prompt: Template, model: Located<String>? = nil, systemPrompt: Template? = nil, temperature: Double? = nil,
        maxTokens: Int? = nil, outputSchema: Located<JSONValue>? = nil
    ) {
        self.prompt = prompt
        self.model = model
        self.systemPrompt = systemPrompt
        self.temperature = temperature
        self.maxTokens = maxTokens
        self.outputSchema = outputSchema
    }

    public var templates: [Template] { [prompt] + (systemPrompt.map { [$0] } ?? []) }

    public static let builtInTemperature = 0.2
    public static let builtInMaxTokens = 4096
}

extension StepKind {
    /// One model call without a sandbox.
    public static let llm = StepKind("llm")
}

/// The `llm` kind. Its settings go in `llm_config`, as in Sandcastle.
public struct LLMStepKind: StepKindHandler {
    public init() {}

    public var kind: StepKind { .llm }
    public var summary: String { "one model call, no sandbox and no tools (llm_config: system_prompt, temperature, max_tokens)" }
    public var fields: Set<String> { ["prompt", "model", "llm_config", "output_schema"] }
    public var sharedFields: Set<String> { StepFields.control.union(StepFields.execution).union(StepFields.guarded) }
    public var impliedByField: String? { "llm_config" }

    public func parseConfiguration(_ step: MappingReader) -> (any StepConfiguration)? {
        guard let prompt = step.template("prompt", required: true, hint: "add `prompt: <the question>`") else { return nil }
        var configuration = LLMStepConfiguration(
            prompt: prompt, model: ModelFields.model(step), outputSchema: ModelFields.schema(step, "output_schema"))
        if step.has("llm_config"),
            let config = step.mapping("llm_config", expectation: "write llm_config: {system_prompt: \"…\", temperature: 0.2}")
        {
            configuration.systemPrompt = config.template("system_prompt")
            configuration.temperature = ModelFields.temperature(config, "temperature")
            configuration.maxTokens = config.integer("max_tokens", in: ModelFields.maxTokensRange)?.value
            config.reportUnknownFields(
                allowed: ["system_prompt", "temperature", "max_tokens"],
                explanations: ["model": "put `model` on the step, beside `llm_config`"])
        }
        return configuration
    }
}
