import Foundation
import HTTPTypes
import Hummingbird
import ServerCore

/// `/ui/static/<file>` (the dashboard's CSS and JS) and `/ui/vendor/<file>` (browser libraries
/// built from Debian's packages by `scripts/ui-assets`), public: they hold nothing secret and the
/// sign-in page needs them.
struct StaticFiles: Sendable {
    let resources: DashboardResources

    static let types: [String: String] = [
        "css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8", "svg": "image/svg+xml",
        "png": "image/png", "txt": "text/plain; charset=utf-8", "json": "application/json",
    ]

    func register(on group: RouterGroup<ServerRequestContext>) {
        let resources = self.resources
        for (prefix, vendor) in [("static", false), ("vendor", true)] {
            group.get("\(prefix)/{file}") { _, context -> Response in
                let name = context.parameters.get("file") ?? ""
                guard let data = resources.file(name, vendor: vendor) else {
                    let why = vendor && resources.vendorFolder == nil ? " (the browser libraries are not built: run scripts/ui-assets)" : ""
                    return Response(
                        status: .notFound, headers: [.contentType: "text/plain; charset=utf-8"],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: "no file \(name)\(why)\n")))
                }
                var headers = HTTPFields()
                headers[.contentType] = Self.types[(name as NSString).pathExtension] ?? "application/octet-stream"
                headers[.cacheControl] = "no-cache"
                return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
            }
        }
    }
}
