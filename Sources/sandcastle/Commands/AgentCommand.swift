import Agent
import ArgumentParser
import EngineService
import Foundation
import JSONValues
import ModelProviders
import OneShotAgent
import SandboxDocker
import Synchronization

/// `sandcastle agent "PROMPT" [-f FILE]…`: Sandstorm's `ds "…"`. One agent in a fresh sandbox,
/// the files in its workspace, its messages on the terminal, the sandbox destroyed afterwards.
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Run an agent once in a fresh sandbox and stream what it does (Sandstorm's `ds \"…\"`).",
        discussion: """
            The model runs on this machine; its tools (Bash, Read, Write, Edit, Glob, Grep) run in the sandbox, which \
            never sees a provider key. A sandstorm.json in the working directory is honoured (system_prompt, \
            system_prompt_append, model, max_turns, timeout, output_format, agents, allowed_tools, mcp_servers: stdio \
            servers start inside the sandbox, HTTP ones are called from this machine); flags win over it. \
            Providers come from ANTHROPIC_API_KEY (or ANTHROPIC_AUTH_TOKEN), OPENAI_API_KEY, OPENROUTER_API_KEY and \
            OLLAMA_HOST. Exits 0 when the agent succeeded, 1 when its result is an error, 2 when nothing could start, \
            130 on Ctrl-C (the sandbox is removed first). See docs/agents.md.
            """)

    @Argument(help: "The task.")
    var prompt: String

    @Option(name: [.customShort("f"), .customLong("file")], help: "A text file to put in the sandbox's workspace (repeatable; at most 20, 10 MiB each).")
    var files: [String] = []

    @Option(name: [.customShort("m"), .long], help: "Model: an alias (sonnet, opus, haiku), a models-file name or provider/id (default sonnet).")
    var model: String?

    @Option(name: .customLong("max-turns"), help: "Model calls at most (default 50).")
    var maxTurns: Int?

    @Option(name: [.customShort("t"), .long], help: "Seconds the whole run may take, 5 to 3600 (default 300).")
    var timeout: Int?

    @Option(name: .long, help: "Sandbox image (default agent: python3, node, git, ripgrep, curl, jq).")
    var image = OneShotRequest.defaultImage

    @Option(name: .long, help: "Isolation profile (default; networked gives the WebFetch tool).")
    var profile = OneShotRequest.defaultProfile

    @Flag(name: .customLong("json-output"), help: "Print each message as one JSON line (Sandstorm's stream), nothing else on stdout.")
    var jsonOutput = false

    @Option(name: .long, help: "Models file over the shipped one (default: $SANDCASTLE_MODELS_FILE, else ~/.config/sandcastle/models.yaml).")
    var models: String?

    /// `ds`'s per-file limit, checked before reading so a huge file is never loaded.
    static let maxFileBytes = 10 * 1024 * 1024

    func validate() throws {
        if files.count > UploadedFiles.maxFiles { throw ValidationError("too many files (\(files.count), max \(UploadedFiles.maxFiles))") }
        if let maxTurns, maxTurns < 1 { throw ValidationError("--max-turns must be at least 1") }
        if let timeout, !OneShotRequest.timeoutRange.contains(timeout) { throw ValidationError("--timeout must be between 5 and 3600 seconds") }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let session: OneShotSession
        let docker: DockerSandboxBackend
        let prepared: OneShotSession.Prepared
        do {
            let config = try SandstormConfig.load(directory: FileManager.default.currentDirectoryPath) ?? SandstormConfig()
            for warning in config.warnings { Console.error("sandcastle agent: warning: \(warning)") }
            let request = OneShotRequest(
                prompt: prompt, files: try UploadedFiles(try Self.read(files)), model: model ?? config.model,
                maxTurns: maxTurns ?? config.maxTurns, timeoutSeconds: timeout ?? config.timeout, image: image, profile: profile,
                systemPrompt: config.effectiveSystemPrompt, outputFormat: try config.outputFormat.flatMap(OutputFormat.parse),
                allowedTools: config.allowedTools, agents: try Self.subagents(config.agents), mcpServers: config.mcpServers,
                partialMessages: !jsonOutput)
            // DATA_RESIDENCY and the privacy router's `prompts` target hold here as in workflow runs.
            let guardrails = try EngineSettings.load(environment: environment)
            session = OneShotSession(
                router: try ModelRouter.fromEnvironment(environment, modelsFile: models).residing(in: guardrails.dataResidency),
                promptRedactor: guardrails.promptRedactor)
            // Checked before Docker is asked anything: a request that cannot run costs nothing.
            prepared = try session.prepare(request)
            docker = try await DockerSandboxBackend.fromEnvironment(environment)
        } catch {
            Console.error("sandcastle agent: \(error)")
            throw ExitCode(2)
        }
        let output = Mutex((console: SandstormConsoleText(), json: jsonOutput))
        let sandboxes = BackendSandboxes(backend: docker) { sandbox, error in
            Console.error("sandcastle agent: warning: sandbox \(sandbox.id) was not removed: \(error)")
        }
        let running = Task {
            await session.run(prepared, sandboxes: sandboxes) { message in
                output.withLock { output in
                    if output.json {
                        Console.print(message.jsonText)
                        return
                    }
                    for (stream, text) in output.console.render(message) {
                        switch stream {
                        case .standardOutput: Console.write(Array(text.utf8))
                        case .standardError: Console.writeError(Array(text.utf8))
                        }
                    }
                }
            }
        }
        // Ctrl-C cancels the session, which stops the agent and removes its sandbox (also one
        // still being made) before it returns; a second Ctrl-C quits at once.
        let signals = SignalStream.make([SIGINT, SIGTERM, SIGHUP])
        let watcher = Task { () -> Int32? in
            var first: Int32?
            for await signal in signals {
                if let first { Foundation.exit(128 + first) }
                first = signal
                Console.error("\nsandcastle agent: signal \(signal), stopping the agent and removing its sandbox… (again to quit at once)")
                running.cancel()
            }
            return first
        }
        let outcome = await running.value
        watcher.cancel()
        if let signal = await watcher.value { throw ExitCode(128 + signal) }
        if outcome.isError { throw ExitCode(1) }
    }

    /// The files as Sandstorm's `files` map: a file under the working directory by its path
    /// relative to it, any other by its name.
    static func read(_ paths: [String]) throws -> [String: String] {
        let directory = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).standardizedFileURL.path
        var files: [String: String] = [:]
        for path in paths {
            let url = URL(fileURLWithPath: path).standardizedFileURL
            let attributes: [FileAttributeKey: Any]
            do {
                attributes = try FileManager.default.attributesOfItem(atPath: url.path)
            } catch {
                throw ValidationError("cannot read \(path): \(error.localizedDescription)")
            }
            guard attributes[.type] as? FileAttributeType == .typeRegular else { throw ValidationError("\(path) is not a regular file") }
            let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
            guard size <= maxFileBytes else { throw ValidationError("\(path) is \(size) bytes (max \(maxFileBytes))") }
            guard let data = FileManager.default.contents(atPath: url.path), data.count <= maxFileBytes else {
                throw ValidationError("cannot read \(path)")
            }
            guard let text = String(data: data, encoding: .utf8) else { throw ValidationError("\(path) is not a text file (UTF-8)") }
            let key = url.path.hasPrefix(directory + "/") ? String(url.path.dropFirst(directory.count + 1)) : url.lastPathComponent
            if files[key] != nil { throw ValidationError("\(path) is given twice") }
            files[key] = text
        }
        return files
    }

    static func subagents(_ value: JSONValue?) throws -> [SubagentDefinition] {
        guard let value else { return [] }
        do {
            return try SubagentDefinition.parse(value)
        } catch {
            throw ValidationError("sandstorm.json: agents: \(error)")
        }
    }
}
