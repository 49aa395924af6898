import ArgumentParser
import EngineService
import Foundation
import Guardrails
import Logging
import OneShotAgent
import Orchestrator
import Schedules
import Server
import ServerCore
import Store

/// `sandcastle serve`: the sandbox service over HTTP.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve sandboxes over HTTP (native API under /v1, /health, /metrics, /openapi.json).",
        discussion: """
            Settings come from defaults, then the config file (--config or SANDCASTLE_CONFIG; JSON or YAML with \
            snake_case keys), then SANDCASTLE_* environment variables, then these flags. Without API keys (--api-key, \
            or ADMIN_API_KEY and keys made through /api/api-keys, with API_KEY_PEPPER) a loopback server is open \
            (AUTH_REQUIRED defaults to off there) and any other refuses to start; --open (AUTH_REQUIRED=false) is \
            refused off loopback, AUTH_REQUIRED=true requires keys everywhere. See docs/server.md. The dashboard is at             http://HOST:PORT/ui (sign in once with an API key; docs/dashboard.md); its terminal needs the browser             libraries scripts/ui-assets builds from Debian's packages (SANDCASTLE_UI_ASSETS names their folder).
            """)

    @Option(name: .long, help: "Address to bind (default 127.0.0.1; env SANDCASTLE_HOST).")
    var host: String?

    @Option(name: .long, help: "Port (default 8080, 0 picks a free one; env SANDCASTLE_PORT).")
    var port: Int?

    @Option(name: .customLong("data-dir"), help: "State folder with sandcastle.sqlite (default ./data; env SANDCASTLE_DATA_DIR).")
    var dataDirectory: String?

    @Option(name: .customLong("api-key"), help: "Accept this API key (repeatable; env SANDCASTLE_API_KEYS=k1,k2). Stored hashed.")
    var apiKeys: [String] = []

    @Flag(name: .customLong("open"), help: "Serve without API keys (loopback only; env SANDCASTLE_OPEN=1 or AUTH_REQUIRED=false).")
    var openMode = false

    @Option(
        name: .customLong("api-key-pepper-file"),
        help: "File holding the secret stored API keys are hashed with (env API_KEY_PEPPER holds it directly; SANDCASTLE_API_KEY_PEPPER_FILE).")
    var apiKeyPepperFile: String?

    @Option(name: .long, help: "Config file, JSON or YAML (env SANDCASTLE_CONFIG).")
    var config: String?

    @Option(name: .customLong("max-sandboxes"), help: "Live sandboxes across all keys (default 64).")
    var maxSandboxes: Int?

    @Option(name: .customLong("max-sandboxes-per-key"), help: "Live sandboxes per API key (default 16).")
    var maxSandboxesPerKey: Int?

    @Option(name: .customLong("max-transfers"), help: "File uploads and downloads moved at once, all APIs (default 16; env SANDCASTLE_MAX_TRANSFERS).")
    var maxTransfers: Int?

    @Option(
        name: .customLong("transfer-wait"),
        help: "Seconds a transfer over --max-transfers waits before 503 server_busy (default 30; env SANDCASTLE_TRANSFER_WAIT).")
    var transferWait: Double?

    @Option(name: .customLong("pool"), help: "Warm pool target image[:profile]=N, e.g. base:default=2 (repeatable; env SANDCASTLE_POOL=a=1,b=2).")
    var pool: [String] = []

    @Option(
        name: .customLong("max-request-head-bytes"),
        help: "Largest request line plus headers; larger is answered 431 (default 65536; env SANDCASTLE_MAX_REQUEST_HEAD_BYTES).")
    var maxRequestHeadBytes: Int?

    @Option(
        name: .customLong("idle-timeout"),
        help: "Seconds a kept-alive connection may wait for its next request (default 60; env SANDCASTLE_IDLE_TIMEOUT).")
    var idleTimeout: Double?

    @Option(
        name: .customLong("request-head-timeout"),
        help: "Seconds for a request head to arrive whole (default 20; env SANDCASTLE_REQUEST_HEAD_TIMEOUT).")
    var requestHeadTimeout: Double?

    @Option(
        name: .customLong("request-body-timeout"),
        help: "Seconds a request body may bring no bytes while the server waits for it; then 408 (default 30; env SANDCASTLE_REQUEST_BODY_TIMEOUT).")
    var requestBodyTimeout: Double?

    @Option(
        name: .customLong("max-connections-per-client"),
        help: "Open connections per client address; more are refused at once (default 128; env SANDCASTLE_MAX_CONNECTIONS_PER_CLIENT).")
    var maxConnectionsPerClient: Int?

    @Option(
        name: .customLong("rate-limit-runs"),
        help: "Requests per caller to /api's run-starting endpoints, N or N/WINDOW like 10/60s; 0 is off (default 10/60s; env SANDCASTLE_RATE_LIMIT_RUNS).")
    var rateLimitRuns: String?

    @Option(
        name: .customLong("cors-origin"),
        help: "A browser origin (a dashboard, e.g. https://dash.example.com) allowed cross-origin calls (repeatable; env SANDCASTLE_CORS_ORIGINS=a,b).")
    var corsOrigins: [String] = []

    @Flag(
        name: .customLong("resume-runs"), inversion: .prefixedNo,
        help: "At start-up, resume the workflow runs in the data folder that a dead process left unfinished.")
    var resumeRuns = true

    @Option(
        name: .customLong("workflows-dir"),
        help: "Workflows served by name: <name>.yaml files, imported as versions (default ./workflows; env SANDCASTLE_WORKFLOWS_DIR).")
    var workflowsDir: String?

    @Option(
        name: .customLong("max-concurrent-runs"),
        help: "Workflow runs executing at once; more wait in the queue (default 4; env SANDCASTLE_MAX_CONCURRENT_RUNS).")
    var maxConcurrentRuns: Int?

    @Flag(
        name: .customLong("dead-letter-failed-runs"),
        help:
            "Every failed workflow run leaves a dead letter (its failed step's), not only workflows with on_failure.dead_letter (env SANDCASTLE_DEAD_LETTER_FAILED_RUNS; default off)."
    )
    var deadLetterFailedRuns = false

    @Option(
        name: .customLong("dead-letter-max-retries"),
        help: "Retries one dead-lettered failure may have through POST /api/dead-letter/{id}/retry (default 3; env SANDCASTLE_DEAD_LETTER_MAX_RETRIES).")
    var deadLetterMaxRetries: Int?

    @Option(
        name: .customLong("schedule-catch-up"),
        help: "Schedule slots missed while the server was down: once (the latest fires once) or skip (default once; env SANDCASTLE_SCHEDULE_CATCH_UP).")
    var scheduleCatchUp: String?

    @Option(
        name: .customLong("sandstorm-config"),
        help: "Sandstorm's sandstorm.json for POST /query: defaults and MCP servers (default: ./sandstorm.json when there is one).")
    var sandstormConfig: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error (default info; env SANDCASTLE_LOG_LEVEL).")
    var logLevel: String?

    @Option(name: .customLong("log-format"), help: "text or json (one JSON object per line; env SANDCASTLE_LOG_FORMAT).")
    var logFormat: String?

    /// The server's own work (storing `ADMIN_API_KEY`, schedules firing, approval timeouts) is
    /// the engine's in the audit log; each request is its caller's (the auth middleware).
    func run() async throws {
        try await AuditActor.$current.withValue(.engine) { try await serve() }
    }

    private func serve() async throws {
        let environment = ProcessInfo.processInfo.environment
        let levelName = logLevel ?? environment["SANDCASTLE_LOG_LEVEL"] ?? "info"
        guard let level = Logger.Level(rawValue: levelName) else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        let format = logFormat ?? environment["SANDCASTLE_LOG_FORMAT"] ?? "text"
        switch format {
        case "json":
            LoggingSystem.bootstrap { label in ScrubbingLogHandler(JSONLogHandler(label: label, level: level)) }
        case "text":
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return ScrubbingLogHandler(handler)
            }
        default:
            throw ValidationError("--log-format must be text or json, not '\(format)'")
        }
        var flags = ServerConfiguration.Overrides()
        flags.host = host
        flags.port = port
        flags.dataDirectory = dataDirectory
        flags.apiKeys = apiKeys.isEmpty ? nil : apiKeys
        ScrubbingSystem.register(exactValues: apiKeys)
        flags.openMode = openMode ? true : nil
        flags.apiKeyPepperFile = apiKeyPepperFile
        flags.maxSandboxes = maxSandboxes
        flags.maxSandboxesPerKey = maxSandboxesPerKey
        flags.pool = pool.isEmpty ? nil : pool
        flags.maxRequestHeadBytes = maxRequestHeadBytes
        flags.idleTimeoutSeconds = idleTimeout
        flags.requestHeadTimeoutSeconds = requestHeadTimeout
        flags.requestBodyTimeoutSeconds = requestBodyTimeout
        flags.maxConnectionsPerClient = maxConnectionsPerClient
        flags.maxTransfers = maxTransfers
        flags.transferWaitSeconds = transferWait
        flags.rateLimitRuns = rateLimitRuns
        flags.corsOrigins = corsOrigins.isEmpty ? nil : corsOrigins
        let configuration: ServerConfiguration
        do {
            configuration = try ServerConfiguration.load(configFile: config, environment: environment, flags: flags)
        } catch {
            Console.error("sandcastle serve: \(error)")
            throw ExitCode(2)
        }
        let catchUpText = scheduleCatchUp ?? environment["SANDCASTLE_SCHEDULE_CATCH_UP"] ?? CatchUp.once.rawValue
        guard let catchUp = CatchUp(rawValue: catchUpText) else {
            Console.error("sandcastle serve: --schedule-catch-up (SANDCASTLE_SCHEDULE_CATCH_UP) must be once or skip, not '\(catchUpText)'")
            throw ExitCode(2)
        }
        let deadLetters: DeadLetterSettings
        do {
            deadLetters = try deadLetterSettings(environment)
        } catch {
            Console.error("sandcastle serve: \(error)")
            throw ExitCode(2)
        }
        let logger = Logger(label: "sandcastle.server")
        // Every connection holds a descriptor: take all the system allows (the per-client cap
        // keeps one client from taking them all either way).
        let files = OpenFileLimit.raiseToHardLimit()
        if let failure = files.failure {
            logger.warning("open-file limit stays at \(files.now): \(failure)")
        } else {
            logger.info("open-file limit \(files.now)\(files.now > files.before ? " (raised from \(files.before))" : "")")
        }
        let sandstorm: SandstormConfig
        do {
            sandstorm = try loadSandstormConfig(environment: environment, logger: logger)
        } catch {
            Console.error("sandcastle serve: \(error)")
            throw ExitCode(2)
        }
        let server: SandcastleServer
        let orchestrator: Orchestrator
        let scheduler: Scheduler
        do {
            var dependencies = try await ServerDependencies.production(configuration, logger: logger)
            dependencies.sandstormConfig = sandstorm
            orchestrator = try await makeOrchestrator(
                configuration: configuration, environment: environment, deadLetters: deadLetters, logger: logger)
            dependencies.orchestrator = orchestrator
            scheduler = Scheduler(orchestrator: orchestrator, defaultCatchUp: catchUp, logger: Logger(label: "sandcastle.schedules"))
            dependencies.scheduler = scheduler
            server = try SandcastleServer(configuration: configuration, dependencies: dependencies)
        } catch {
            Console.error("sandcastle serve: \(error)")
            throw ExitCode(1)
        }
        let host = configuration.host
        let open = configuration.openMode
        let openByDefault = configuration.openByDefault
        do {
            // A reviewer reads on the global chain when a restart changed what guards the runs.
            let changed = try orchestrator.recordSettings(
                orchestrator.guardedSettings(server: ["auth": .string(open ? "open" : "api_keys"), "host": .string(host)]))
            if !changed.isEmpty { logger.info("settings recorded in the audit chain", metadata: ["changed": .string(changed.joined(separator: ","))]) }
        } catch {
            Console.error("sandcastle serve: \(error)")
            throw ExitCode(1)
        }
        // Queued runs start, and runs a killed `sandcastle run` or an earlier server left
        // running continue from their checkpoints (their sandboxes go first); a gate pauses them
        // again, as with `runs resume --all`.
        let starter = Task {
            if resumeRuns {
                do {
                    let sweep = try await orchestrator.runs.removeOrphanedSandboxes()
                    for (runID, count) in sweep.byRun.sorted(by: { $0.key < $1.key }) {
                        logger.info("removed \(count) sandbox(es) left by workflow run \(runID), whose process is gone", metadata: ["run": .string(runID)])
                    }
                    for problem in sweep.problems { logger.warning("\(problem)") }
                } catch {
                    logger.error("cannot sweep the sandboxes of unfinished runs: \(error)")
                }
            }
            do {
                try await orchestrator.start()
            } catch {
                logger.error("the run queue could not start: \(error)")
            }
            // After the queue: slots missed while the server was down fire now.
            await scheduler.start()
        }
        defer { starter.cancel() }
        do {
            try await server.run { port in
                // One machine-readable line: scripts and tests read the port from it (useful with --port 0).
                Console.error("sandcastle serve: listening on http://\(host):\(port)\(open ? " (open mode: no API key needed)" : "")")
                Console.error("sandcastle serve: the dashboard is at http://\(host):\(port)/ui")
                if openByDefault {
                    Console.error(
                        "sandcastle serve: no API key is configured, so this loopback server is open (AUTH_REQUIRED defaults to off "
                            + "on loopback); give --api-key or set AUTH_REQUIRED=true to require keys")
                }
            }
        } catch {
            Console.error("sandcastle serve: cannot serve on \(host):\(configuration.port): \(error)")
            throw ExitCode(1)
        }
        await scheduler.stop()
        await orchestrator.stop()
    }

    /// The workflows and the run queue of `/api`, over the engine settings of `--config` and the
    /// environment (the same as `sandcastle run`'s).
    private func makeOrchestrator(
        configuration: ServerConfiguration, environment: [String: String], deadLetters: DeadLetterSettings, logger: Logger
    ) async throws -> Orchestrator {
        let settings = try EngineSettings.load(dataDirectory: configuration.dataDirectory, configFile: config)
        let runs = try await RunService.open(settings, sandboxes: .optional, creatingStore: true)
        if let problem = runs.sandboxProblem { logger.error("workflow runs cannot start until Docker answers: \(problem)") }
        let limitText = maxConcurrentRuns.map(String.init) ?? environment["SANDCASTLE_MAX_CONCURRENT_RUNS"]
        let limit =
            try limitText.map { text in
                guard let value = Int(text), (1...1024).contains(value) else {
                    throw ValidationError("--max-concurrent-runs (SANDCASTLE_MAX_CONCURRENT_RUNS) must be 1 to 1024, not '\(text)'")
                }
                return value
            } ?? 4
        let folder = workflowsDir ?? environment["SANDCASTLE_WORKFLOWS_DIR"] ?? "./workflows"
        return Orchestrator(
            runs: runs, workflowsFolder: (folder as NSString).standardizingPath, maxConcurrentRuns: limit, resumesOrphans: resumeRuns,
            webhooks: try RunWebhooks.fromEnvironment(environment), deadLetters: deadLetters,
            logger: Logger(label: "sandcastle.runs"))
    }

    /// `--sandstorm-config`, else `sandstorm.json` in the working directory when there is one; a
    /// file that is there but wrong stops the server (it would otherwise serve other sessions
    /// than the file describes).
    private func loadSandstormConfig(environment: [String: String], logger: Logger) throws -> SandstormConfig {
        let config: SandstormConfig
        if let sandstormConfig {
            guard FileManager.default.fileExists(atPath: sandstormConfig) else { throw ValidationError("--sandstorm-config: no file at \(sandstormConfig)") }
            config = try SandstormConfig.load(file: sandstormConfig, environment: environment)
        } else if let found = try SandstormConfig.load(directory: FileManager.default.currentDirectoryPath, environment: environment) {
            config = found
        } else {
            return SandstormConfig()
        }
        for warning in config.warnings { logger.warning("\(warning)") }
        logger.info(
            "POST /query uses sandstorm.json", metadata: ["mcp_servers": .string(config.mcpServers.map(\.name).joined(separator: ","))])
        return config
    }
}
