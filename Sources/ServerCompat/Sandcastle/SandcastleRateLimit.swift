import HTTPTypes
import Hummingbird
import JSONValues
import ServerCore

/// Sandcastle's `execution_limiter` on the endpoints that start runs: `POST /api/workflows/run`,
/// `/api/workflows/run/sync`, `/api/runs/{id}/replay`, `/api/runs/{id}/fork` and a published
/// workflow's `/api/v1/{name}`, per caller
/// (``ServerRequestContext/rateLimitCaller``). Every request to them counts, also one that is
/// then refused. Over the limit: 429 with Sandcastle's plain-string `detail`, `Retry-After`,
/// `X-RateLimit-Limit` and `X-RateLimit-Remaining: 0`; under it, the answer carries the two
/// `X-RateLimit-*` headers. Placed after authentication, so a caller is known by its key.
package struct SandcastleRateLimitMiddleware: RouterMiddleware {
    package typealias Context = ServerRequestContext
    let limiter: RateLimiter

    package init(limiter: RateLimiter) {
        self.limiter = limiter
    }

    static let limitHeader = HTTPField.Name("X-RateLimit-Limit")
    static let remainingHeader = HTTPField.Name("X-RateLimit-Remaining")

    /// Whether `method path` starts runs (a trailing slash or doubled slashes change nothing).
    package static func isLimited(method: HTTPRequest.Method, path: String) -> Bool {
        guard method == .post else { return false }
        let segments = path.split(separator: "/")
        guard segments.count >= 3, segments[0] == "api" else { return false }
        switch segments.count {
        case 3: return (segments[1] == "workflows" && segments[2] == "run") || segments[1] == "v1"
        case 4:
            return (segments[1] == "workflows" && segments[2] == "run" && segments[3] == "sync")
                || (segments[1] == "runs" && (segments[3] == "replay" || segments[3] == "fork"))
        default: return false
        }
    }

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard !limiter.rate.isOff, Self.isLimited(method: request.method, path: request.uri.path) else {
            return try await next(request, context)
        }
        let decision = limiter.take(context.rateLimitCaller)
        guard decision.allowed else {
            let window = limiter.rate.windowSeconds
            let seconds = window == window.rounded() ? String(Int(window)) : String(window)
            var response = SandcastleEnvelope.response(
                ["detail": .string("Rate limit exceeded: \(decision.limit) requests per \(seconds)s. Try again later.")], status: .tooManyRequests)
            response.headers[.retryAfter] = String(decision.retryAfterSeconds)
            Self.add(decision, to: &response.headers)
            return response
        }
        var response = try await next(request, context)
        Self.add(decision, to: &response.headers)
        return response
    }

    private static func add(_ decision: RateLimiter.Decision, to headers: inout HTTPFields) {
        if let limitHeader { headers[limitHeader] = String(decision.limit) }
        if let remainingHeader { headers[remainingHeader] = String(decision.remaining) }
    }
}
