import Foundation
import Guardrails
import HTTPTypes
import Hummingbird
import NIOCore
import Sandbox
import SandboxE2B
import ServerCore

/// envd, the in-sandbox daemon E2B's SDK talks to, served by the host: the `process.Process`
/// and `filesystem.Filesystem` Connect services and the `/files` and `/health` HTTP routes,
/// each translated into the sandbox protocol (runner spawn/PTY/files).
///
/// Every request names its sandbox in `E2b-Sandbox-Id` and proves it may use it with the
/// `X-Access-Token` handed out at create/connect.
package struct E2BEnvd {
    let service: SandboxService
    let registry: E2BRegistry
    let maxUploadBytes: Int
    /// Bounds the file transfers of all APIs together.
    let transfers: TransferGate
    /// envd's keepalive interval when the client sends no `Keepalive-Ping-Interval`.
    static let defaultKeepaliveSeconds = 90

    func register(_ router: Router<ServerRequestContext>) {
        let envd = self
        router.get("/health") { request, _ in
            _ = try await envd.sandbox(request)
            return Response(status: .noContent)
        }
        router.get("/files") { request, _ in try await envd.download(request) }
        router.post("/files") { request, _ in try await envd.upload(request) }

        router.post("/process.Process/Start") { request, _ in try await envd.start(request) }
        router.post("/process.Process/Connect") { request, _ in try await envd.connect(request) }
        router.post("/process.Process/StreamInput") { request, _ in try await envd.streamInput(request) }
        unary(router, "/process.Process/List", ListRequest.self) { sandbox, _ in
            let processes = await envd.registry.processes(in: sandbox.entry.id)
            return ListResponse(processes: processes.map { ProcessInfo(config: $0.config, pid: $0.pid, tag: $0.tag) })
        }
        unary(router, "/process.Process/SendInput", SendInputRequest.self) { sandbox, body in
            let process = try await envd.process(sandbox, body.process)
            try await process.control.write(try body.input?.bytes ?? [])
            return Empty()
        }
        unary(router, "/process.Process/SendSignal", SendSignalRequest.self) { sandbox, body in
            let process = try await envd.process(sandbox, body.process)
            try await process.control.signal(try body.signalNumber)
            return Empty()
        }
        unary(router, "/process.Process/CloseStdin", SelectorRequest.self) { sandbox, body in
            let process = try await envd.process(sandbox, body.process)
            guard !process.isPTY else { throw ConnectError(.failedPrecondition, "a PTY has no stdin to close; send Ctrl+D (0x04) instead") }
            try await process.control.closeInput()
            return Empty()
        }
        unary(router, "/process.Process/Update", UpdateRequest.self) { sandbox, body in
            let process = try await envd.process(sandbox, body.process)
            if let size = body.pty?.size {
                try await process.control.resize(TerminalSize(rows: UInt16(clamping: size.rows ?? 24), columns: UInt16(clamping: size.cols ?? 80)))
            }
            return Empty()
        }

        unary(router, "/filesystem.Filesystem/Stat", PathRequest.self) { sandbox, body in
            EntryResponse(entry: EntryInfo(try await sandbox.instance.stat(path: try envd.path(body.path))))
        }
        unary(router, "/filesystem.Filesystem/ListDir", ListDirRequest.self) { sandbox, body in
            let root = try envd.path(body.path)
            let depth = max(1, Int(body.depth ?? 1))
            var entries: [EntryInfo] = []
            try await envd.walk(sandbox.instance, root, depth: depth) { entries.append(EntryInfo($0)) }
            return ListDirResponse(entries: entries)
        }
        unary(router, "/filesystem.Filesystem/MakeDir", PathRequest.self) { sandbox, body in
            let path = try envd.path(body.path)
            // envd reports an existing directory as already_exists (the SDK's make_dir returns False).
            if (try? await sandbox.instance.stat(path: path)) != nil { throw ConnectError(.alreadyExists, "directory \(path) already exists") }
            try await sandbox.instance.makeDirectory(path: path, parents: true)
            return EntryResponse(entry: EntryInfo(try await sandbox.instance.stat(path: path)))
        }
        unary(router, "/filesystem.Filesystem/Move", MoveRequest.self) { sandbox, body in
            let destination = try envd.path(body.destination)
            try await sandbox.instance.move(from: try envd.path(body.source), to: destination, overwrite: true)
            return EntryResponse(entry: EntryInfo(try await sandbox.instance.stat(path: destination)))
        }
        unary(router, "/filesystem.Filesystem/Remove", PathRequest.self) { sandbox, body in
            try await sandbox.instance.remove(path: try envd.path(body.path), recursive: true)
            return Empty()
        }
        unary(router, "/filesystem.Filesystem/CreateWatcher", WatchRequest.self) { sandbox, body in
            let watcher = E2BWatcher(sandbox: sandbox.instance, root: try envd.path(body.path), recursive: body.recursive ?? false)
            try await watcher.start()
            let id = randomToken(bytes: 8)
            await envd.registry.addWatcher(watcher, id: id, sandboxID: sandbox.entry.id)
            return CreateWatcherResponse(watcherId: id)
        }
        unary(router, "/filesystem.Filesystem/GetWatcherEvents", WatcherRequest.self) { sandbox, body in
            guard let watcher = await envd.registry.watcher(body.watcherId ?? "", sandboxID: sandbox.entry.id) else {
                throw ConnectError(.notFound, "watcher \(body.watcherId ?? "") not found")
            }
            return WatcherEventsResponse(events: try await watcher.drain())
        }
        unary(router, "/filesystem.Filesystem/RemoveWatcher", WatcherRequest.self) { sandbox, body in
            guard let watcher = await envd.registry.removeWatcher(body.watcherId ?? "", sandboxID: sandbox.entry.id) else {
                throw ConnectError(.notFound, "watcher \(body.watcherId ?? "") not found")
            }
            await watcher.stop()
            return Empty()
        }
        router.post("/filesystem.Filesystem/WatchDir") { request, _ in try await envd.watchDir(request) }
    }

    /// The streaming watch: a start event, then one `filesystem` event per change, with
    /// keepalives while nothing changes; the watch ends when the client goes away.
    func watchDir(_ request: Request) async throws -> Response {
        let sandbox = try await sandbox(request)
        let body = try await Connect.decodeRequest(WatchRequest.self, request)
        let keepalive = Self.keepaliveSeconds(request)
        let watcher = E2BWatcher(sandbox: sandbox.instance, root: try path(body.path), recursive: body.recursive ?? false)
        let envd = self
        return Connect.stream { send in
            do {
                try await watcher.start()
            } catch {
                throw await envd.translate(error, sandbox: sandbox)
            }
            let events = await watcher.stream()
            do {
                try await send(Connect.envelope(WatchStart(start: Empty())))
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        while true {
                            try await Task.sleep(for: .seconds(keepalive))
                            try await send(Connect.envelope(KeepaliveEvent(keepalive: Empty())))
                        }
                    }
                    group.addTask {
                        for await event in events { try await send(Connect.envelope(WatchEvent(filesystem: event))) }
                        if let failure = await watcher.failure { throw failure }
                    }
                    try await group.next()
                    group.cancelAll()
                }
            } catch {
                await watcher.stop()
                throw error
            }
            await watcher.stop()
        }
    }

    /// Registers a unary Connect method: resolve the sandbox, decode, run, encode.
    private func unary<Req: Decodable & Sendable, Res: Encodable & Sendable>(
        _ router: Router<ServerRequestContext>, _ path: String, _ type: Req.Type,
        _ body: @escaping @Sendable (ResolvedSandbox, Req) async throws -> Res
    ) {
        let envd = self
        router.post(RouterPath(path)) { request, _ in
            let sandbox = try await envd.sandbox(request)
            let message = try await Connect.decodeRequest(Req.self, request)
            do {
                return Connect.unary(try await body(sandbox, message))
            } catch {
                throw await envd.translate(error, sandbox: sandbox)
            }
        }
    }

    // MARK: sandboxes

    struct ResolvedSandbox: Sendable {
        var entry: E2BSandbox
        var instance: any SandboxInstance
    }

    /// The sandbox a request is for, after checking its access token and the user it asks for.
    func sandbox(_ request: Request) async throws -> ResolvedSandbox {
        guard let id = E2BCompat.header(request, E2BCompat.sandboxIDHeader), !id.isEmpty else {
            throw ConnectError(.invalidArgument, "the E2b-Sandbox-Id header is required")
        }
        guard let entry = await registry.sandbox(id) else { throw E2BSandboxMissing(id: id) }
        guard let token = E2BCompat.header(request, E2BCompat.accessTokenHeader),
            APIKeyStore.constantTimeEqual(Array(token.utf8), Array(entry.accessToken.utf8))
        else {
            throw ConnectError(.unauthenticated, "the X-Access-Token header does not match sandbox \(id)'s access token")
        }
        try Self.checkUser(request)
        do {
            return ResolvedSandbox(entry: entry, instance: try await service.instance(id: id, keyID: entry.keyID))
        } catch {
            await registry.remove(id)
            throw E2BSandboxMissing(id: id)
        }
    }

    /// Sandboxes run everything as their one unprivileged user (uid 1000); asking for root
    /// fails loudly rather than silently running unprivileged.
    static func checkUser(_ request: Request) throws {
        var user = request.uri.queryParameters.get("username").map { String($0) }
        if user == nil, let authorization = request.headers[.authorization], authorization.lowercased().hasPrefix("basic "),
            let decoded = Data(base64Encoded: String(authorization.dropFirst(6)).trimmingCharacters(in: .whitespaces))
        {
            user = String(decoding: decoded, as: UTF8.self).split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init)
        }
        if user == "root" {
            throw ConnectError(.permissionDenied, "sandcastle sandboxes run as an unprivileged user (uid 1000); user 'root' is not available")
        }
    }

    /// A path in the sandbox: relative ones (and `~`) are under the user's home.
    func path(_ raw: String?) throws -> String {
        guard let raw, !raw.isEmpty else { return E2BCompat.home }
        if raw == "~" { return E2BCompat.home }
        if raw.hasPrefix("~/") { return E2BCompat.home + raw.dropFirst(1) }
        if raw.hasPrefix("/") { return raw }
        return E2BCompat.home + "/" + raw
    }

    func process(_ sandbox: ResolvedSandbox, _ selector: ProcessSelector?) async throws -> E2BProcess {
        guard let selector, selector.pid != nil || selector.tag != nil else {
            throw ConnectError(.invalidArgument, "a process selector (pid or tag) is required")
        }
        guard let process = await registry.process(in: sandbox.entry.id, pid: selector.pid, tag: selector.tag) else {
            throw ConnectError(.notFound, "process with \(selector.pid.map { "pid \($0)" } ?? "tag \(selector.tag ?? "")") not found")
        }
        return process
    }

    /// A failure mid-call: a sandbox that died is E2B's "not found" (the SDK then reports it
    /// as no longer running); anything else keeps its code.
    func translate(_ error: any Error, sandbox: ResolvedSandbox) async -> any Error {
        if error is ConnectError || error is E2BSandboxMissing { return error }
        let serverError = await service.noteFailure(error, sandboxID: sandbox.entry.id)
        if serverError.code == .gone || serverError.code == .expired {
            await registry.remove(sandbox.entry.id)
            return E2BSandboxMissing(id: sandbox.entry.id)
        }
        return ConnectError.from(serverError)
    }

    /// Lists `root` and, up to `depth` levels, the directories below it (not through symlinks).
    func walk(_ sandbox: any SandboxInstance, _ root: String, depth: Int, _ visit: (FileInfo) -> Void) async throws {
        for entry in try await sandbox.list(path: root).sorted(by: { $0.name < $1.name }) {
            visit(entry)
            if depth > 1, entry.kind == .directory { try await walk(sandbox, entry.path, depth: depth - 1, visit) }
        }
    }

    // MARK: processes

    func start(_ request: Request) async throws -> Response {
        let sandbox = try await sandbox(request)
        let body = try await Connect.decodeRequest(StartRequest.self, request)
        guard let config = body.process, !config.cmd.isEmpty else { throw ConnectError(.invalidArgument, "process.cmd is required") }
        let timeoutMS = E2BCompat.header(request, "Connect-Timeout-Ms").flatMap(Int.init) ?? 0
        let keepalive = Self.keepaliveSeconds(request)
        let arguments = [config.cmd] + (config.args ?? [])
        let environment = config.envs ?? [:]
        let cwd = try path(config.cwd)
        let registry = self.registry
        let sandboxID = sandbox.entry.id
        let envd = self
        return Connect.stream { send in
            let control: SandboxProcess
            do {
                if let pty = body.pty {
                    control = try await sandbox.instance.openTerminal(
                        TerminalRequest(
                            arguments: arguments, environment: environment, workingDirectory: cwd,
                            size: TerminalSize(rows: UInt16(clamping: pty.size?.rows ?? 24), columns: UInt16(clamping: pty.size?.cols ?? 80))))
                } else {
                    // Connect-Timeout-Ms on Start is the process's lifetime in envd; 0/absent is none.
                    control = try await sandbox.instance.run(
                        .arguments(
                            arguments, environment: environment, workingDirectory: cwd,
                            timeout: timeoutMS > 0 ? .milliseconds(timeoutMS) : nil, maxOutputBytes: 1 << 40, openStdin: body.stdin ?? true))
                }
            } catch {
                throw await envd.translate(error, sandbox: sandbox)
            }
            let process = E2BProcess(control: control, config: config, tag: body.tag, isPTY: body.pty != nil)
            // Subscribe before the pump runs, so the start event cannot be missed.
            let items = process.subscribe()
            process.pump(
                onStarted: { await registry.register($0, sandboxID: sandboxID) },
                onEnded: { await registry.unregister(pid: $0.pid, sandboxID: sandboxID) })
            if body.pty != nil, timeoutMS > 0 {
                Task {
                    try? await Task.sleep(for: .milliseconds(timeoutMS))
                    guard !process.isFinished else { return }
                    process.markDeadlineHit()
                    try? await process.control.cancel()
                }
            }
            try await Self.relay(items, send: send, keepaliveSeconds: keepalive)
        }
    }

    func connect(_ request: Request) async throws -> Response {
        let sandbox = try await sandbox(request)
        let body = try await Connect.decodeRequest(SelectorRequest.self, request)
        let keepalive = Self.keepaliveSeconds(request)
        let envd = self
        return Connect.stream { send in
            let process = try await envd.process(sandbox, body.process)
            let items = process.subscribe()
            // Like envd, a Connect stream opens with the start event of the process it joined.
            try await send(Connect.envelope(EventMessage(event: StartEvent(start: PID(pid: process.pid)))))
            try await Self.relay(items, send: send, keepaliveSeconds: keepalive, skipStart: true)
        }
    }

    /// Client-streaming input: a start message naming the process, then data messages.
    func streamInput(_ request: Request) async throws -> Response {
        let sandbox = try await sandbox(request)
        var pending: [UInt8] = []
        var target: E2BProcess?
        do {
            for try await buffer in request.body {
                pending.append(contentsOf: buffer.readableBytesView)
                while pending.count >= 5 {
                    let length = Int(pending[1]) << 24 | Int(pending[2]) << 16 | Int(pending[3]) << 8 | Int(pending[4])
                    guard length <= Connect.maxRequestBytes else { throw ConnectError(.resourceExhausted, "input message too large") }
                    guard pending.count >= 5 + length else { break }
                    let flags = pending[0]
                    let payload = Array(pending[5..<5 + length])
                    pending.removeFirst(5 + length)
                    guard flags & Connect.endOfStreamFlag == 0 else { continue }
                    let message: StreamInputRequest
                    do {
                        message = try JSONDecoder().decode(StreamInputRequest.self, from: Data(payload))
                    } catch {
                        throw ConnectError(.invalidArgument, "invalid input message: \(ServerError.describe(error))")
                    }
                    if let start = message.start { target = try await process(sandbox, start.process) }
                    if let data = message.data {
                        guard let target else { throw ConnectError(.failedPrecondition, "input arrived before the start message") }
                        try await target.control.write(try data.input?.bytes ?? [])
                    }
                }
            }
        } catch {
            let failure = await translate(error, sandbox: sandbox)
            if failure is E2BSandboxMissing { throw failure }
            let connectError = failure as? ConnectError ?? ConnectError.from(failure)
            return Connect.stream { _ in throw connectError }
        }
        return Connect.stream { send in try await send(Connect.envelope(Empty())) }
    }

    static func keepaliveSeconds(_ request: Request) -> Int {
        let requested = E2BCompat.header(request, "Keepalive-Ping-Interval").flatMap(Int.init) ?? defaultKeepaliveSeconds
        return max(1, requested)
    }

    /// Frames a process's items until its end, with a keepalive whenever the stream is quiet.
    static func relay(
        _ items: AsyncStream<E2BProcessItem>, send: @escaping @Sendable (ByteBuffer) async throws -> Void,
        keepaliveSeconds: Int, skipStart: Bool = false
    ) async throws {
        let lastSent = LastSent()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                while true {
                    try await Task.sleep(for: .seconds(keepaliveSeconds))
                    if await lastSent.idle(for: .seconds(keepaliveSeconds)) {
                        try await send(Connect.envelope(EventMessage(event: KeepaliveEvent(keepalive: Empty()))))
                    }
                }
            }
            group.addTask {
                for await item in items {
                    await lastSent.touch()
                    switch item {
                    case .start(let pid):
                        if !skipStart { try await send(Connect.envelope(EventMessage(event: StartEvent(start: PID(pid: pid))))) }
                    case .stdout(let bytes):
                        try await send(Connect.envelope(EventMessage(event: DataEvent(data: ["stdout": Data(bytes).base64EncodedString()]))))
                    case .stderr(let bytes):
                        try await send(Connect.envelope(EventMessage(event: DataEvent(data: ["stderr": Data(bytes).base64EncodedString()]))))
                    case .pty(let bytes):
                        try await send(Connect.envelope(EventMessage(event: DataEvent(data: ["pty": Data(bytes).base64EncodedString()]))))
                    case .end(let result):
                        try await send(Connect.envelope(EventMessage(event: EndEventMessage(end: result.e2bEnd))))
                        return
                    case .failed(let error):
                        throw error
                    }
                }
                throw ConnectError(.unavailable, "the process stream ended without an end event")
            }
            // The event side decides the end; the ticker only ever stops by cancellation.
            try await group.next()
            group.cancelAll()
        }
    }

    actor LastSent {
        var at = ContinuousClock.now
        func touch() { at = .now }
        func idle(for interval: Duration) -> Bool { ContinuousClock.now - at >= interval }
    }
}

