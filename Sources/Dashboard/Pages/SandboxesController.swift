import Foundation
import Hummingbird
import ServerCore

/// `/ui/sandboxes`: the server's sandboxes with image, profile, age, state and live CPU and
/// memory, each with its terminal, its files and a Delete (confirmed) — an admin's page
/// (``Dashboard/sandboxService(for:)`` says why). The table refreshes itself through
/// `/ui/sandboxes/rows` (`static/sandboxes.js`); without JS a reload does the same.
struct SandboxesController: Sendable {
    let dashboard: Dashboard

    struct Model {
        var chrome: Chrome
        var rows: [SandboxRow]
        var none: Bool
        /// `live` (in use) or `all` (with deleted, expired and gone ones).
        var scope: String
        var showingAll: Bool
        var poll: String
        var csrf: String
    }

    /// The `tbody` the page's script swaps in.
    struct RowsModel {
        var rows: [SandboxRow]
        var none: Bool
        var csrf: String
    }

    func register(on group: RouterGroup<ServerRequestContext>) {
        let dashboard = self.dashboard
        group.get("sandboxes") { request, _ -> Response in
            await dashboard.page(request) { visit in
                let service = try dashboard.sandboxService(for: visit)
                let all = request.uri.queryParameters.get("state") == "all"
                let rows = try await dashboard.sandboxCall { try await SandboxRows.load(service, live: !all) }
                let model = Model(
                    chrome: dashboard.chrome(visit, title: "Sandboxes", current: "sandboxes"), rows: rows, none: rows.isEmpty,
                    scope: all ? "all" : "live", showingAll: all, poll: "\(Dashboard.root)/sandboxes/rows?state=\(all ? "all" : "live")",
                    csrf: visit.session.csrfToken)
                return dashboard.html(dashboard.resources.render("sandboxes", model), visit: visit)
            }
        }
        group.get("sandboxes/rows") { request, _ -> Response in
            await dashboard.page(request) { visit in
                let service = try dashboard.sandboxService(for: visit)
                let all = request.uri.queryParameters.get("state") == "all"
                let rows = try await dashboard.sandboxCall { try await SandboxRows.load(service, live: !all) }
                let model = RowsModel(rows: rows, none: rows.isEmpty, csrf: visit.session.csrfToken)
                return dashboard.html(dashboard.resources.render("sandbox-rows", model), visit: visit)
            }
        }
        group.post("sandboxes/{id}/delete") { request, context -> Response in
            await dashboard.page(request) { visit in
                let service = try dashboard.sandboxService(for: visit)
                _ = try await dashboard.form(request, visit)
                let id = context.parameters.get("id") ?? ""
                try await dashboard.acting(visit) {
                    try await dashboard.sandboxCall { try await service.delete(id: id, keyID: nil) }
                }
                return dashboard.redirect(to: "\(Dashboard.root)/sandboxes", visit: visit)
            }
        }
        SandboxTerminalController(dashboard: dashboard).register(on: group)
        SandboxFilesController(dashboard: dashboard).register(on: group)
    }
}
