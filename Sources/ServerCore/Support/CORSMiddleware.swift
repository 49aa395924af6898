import Foundation
import HTTPTypes
import Hummingbird

/// Cross-origin access for the configured dashboard origins (`--cors-origin`,
/// `SANDCASTLE_CORS_ORIGINS`), as Sandcastle's CORS middleware allows its dashboard: with
/// credentials, so only exact origins are echoed, never `*`.
///
/// A preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) from an allowed
/// origin is answered here, before any key is asked for (a browser sends none with it). Any
/// other request from an allowed origin gets `Access-Control-Allow-Origin` on its answer,
/// errors included, so the dashboard can read why it was refused. An origin not configured
/// gets no CORS header at all (its preflight goes on as an ordinary `OPTIONS`), so the
/// browser keeps the answer from it.
package struct CORSMiddleware<Context: RequestContext>: RouterMiddleware {
    let allowedOrigins: Set<String>

    /// What a dashboard may send and read.
    static var allowedMethods: String { "GET, POST, PUT, PATCH, DELETE, OPTIONS" }
    static var allowedHeaders: String { "Authorization, Content-Type, X-API-Key, Last-Event-ID, Idempotency-Key" }
    static var exposedHeaders: String { "Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining" }
    /// How long a browser may keep a preflight's answer (10 minutes).
    static var maxAgeSeconds: String { "600" }

    package init(allowedOrigins: [String]) {
        self.allowedOrigins = Set(allowedOrigins.map(CORSOrigins.normalized))
    }

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard !allowedOrigins.isEmpty, let origin = request.headers[.origin], allowedOrigins.contains(CORSOrigins.normalized(origin)) else {
            return try await next(request, context)
        }
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            var headers = HTTPFields()
            Self.addOrigin(origin, to: &headers)
            headers[.accessControlAllowMethods] = Self.allowedMethods
            headers[.accessControlAllowHeaders] = Self.allowedHeaders
            headers[.accessControlMaxAge] = Self.maxAgeSeconds
            return Response(status: .noContent, headers: headers)
        }
        var response = try await next(request, context)
        Self.addOrigin(origin, to: &response.headers)
        response.headers[.accessControlExposeHeaders] = Self.exposedHeaders
        return response
    }

    private static func addOrigin(_ origin: String, to headers: inout HTTPFields) {
        headers[.accessControlAllowOrigin] = origin
        headers[.accessControlAllowCredentials] = "true"
        headers.append(HTTPField(name: .vary, value: "Origin"))
    }
}

/// Parsing and checking of configured origins.
package enum CORSOrigins {
    /// An origin as a browser sends it: scheme and host in lower case, no trailing slash.
    package static func normalized(_ origin: String) -> String {
        var text = origin.trimmingCharacters(in: .whitespaces).lowercased()
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }

    /// nil when `origin` is one a browser could send (`http(s)://host[:port]`, no path, no
    /// wildcard); otherwise why not.
    package static func problem(_ origin: String) -> String? {
        let text = normalized(origin)
        guard text.hasPrefix("http://") || text.hasPrefix("https://") else {
            return "a CORS origin is http://host[:port] or https://host[:port], not '\(origin)'"
        }
        let rest = text.drop(while: { $0 != ":" }).dropFirst(3)
        guard !rest.isEmpty, !rest.contains("/"), !rest.contains("*"), !rest.contains(" "), !rest.contains("?"), !rest.contains("#") else {
            return "a CORS origin is scheme://host[:port] with no path or wildcard, not '\(origin)'"
        }
        return nil
    }
}