/// The sandbox behind `E2b-Sandbox-Id` is unknown, killed or expired. E2B's edge answers
/// this with a plain 502 whose message says "was not found"; the SDK turns it into
/// `SandboxNotRunningException` (RPC) or reports it on `/health`.
package struct E2BSandboxMissing: Error, CustomStringConvertible {
    var id: String
    package var description: String { "The sandbox \(id) was not found" }
}

/// An envd `/files` error: `{"message": "…", "code": <status>}`.
package struct E2BFilesError: Error {
    var status: HTTPResponse.Status
    var message: String
    init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = ScrubbingSystem.scrub(message)
    }
}

/// Formats data-plane failures: plain 502 for a missing sandbox, envd's JSON on the HTTP
/// routes, Connect's unary error on the RPC routes.
package struct E2BDataPlaneErrors: RouterMiddleware {
    package typealias Context = ServerRequestContext
    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let missing as E2BSandboxMissing {
            return Self.plain(HTTPResponse.Status(code: 502, reasonPhrase: "Bad Gateway"), missing.description)
        } catch let error as E2BFilesError {
            return Self.plain(error.status, error.message)
        } catch {
            let isHTTPRoute = request.uri.path == "/files" || request.uri.path == "/health"
            let connectError: ConnectError
            if let error = error as? HTTPError, error.status == .notFound {
                connectError = ConnectError(.unimplemented, "\(request.uri.path) is not served by sandcastle's envd")
            } else {
                connectError = ConnectError.from(error)
            }
            let serverError = ServerError.from(error)
            if isHTTPRoute {
                let status =
                    serverError.code == .noSpace
                    ? HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage")
                    : connectError.code.httpStatus
                var response = Self.plain(status, connectError.message)
                serverError.addRetryAfter(to: &response.headers)
                return response
            }
            var response = Connect.unaryError(connectError)
            serverError.addRetryAfter(to: &response.headers)
            return response
        }
    }

    static func plain(_ status: HTTPResponse.Status, _ message: String) -> Response {
        struct Body: Encodable {
            var message: String
            var code: Int
        }
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        let data = (try? JSONEncoder().encode(Body(message: message, code: status.code))) ?? Data("{}".utf8)
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
