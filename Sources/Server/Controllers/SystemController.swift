import Foundation
import Hummingbird
import ServerCore

/// Liveness, metrics and the API description: the routes answered without a key.
struct SystemController {
    let service: SandboxService
    let metrics: ServerMetrics
    let transfers: TransferGate

    func register(_ routes: RouteTable) {
        for path in ["/health", "/healthz"] {
            routes.add(.get, path) { _, _ in try HTTP.json(["status": "ok"]) }
        }
        routes.add(.get, "/metrics") { _, _ in
            let counts = try await service.liveCounts()
            let pools = await service.provisioner.poolStatistics()
            let text = metrics.render(sandboxes: counts, pools: pools, transfers: transfers.figures)
            return HTTP.text(text, contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
        let document = OpenAPIDocument.rendered(for: service.limits)
        routes.add(.get, "/openapi.json") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "application/json; charset=utf-8"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: document)))
        }
    }
}
