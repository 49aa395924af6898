import Agent
import JSONValues
import ModelProviders
import OneShotAgent

/// A `POST /query` body turned into a one-shot session, every check done before the answer
/// starts streaming: what fails here is a 422, never an `error` event.
struct SandstormQuery: Sendable {
    let prepared: OneShotSession.Prepared
    /// Sent first, as `warning` messages: what the body asked for that is left out.
    let warnings: [String]

    /// `config` is the server's `sandstorm.json`, whose settings a body's fields override as in
    /// Sandstorm (`model`, `max_turns`, `timeout`, `output_format` where `{}` turns it off,
    /// `allowed_tools` replacing the list); `extra_agents` join its agents before
    /// `allowed_agents` keeps some, and `allowed_mcp_servers` keeps some of its MCP servers
    /// (null: all, `[]`: none).
    ///
    /// - Returns: the prepared session, or the problems as FastAPI would list them.
    static func prepare(
        _ body: SandstormQueryBody, session: OneShotSession, config: SandstormConfig = SandstormConfig()
    ) -> Result<SandstormQuery, SandstormValidationFailure> {
        var errors: [SandstormValidationError] = []
        var warnings: [String] = []
        var files = UploadedFiles.none
        if let map = body.files {
            do {
                files = try UploadedFiles(map)
            } catch {
                errors.append(.value(["body", "files"], "\(error)"))
            }
        }
        var outputFormat: OutputFormat?
        if let format = body.outputFormat ?? config.outputFormat {
            do {
                outputFormat = try OutputFormat.parse(format)
            } catch {
                errors.append(.value(["body", "output_format"], "\(error)"))
            }
        }
        var agents: [SubagentDefinition] = []
        switch Self.agents(config: config.agents, extra: body.extraAgents, allowed: body.allowedAgents) {
        case .success(let value):
            do {
                agents = try value.map(SubagentDefinition.parse) ?? []
            } catch {
                errors.append(.value(["body", body.extraAgents == nil ? "allowed_agents" : "extra_agents"], "\(error)"))
            }
        case .failure(let error): errors.append(error)
        }
        let mcpServers = config.mcpServers.filter { server in body.allowedMCPServers.map { $0.contains(server.name) } ?? true }
        if body.resume != nil {
            errors.append(.value(["body", "resume"], "resume is not supported: Sandcastle keeps no agent sessions to resume"))
        }
        if let skills = body.extraSkills, !skills.isEmpty {
            warnings.append("extra_skills (\(skills.keys.sorted().joined(separator: ", "))) left out: Sandcastle's agent has no skills")
        }
        guard errors.isEmpty else { return .failure(SandstormValidationFailure(errors)) }

        let request = OneShotRequest(
            prompt: body.prompt, files: files, model: body.model ?? config.model, maxTurns: body.maxTurns ?? config.maxTurns,
            timeoutSeconds: body.timeout ?? config.timeout, systemPrompt: config.effectiveSystemPrompt, outputFormat: outputFormat,
            allowedTools: body.allowedTools ?? config.allowedTools, agents: agents, mcpServers: mcpServers,
            maxBudgetUSD: body.maxBudgetUSD, partialMessages: body.includePartialMessages)
        let credentials = RequestCredentials(anthropicAPIKey: body.anthropicAPIKey, openRouterAPIKey: body.openRouterAPIKey)
        do {
            return .success(SandstormQuery(prepared: try session.prepare(request, credentials: credentials), warnings: warnings))
        } catch let error as OneShotError {
            return .failure(SandstormValidationFailure([validationError(error)]))
        } catch {
            return .failure(SandstormValidationFailure([.value(["body"], "\(error)")]))
        }
    }

    /// The subagents as Sandstorm assembles them: the config's, `extra_agents` merged in (which
    /// a config listing its agents as a list refuses), then only `allowed_agents` kept.
    static func agents(
        config: JSONValue?, extra: [String: JSONValue]?, allowed: [String]?
    ) -> Result<JSONValue?, SandstormValidationError> {
        var merged: [String: JSONValue]
        switch config {
        case nil: merged = [:]
        case .object(let members)?: merged = members
        case let list?:
            guard extra == nil, allowed == nil else {
                return .failure(
                    .value(
                        ["body", extra == nil ? "allowed_agents" : "extra_agents"],
                        "the server's sandstorm.json lists its agents as a list; extra_agents and allowed_agents need them as an object of named agents"))
            }
            return .success(list)
        }
        for (name, definition) in extra ?? [:] { merged[name] = definition }
        if let allowed { merged = merged.filter { allowed.contains($0.key) } }
        return .success(merged.isEmpty && config == nil ? nil : .object(merged))
    }

    /// Where FastAPI would have put the problem, in Sandstorm's words where it has some.
    static func validationError(_ error: OneShotError) -> SandstormValidationError {
        switch error.code {
        case .providerNotConfigured:
            // Sandstorm's own message for the Anthropic key, and its like for OpenRouter.
            let message =
                switch error.provider {
                case "anthropic": "anthropic_api_key is required — pass it in the request body or set ANTHROPIC_API_KEY in the environment"
                case "openrouter": "openrouter_api_key is required — pass it in the request body or set OPENROUTER_API_KEY in the environment"
                default: "\(error.provider ?? "the model's provider") is not configured on this server: set \(error.variable ?? "its key")"
                }
            return .value(["body"], message)
        case .unknownModel: return .value(["body", "model"], error.message)
        case .unknownTool: return .value(["body", "allowed_tools"], error.message)
        case .invalidAgents: return .value(["body", "extra_agents"], error.message)
        case .invalidOutputFormat: return .value(["body", "output_format"], error.message)
        default: return .value(["body"], error.message)
        }
    }
}
