import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Sandbox
import ServerCore
import Synchronization

/// Sandkasten's HTTP API (`/v1/sessions…` and the Sandkasten-only `/v1/workspaces/{id}/fs…`),
/// so the unmodified `sandkasten` 0.3.0 SDK works against this server. The spec is
/// docs/compat/sandkasten.md; `scripts/compat-sandkasten` checks it with the real SDK.
///
/// A session is a ``SandboxService`` sandbox (same limits, TTLs, keys and records; it is listed
/// in `/v1/sandboxes` too). Where Sandkasten is defective this does the right thing: a timeout
/// kills the command (504 `COMMAND_TIMEOUT`, the shell usable at once), output is never dropped,
/// shell state persists, an unknown id is 404 and a destroyed session 409 instead of 500.
package struct SandkastenController {
    let service: SandboxService
    /// How long a silent `exec/stream` goes without bytes on the wire. The SDK's read timeout
    /// (120 s) needs one at least every 15 s; every second, as the native stream does, also
    /// notices a client that left within a second and stops its command.
    let keepAliveInterval: Duration
    let shells = ShellDirectories()
    /// Bounds the file transfers of all APIs together.
    let transfers: TransferGate

    /// Sandkasten HEAD caps JSON bodies at 2 MiB; 32 MiB lets `write` carry ~24 MiB of raw data.
    static let maxJSONBodyBytes = 32 << 20
    static let maxUploadBytes = 10 << 20
    static let maxUploadFiles = 100
    /// Sandkasten's `max_exec_timeout_ms`: `timeout_ms` 0 means this, anything above is clamped to it.
    static let maxExecTimeoutMS = 120_000
    static let maxOutputBytes = 5 << 20
    static let defaultReadBytes = 10 << 20
    static let maxReadBytes = 100 << 20
    static let maxTTLSeconds = 86_400

    package init(service: SandboxService, transfers: TransferGate, keepAliveInterval: Duration = .seconds(1)) {
        self.service = service
        self.transfers = transfers
        self.keepAliveInterval = keepAliveInterval
    }

    package func register(_ routes: RouteTable) {
        registerSessions(routes)
        registerFiles(routes)
        registerWorkspaces(routes)
    }

    // MARK: sessions

    private func registerSessions(_ routes: RouteTable) {
        let service = self.service
        let shells = self.shells
        let keepAlive = keepAliveInterval
        routes.add(.post, "/v1/sessions", native: false) { request, context in
            let body = try await Self.decode(SandkastenCreateSession.self, request)
            let native = try Self.createRequest(body)
            let (view, fromPool) = try await service.createReportingSource(native, keyID: context.apiKeyID)
            let info = SandkastenSessionInfo(view, cwd: shells.cwd(view.id), acquireSource: fromPool ? "pool" : "cold")
            return try HTTP.json(info, status: .created)
        }
        routes.add(.get, "/v1/sessions", native: false) { _, context in
            // Sandkasten lists every session, newest first, as a bare array.
            var views: [SandboxView] = []
            var cursor: String?
            repeat {
                let page = try await service.list(status: nil, image: nil, limit: 500, cursor: cursor, keyID: context.apiKeyID)
                views.append(contentsOf: page.sandboxes)
                cursor = page.nextCursor
            } while cursor != nil
            return try HTTP.json(views.reversed().map { SandkastenSessionInfo($0, cwd: shells.cwd($0.id)) })
        }
        routes.add(.get, "/v1/sessions/:id", native: false) { _, context in
            let id = try HTTP.id(context)
            return try HTTP.json(SandkastenSessionInfo(try await service.get(id: id, keyID: context.apiKeyID), cwd: shells.cwd(id)))
        }
        routes.add(.delete, "/v1/sessions/:id", native: false) { _, context in
            let id = try HTTP.id(context)
            try await service.delete(id: id, keyID: context.apiKeyID)
            shells.forget(id)
            return try HTTP.json(OKResponse())
        }
        routes.add(.get, "/v1/sessions/:id/stats", native: false) { _, context in
            let stats = try await service.stats(id: try HTTP.id(context), keyID: context.apiKeyID)
            return try HTTP.json(
                SandkastenStats(
                    memoryBytes: stats.memoryBytes, memoryLimit: stats.memoryLimitBytes,
                    cpuUsageUsec: stats.cpuTotalNanoseconds / 1000))
        }
        routes.add(.post, "/v1/sessions/:id/exec", native: false) { request, context in
            let body = try await Self.decode(SandkastenExec.self, request)
            let shell = try Self.shellRequest(body)
            let id = try HTTP.id(context)
            let sandbox = try await Self.session(service, id, context)
            let started = ContinuousClock.now
            let collected: CollectedOutput
            do {
                // A client that leaves gets its command interrupted, not run to its timeout for nobody.
                collected = try await context.cancellingIfClientLeaves { try await sandbox.run(shell).collect() }
            } catch {
                throw await service.noteFailure(error, sandboxID: id)
            }
            let elapsed = ContinuousClock.now - started
            service.recordExecLatency(elapsed)
            let result = collected.result
            if !result.workingDirectory.isEmpty { shells.set(id, result.workingDirectory) }
            if result.timedOut { throw ServerError(.sandkastenCommandTimeout, Self.timeoutMessage(shell)) }
            var text = TerminalText(stripEscapes: !shell.rawOutput)
            // A shell exec runs on a terminal, so everything arrives as stdout; stderr is kept just in case.
            let output = text.feed(collected.stdout + collected.stderr) + text.finish()
            return try HTTP.json(
                SandkastenExecResult(
                    exitCode: result.exitCode, cwd: shells.cwd(id), output: output,
                    truncated: result.truncated, durationMS: Int(elapsed.milliseconds.rounded())))
        }
        routes.add(.post, "/v1/sessions/:id/exec/stream", native: false) { request, context in
            let body = try await Self.decode(SandkastenExec.self, request)
            let shell = try Self.shellRequest(body)
            let id = try HTTP.id(context)
            let process: SandboxProcess
            do {
                let sandbox = try await Self.session(service, id, context)
                process = try await sandbox.run(shell)
            } catch {
                // Sandkasten reports a session that cannot run the command inside the stream, so
                // callers catch the same SandkastenStreamError as there.
                let failure = await service.noteFailure(error, sandboxID: id)
                let text = await Self.streamErrorText(failure, id: id, service: service, keyID: context.apiKeyID)
                return Self.eventStreamResponse(ResponseBody(byteBuffer: Self.sse("error", ["error": text])))
            }
            return Self.eventStream(
                process, shell: shell, sessionID: id, service: service, shells: shells, keepAlive: keepAlive,
                client: await context.clientConnection())
        }
    }

    // MARK: workspaces (Sandkasten-only routes; list and delete are the native ones)

    private func registerWorkspaces(_ routes: RouteTable) {
        registerWorkspaceRead(routes)
        let service = self.service
        // `:name`, as the native workspace routes at the same position call it.
        routes.add(.get, "/v1/workspaces/:name/fs", native: false) { request, context in
            let name = try context.workspaceName()
            let path = request.uri.queryParameters.get("path") ?? "."
            let list = try await service.browseWorkspace(name: name, path: path, keyID: context.apiKeyID)
            return try HTTP.json(
                SandkastenDirectoryList(
                    entries: list.entries.map {
                        SandkastenDirectoryEntry(name: $0.name, isDir: $0.type == "directory")
                    }))
        }
    }

    // MARK: helpers

    static func decode<T: Decodable>(_ type: T.Type, _ request: Request) async throws -> T {
        do {
            return try await HTTP.decode(type, from: request, limit: maxJSONBodyBytes)
        } catch let error as ServerError where error.code == .bodyTooLarge {
            throw ServerError(.sandkastenInvalidRequest, "JSON bodies are limited to \(maxJSONBodyBytes) bytes (max_bytes)")
        }
    }

    /// The live sandbox behind a session, with its lease extended by its own TTL (Sandkasten
    /// extends on every exec, read and write; it uses the global TTL, which is its bug).
    static func session(_ service: SandboxService, _ id: String, _ context: ServerRequestContext) async throws -> any SandboxInstance {
        let sandbox = try await service.instance(id: id, keyID: context.apiKeyID)
        if let ttl = try await service.get(id: id, keyID: context.apiKeyID).ttlSeconds {
            _ = try await service.extend(id: id, ttlSeconds: ttl, keyID: context.apiKeyID)
        }
        return sandbox
    }

    static func createRequest(_ body: SandkastenCreateSession) throws -> CreateSandboxRequest {
        let image = body.image ?? "base"
        // Sandkasten allows short names only; image references (registry/name:tag) are Sandcastle's addition.
        guard image.range(of: #"^[A-Za-z0-9][A-Za-z0-9_./:@-]{0,255}$"#, options: .regularExpression) != nil else {
            throw ServerError(.sandkastenInvalidImage, "image '\(image)' is not an image name (base, python, node or a reference)")
        }
        if let ttl = body.ttlSeconds, !(0...maxTTLSeconds).contains(ttl) {
            throw ServerError(.sandkastenInvalidRequest, "ttl_seconds must be between 0 and \(maxTTLSeconds), not \(ttl)")
        }
        if let workspace = body.workspaceID {
            guard workspace.count >= 2, workspace.count <= 64,
                workspace.range(of: #"^[a-z0-9][a-z0-9-]*[a-z0-9]$"#, options: .regularExpression) != nil
            else {
                throw ServerError(
                    .sandkastenInvalidRequest,
                    "workspace_id must be 2-64 lower-case letters, digits and '-', starting and ending with a letter or digit")
            }
        }
        // 0 means the server's default TTL, as in Sandkasten.
        let ttl = body.ttlSeconds.flatMap { $0 == 0 ? nil : $0 }
        return CreateSandboxRequest(image: image, ttlSeconds: ttl, workspace: body.workspaceID)
    }

    static func shellRequest(_ body: SandkastenExec) throws -> SandboxCommand {
        guard !body.cmd.isEmpty else { throw ServerError(.sandkastenInvalidRequest, "cmd is required") }
        guard body.cmd.utf8.count <= 1 << 20 else { throw ServerError(.sandkastenInvalidRequest, "cmd is longer than 1 MiB") }
        let asked = body.timeoutMS ?? 0
        guard (0...600_000).contains(asked) else {
            throw ServerError(.sandkastenInvalidRequest, "timeout_ms must be between 0 and 600000, not \(asked)")
        }
        let timeout = asked == 0 ? maxExecTimeoutMS : min(asked, maxExecTimeoutMS)
        return .shell(body.cmd, timeout: .milliseconds(timeout), maxOutputBytes: UInt64(maxOutputBytes), rawOutput: body.rawOutput ?? false)
    }

    static func timeoutMessage(_ shell: SandboxCommand) -> String {
        "command timeout: command exceeded \(shell.timeoutMilliseconds) ms and was killed"
    }

    /// Sandkasten's wording for a session that cannot run a command, which callers match on.
    static func streamErrorText(_ failure: ServerError, id: String, service: SandboxService, keyID: String?) async -> String {
        switch failure.code {
        case .notFound: return "session not found: \(id)"
        case .expired: return "session expired: \(id)"
        case .gone:
            let status = (try? await service.get(id: id, keyID: keyID)).map { SandkastenSessionInfo.status($0.status) } ?? "crashed"
            return "session not running: \(id) (status=\(status))"
        default: return failure.message
        }
    }

    // MARK: server-sent events

    /// Chunks as the runner produces them, a comment when silent for `keepAlive`, then `done`
    /// or `error`, and the response ends (the SDK reads until the body ends).
    static func eventStream(
        _ process: SandboxProcess, shell: SandboxCommand, sessionID: String, service: SandboxService,
        shells: ShellDirectories, keepAlive: Duration, client: ClientConnection?
    ) -> Response {
        let body = ResponseBody { writer in
            let events = KeepAliveEvents(process, interval: keepAlive, client: client)
            defer { events.cancel() }
            let start = ContinuousClock.now
            // Output after the deadline is held back: if the runner then reports a timeout it is the
            // interrupt's doing (bash answers SIGINT with a newline), not the command's output.
            let deadline = start + .milliseconds(Int(shell.timeoutMilliseconds))
            var late: [UInt8] = []
            // A chunk of bare line ends is held until more output comes: the runner's deadline starts
            // before ours, so the interrupt's newline can also arrive just before our deadline.
            var lineEnds: [UInt8] = []
            var text = TerminalText(stripEscapes: !shell.rawOutput)
            var ended = false
            do {
                loop: for await item in events.items {
                    switch item {
                    case .heartbeat:
                        try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                    case .event(.started):
                        continue
                    case .event(.output(_, let bytes)):
                        if ContinuousClock.now >= deadline {
                            late.append(contentsOf: bytes)
                            continue
                        }
                        if bytes.allSatisfy({ $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }) {
                            lineEnds.append(contentsOf: bytes)
                            continue
                        }
                        let chunk = text.feed(lineEnds + bytes)
                        lineEnds = []
                        if !chunk.isEmpty { try await writer.write(chunkEvent(chunk)) }
                    case .event(.finished(let result)):
                        ended = true
                        let rest = (result.timedOut ? "" : text.feed(lineEnds + late)) + text.finish()
                        if !rest.isEmpty { try await writer.write(chunkEvent(rest)) }
                        let elapsed = ContinuousClock.now - start
                        service.recordExecLatency(elapsed)
                        if !result.workingDirectory.isEmpty { shells.set(sessionID, result.workingDirectory) }
                        if result.timedOut {
                            try await writer.write(sse("error", ["error": timeoutMessage(shell)]))
                        } else {
                            try await writer.write(
                                sse(
                                    "done",
                                    SandkastenDone(
                                        exitCode: result.exitCode, cwd: shells.cwd(sessionID),
                                        durationMS: Int(elapsed.milliseconds.rounded()))))
                        }
                        break loop
                    case .failure(let error):
                        ended = true
                        let rest = text.feed(lineEnds + late) + text.finish()
                        if !rest.isEmpty { try await writer.write(chunkEvent(rest)) }
                        let failure = await service.noteFailure(error, sandboxID: sessionID)
                        try await writer.write(sse("error", ["error": failure.message]))
                        break loop
                    case .end:
                        ended = true
                        try await writer.write(sse("error", ["error": "the command ended without a result; retry it"]))
                        break loop
                    case .clientGone:
                        throw ServerError(.clientClosedRequest, "the client closed the stream; its command was cancelled")
                    }
                }
            } catch {
                // The client went away (its connection closed, or writing failed). Nobody will read
                // the result, so stop the command.
                if !ended { try? await process.cancel() }
                throw error
            }
            if !ended { try? await process.cancel() }
            try await writer.finish(nil)
        }
        return eventStreamResponse(body)
    }

    static func eventStreamResponse(_ body: ResponseBody) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        if let name = HTTPField.Name("X-Accel-Buffering") { headers[name] = "no" }
        return Response(status: .ok, headers: headers, body: body)
    }

    static func chunkEvent(_ text: String) -> ByteBuffer {
        sse("chunk", SandkastenChunk(chunk: text, timestamp: Int64((Date().timeIntervalSince1970 * 1000).rounded())))
    }

    /// One event: `event:` then a single `data:` line of JSON (the SDK parses each `data:` line on its own).
    static func sse(_ event: String, _ payload: some Encodable) -> ByteBuffer {
        // JSONEncoder escapes control characters, so a newline in output never breaks the data line.
        let data = (try? HTTP.encoder.encode(payload)) ?? Data(#"{"error":"could not encode the event"}"#.utf8)
        return ByteBuffer(string: "event: \(event)\ndata: \(String(decoding: data, as: UTF8.self))\n\n")
    }
}

/// Each session's shell working directory after its last exec, for `SessionInfo.cwd`. Kept in
/// memory: after a server restart, or once destroyed, a session reports `/workspace`.
package final class ShellDirectories: Sendable {
    private let state = Mutex<[String: String]>([:])

    func cwd(_ id: String) -> String { state.withLock { $0[id] } ?? "/workspace" }
    func set(_ id: String, _ directory: String) { state.withLock { $0[id] = directory } }
    func forget(_ id: String) { _ = state.withLock { $0.removeValue(forKey: id) } }
}
