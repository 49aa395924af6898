import Hummingbird
import NIOCore

/// Answers `GET` of one fixed JSON document (`/api/openapi.json`) before authentication: the
/// description of an API is public, as `/openapi.json` is, and as Sandcastle serves its own.
/// Other methods on the path go on (to 405 with the route table's `Allow`).
struct PublicDocumentMiddleware<Context: RequestContext>: RouterMiddleware {
    let path: String
    let document: ByteBuffer

    init(path: String, document: String) {
        self.path = path
        self.document = ByteBuffer(string: document)
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.uri.path == path, request.method == .get || request.method == .head else { return try await next(request, context) }
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: document))
    }
}
