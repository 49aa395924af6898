import Dashboard
import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import ModelProviders
import NIOCore
import OneShotAgent
import Orchestrator
import Sandbox
import SandboxDocker
import ServerCompat
import ServerCore
import Store

import struct HummingbirdCore.HTTP1Channel
import struct HummingbirdCore.HTTPServerBuilder

/// Everything the server is built from. Production wires the Docker backend and SQLite;
/// tests pass an in-memory backend and repository.
public struct ServerDependencies: Sendable {
    public var provisioner: any SandboxProvisioner
    public var host: (any SandboxHost)?
    public var repository: any SandboxRepository
    public var serverID: String
    public var logger: Logger
    /// Held while the server runs (production only): one server per data folder.
    public var dataLock: DataDirectoryLock?
    /// How `POST /query` sessions reach models (the providers the environment configures, each
    /// request's own keys laid over them); nil answers `/query` with 503 and ``modelProblem``.
    public var modelRouter: ModelRouter?
    /// Why there is no ``modelRouter`` (a broken models file, a malformed provider variable).
    public var modelProblem: String?
    /// How long a `/query` stream stays silent before a keep-alive comment (Sandstorm's 30 s;
    /// tests shorten it).
    public var queryKeepAlive: Duration = SandstormController.defaultKeepAlive
    /// The server's `sandstorm.json` (Sandstorm reads it from its working directory): the
    /// defaults of every `/query` session, and its MCP servers.
    public var sandstormConfig = SandstormConfig()
    /// Workflows and runs for Sandcastle's `/api`; nil leaves `/api` unserved (tests of other APIs).
    public var orchestrator: Orchestrator?
    /// The schedules of `/api/schedules`, firing runs through ``orchestrator``; nil leaves them unserved.
    public var scheduler: Scheduler?
    /// The stored API keys (`/api/api-keys`, `ADMIN_API_KEY`); in memory unless the data folder's.
    public var apiKeys: any APIKeyRepository = InMemoryAPIKeyRepository()

    public init(
        provisioner: any SandboxProvisioner, host: (any SandboxHost)?, repository: any SandboxRepository,
        serverID: String, logger: Logger = Logger(label: "sandcastle.server")
    ) {
        self.provisioner = provisioner
        self.host = host
        self.repository = repository
        self.serverID = serverID
        self.logger = logger
    }

    /// The production wiring: Docker backend from `DOCKER_HOST`, SQLite in the data folder.
    public static func production(_ configuration: ServerConfiguration, logger: Logger) async throws -> ServerDependencies {
        try DataFolder.prepare(configuration.dataDirectory)
        let lock = try DataDirectoryLock(dataDirectory: configuration.dataDirectory)
        let docker = try await DockerSandboxBackend.fromEnvironment()
        let database = try SQLiteDatabase(path: configuration.databasePath)
        try Migrator.migrate(database)
        // The data folder's one key (SANDCASTLE_CREDENTIAL_KEY, else credentials.key), shared with
        // the credential vault so `credentials rotate-key` re-seals both.
        let secrets = try CredentialKeySource(dataDirectory: configuration.dataDirectory, environment: ProcessInfo.processInfo.environment)
            .load(database: database)
        let sandboxes = SQLiteSandboxRepository(database: database, secrets: secrets)
        // A data folder from before sealing may still hold environments in clear.
        try sandboxes.sealEnvironmentsKeptInClear()
        let serverID = try ServerIdentity.load(dataDirectory: configuration.dataDirectory)
        let labels = [SandcastleLabels.server: serverID]
        let backend = LabelingBackend(base: docker, labels: labels)
        let provisioner: any SandboxProvisioner
        let targets = try PoolProvisioner.targets(configuration.pool)
        if targets.isEmpty {
            provisioner = DirectProvisioner(backend: backend)
        } else {
            let log = logger
            let pool = WarmPool(
                backend: backend, targets: targets, configuration: WarmPool.Configuration(labels: labels),
                images: docker.images, log: { line in log.warning("\(line)", metadata: ["component": "pool"]) })
            provisioner = PoolProvisioner(pool: pool)
        }
        var dependencies = ServerDependencies(
            provisioner: provisioner, host: BackendSandboxHost(backend: docker),
            repository: sandboxes, serverID: serverID,
            logger: logger)
        dependencies.dataLock = lock
        dependencies.apiKeys = SQLiteAPIKeyRepository(database: database)
        // A broken models file or provider variable costs `/query` only, not the whole server.
        do {
            dependencies.modelRouter = try ModelRouter.fromEnvironment(ProcessInfo.processInfo.environment)
        } catch {
            dependencies.modelProblem = "\(error)"
            logger.error("POST /query is unavailable: \(error)")
        }
        return dependencies
    }
}

