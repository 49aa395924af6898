import Foundation
import HTTPTypes
import Hummingbird
import JSONValues
import Logging
import NIOCore
import OneShotAgent
import ServerCore

/// Sandstorm's `POST /query` (duvo-sandstorm 0.9.2), so its clients (`SandstormClient`, the
/// README's `httpx`/`curl` streams) work unchanged against `sandcastle serve`: the body's
/// problems as FastAPI 422s before anything starts, then a one-shot agent session streamed as
/// server-sent events, `data: <json>` per message with `\r\n\r\n` after it (sse-starlette's
/// framing, no `event:` lines) and a `: ping - <time>` comment every 30 s.
///
/// Authentication is the server's own API keys (`Authorization: Bearer`), checked before any
/// sandbox exists. A body's `anthropic_api_key` / `openrouter_api_key` are used for that
/// session only (the router's `overriding`): never stored, logged or sent back. A client that
/// disconnects cancels the session, whose sandbox is then removed.
package struct SandstormController {
    let service: SandboxService
    /// Nil when the server was built without model access (then `/query` answers 503).
    let session: OneShotSession?
    /// The server's `sandstorm.json`, under every request's own fields.
    let config: SandstormConfig
    /// Why there is no session, for the 503.
    let unavailable: String?
    let keepAliveInterval: Duration

    package static let path = "/query"
    /// A prompt of up to 1,000,000 characters and 10,000,000 bytes of files, JSON-escaped.
    package static let maxBodyBytes = 32 << 20
    /// sse-starlette's `ping=30` in Sandstorm.
    package static let defaultKeepAlive = Duration.seconds(30)

    package init(
        service: SandboxService, session: OneShotSession?, config: SandstormConfig = SandstormConfig(), unavailable: String? = nil,
        keepAliveInterval: Duration = SandstormController.defaultKeepAlive
    ) {
        self.service = service
        self.session = session
        self.config = config
        self.unavailable = unavailable
        self.keepAliveInterval = keepAliveInterval
    }

    package func register(_ routes: RouteTable) {
        let service = self.service
        let session = self.session
        let config = self.config
        let keepAlive = keepAliveInterval
        let unavailable = self.unavailable ?? "this server was built without model access"
        routes.add(.post, Self.path) { request, context in
            guard let session else {
                throw ServerError(.engineUnavailable, "agent sessions are unavailable: \(unavailable)")
            }
            let bytes = try await HTTP.body(request, limit: Self.maxBodyBytes)
            let query: SandstormQuery
            switch SandstormQueryBody.decode(bytes).flatMap({ SandstormQuery.prepare($0, session: session, config: config) }) {
            case .success(let prepared): query = prepared
            case .failure(let failure): return Self.unprocessable(failure.errors)
            }
            let prepared = query.prepared
            let logger = context.logger
            logger.info(
                "agent session started",
                metadata: [
                    "session": .string(prepared.sessionID), "model": .string(prepared.model.name),
                    "files": .stringConvertible(prepared.request.files.files.count),
                ])
            let sandboxes = ServiceSandboxes(
                service: service, keyID: context.apiKeyID,
                timeoutSeconds: prepared.request.timeoutSeconds ?? OneShotRequest.defaultTimeoutSeconds, logger: logger)
            let body = SandstormEventStream(keepAlive: keepAlive, client: await context.clientConnection(), logger: logger) { emit in
                for warning in query.warnings { emit(SandstormMessages.warning(warning)) }
                return await session.run(prepared, sandboxes: sandboxes, emit: emit)
            }
            return Response(status: .ok, headers: Self.eventStreamHeaders, body: body.responseBody)
        }
    }

    /// sse-starlette's headers, as Sandstorm sends them.
    static var eventStreamHeaders: HTTPFields {
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream; charset=utf-8"
        headers[.cacheControl] = "no-store"
        if let name = HTTPField.Name("X-Accel-Buffering") { headers[name] = "no" }
        return headers
    }

    /// FastAPI's 422: `{"detail": [{"type", "loc", "msg", "ctx"?}, …]}`.
    static func unprocessable(_ errors: [SandstormValidationError]) -> Response {
        json(["detail": .array(errors.map(\.json))], status: .unprocessableContent)
    }

    /// FastAPI's `HTTPException` body: `{"detail": "…"}`.
    package static func detail(_ message: String, status: HTTPResponse.Status, headers: HTTPFields = [:]) -> Response {
        json(["detail": .string(message)], status: status, headers: headers)
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status, headers extra: HTTPFields = [:]) -> Response {
        var headers = extra
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: value.jsonText)))
    }
}
