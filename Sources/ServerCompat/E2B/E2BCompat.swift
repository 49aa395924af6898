import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Sandbox
import SandboxE2B
import ServerCore

/// The E2B-compatible API inside `sandcastle serve`: the unmodified `e2b` SDK (2.63) works
/// with `E2B_API_URL` and `E2B_SANDBOX_URL` both pointed at this server.
///
/// Two planes share the listener, as on E2B's own single-machine setup:
/// - the control plane (`/v2/sandboxes`, `/sandboxes/{id}…`), authenticated by `X-API-KEY`
///   against the server's key store, answering E2B's `{"code":int,"message":str}` errors;
/// - the envd data plane (`/process.Process/*`, `/filesystem.Filesystem/*`, `/files`,
///   `/health`), chosen by the `E2b-Sandbox-Id` header and authenticated by the sandbox's
///   `X-Access-Token`, speaking Connect's JSON protocol.
///
/// Both are their own routers behind one middleware on the main router, placed before the
/// native API's authentication: the data plane never carries an API key, and E2B errors
/// must keep E2B's shape. See docs/compat/e2b.md.
public struct E2BCompat: Sendable {
    /// The envd version reported to the SDK. It switches SDK features on: 0.5.7 claims
    /// recursive watching (0.1.4, done by polling), the server-side default user (0.4.0),
    /// `CloseStdin` (0.5.2) and octet-stream uploads (0.5.7), all implemented; file metadata
    /// (0.6.2) and entries in watch events (0.6.3) are not, so they are not claimed.
    public static let envdVersion = "0.5.7"
    static let sandboxIDHeader = "E2b-Sandbox-Id"
    static let accessTokenHeader = "X-Access-Token"
    /// Where relative paths and commands without a cwd land: the sandbox user's home.
    static let home = "/workspace"

    let service: SandboxService
    let registry: E2BRegistry
    let keys: APIKeyService
    let openMode: Bool
    let templates: [String: String]
    let maxUploadBytes: Int
    let transfers: TransferGate

    /// - Parameters:
    ///   - templates: extra E2B template names and the images they run
    ///     (`base`, `python` and `node` map to our images of the same name without it).
    ///   - transfers: the server's bound on file transfers, shared with its other APIs.
    package init(
        service: SandboxService, keys: APIKeyService, openMode: Bool, templates: [String: String] = [:],
        maxUploadBytes: Int = 1 << 30, transfers: TransferGate
    ) {
        self.service = service
        self.registry = E2BRegistry()
        self.keys = keys
        self.openMode = openMode
        self.templates = templates
        self.maxUploadBytes = maxUploadBytes
        self.transfers = transfers
    }

    /// Template names from `SANDCASTLE_E2B_TEMPLATES` (`name=image,name=image`).
    public static func templates(fromEnvironment environment: [String: String]) -> [String: String] {
        var map: [String: String] = [:]
        for item in (environment["SANDCASTLE_E2B_TEMPLATES"] ?? "").split(separator: ",") {
            let parts = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty { map[parts[0]] = parts[1] }
        }
        return map
    }

    /// The middleware to add to the main router, before its authentication.
    public var middleware: E2BCompatMiddleware {
        let control = Router(context: ServerRequestContext.self)
        // Middlewares wrap routes as they are added, so they come first.
        control.middlewares.add(E2BControlPlaneErrors())
        control.middlewares.add(E2BControlPlaneAuth(keys: keys, openMode: openMode))
        E2BControlPlane(service: service, registry: registry, templates: templates).register(control)

        let data = Router(context: ServerRequestContext.self)
        data.middlewares.add(E2BDataPlaneErrors())
        E2BEnvd(service: service, registry: registry, maxUploadBytes: maxUploadBytes, transfers: transfers).register(data)
        return E2BCompatMiddleware(control: control.buildResponder(), data: data.buildResponder())
    }

    /// A header by name (names are case-insensitive; a malformed name is simply absent).
    static func header(_ request: Request, _ name: String) -> String? {
        HTTPField.Name(name).flatMap { request.headers[$0] }
    }

