import Engine
import Foundation
import Guardrails
import Resilience
import Sandbox
import SandboxDocker
import SandboxE2B
import Store
import Synchronization
import Workflow

/// The engine as a library service: what the CLI and the server call to run and steer
/// workflows. It owns the assembly (store, backends, router, limits) from one
/// ``EngineSettings`` value, and it is the only way in: neither the CLI nor the server writes
/// runs to the store or touches a run's sandboxes themselves.
///
/// One service per process and data folder: its router (circuit breakers, per-backend limits)
/// and its sandbox limit hold across all the runs it starts.
public final class RunService: Sendable {
    public let settings: EngineSettings
    public let repository: SQLiteRunRepository
    /// Where step attempts run; nil when the service was opened without sandboxes (queries and
    /// approvals need none) or Docker could not be reached (``sandboxProblem`` says why).
    public let router: BackendRouter?
    /// Why ``router`` is nil when sandboxes were asked for but not required.
    public let sandboxProblem: String?
    /// The data folder's named credentials: steps receive the ones they declare; the CLI and
    /// the server store, list and delete them here.
    public let credentials: CredentialVault
    /// Shared by every run of this service.
    let globalLimit: AsyncSemaphore
    private let liveModels = Mutex<(access: ModelAccess?, problem: String?)?>(nil)

    /// What a caller needs of the sandbox backends.
    public enum Sandboxes: Sendable {
        /// Runs will be started or continued: Docker must answer.
        case required
        /// Nice to have (a cancel removes sandboxes when it can, and records the cancel anyway).
        case optional
        /// Only the store is read or written.
        case none
    }

    /// Opens the data folder's store and, as asked, connects the backends.
    ///
    /// - Parameter creatingStore: create the data folder and database when missing (`run`);
    ///   otherwise a missing database is ``EngineServiceError/Code/noDatabase``, so a mistyped
    ///   `--data-dir` does not look like "no runs".
    public static func open(
        _ settings: EngineSettings, sandboxes: Sandboxes,
        creatingStore: Bool = false
    ) async throws -> RunService {
        let repository = try openRepository(settings, creating: creatingStore)
        var router: BackendRouter?
        var problem: String?
        if sandboxes != .none {
            do {
                router = try await makeRouter(settings)
            } catch {
                if sandboxes == .required { throw error }
                problem = "\(error)"
            }
        }
        let service = RunService(settings: settings, repository: repository, router: router, sandboxProblem: problem)
        // Every stored credential is scrubbed from what this process writes or sends, from the start
        // (a vault that cannot open them now reports that when a step needs one).
        ScrubbingSystem.register(exactValues: (try? service.credentials.allValues()) ?? [])
        return service
    }

    init(settings: EngineSettings, repository: SQLiteRunRepository, router: BackendRouter?, sandboxProblem: String?) {
        self.settings = settings
        self.repository = repository
        self.router = router
        self.sandboxProblem = sandboxProblem
        self.credentials = CredentialVault(
            database: repository.database,
            keySource: CredentialKeySource(dataDirectory: settings.dataDirectory, environment: settings.environment))
        self.globalLimit = AsyncSemaphore(limit: settings.maxSandboxes)
    }

    private static func openRepository(_ settings: EngineSettings, creating: Bool) throws -> SQLiteRunRepository {
        let path = settings.databasePath
        if creating {
            do {
                try DataFolder.prepare(settings.dataDirectory)
            } catch {
                throw EngineServiceError(
                    .persistence, "cannot open the state database in \(settings.dataDirectory): \(error)",
                    cause: error)
            }
        } else if !FileManager.default.fileExists(atPath: path) {
            throw EngineServiceError(.noDatabase, "no state database at \(path) (set --data-dir or SANDCASTLE_DATA_DIR)")
        }
        do {
            return try SQLiteRunRepository(path: path)
        } catch {
            throw EngineServiceError(.persistence, "cannot open \(path): \(error)", cause: error)
        }
    }