/// The built server: the Hummingbird application plus the pieces tests and the CLI reach.
public struct SandcastleServer {
    public let service: SandboxService
    /// Every API's keys: the configured ones and those stored in the data folder.
    public let keys: APIKeyService
    public let metrics: ServerMetrics
    /// Every route registered, for the OpenAPI check.
    public let routes: [RouteTable.Route]
    let configuration: ServerConfiguration
    let router: Router<ServerRequestContext>
    let webSocketRouter: Router<ServerRequestContext>
    let logger: Logger
    let dataLock: DataDirectoryLock?

    public init(configuration: ServerConfiguration, dependencies: ServerDependencies) throws {
        try configuration.validate()
        let metrics = ServerMetrics()
        let service = SandboxService(
            limits: ServiceLimits(configuration), repository: dependencies.repository,
            provisioner: dependencies.provisioner, host: dependencies.host,
            serverID: dependencies.serverID, metrics: metrics, logger: dependencies.logger)
        let keys = try Self.keyService(configuration, dependencies.apiKeys)
        let transfers = TransferGate(
            limit: configuration.maxTransfers, maxWait: .milliseconds(Int(configuration.transferWaitSeconds * 1000)))
        let router = Router(context: ServerRequestContext.self)
        // Outermost: every answer gets the security headers, whoever makes it (docs/server.md, "The perimeter").
        router.middlewares.add(SecurityHeadersMiddleware<ServerRequestContext>())
        router.middlewares.add(AccessLogMiddleware<ServerRequestContext>())
        // Outside the error middlewares, so an allowed dashboard can read its errors too.
        if !configuration.corsOrigins.isEmpty {
            router.middlewares.add(CORSMiddleware<ServerRequestContext>(allowedOrigins: configuration.corsOrigins))
        }
        router.middlewares.add(ErrorMiddleware<ServerRequestContext>(metrics: metrics))
        router.middlewares.add(SandkastenErrorMiddleware<ServerRequestContext>(metrics: metrics))
        router.middlewares.add(SandstormErrorMiddleware<ServerRequestContext>(metrics: metrics))
        router.middlewares.add(SandcastleErrorMiddleware<ServerRequestContext>(metrics: metrics))
        // E2B's API answers before our auth: its data plane carries sandbox access tokens, not API keys.
        router.middlewares.add(
            E2BCompat(
                service: service, keys: keys, openMode: configuration.openMode,
                templates: E2BCompat.templates(fromEnvironment: ProcessInfo.processInfo.environment),
                maxUploadBytes: configuration.maxUploadBytes, transfers: transfers
            ).middleware)
        if dependencies.orchestrator != nil {
            router.middlewares.add(
                PublicDocumentMiddleware<ServerRequestContext>(path: SandcastleAPIDocument.path, document: SandcastleAPIDocument.json))
        }
        router.middlewares.add(AuthMiddleware(keys: keys, openMode: configuration.openMode))
        // After authentication, so a caller is counted by its key.
        if dependencies.orchestrator != nil && !configuration.rateLimitRuns.isOff {
            router.middlewares.add(SandcastleRateLimitMiddleware(limiter: RateLimiter(configuration.rateLimitRuns)))
        }
        let webSocketRouter = Router(context: ServerRequestContext.self)
        webSocketRouter.middlewares.add(ErrorMiddleware<ServerRequestContext>(metrics: metrics))
        webSocketRouter.middlewares.add(AuthMiddleware(keys: keys, openMode: configuration.openMode))

        let table = RouteTable(router: router)
        SystemController(service: service, metrics: metrics, transfers: transfers).register(table)
        SandboxController(service: service, maxBodyBytes: configuration.maxBodyBytes).register(table)
        FileController(
            service: service, maxBodyBytes: configuration.maxBodyBytes,
            maxUploadBytes: configuration.maxUploadBytes, transfers: transfers
        ).register(table)
        TerminalController(service: service).register(table, webSocketRouter: webSocketRouter)
        WorkspaceController(service: service, maxBodyBytes: configuration.maxBodyBytes).register(table)
        SandkastenController(service: service, transfers: transfers).register(table)
        SandstormController(
            service: service, session: dependencies.oneShotSession,
            config: dependencies.sandstormConfig, unavailable: dependencies.modelProblem, keepAliveInterval: dependencies.queryKeepAlive
        ).register(table)
        if let orchestrator = dependencies.orchestrator {
            SandcastleAPIController(
                orchestrator: orchestrator, version: SandcastleVersion.current, scheduler: dependencies.scheduler, keys: keys
            ).register(table)
            // Answered by PublicDocumentMiddleware, before authentication.
            table.record(.get, SandcastleAPIDocument.path, native: false)
            Self.registerDashboard(
                on: router, webSocketRouter: webSocketRouter, orchestrator: orchestrator, scheduler: dependencies.scheduler, keys: keys,
                sandboxes: service, transfers: transfers, configuration: configuration, logger: dependencies.logger)
        }
        // Last, so it sees only requests no route took: a served path asked with another method is 405.
        router.middlewares.add(MethodNotAllowedMiddleware<ServerRequestContext>(routes: table.routes))

        self.service = service
        self.keys = keys
        self.metrics = metrics
        self.routes = table.routes
        self.configuration = configuration
        self.router = router
        self.webSocketRouter = webSocketRouter
        self.logger = dependencies.logger
        self.dataLock = dependencies.dataLock
    }

