import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Store

/// Turns every error a route throws into the JSON error body with its stable code, counts it
/// in the metrics, and logs genuine failures (a user mistake is logged at debug, not error).
public struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    package init(metrics: ServerMetrics) { self.metrics = metrics }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let serverError = ServerError.from(error)
            metrics.recordError(serverError.code)
            // A command timeout (504) is the caller's command, not a server fault.
            if serverError.code == .internal || serverError.code == .engineUnavailable {
                context.logger.error("\(request.method) \(request.uri.path) failed: \(serverError.code) \(serverError.message)")
            } else {
                context.logger.debug("\(request.method) \(request.uri.path): \(serverError.code) \(serverError.message)")
            }
            return ServerError.jsonResponse(code: serverError.code, message: serverError.message, headers: serverError.responseHeaders)
        }
    }
}

/// Requires an API key (`Authorization: Bearer KEY` or `X-API-Key: KEY`) everywhere except
/// the public routes, and puts the caller (key, tenant, restrictions) in the context; in open
/// mode every request passes as an admin without one.
public struct AuthMiddleware: RouterMiddleware {
    public typealias Context = ServerRequestContext
    let keys: APIKeyService
    let openMode: Bool

    package init(keys: APIKeyService, openMode: Bool) {
        self.keys = keys
        self.openMode = openMode
    }

    /// Paths answered without a key: liveness, scraping and the API description.
    static let publicPaths: Set<String> = ["/health", "/healthz", "/metrics", "/openapi.json", "/api/health"]

    /// Whether `method path` is answered without a key: a public path, or a published workflow's
    /// spec (`GET /api/v1/{name}/spec`, public in Sandcastle: it tells callers what to send).
    package static func isPublic(method: HTTPRequest.Method, path: String) -> Bool {
        if publicPaths.contains(path) { return true }
        // The dashboard checks its own session cookie (a browser cannot send an API key header).
        if path == "/ui" || path.hasPrefix("/ui/") { return true }
        guard method == .get || method == .head else { return false }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        return segments.count == 5 && segments[0].isEmpty && segments[1] == "api" && segments[2] == "v1" && !segments[3].isEmpty
            && segments[4] == "spec"
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if Self.isPublic(method: request.method, path: request.uri.path) { return try await next(request, context) }
        var context = context
        let address = context.channel.remoteAddress?.ipAddress
        if openMode {
            context.caller = .open
            return try await AuditActor.$current.withValue(AuditActor(id: "open", sourceIP: address)) {
                try await next(request, context)
            }
        }
        guard let presented = Self.presentedKey(request.headers) ?? Self.streamToken(request) else {
            throw ServerError(.unauthorized, "an API key is required: send `Authorization: Bearer KEY` or `X-API-Key: KEY`")
        }
        let caller = try keys.authenticate(presented, clientAddress: context.channel.remoteAddress?.ipAddress)
        context.caller = caller
        context.apiKeyID = caller.keyID
        if let keyID = caller.keyID { context.logger[metadataKey: "api_key"] = .string(keyID) }
        // What this request changes is recorded in the audit log as this key's doing.
        let actor = AuditActor(id: caller.keyID ?? "open", keyPrefix: caller.keyPrefix, sourceIP: address)
        return try await AuditActor.$current.withValue(actor) { try await next(request, context) }
    }

    /// `?token=KEY` on event-stream paths only (a browser's `EventSource` cannot send headers),
    /// as Sandcastle accepts it; everywhere else a key in a URL would end up in logs and history.
    static func streamToken(_ request: Request) -> String? {
        let path = request.uri.path
        guard path.hasSuffix("/stream") || path.contains("/stream/") || path == "/api/events" else { return nil }
        guard let token = request.uri.queryParameters.get("token")?.trimmingCharacters(in: .whitespaces), !token.isEmpty else {
            return nil
        }
        return token
    }

    /// The key of a request: `X-API-Key` first, then `Authorization: Bearer` (Sandcastle's order),
    /// stripped of surrounding whitespace.
    package static func presentedKey(_ headers: HTTPFields) -> String? {
        if let name = HTTPField.Name("X-API-Key"), let key = headers[name]?.trimmingCharacters(in: .whitespaces), !key.isEmpty { return key }
        if let authorization = headers[.authorization] {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" {
                let key = parts[1].trimmingCharacters(in: .whitespaces)
                if !key.isEmpty { return key }
            }
        }
        return nil
    }
}

/// Logs one line per request with its status and duration (Hummingbird's own logger, so
/// `hb.request.id` ties it to any other line of the same request).
public struct AccessLogMiddleware<Context: RequestContext>: RouterMiddleware {
    package init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let ms = (ContinuousClock.now - start).milliseconds
        context.logger.info(
            "\(request.method) \(request.uri.path) \(response.status.code)",
            metadata: ["duration_ms": .stringConvertible(ms)])
        return response
    }
}

extension Duration {
    /// Whole and fractional milliseconds.
    package var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}
