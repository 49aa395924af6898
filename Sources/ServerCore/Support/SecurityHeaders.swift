import HTTPTypes
import Hummingbird

/// The headers every answer of the server carries, on every API, errors and 404/405 included:
/// a browser must not sniff a JSON error into HTML, frame an answer, leak the URL (which may
/// hold a `?token=`) in a `Referer`, or give a page powerful features.
package enum SecurityHeaders {
    package static let fields: [(name: String, value: String)] = [
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "no-referrer"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"),
    ]

    /// Sets each header, replacing a value a handler may have set. The dashboard's pages
    /// (`/ui`) are sent with `Referrer-Policy: same-origin` instead: with `no-referrer` a browser
    /// sends `Origin: null` on the dashboard's own form posts, so their origin could not be
    /// checked. Its addresses hold no secret (never a key), and no referrer leaves the server.
    package static func apply(to headers: inout HTTPFields, path: String = "") {
        for (name, value) in fields {
            guard let name = HTTPField.Name(name) else { continue }
            headers[name] = value
        }
        if path == "/ui" || path.hasPrefix("/ui/"), let name = HTTPField.Name("Referrer-Policy") {
            headers[name] = "same-origin"
        }
    }
}

/// Adds ``SecurityHeaders`` to every response. The outermost middleware, so it also sees the
/// answers the error middlewares and the E2B middleware make; an error that escapes them all
/// (none should) is answered as Hummingbird would, with the headers added.
package struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    package init() {}

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        SecurityHeaders.apply(to: &response.headers, path: request.uri.path)
        return response
    }
}
