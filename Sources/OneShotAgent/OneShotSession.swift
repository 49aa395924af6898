import Agent
import Foundation
import Guardrails
import JSONValues
import ModelProviders
import Sandbox

/// Sandstorm's one-shot agent (`ds "…"`, `POST /query`), shared by `sandcastle agent` and the
/// server: a fresh sandbox, the request's files in its workspace, one ``AgentLoop`` with Claude
/// Code's tools run inside it, its messages streamed in Sandstorm's shapes, and the sandbox
/// destroyed afterwards — always: on success, on error, on cancellation (Ctrl-C, a client that
/// disconnected).
///
/// The agent runs on the host; provider keys stay in the router and never enter the sandbox
/// (its environment is the image's own, the tools add nothing).
///
/// ```swift
/// let session = OneShotSession(router: router)
/// let prepared = try session.prepare(request)          // every check, before any sandbox
/// let outcome = await session.run(prepared, sandboxes: BackendSandboxes(backend: docker)) { message in
///     print(message.jsonText)
/// }
/// ```
public struct OneShotSession: Sendable {
    public let router: ModelRouter
    /// The privacy router's `prompts` target (the server's `PRIVACY_*`): every request is
    /// redacted before it leaves; nil sends them as they are.
    public let promptRedactor: PIIDetector?

    /// Where the files go and the agent works (Sandstorm's is `/home/user`; ours is the sandbox's workspace).
    public static let workingDirectory = AgentConfiguration.defaultWorkingDirectory

    public init(router: ModelRouter, promptRedactor: PIIDetector? = nil) {
        self.router = router
        self.promptRedactor = promptRedactor
    }

    /// A checked request, ready to run: the model resolved and its provider configured, the
    /// tools, the loop's configuration.
    public struct Prepared: Sendable {
        public let sessionID: String
        public let request: OneShotRequest
        /// The model asked for, as the models file resolves it.
        public let model: ResolvedModel
        /// What was asked for and left out (tools Sandcastle does not have), as `warning` messages.
        public let warnings: [String]
        /// The built-in tools; an MCP server's tools join them once the server has started.
        public let tools: ToolSet
        /// `allowed_tools` as kept (built-in names, and `mcp__…` names of configured servers); nil: all.
        let allowedTools: [String]?
        let provider: any ModelProvider
        let configuration: AgentConfiguration
    }

    /// How a session ended.
    public struct Outcome: Sendable {
        public let sessionID: String
        /// Nil when the agent never ran (the sandbox did not start, an upload failed).
        public let result: AgentResult?
        /// Why it never ran.
        public let error: String?

        /// An error `result`, or no result at all.
        public var isError: Bool { result?.isError ?? true }
    }

    /// Checks `request` without creating anything: settings in range, the model known and its
    /// provider configured (with `credentials`, a request's own keys, in place of the
    /// environment's), the tools and subagents valid, the output schema compiled.
    ///
    /// - Throws: ``OneShotError`` naming what is wrong.
    public func prepare(_ request: OneShotRequest, credentials: RequestCredentials = RequestCredentials()) throws -> Prepared {
        let promptLength = request.prompt.unicodeScalars.count
        guard OneShotRequest.promptLength.contains(promptLength) else {
            throw OneShotError(
                .invalidSetting,
                "prompt must have \(OneShotRequest.promptLength.lowerBound) to \(OneShotRequest.promptLength.upperBound) characters, not \(promptLength)")
        }
        let maxTurns = request.maxTurns ?? OneShotRequest.defaultMaxTurns
        guard maxTurns >= 1 else { throw OneShotError(.invalidSetting, "max_turns must be at least 1, not \(maxTurns)") }
        let timeout = request.timeoutSeconds ?? OneShotRequest.defaultTimeoutSeconds
        guard OneShotRequest.timeoutRange.contains(timeout) else {
            throw OneShotError(
                .invalidSetting,
                "timeout must be \(OneShotRequest.timeoutRange.lowerBound) to \(OneShotRequest.timeoutRange.upperBound) seconds, not \(timeout)")
        }
        if let budget = request.maxBudgetUSD, !(budget >= 0 && budget.isFinite) {
            throw OneShotError(.invalidSetting, "max_budget_usd must be 0 or more, not \(budget)")
        }
        let modelName = request.model ?? OneShotRequest.defaultModel
        let model: ResolvedModel
        do {
            model = try router.catalog.resolve(modelName)
        } catch {
            throw OneShotError(.unknownModel, "\(error)")
        }
        let routed = router.overriding(credentials)
        try Self.requireConfigured(model, modelName: modelName, settings: routed.settings)

        let networked = Self.profileHasNetwork(request.profile)
        var warnings: [String] = []
        for server in request.mcpServers {
            do {
                try server.validate()
            } catch {
                throw OneShotError(.invalidSetting, "mcp_servers: \(error)")
            }
        }
        let allowed = try request.allowedTools.map {
            try Self.toolNames($0, networked: networked, mcpServers: request.mcpServers.map(\.name), warnings: &warnings)
        }
        let tools: ToolSet
        do {
            tools = try ToolSet.standard(network: networked, subagents: request.agents, only: allowed?.filter { !$0.hasPrefix("mcp__") })
        } catch let error as AgentError where error.code == .unknownTool || error.code == .toolUnavailable {
            throw OneShotError(.unknownTool, "allowed_tools: \(error.message)")
        } catch {
            throw OneShotError(.invalidAgents, "agents: \(error)")
        }
        let configuration = AgentConfiguration(
            model: modelName, systemPrompt: (request.systemPrompt ?? .preset(append: nil)).rendered, maxTurns: maxTurns,
            timeout: .seconds(timeout), workingDirectory: Self.workingDirectory, finalAnswer: request.outputFormat?.requirement)
        do {
            try configuration.validate()
        } catch {
            throw OneShotError(.invalidSetting, "\(error)")
        }
        let outgoing: any ModelProvider = promptRedactor.map { RedactingProvider(routed, detector: $0) } ?? routed
        let provider: any ModelProvider =
            request.maxBudgetUSD.map { BudgetedProvider(outgoing, catalog: router.catalog, limitUSD: $0) } ?? outgoing
        return Prepared(
            sessionID: UUID().uuidString.lowercased(), request: request, model: model, warnings: warnings, tools: tools,
            allowedTools: allowed, provider: provider, configuration: configuration)
    }

