import Foundation
import Hummingbird
import NIOCore
import Sandbox
import ServerCore

/// `/v1/sandboxes`: lifecycle, exec (JSON and SSE), stats and TTL.
struct SandboxController {
    let service: SandboxService
    let maxBodyBytes: Int

    func register(_ routes: RouteTable) {
        let service = self.service
        let limit = maxBodyBytes
        routes.add(.post, "/v1/sandboxes") { request, context in
            let body = try await HTTP.decode(CreateSandboxRequest.self, from: request, limit: limit)
            return try HTTP.json(try await service.create(body, keyID: context.apiKeyID), status: .created)
        }
        routes.add(.get, "/v1/sandboxes") { request, context in
            let q = request.uri.queryParameters
            return try HTTP.json(
                try await service.list(
                    status: q.get("status"), image: q.get("image"),
                    limit: try HTTP.optionalInt(request, "limit"), cursor: q.get("cursor"),
                    keyID: context.apiKeyID))
        }
        routes.add(.get, "/v1/sandboxes/:id") { _, context in
            try HTTP.json(try await service.get(id: try HTTP.id(context), keyID: context.apiKeyID))
        }
        routes.add(.delete, "/v1/sandboxes/:id") { _, context in
            try await service.delete(id: try HTTP.id(context), keyID: context.apiKeyID)
            return try HTTP.json(OKResponse())
        }
        routes.add(.post, "/v1/sandboxes/:id/extend") { request, context in
            let body = try await HTTP.decode(ExtendRequest.self, from: request, limit: limit)
            return try HTTP.json(
                try await service.extend(
                    id: try HTTP.id(context), ttlSeconds: body.ttlSeconds,
                    keyID: context.apiKeyID))
        }
        routes.add(.get, "/v1/sandboxes/:id/stats") { _, context in
            try HTTP.json(try await service.stats(id: try HTTP.id(context), keyID: context.apiKeyID))
        }
        routes.add(.post, "/v1/sandboxes/:id/exec") { request, context in
            let body = try await HTTP.decode(ExecRequest.self, from: request, limit: limit)
            let (id, keyID) = (try HTTP.id(context), context.apiKeyID)
            // A client that leaves gets its command interrupted, not run to its timeout for nobody.
            let response = try await context.cancellingIfClientLeaves { try await service.exec(id: id, body, keyID: keyID) }
            return try HTTP.json(response)
        }
        routes.add(.post, "/v1/sandboxes/:id/exec/stream") { request, context in
            let body = try await HTTP.decode(ExecRequest.self, from: request, limit: limit)
            let id = try HTTP.id(context)
            let process = try await service.startExec(id: id, body, keyID: context.apiKeyID)
            return Self.eventStream(process, sandboxID: id, service: service, client: await context.clientConnection())
        }
    }

    /// Server-sent events: one `stdout`/`stderr` event per chunk as the runner sends it, then
    /// `exit` (or `error` with the code when the sandbox fails mid-way).
    ///
    /// A comment line (`: keep-alive`) goes out every second while the command is quiet, so proxies
    /// do not time the stream out. A client that goes away (its connection closes, or a write
    /// fails) has its command cancelled instead of running on unseen.
    static func eventStream(
        _ process: SandboxProcess, sandboxID: String, service: SandboxService, client: ClientConnection?,
        heartbeat: Duration = .seconds(1)
    ) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        let start = ContinuousClock.now
        let body = ResponseBody { writer in
            let events = KeepAliveEvents(process, interval: heartbeat, client: client)
            defer { events.cancel() }
            do {
                loop: for await item in events.items {
                    switch item {
                    case .heartbeat:
                        try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                    case .event(.started):
                        continue
                    case .event(.output(let stream, let bytes)):
                        let name = stream == .stderr ? "stderr" : "stdout"
                        try await writer.write(sse(name, ["data": String(decoding: bytes, as: UTF8.self)]))
                    case .event(.finished(let result)):
                        let elapsed = ContinuousClock.now - start
                        service.recordExecLatency(elapsed)
                        try await writer.write(sse("exit", ExitEvent(result, elapsed: elapsed)))
                    case .failure(let error):
                        let failure = await service.noteFailure(error, sandboxID: sandboxID)
                        try await writer.write(sse("error", ["code": failure.code.description, "message": failure.message]))
                        break loop
                    case .end:
                        break loop
                    case .clientGone:
                        throw ServerError(.clientClosedRequest, "the client closed the stream; its command was cancelled")
                    }
                }
            } catch {
                // The client is gone: stop its command rather than let it run on unseen.
                try? await process.cancel()
                throw error
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    struct ExitEvent: Encodable {
        var exitCode: Int32
        var durationMS: Double
        var truncated: Bool
        var timedOut: Bool
        var signal: Int32
        var oomKilled: Bool
        init(_ result: ProcessResult, elapsed: Duration) {
            exitCode = result.exitCode
            durationMS = (elapsed.milliseconds * 10).rounded() / 10
            truncated = result.truncated
            timedOut = result.timedOut
            signal = result.signal
            oomKilled = result.oomKilled
        }
        enum CodingKeys: String, CodingKey {
            case exitCode = "exit_code", durationMS = "duration_ms", truncated, timedOut = "timed_out", signal
            case oomKilled = "oom_killed"
        }
    }

    static func sse(_ event: String, _ payload: some Encodable) -> ByteBuffer {
        let data = (try? HTTP.encoder.encode(payload)) ?? Data("{}".utf8)
        return ByteBuffer(string: "event: \(event)\ndata: \(String(decoding: data, as: UTF8.self))\n\n")
    }
}