    /// The dashboard under `/ui`. Its files missing (a broken install) cost the dashboard only:
    /// `/ui` then says what is missing, and every API is served as usual.
    static func registerDashboard(
        on router: Router<ServerRequestContext>, webSocketRouter: Router<ServerRequestContext>, orchestrator: Orchestrator,
        scheduler: Scheduler?, keys: APIKeyService, sandboxes: SandboxService, transfers: TransferGate, configuration: ServerConfiguration,
        logger: Logger
    ) {
        do {
            let resources = try DashboardResources.load()
            var dashboard = Dashboard(
                orchestrator: orchestrator, keys: keys, resources: resources, openMode: configuration.openMode, scheduler: scheduler,
                logger: logger)
            dashboard.sandboxes = sandboxes
            dashboard.transfers = transfers
            dashboard.register(on: router)
            dashboard.registerWebSockets(on: webSocketRouter)
        } catch {
            logger.error("the dashboard is unavailable: \(error)")
            let message = "the dashboard is unavailable: \(error)\n"
            for path in ["/ui", "/ui/{path}"] {
                router.get(RouterPath(path)) { _, _ in
                    Response(
                        status: .serviceUnavailable, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: message)))
                }
            }
        }
    }

    /// The key service over the configured keys and the stored ones, with `ADMIN_API_KEY` stored.
    /// With auth on, a server nobody could call, or one whose stored keys it cannot check (no
    /// pepper), refuses to start.
    static func keyService(_ configuration: ServerConfiguration, _ repository: any APIKeyRepository) throws -> APIKeyService {
        let keys = APIKeyService(
            configured: APIKeyStore(digests: configuration.apiKeyDigests), repository: repository, pepper: configuration.apiKeyPepper,
            defaultGraceHours: configuration.keyRotationGraceHours)
        if let admin = configuration.adminAPIKey { try keys.bootstrapAdmin(admin) }
        guard !configuration.openMode else { return keys }
        if configuration.apiKeyPepper == nil, try keys.hasStoredKeys() {
            throw ServerError(
                .invalidConfiguration,
                "the data folder holds API keys, which are checked with the server's pepper: set API_KEY_PEPPER (or --api-key-pepper-file)")
        }
        guard try keys.hasKeys() else {
            throw ServerError(
                .invalidConfiguration,
                "no API keys: give --api-key KEY (SANDCASTLE_API_KEYS) or ADMIN_API_KEY, or run keyless on loopback with --open")
        }
        return keys
    }

    /// The Hummingbird application. `onRunning` receives the bound port (useful with port 0).
    public func application(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let service = self.service
        var app = Application(
            router: router,
            server: guardedServer(),
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.host, port: configuration.port),
                serverName: "sandcastle"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
        // Reconcile before the first request: a client must never see a sandbox that is about to be declared lost.
        app.beforeServerStarts { await service.start() }
        return app
    }

    /// HTTP/1 with the terminal's WebSocket upgrade, every connection behind the guard
    /// (Connections/): the per-client cap, the idle, head and body timeouts, the head size limit.
    private func guardedServer() -> HTTPServerBuilder {
        let limits = ConnectionLimits(configuration)
        let clients = ClientConnections(limit: limits.maxConnectionsPerClient)
        let metrics = self.metrics
        let webSocketResponder = webSocketRouter.buildResponder()
        // NIO's decoder counts the request line's target and every header against both limits;
        // what it refuses, the guard answers 431.
        var http1 = HTTP1Channel.Configuration()
        http1.httpDecoder.maxHeaderFieldSize = limits.maxRequestHeadBytes
        http1.httpDecoder.maxHeaderListSize = limits.maxRequestHeadBytes
        // Every connection notices its client leaving, so an exec whose client is gone is interrupted.
        http1.additionalChannelHandlers = { [ClientDisconnectHandler()] }
        let configuration = HTTP1WebSocketUpgradeChannel.Configuration(http1: http1)
        return HTTPServerBuilder { responder in
            GuardedHTTPChannel(
                inner: HTTP1WebSocketUpgradeChannel(
                    responder: responder, webSocketResponder: webSocketResponder, configuration: configuration),
                limits: limits, clients: clients, metrics: metrics)
        }
    }

    /// Serves until SIGTERM/SIGINT, then stops the service's background work. Sandboxes keep
    /// running across the restart on purpose; the next start re-adopts them.
    public func run(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        // The lock lives as long as this call: the data folder is ours until the server stops.
        defer { withExtendedLifetime(dataLock) {} }
        do {
            try await application(onRunning: onRunning).runService()
        } catch {
            await service.shutdown()
            throw error
        }
        await service.shutdown()
    }
}
