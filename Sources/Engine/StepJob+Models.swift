import Agent
import Foundation
import Sandbox
import Workflow

/// The work of agent (`prompt:`) and `llm` steps, with Sandcastle's defaults and prompt rules.
extension StepJob {
    /// Sandcastle's instruction before every agent step's task, so its workflows get the same
    /// terse answers here (`_STEP_SYSTEM_PREFIX` in its executor).
    static let answerInstruction =
        "IMPORTANT: Return ONLY the requested data. No introductory text, no commentary, no filler phrases, no sign-offs. "
        + "Do not include a Sources/References section. Do not include Notes or Remarks sections. Go straight to the answer."

    /// What every agent is told about where it works.
    static let agentSystemPrompt = """
        You are an autonomous agent working inside an isolated Linux sandbox. Your working directory is /workspace; \
        files you write there are kept for the steps after you. Use the tools to inspect, run and change things \
        rather than guessing, and finish with your answer.
        """

    func agentWork(
        _ configuration: AgentStepConfiguration, context: TemplateContext, environment: [String: String], fallback: Bool
    ) -> AgentWork {
        let template = fallback ? (configuration.fallback?.prompt ?? configuration.prompt) : configuration.prompt
        let model =
            (fallback ? configuration.fallback?.model?.value : nil) ?? configuration.model?.value ?? defaultModel
            ?? AgentStepConfiguration.builtInModel
        var system = Self.agentSystemPrompt + "\n\n" + Self.answerInstruction
        if let own = configuration.systemPrompt {
            system += "\n\n" + PromptRenderer.render(own, step: step, context: context).text
        }
        let plan = ModelCallPlan(
            model: model, systemPrompt: system,
            maxTurns: configuration.maxTurns?.value ?? defaultMaxTurns ?? AgentStepConfiguration.builtInMaxTurns,
            maxTokens: configuration.maxTokens ?? AgentConfiguration.defaultMaxTokens, temperature: configuration.temperature,
            outputSchema: configuration.outputSchema?.value)
        return AgentWork(
            prompt: PromptRenderer.render(template, step: step, context: context).text, plan: plan,
            tools: configuration.tools?.map(\.value),
            subagents: configuration.subagents.map {
                Agent.SubagentDefinition(name: $0.name, description: $0.description, prompt: $0.prompt, tools: $0.tools, model: $0.model)
            },
            networked: Self.profileHasNetwork(settings.profile), environment: environment, mcpServers: configuration.mcpServers,
            hostEnvironment: self.configuration.environment)
    }

    func llmWork(_ configuration: LLMStepConfiguration, context: TemplateContext) -> LLMWork {
        var system = Self.answerInstruction
        if let own = configuration.systemPrompt {
            system += "\n\n" + PromptRenderer.render(own, step: step, context: context).text
        }
        // One call; with a schema, up to two repairs of an answer that breaks it.
        let plan = ModelCallPlan(
            model: configuration.model?.value ?? defaultModel ?? AgentStepConfiguration.builtInModel,
            systemPrompt: system, maxTurns: configuration.outputSchema == nil ? 1 : 3,
            maxTokens: configuration.maxTokens ?? LLMStepConfiguration.builtInMaxTokens,
            temperature: configuration.temperature ?? LLMStepConfiguration.builtInTemperature,
            outputSchema: configuration.outputSchema?.value)
        // Sandcastle resolves an llm step's templates without appending its dependencies.
        var prompt = ""
        for part in configuration.prompt.parts {
            switch part {
            case .literal(let text): prompt += text
            case .reference(let reference, _): prompt += (try? context.resolve(reference).renderedString) ?? "{\(reference)}"
            }
        }
        return LLMWork(prompt: prompt, plan: plan)
    }

    /// Whether sandboxes of `profile` reach the network (what `WebFetch` needs); unknown profiles have none.
    static func profileHasNetwork(_ profile: String) -> Bool {
        (try? ProfileCatalog().profile(named: profile))?.network == .bridge
    }
}
