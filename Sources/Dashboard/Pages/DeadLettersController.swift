import Foundation
import Hummingbird
import ServerCore
import Store

/// `/ui/dead-letters`: what failed for good and waits for someone — the open items by default
/// (`?resolved=yes` lists the dealt-with ones), newest first, each with its run, step, error,
/// attempts and the run's input; **Retry** queues a new run of the whole workflow (the item's run
/// its parent) and **Resolve** closes the item with a reason. Both go through the
/// ``Orchestrator``'s dead-letter API with the caller's tenant, as `/api/dead-letter` does: a
/// tenant sees and acts on its own runs' items only, another's is "not found".
struct DeadLettersController: Sendable {
    let dashboard: Dashboard
    static let pageSize = 50
    /// The longest reason a resolution keeps (as `/api/dead-letter/{id}/resolve`).
    static let maxReasonCharacters = 4000
    /// How much of an error the list shows before "…" (the whole text is in the run's page).
    static let errorPreviewCharacters = 2000

    struct Item {
        var id: String
        var runID: String
        var step: String
        var parallelIndex: Int?
        var error: String?
        var attempts: Int
        var input: String?
        var created: String
        var createdISO: String
        var resolved: Bool
        var resolvedAt: String?
        /// `retried` or `resolved`.
        var resolution: String?
        var reason: String?
        var retryRunID: String?
    }

    /// What the last action on the page did (`?done=<item id>` after a retry or resolution).
    struct Notice {
        var itemID: String
        var retryRunID: String?
        var reason: String?
    }

    struct Model {
        var chrome: Chrome
        var items: [Item]
        var showingResolved: Bool
        var openCount: Int
        var resolvedCount: Int
        var openLink: String
        var resolvedLink: String
        var page: Int
        var previous: String?
        var next: String?
        var empty: Bool
        var notice: Notice?
        var maxReason: Int
    }

    func register(on group: RouterGroup<ServerRequestContext>) {
        let dashboard = self.dashboard
        group.get("dead-letters") { request, _ -> Response in
            await dashboard.page(request) { visit in
                let model = try Self.model(dashboard, visit: visit, request: request)
                return dashboard.html(dashboard.resources.render("dead-letters", model), visit: visit)
            }
        }
        group.post("dead-letters/{id}/retry") { request, context -> Response in
            await dashboard.page(request) { visit in
                let id = try Self.itemID(context)
                _ = try await dashboard.form(request, visit)
                try await dashboard.acting(visit) { try await dashboard.orchestrator.retryDeadLetter(id: id, tenant: visit.tenant) }
                return dashboard.redirect(to: PageLinks.link("\(Dashboard.root)/dead-letters", [("done", id)]), visit: visit)
            }
        }
        group.post("dead-letters/{id}/resolve") { request, context -> Response in
            await dashboard.page(request) { visit in
                let id = try Self.itemID(context)
                let form = try await dashboard.form(request, visit)
                let reason = form["reason"]?.trimmingCharacters(in: .whitespacesAndNewlines)
                if let reason, reason.count > Self.maxReasonCharacters {
                    throw DashboardError(.invalidInput, "the reason is longer than \(Self.maxReasonCharacters) characters")
                }
                try await dashboard.acting(visit) {
                    try dashboard.orchestrator.resolveDeadLetter(id: id, reason: reason.flatMap { $0.isEmpty ? nil : $0 }, tenant: visit.tenant)
                }
                return dashboard.redirect(to: PageLinks.link("\(Dashboard.root)/dead-letters", [("done", id)]), visit: visit)
            }
        }
    }

    static func model(_ dashboard: Dashboard, visit: Visit, request: Request) throws -> Model {
        let showingResolved: Bool
        switch try Dashboard.queryValue(request, "resolved")?.lowercased() {
        case nil, "no", "false": showingResolved = false
        case "yes", "true": showingResolved = true
        default: throw DashboardError(.invalidInput, "resolved must be yes or no")
        }
        let paging = PageLinks(asked: request.uri.queryParameters.get("page"), size: pageSize)
        let orchestrator = dashboard.orchestrator
        let page = try orchestrator.deadLetters(resolved: showingResolved, tenant: visit.tenant, limit: pageSize, offset: paging.offset)
        let otherCount = try orchestrator.deadLetters(resolved: !showingResolved, tenant: visit.tenant, limit: 0, offset: 0).total
        let path = "\(Dashboard.root)/dead-letters"
        let filters = [("resolved", showingResolved ? "yes" : "")]
        // The notice names an item the caller may see; any other id in the address is ignored.
        let notice = try Dashboard.queryValue(request, "done", limit: 64).flatMap { id in
            (try? orchestrator.deadLetter(id: id, tenant: visit.tenant)).map { Notice(itemID: $0.id, retryRunID: $0.retryRunID, reason: $0.resolveReason) }
        }
        return Model(
            chrome: dashboard.chrome(visit, title: "Dead letters", current: "dead-letters"),
            items: page.items.map(Self.item), showingResolved: showingResolved,
            openCount: showingResolved ? otherCount : page.total, resolvedCount: showingResolved ? page.total : otherCount,
            openLink: path, resolvedLink: PageLinks.link(path, [("resolved", "yes")]), page: paging.page,
            previous: paging.previous(path, filters), next: paging.next(path, filters, total: page.total), empty: page.items.isEmpty,
            notice: notice, maxReason: maxReasonCharacters)
    }

    static func item(_ record: DeadLetterRecord) -> Item {
        Item(
            id: record.id, runID: record.runID, step: record.stepID, parallelIndex: record.parallelIndex,
            error: record.error.map { Formatting.clipped($0, errorPreviewCharacters) }, attempts: record.attempts,
            input: record.inputJSON.map(RunPageModel.pretty), created: Formatting.dateTime(record.createdAt),
            createdISO: Formatting.iso(record.createdAt), resolved: record.isResolved, resolvedAt: record.resolvedAt.map(Formatting.dateTime),
            resolution: record.resolvedBy.map { $0 == .retry ? "retried" : "resolved" }, reason: record.resolveReason,
            retryRunID: record.retryRunID)
    }

    /// The path's item id: what ids are made of (letters, digits, `-`, `_`), else "not found".
    static func itemID(_ context: ServerRequestContext) throws -> String {
        let id = context.parameters.get("id") ?? ""
        guard (1...64).contains(id.utf8.count),
            id.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_") })
        else { throw DashboardError(.notFound, "no dead letter \(id.prefix(64))") }
        return id
    }
}
