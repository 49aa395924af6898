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

    /// - Returns: the prepared session, or the problems as FastAPI would list them.
    static func prepare(_ body: SandstormQueryBody, session: OneShotSession) -> Result<SandstormQuery, SandstormValidationFailure> {
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
        if let format = body.outputFormat {
            do {
                outputFormat = try OutputFormat.parse(format)
            } catch {
                errors.append(.value(["body", "output_format"], "\(error)"))
            }
        }
        var agents: [SubagentDefinition] = []
        if var extra = body.extraAgents {
            // Sandstorm merges extra_agents into the config's agents, then keeps only allowed_agents;
            // this server has no config agents.
            if let allowed = body.allowedAgents { extra = extra.filter { allowed.contains($0.key) } }
            do {
                agents = try SubagentDefinition.parse(.object(extra))
            } catch {
                errors.append(.value(["body", "extra_agents"], "\(error)"))
            }
        }
        if body.resume != nil {
            errors.append(.value(["body", "resume"], "resume is not supported: Sandcastle keeps no agent sessions to resume"))
        }
        if let skills = body.extraSkills, !skills.isEmpty {
            warnings.append("extra_skills (\(skills.keys.sorted().joined(separator: ", "))) left out: Sandcastle's agent has no skills")
        }
        guard errors.isEmpty else { return .failure(SandstormValidationFailure(errors)) }

        let request = OneShotRequest(
            prompt: body.prompt, files: files, model: body.model, maxTurns: body.maxTurns, timeoutSeconds: body.timeout,
            outputFormat: outputFormat, allowedTools: body.allowedTools, agents: agents, maxBudgetUSD: body.maxBudgetUSD,
            partialMessages: body.includePartialMessages)
        let credentials = RequestCredentials(anthropicAPIKey: body.anthropicAPIKey, openRouterAPIKey: body.openRouterAPIKey)
        do {
            return .success(SandstormQuery(prepared: try session.prepare(request, credentials: credentials), warnings: warnings))
        } catch let error as OneShotError {
            return .failure(SandstormValidationFailure([validationError(error)]))
        } catch {
            return .failure(SandstormValidationFailure([.value(["body"], "\(error)")]))
        }
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
