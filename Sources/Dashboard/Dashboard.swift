import Foundation
import Hummingbird
import Logging
import Orchestrator
import ServerCore

/// The dashboard (issue 16): pages under `/ui`, rendered on the server from Mustache templates
/// over the same ``Orchestrator`` the `/api` serves, so a page shows what the API would answer
/// and an action does what the API would do. A browser signs in once with an API key and then
/// holds only a session cookie (``DashboardSessions``); every form carries the session's CSRF
/// token; no page runs inline script (the CSP forbids it).
public struct Dashboard: Sendable {
    public let orchestrator: Orchestrator
    public let keys: APIKeyService
    public let sessions: DashboardSessions
    public let resources: DashboardResources
    /// The server's schedules (`/ui/schedules`, as `/api/schedules`); nil: the server keeps none.
    public let scheduler: Scheduler?
    /// A server without auth (`--open` on loopback): no sign-in, every browser is an admin.
    public let openMode: Bool
    /// The server's sandboxes (`/ui/sandboxes`, terminal, files); nil: the pages say none are served.
    public var sandboxes: SandboxService?
    /// The server's bound on file transfers, shared with the file APIs: a download from the files
    /// page waits for its turn like any other. Its own small gate until the server hands over its.
    package var transfers = TransferGate(limit: 4, maxWait: .seconds(10))
    let logger: Logger
    /// The recorded runs' workflow files, parsed once while unchanged.
    let workflows = WorkflowFileCache()

    /// The path every page lives under.
    public static let root = "/ui"

    public init(
        orchestrator: Orchestrator, keys: APIKeyService, resources: DashboardResources, openMode: Bool,
        sessions: DashboardSessions = DashboardSessions(), scheduler: Scheduler? = nil, logger: Logger
    ) {
        self.scheduler = scheduler
        self.orchestrator = orchestrator
        self.keys = keys
        self.resources = resources
        self.openMode = openMode
        self.sessions = sessions
        self.logger = logger
    }

    /// Registers every page, form action, stream and static file under `/ui`.
    public func register(on router: Router<ServerRequestContext>) {
        let ui = router.group(RouterPath(Self.root))
        StaticFiles(resources: resources).register(on: ui)
        SignInController(dashboard: self).register(on: ui)
        OverviewController(dashboard: self).register(on: ui)
        RunsController(dashboard: self).register(on: ui)
        RunController(dashboard: self).register(on: ui)
        ApprovalsController(dashboard: self).register(on: ui)
        WorkflowsController(dashboard: self).register(on: ui)
        SchedulesController(dashboard: self).register(on: ui)
        DeadLettersController(dashboard: self).register(on: ui)
        KeysController(dashboard: self).register(on: ui)
        ViolationsController(dashboard: self).register(on: ui)
        AuditController(dashboard: self).register(on: ui)
        LiveController(dashboard: self).register(on: ui)
        SandboxesController(dashboard: self).register(on: ui)
    }

    /// Registers the dashboard's WebSockets (the sandbox terminal) on the server's upgrade router.
    public func registerWebSockets(on router: Router<ServerRequestContext>) {
        SandboxTerminalController(dashboard: self).registerWebSocket(on: router)
    }
}