    /// Runs a prepared session to its end in a sandbox from `sandboxes`, handing each Sandstorm
    /// message to `emit` as it happens (synchronously, possibly from several tasks at once: hand
    /// it on, do not block). Never throws: a session that cannot run emits an `error` message and
    /// says why in the outcome. The sandbox is gone when this returns.
    public func run(
        _ prepared: Prepared, sandboxes: any OneShotSandboxes, emit: @escaping @Sendable (JSONValue) -> Void
    ) async -> Outcome {
        let request = prepared.request
        let messages = SandstormMessages(
            sessionID: prepared.sessionID, catalog: router.catalog, outputFormat: request.outputFormat,
            partialMessages: request.partialMessages)
        for warning in prepared.warnings { emit(SandstormMessages.warning(warning)) }
        let spec = SandboxSpec(image: request.image, profile: request.profile, labels: [SandcastleLabels.agentSession: prepared.sessionID])
        let sandbox: any SandboxInstance
        do {
            sandbox = try await sandboxes.create(spec)
        } catch {
            let text = Task.isCancelled || error is CancellationError ? "cancelled before the sandbox started" : "the sandbox did not start: \(error)"
            emit(SandstormMessages.error(text))
            return Outcome(sessionID: prepared.sessionID, result: nil, error: text)
        }
        let outcome = await drive(prepared, in: sandbox, messages: messages, emit: emit)
        // Not in this task: a cancelled task (Ctrl-C, a client gone) must still remove its sandbox.
        await Task { await sandboxes.destroy(sandbox) }.value
        return outcome
    }

    private func drive(
        _ prepared: Prepared, in sandbox: any SandboxInstance, messages: SandstormMessages, emit: @escaping @Sendable (JSONValue) -> Void
    ) async -> Outcome {
        for file in prepared.request.files.files {
            do {
                try Task.checkCancellation()
                _ = try await sandbox.writeFile(
                    UploadedFiles.join(Self.workingDirectory, file.path), bytes: Array(file.contents.utf8))
            } catch {
                let text = Task.isCancelled ? "cancelled while uploading files" : "could not upload \(file.path): \(error)"
                emit(SandstormMessages.error(text))
                return Outcome(sessionID: prepared.sessionID, result: nil, error: text)
            }
        }
        let servers: MCPServers
        let tools: ToolSet
        do {
            servers = try await MCPServers.start(prepared.request.mcpServers, sandbox: sandbox)
        } catch {
            let text = Task.isCancelled ? "cancelled while starting MCP servers" : "\(error)"
            emit(SandstormMessages.error(text))
            return Outcome(sessionID: prepared.sessionID, result: nil, error: text)
        }
        do {
            tools = try Self.tools(prepared, mcp: servers.tools)
        } catch {
            await servers.stop()
            emit(SandstormMessages.error("\(error)"))
            return Outcome(sessionID: prepared.sessionID, result: nil, error: "\(error)")
        }
        let subagents = tools.tools.compactMap { $0 as? SubagentTool }.first?.subagents.map(\.name) ?? []
        emit(
            messages.initMessage(
                model: prepared.model.name, tools: tools.names + (prepared.request.outputFormat == nil ? [] : [OutputFormat.toolName]),
                cwd: Self.workingDirectory, agents: subagents, mcpServers: servers.connections.map(\.name)))
        let loop = AgentLoop(
            provider: prepared.provider, configuration: prepared.configuration, tools: tools, sandbox: sandbox,
            events: AgentEventSink { event in
                for message in messages.messages(for: event) { emit(message) }
            })
        let result = await loop.run(prompt: prepared.request.prompt)
        await servers.stop()
        return Outcome(sessionID: prepared.sessionID, result: result, error: nil)
    }