    /// Whether a path belongs to E2B's control plane (ours lives under `/v1`, so no clash).
    static func isControlPlanePath(_ path: String) -> Bool {
        path == "/sandboxes" || path.hasPrefix("/sandboxes/") || path == "/v2/sandboxes" || path.hasPrefix("/v2/sandboxes/")
    }
}

/// Sends E2B's requests to the E2B routers and everything else on through the native API.
public struct E2BCompatMiddleware: RouterMiddleware {
    public typealias Context = ServerRequestContext
    let control: RouterResponder<ServerRequestContext>
    let data: RouterResponder<ServerRequestContext>

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // The header is how E2B's own edge routes envd traffic; the native API never sends it.
        if E2BCompat.header(request, E2BCompat.sandboxIDHeader) != nil { return try await data.respond(to: request, context: context) }
        if E2BCompat.isControlPlanePath(request.uri.path) { return try await control.respond(to: request, context: context) }
        return try await next(request, context)
    }
}

/// What the E2B API knows about a sandbox beyond the service's record.
package struct E2BSandbox: Sendable {
    var id: String
    var templateID: String
    var alias: String?
    var accessToken: String
    var keyID: String?
    var metadata: [String: String]
}

/// E2B-only state: access tokens, template names and metadata per sandbox, and the
/// processes started through envd (pid → process) so Connect/List/SendInput reach them.
///
/// Kept in memory: after a server restart re-adopted sandboxes need `connect` (which issues
/// a new access token) before envd calls work again.
package actor E2BRegistry {
    private var sandboxes: [String: E2BSandbox] = [:]
    private var processes: [String: [UInt32: E2BProcess]] = [:]
    /// Polling watchers of `CreateWatcher`, by sandbox, then watcher id.
    private var watchers: [String: [String: E2BWatcher]] = [:]

    func add(_ sandbox: E2BSandbox) { sandboxes[sandbox.id] = sandbox }

    func sandbox(_ id: String) -> E2BSandbox? { sandboxes[id] }

    func all() -> [String: E2BSandbox] { sandboxes }

    /// Forgets a key's sandboxes that are no longer live (expired by the reaper, deleted
    /// through the native API), so the registry does not grow with dead entries.
    func prune(keyID: String?, keeping live: Set<String>) async {
        let dead = sandboxes.values.filter { $0.keyID == keyID && !live.contains($0.id) }.map(\.id)
        for id in dead { await remove(id) }
    }

    /// Forgets a sandbox and stops whatever it still runs through envd.
    func remove(_ id: String) async {
        sandboxes[id] = nil
        let running = processes.removeValue(forKey: id) ?? [:]
        for process in running.values { try? await process.control.cancel() }
        for watcher in (watchers.removeValue(forKey: id) ?? [:]).values { await watcher.stop() }
    }

    func addWatcher(_ watcher: E2BWatcher, id: String, sandboxID: String) { watchers[sandboxID, default: [:]][id] = watcher }

    func watcher(_ id: String, sandboxID: String) -> E2BWatcher? { watchers[sandboxID]?[id] }

    func removeWatcher(_ id: String, sandboxID: String) -> E2BWatcher? { watchers[sandboxID]?.removeValue(forKey: id) }

    func register(_ process: E2BProcess, sandboxID: String) { processes[sandboxID, default: [:]][process.pid] = process }

    func unregister(pid: UInt32, sandboxID: String) { processes[sandboxID]?[pid] = nil }

    func processes(in sandboxID: String) -> [E2BProcess] {
        (processes[sandboxID] ?? [:]).values.sorted { $0.pid < $1.pid }
    }

    func process(in sandboxID: String, pid: UInt32?, tag: String?) -> E2BProcess? {
        let running = processes[sandboxID] ?? [:]
        if let pid { return running[pid] }
        if let tag { return running.values.first { $0.tag == tag } }
        return nil
    }
}

/// A fresh random token (hex), for envd access tokens and client ids.
package func randomToken(bytes: Int) -> String {
    var generator = SystemRandomNumberGenerator()
    return (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
}