    /// Docker always (from `DOCKER_HOST`), E2B when configured; each with its limit and breaker.
    static func makeRouter(_ settings: EngineSettings) async throws -> BackendRouter {
        let docker: DockerSandboxBackend
        do {
            docker = try await DockerSandboxBackend.fromEnvironment(settings.environment)
        } catch {
            throw EngineServiceError(.backendUnavailable, "\(error)", cause: error)
        }
        var entries = [
            BackendRouter.Entry(
                name: .docker, backend: docker,
                maxConcurrent: settings.backendLimits[.docker] ?? EngineSettings.defaultBackendLimit,
                breaker: CircuitBreaker(policy: settings.breaker))
        ]
        if let e2b = settings.e2b {
            do {
                entries.append(
                    BackendRouter.Entry(
                        name: .e2b, backend: try E2BSandboxBackend(configuration: e2b),
                        maxConcurrent: settings.backendLimits[.e2b] ?? EngineSettings.defaultBackendLimit,
                        breaker: CircuitBreaker(policy: settings.breaker)))
            } catch {
                throw EngineServiceError(.invalidSetting, "the E2B backend cannot be set up: \(error)", cause: error)
            }
        }
        return BackendRouter(entries)
    }

    /// The router, or the reason there is none.
    func requireRouter() throws -> BackendRouter {
        guard let router else {
            throw EngineServiceError(.backendUnavailable, sandboxProblem ?? "the service was opened without sandbox backends")
        }
        return router
    }

    /// How one run is driven.
    public struct RunOptions: Sendable {
        /// Wait at approval gates (polling the store), or end the run `waiting_approval` once only gates are left.
        public var waitForApprovals: Bool
        /// Steps at once in this run; nil: ``EngineSettings/maxParallelPerRun``.
        public var maxParallel: Int?
        /// Told everything the engine reports, as it happens.
        public var onEvent: @Sendable (EngineEvent) -> Void
        /// Where agent and `llm` steps' answers come from.
        public var models: ModelSource
        /// The run's budget for model calls in dollars (`--max-cost`); a resumed run keeps its own.
        public var maxCostUSD: Double?
        /// Whether the run, if it fails, leaves a dead letter (the server's `--dead-letter-failed-runs`).
        public var deadLettersFailedRuns = false

        public init(
            waitForApprovals: Bool = true, maxParallel: Int? = nil, models: ModelSource = .live, maxCostUSD: Double? = nil,
            onEvent: @escaping @Sendable (EngineEvent) -> Void = { _ in }
        ) {
            self.waitForApprovals = waitForApprovals
            self.maxParallel = maxParallel
            self.models = models
            self.maxCostUSD = maxCostUSD
            self.onEvent = onEvent
        }
    }

    /// How this process's runs reach models: made at the first run that asks, then shared, so
    /// the providers' connections, cooldowns and breakers are the process's, not one run's.
    /// A recording or a replay is the run's own.
    func modelAccess(_ source: ModelSource) -> (access: ModelAccess?, problem: String?) {
        guard source == .live else { return Self.attempt { try settings.modelAccess(source) } }
        return liveModels.withLock { cached in
            if let cached { return cached }
            let made = Self.attempt { try settings.modelAccess(.live) }
            cached = made
            return made
        }
    }

    private static func attempt(_ make: () throws -> ModelAccess) -> (access: ModelAccess?, problem: String?) {
        do {
            return (try make(), nil)
        } catch {
            return (nil, "\(error)")
        }
    }

    /// An engine for one run under this service's settings, router and limits.
    func engine(_ options: RunOptions) throws -> WorkflowEngine {
        let router = try requireRouter()
        var configuration = EngineConfiguration(
            maxConcurrentStepsPerRun: options.maxParallel ?? settings.maxParallelPerRun,
            environment: settings.environment, removesWorkspace: true,
            waitForApprovals: options.waitForApprovals,
            dataDirectory: settings.dataDirectory)
        configuration.owner = ProcessOwner.current()
        configuration.sandboxesAhead = settings.sandboxesAhead
        (configuration.models, configuration.modelsProblem) = modelAccess(options.models)
        configuration.maxCostUSD = options.maxCostUSD
        configuration.deadLettersFailedRuns = options.deadLettersFailedRuns
        configuration.credentials = credentials
        configuration.privacy = settings.privacy
        if settings.workspaceSnapshotMaxBytes > 0, let workspaces = router.workspaces {
            configuration.workspaceSnapshots = WorkspaceSnapshots(
                workspaces: workspaces,
                files: RunFiles(dataDirectory: settings.dataDirectory),
                maxBytes: settings.workspaceSnapshotMaxBytes)
        }
        return WorkflowEngine(
            router: router, repository: repository, configuration: configuration,
            globalLimit: globalLimit, onEvent: options.onEvent)
    }
}