    /// The built-in tools and the started servers' tools. `allowed_tools` narrows the built-in
    /// ones; it narrows MCP tools only when it names some (`mcp__server`, `mcp__server__tool`),
    /// so a Sandstorm config that lists built-in tools keeps its servers' tools, as it does there.
    static func tools(_ prepared: Prepared, mcp: [MCPTool]) throws -> ToolSet {
        guard var only = prepared.allowedTools, !mcp.isEmpty else { return try ToolSet(prepared.tools.tools + mcp) }
        if !only.contains(where: { $0.hasPrefix("mcp__") }) { only += Set(mcp.map { "mcp__" + $0.server }).sorted() }
        return try ToolSet.standard(
            network: profileHasNetwork(prepared.request.profile), subagents: prepared.request.agents, mcp: mcp, only: only)
    }

    // MARK: - Checks

    /// Claude Code tools Sandcastle does not offer: asked for, they are left out with a warning
    /// (a Sandstorm config naming them still runs); any other unknown name is an error.
    static let claudeCodeOnlyTools: Set<String> = [
        "AskUserQuestion", "BashOutput", "ExitPlanMode", "KillBash", "KillShell", "ListMcpResources", "ListMcpResourcesTool",
        "NotebookEdit", "ReadMcpResource", "ReadMcpResourceTool", "Skill", "SlashCommand", "TaskCreate", "TaskGet", "TaskList",
        "TaskOutput", "TaskStop", "TaskUpdate", "TodoWrite", "ToolSearch", "WebSearch",
    ]

    /// `allowed_tools` as the names ``ToolSet/standard(network:subagents:only:)`` takes.
    static func toolNames(_ names: [String], networked: Bool, mcpServers: [String] = [], warnings: inout [String]) throws -> [String] {
        func isConfiguredMCPTool(_ name: String) -> Bool {
            mcpServers.contains { name == "mcp__" + $0 || name.hasPrefix("mcp__" + $0 + "__") }
        }
        var kept: [String] = []
        var dropped: [String] = []
        for name in names {
            if name.contains("(") {
                throw OneShotError(
                    .unknownTool,
                    "allowed_tools: \(name.debugDescription): permission rules with arguments are not supported; name the whole tool (\(name.prefix { $0 != "(" }))"
                )
            }
            if isConfiguredMCPTool(name) {
                if !kept.contains(name) { kept.append(name) }
            } else if claudeCodeOnlyTools.contains(name) || name.hasPrefix("mcp__") || (name == "WebFetch" && !networked) {
                dropped.append(name)
            } else if !kept.contains(name) {
                kept.append(name)
            }
        }
        if !dropped.isEmpty {
            warnings.append(
                "allowed_tools: \(dropped.joined(separator: ", ")) left out: Sandcastle's agent has no such tool"
                    + (dropped.contains("WebFetch") ? " (WebFetch needs a sandbox profile with network)" : "")
                    + (dropped.contains { $0.hasPrefix("mcp__") } ? " (MCP tools come from the servers in mcp_servers)" : ""))
        }
        return kept
    }

    static func requireConfigured(_ model: ResolvedModel, modelName: String, settings: ProviderSettings) throws {
        guard !settings.isConfigured(model.provider) else { return }
        let variable = settings.endpoint(for: model.provider)?.credentialVariable ?? model.provider
        if settings.configuredProviders.isEmpty {
            throw OneShotError(
                .providerNotConfigured,
                "no model provider is configured: set ANTHROPIC_API_KEY (or ANTHROPIC_AUTH_TOKEN), OPENAI_API_KEY, OPENROUTER_API_KEY "
                    + "or OLLAMA_HOST (model \(modelName) needs \(variable))",
                provider: model.provider, variable: variable)
        }
        throw OneShotError(
            .providerNotConfigured,
            "model \(modelName) is served by \(model.provider), which is not configured: set \(variable) (configured: "
                + settings.configuredProviders.joined(separator: ", ") + ")",
            provider: model.provider, variable: variable)
    }

    /// Whether sandboxes of `profile` reach the network (what `WebFetch` needs); unknown profiles
    /// have none (creating the sandbox then fails with the profile's error).
    static func profileHasNetwork(_ profile: String) -> Bool {
        (try? ProfileCatalog().profile(named: profile))?.network == .bridge
    }
}
