import Foundation
import Guardrails
import HTTPTypes
import Hummingbird
import NIOCore
import ServerCore

/// E2B's control plane as SDK 2.63 calls it: create (`POST /v2/sandboxes`, 201), list
/// (`GET /v2/sandboxes`, `x-next-token` paging), info, kill, timeout and connect. Sandboxes
/// are the service's (limits, pool, TTL reaper); the E2B timeout is the service's TTL.
package struct E2BControlPlane {
    let service: SandboxService
    let registry: E2BRegistry
    let templates: [String: String]
    /// E2B's default sandbox lifetime when create names none (v2 API).
    static let defaultTimeoutSeconds = 300

    func register(_ router: Router<ServerRequestContext>) {
        let plane = self
        for path in ["/v2/sandboxes", "/sandboxes"] {
            router.post(RouterPath(path)) { request, context in
                try await plane.create(request, keyID: context.apiKeyID)
            }
            router.get(RouterPath(path)) { request, context in
                try await plane.list(request, keyID: context.apiKeyID)
            }
        }
        router.get("/sandboxes/:id") { _, context in
            try await plane.detail(id: try E2BControlPlane.id(context), keyID: context.apiKeyID)
        }
        router.delete("/sandboxes/:id") { _, context in
            try await plane.kill(id: try E2BControlPlane.id(context), keyID: context.apiKeyID)
        }
        router.post("/sandboxes/:id/timeout") { request, context in
            let body = try await E2BControlPlane.decode(TimeoutBody.self, request)
            return try await plane.setTimeout(id: try E2BControlPlane.id(context), seconds: body.timeout, keyID: context.apiKeyID)
        }
        router.get("/sandboxes/:id/metrics") { _, context in
            try await plane.metrics(id: try E2BControlPlane.id(context), keyID: context.apiKeyID)
        }
        for path in ["/v2/sandboxes/:id/connect", "/sandboxes/:id/connect"] {
            router.post(RouterPath(path)) { request, context in
                let body = try await E2BControlPlane.decode(ConnectBody.self, request)
                return try await plane.connect(id: try E2BControlPlane.id(context), timeout: body.timeout, keyID: context.apiKeyID)
            }
        }
        // Calls the SDK has but a Docker sandbox cannot honour: a clear 501 rather than a 404
        // the SDK would report as "sandbox not found".
        let unsupported: [(HTTPRequest.Method, String, String)] = [
            (.post, "/sandboxes/:id/pause", "pausing"), (.post, "/sandboxes/:id/resume", "resuming"),
            (.post, "/sandboxes/:id/fork", "forking"), (.post, "/sandboxes/:id/snapshots", "snapshots"),
            (.put, "/sandboxes/:id/network", "changing the network"),
            (.post, "/sandboxes/:id/refreshes", "refreshes"), (.get, "/sandboxes/:id/logs", "logs"),
        ]
        for (method, path, what) in unsupported {
            router.on(RouterPath(path), method: method) { _, _ -> Response in
                throw E2BAPIError(.notImplemented, "\(what) is not supported by sandcastle's E2B-compatible API")
            }
        }
    }

    // MARK: routes

    func create(_ request: Request, keyID: String?) async throws -> Response {
        let body = try await Self.decode(NewSandboxBody.self, request)
        guard let templateID = body.templateID, !templateID.isEmpty else {
            throw E2BAPIError(.badRequest, "templateID is required")
        }
        if body.autoPause == true { throw E2BAPIError(.badRequest, "autoPause is not supported: sandboxes cannot be paused") }
        if let mounts = body.volumeMounts, !mounts.isEmpty { throw E2BAPIError(.badRequest, "volumeMounts are not supported") }
        if let network = body.network, !(network.allowOut ?? []).isEmpty || !(network.denyOut ?? []).isEmpty {
            throw E2BAPIError(.badRequest, "per-destination network rules (allowOut/denyOut) are not supported; use allow_internet_access")
        }
        let image = templates[templateID] ?? templateID
        let timeout = body.timeout ?? Self.defaultTimeoutSeconds
        // Omitted means the profile's default (no network): E2B defaults to internet access,
        // but a sandbox that can reach nothing is our safer default; the SDK can ask for it.
        let create = CreateSandboxRequest(
            image: image, ttlSeconds: timeout, env: body.envVars ?? [:],
            network: body.allowInternetAccess)
        let view: SandboxView
        do {
            view = try await service.create(create, keyID: keyID)
        } catch {
            let serverError = ServerError.from(error)
            if serverError.code == .imageNotFound {
                throw E2BAPIError(.badRequest, "template '\(templateID)' not found: \(serverError.message)")
            }
            throw error
        }
        let entry = E2BSandbox(
            id: view.id, templateID: templateID, alias: templateID, accessToken: randomToken(bytes: 16),
            keyID: keyID, metadata: body.metadata ?? [:])
        await registry.add(entry)
        return try E2BControlPlane.json(sandboxResponse(entry), status: .created)
    }

    func list(_ request: Request, keyID: String?) async throws -> Response {
        let query = request.uri.queryParameters
        let limit =
            try query.get("limit").map { text -> Int in
                guard let value = Int(text), (1...1000).contains(value) else { throw E2BAPIError(.badRequest, "limit must be 1-1000") }
                return value
            } ?? 100
        var offset = 0
        if let token = query.get("nextToken"), !token.isEmpty {
            guard let parsed = Int(token.dropFirst(2)), token.hasPrefix("o-"), parsed >= 0 else {
                throw E2BAPIError(.badRequest, "nextToken '\(token)' was not issued by this server")
            }
            offset = parsed
        }
        let states = query.get("state").map { Set($0.split(separator: ",").map(String.init)) }
        let metadata = Self.metadataFilter(query.get("metadata"))
        let template = query.get("template")
        let startedAfter = query.get("startedAfter").flatMap(Self.parseDate)
        let descending = query.get("order") != "asc"

        var rows: [(SandboxView, E2BSandbox)] = []
        let known = await registry.all()
        var cursor: String?
        repeat {
            let page = try await service.list(status: "running", image: nil, limit: 500, cursor: cursor, keyID: keyID)
            for view in page.sandboxes {
                rows.append((view, known[view.id] ?? Self.adoptedEntry(view, keyID: keyID)))
            }
            cursor = page.nextCursor
        } while cursor != nil
        await registry.prune(keyID: keyID, keeping: Set(rows.map(\.0.id)))
        // Nothing here is ever paused: a state filter without `running` matches nothing.
        if let states, !states.contains("running") { rows = [] }
        rows = rows.filter { view, entry in
            if let template, entry.templateID != template { return false }
            if let startedAfter, let created = Self.parseDate(view.createdAt), created <= startedAfter { return false }
            return metadata.allSatisfy { entry.metadata[$0.key] == $0.value }
        }
        rows.sort { a, b in
            a.0.createdAt == b.0.createdAt ? a.0.id < b.0.id : (a.0.createdAt < b.0.createdAt) != descending
        }
        let page = rows.dropFirst(offset).prefix(limit)
        var response = try E2BControlPlane.json(page.map { listed($0.0, $0.1) })
        if offset + page.count < rows.count, let name = HTTPField.Name("x-next-token") {
            response.headers[name] = "o-\(offset + page.count)"
        }
        return response
    }

    func detail(id: String, keyID: String?) async throws -> Response {
        let view = try await liveView(id: id, keyID: keyID)
        let entry = await registry.sandbox(id) ?? Self.adoptedEntry(view, keyID: keyID)
        return try E2BControlPlane.json(listed(view, entry))
    }

    func kill(id: String, keyID: String?) async throws -> Response {
        _ = try await liveView(id: id, keyID: keyID)
        // The sandbox goes first: streams of commands still running then fail as on E2B (the
        // sandbox is gone), rather than reporting a signal death from a cancel of ours.
        try await service.delete(id: id, keyID: keyID)
        await registry.remove(id)
        return Response(status: .noContent)
    }

    func setTimeout(id: String, seconds: Int, keyID: String?) async throws -> Response {
        _ = try await liveView(id: id, keyID: keyID)
        _ = try await service.extend(id: id, ttlSeconds: seconds, keyID: keyID)
        return Response(status: .noContent)
    }

    /// One sample, taken now from the engine (E2B keeps a time series; `start`/`end` are not
    /// honoured). Disk figures are not measured and reported as 0.
    func metrics(id: String, keyID: String?) async throws -> Response {
        let view = try await liveView(id: id, keyID: keyID)
        let stats = try await service.stats(id: id, keyID: keyID)
        let cpus = max(1, Int((view.cpu ?? 1).rounded(.up)))
        let now = Date()
        let sample = MetricSample(
            timestamp: APIDate.format(now), timestampUnix: Int(now.timeIntervalSince1970), cpuCount: cpus,
            cpuUsedPct: (stats.cpuPercent / Double(cpus) * 100).rounded() / 100,
            memUsed: stats.memoryBytes, memTotal: stats.memoryLimitBytes, memCache: 0, diskUsed: 0, diskTotal: 0)
        return try E2BControlPlane.json([sample])
    }

    /// Connecting to a running sandbox: a paused one does not exist here. A sandbox this
    /// registry does not know (made through the native API, or before a restart) gets an
    /// entry and a fresh access token.
    func connect(id: String, timeout: Int?, keyID: String?) async throws -> Response {
        let view = try await liveView(id: id, keyID: keyID)
        if let timeout {
            // Like E2B: connecting may lengthen the sandbox's life, never shorten it.
            let remaining = view.expiresAt.flatMap(Self.parseDate).map { Int($0.timeIntervalSinceNow.rounded(.up)) } ?? 0
            if timeout > remaining { _ = try await service.extend(id: id, ttlSeconds: timeout, keyID: keyID) }
        }
        var entry = await registry.sandbox(id)
        if entry == nil {
            let adopted = Self.adoptedEntry(view, keyID: keyID)
            await registry.add(adopted)
            entry = adopted
        }
        guard let entry else { throw E2BAPIError(.internalServerError, "sandbox \(id) vanished while connecting") }
        return try E2BControlPlane.json(sandboxResponse(entry), status: .ok)
    }

    // MARK: helpers

    /// The service's view of a live sandbox; anything else is E2B's 404.
    private func liveView(id: String, keyID: String?) async throws -> SandboxView {
        do {
            let view = try await service.get(id: id, keyID: keyID)
            guard view.status == "running" || view.status == "creating" else {
                throw E2BAPIError(.notFound, "sandbox \(id) not found (it is \(view.status))")
            }
            return view
        } catch let error as E2BAPIError {
            throw error
        } catch {
            if ServerError.from(error).code == .notFound { throw E2BAPIError(.notFound, "sandbox \(id) not found") }
            throw error
        }
    }

    private func sandboxResponse(_ entry: E2BSandbox) -> SandboxBody {
        SandboxBody(
            templateID: entry.templateID, sandboxID: entry.id, alias: entry.alias, clientID: clientID,
            envdVersion: E2BCompat.envdVersion, envdAccessToken: entry.accessToken)
    }

    private var clientID: String { String(service.serverID.prefix(8)) }

    private func listed(_ view: SandboxView, _ entry: E2BSandbox) -> ListedSandbox {
        ListedSandbox(
            templateID: entry.templateID, alias: entry.alias, sandboxID: view.id, clientID: clientID,
            startedAt: view.createdAt, endAt: view.expiresAt ?? view.createdAt,
            cpuCount: max(1, Int((view.cpu ?? 1).rounded(.up))), memoryMB: view.memoryMB ?? 1024, diskSizeMB: 0,
            state: "running", envdVersion: E2BCompat.envdVersion, metadata: entry.metadata)
    }

    /// An entry for a sandbox the registry never saw: its image stands in for the template.
    private static func adoptedEntry(_ view: SandboxView, keyID: String?) -> E2BSandbox {
        E2BSandbox(id: view.id, templateID: view.image, alias: nil, accessToken: randomToken(bytes: 16), keyID: keyID, metadata: [:])
    }

    /// The SDK sends `metadata` as a URL-encoded `k=v&k2=v2` string inside the query.
    static func metadataFilter(_ text: String?) -> [String: String] {
        guard let text, !text.isEmpty else { return [:] }
        var filter: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
            if parts.count == 2 { filter[parts[0]] = parts[1] }
        }
        return filter
    }

    static func parseDate(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return date }
        return try? Date(text, strategy: Date.ISO8601FormatStyle())
    }

    static func id(_ context: ServerRequestContext) throws -> String {
        guard let id = context.parameters.get("id"), !id.isEmpty else { throw E2BAPIError(.badRequest, "missing sandbox id") }
        return id
    }

    static func decode<T: Decodable>(_ type: T.Type, _ request: Request) async throws -> T {
        var bytes: [UInt8] = []
        for try await buffer in request.body {
            guard bytes.count + buffer.readableBytes <= 1 << 20 else { throw E2BAPIError(.contentTooLarge, "the request body is too large") }
            bytes.append(contentsOf: buffer.readableBytesView)
        }
        do {
            return try JSONDecoder().decode(T.self, from: bytes.isEmpty ? Data("{}".utf8) : Data(bytes))
        } catch {
            throw E2BAPIError(.badRequest, "invalid JSON body: \(ServerError.describe(error))")
        }
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try HTTP.encoder.encode(value)
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    // MARK: wire shapes (E2B's openapi.yml)

    struct NewSandboxBody: Decodable {
        struct Network: Decodable {
            var allowOut: [String]?
            var denyOut: [String]?
        }
        struct VolumeMount: Decodable {
            var name: String?
        }
        var templateID: String?
        var timeout: Int?
        var autoPause: Bool?
        var allowInternetAccess: Bool?
        var metadata: [String: String]?
        var envVars: [String: String]?
        var network: Network?
        var volumeMounts: [VolumeMount]?
        enum CodingKeys: String, CodingKey {
            case templateID, timeout, autoPause, allowInternetAccess = "allow_internet_access", metadata, envVars, network, volumeMounts
        }
    }

    struct TimeoutBody: Decodable {
        var timeout: Int
    }

    struct ConnectBody: Decodable {
        var timeout: Int?
    }

    struct SandboxBody: Encodable {
        var templateID: String
        var sandboxID: String
        var alias: String?
        var clientID: String
        var envdVersion: String
        var envdAccessToken: String
    }

    struct MetricSample: Encodable {
        var timestamp: String
        var timestampUnix: Int
        var cpuCount: Int
        var cpuUsedPct: Double
        var memUsed: UInt64
        var memTotal: UInt64
        var memCache: UInt64
        var diskUsed: UInt64
        var diskTotal: UInt64
    }

    struct ListedSandbox: Encodable {
        var templateID: String
        var alias: String?
        var sandboxID: String
        var clientID: String
        var startedAt: String
        var endAt: String
        var cpuCount: Int
        var memoryMB: Int
        var diskSizeMB: Int
        var state: String
        var envdVersion: String
        var metadata: [String: String]
    }
}

