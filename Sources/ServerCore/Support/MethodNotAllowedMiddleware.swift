import HTTPTypes
import Hummingbird

/// Answers `405 method_not_allowed` with an `Allow` header for a path the server serves, asked
/// with a method it does not serve there (`TRACE /v1/sandboxes`, `GET …/exec`); any other
/// unmatched request stays `404 route_not_found`.
///
/// Hummingbird's router answers both with 404. Added to the router after every route, this
/// middleware runs only for requests no route matched: Hummingbird applies a middleware to the
/// routes added after it, and to its not-found responder, which it builds from all of them.
package struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Each served path as its segments (`:name` matches any one segment), with its methods in
    /// the order they were registered.
    private let paths: [(segments: [Substring], methods: [String])]

    package init(routes: [RouteTable.Route]) {
        var paths: [(segments: [Substring], methods: [String])] = []
        for route in routes {
            let segments = route.path.split(separator: "/")
            if let index = paths.firstIndex(where: { $0.segments == segments }) {
                if !paths[index].methods.contains(route.method) { paths[index].methods.append(route.method) }
            } else {
                paths.append((segments, [route.method]))
            }
        }
        self.paths = paths
    }

    /// The methods served on `path`, or none when no route has that shape.
    ///
    /// Only the most specific shape counts, as the router resolves a path to one node before it
    /// looks at the method, preferring a literal segment to a `:parameter` one:
    /// `GET /api/workflows/run` is not `GET /api/workflows/:name` (it is 405, `Allow: POST`).
    package func allowedMethods(for path: String) -> [String] {
        let requested = path.split(separator: "/")
        let matching = paths.filter { Self.matches(requested, $0.segments) }
        guard let best = matching.map({ Self.literals($0.segments) }).max(by: { $0.lexicographicallyPrecedes($1) }) else { return [] }
        var methods: [String] = []
        for served in matching where Self.literals(served.segments) == best {
            for method in served.methods where !methods.contains(method) { methods.append(method) }
        }
        return methods
    }

    /// 1 for each literal segment, 0 for each parameter: the larger, the more specific.
    private static func literals(_ segments: [Substring]) -> [Int] {
        segments.map { $0.hasPrefix(":") ? 0 : 1 }
    }

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let allowed = allowedMethods(for: request.uri.path)
        guard !allowed.isEmpty, !allowed.contains(request.method.rawValue) else { return try await next(request, context) }
        var headers = HTTPFields()
        headers[.allow] = allowed.joined(separator: ", ")
        throw ServerError(
            .methodNotAllowed,
            "\(request.method) is not served on \(request.uri.path); it takes \(allowed.joined(separator: ", "))",
            headers: headers)
    }

    private static func matches(_ requested: [Substring], _ served: [Substring]) -> Bool {
        requested.count == served.count
            && zip(requested, served).allSatisfy { requested, served in served.hasPrefix(":") || requested == served }
    }
}
