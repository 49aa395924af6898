import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ServerCore

/// Writes errors on `/query` as FastAPI does (`{"detail": "…"}`), so Sandstorm's clients read
/// them as they read Sandstorm's: a missing or non-Bearer key is `401 {"detail": "Not
/// authenticated"}`, a wrong one `401 {"detail": "Invalid authentication credentials"}`, both
/// with `WWW-Authenticate: Bearer`. It sits outside the auth middleware for that reason.
/// Validation failures (422) are answered by the route itself.
package struct SandstormErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    package init(metrics: ServerMetrics) { self.metrics = metrics }

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.uri.path == SandstormController.path else { return try await next(request, context) }
        do {
            return try await next(request, context)
        } catch {
            let native = ServerError.from(error)
            metrics.recordError(native.code)
            var headers = native.headers
            var detail = native.message
            if native.code == .unauthorized {
                let presented = AuthMiddleware.presentedKey(request.headers) != nil
                detail = presented ? "Invalid authentication credentials" : "Not authenticated"
                headers[.wwwAuthenticate] = "Bearer"
            } else if native.code.status.code >= 500 {
                context.logger.error("\(request.method) \(request.uri.path) failed: \(native.code) \(native.message)")
            }
            native.addRetryAfter(to: &headers)
            return SandstormController.detail(detail, status: native.code.status, headers: headers)
        }
    }
}