/// An error in E2B's control-plane shape: `{"code": <status>, "message": "…"}`.
package struct E2BAPIError: Error, CustomStringConvertible {
    var status: HTTPResponse.Status
    var message: String
    init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = ScrubbingSystem.scrub(message)
    }
    package var description: String { "\(status.code): \(message)" }

    /// Maps the server's errors; expired and deleted sandboxes are E2B's 404.
    static func from(_ error: any Error) -> E2BAPIError {
        if let error = error as? E2BAPIError { return error }
        let server = ServerError.from(error)
        switch server.code {
        case .gone, .expired, .notFound: return E2BAPIError(.notFound, server.message)
        case .routeNotFound: return E2BAPIError(.notFound, server.message)
        default: return E2BAPIError(server.code.status, server.message)
        }
    }

    var response: Response {
        struct Body: Encodable {
            var code: Int
            var message: String
        }
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        let data = (try? JSONEncoder().encode(Body(code: status.code, message: message))) ?? Data("{}".utf8)
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Every control-plane error leaves in E2B's shape (the SDK reads `message`).
package struct E2BControlPlaneErrors: RouterMiddleware {
    package typealias Context = ServerRequestContext
    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let e2b = E2BAPIError.from(error)
            if e2b.status.code >= 500 {
                context.logger.error("\(request.method) \(request.uri.path) failed: \(e2b.message)")
            }
            return e2b.response
        }
    }
}

/// `X-API-KEY` (any casing) or a bearer token, checked against the server's keys.
package struct E2BControlPlaneAuth: RouterMiddleware {
    package typealias Context = ServerRequestContext
    let keys: APIKeyService
    let openMode: Bool

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if openMode {
            context.caller = .open
            return try await next(request, context)
        }
        guard let presented = AuthMiddleware.presentedKey(request.headers) else {
            throw E2BAPIError(.unauthorized, "an API key is required: send X-API-KEY")
        }
        let caller: APICaller
        do {
            caller = try keys.authenticate(presented, clientAddress: context.channel.remoteAddress?.ipAddress)
        } catch let error as ServerError where error.code == .unauthorized {
            throw E2BAPIError(.unauthorized, "Invalid API key")
        } catch let error as ServerError where error.code == .keyExpired || error.code == .ipBlocked {
            throw E2BAPIError(error.code.status, error.message)
        }
        context.caller = caller
        context.apiKeyID = caller.keyID
        return try await next(request, context)
    }
}
