import Foundation
import Hummingbird
import ServerCore
import Store

/// `/ui/audit`: the tamper-evident log (issue 15 §4), read through the store's ``AuditLog`` as
/// `/api/audit` reads it.
/// - `?run=<id>`: anyone who may see the run (a tenant its own; another's is "not found"; an
///   admin also a deleted run whose chain remains) gets its entries in chain order and the chain
///   verified: every hash and link recomputed, `#audit-verification[data-valid][data-broken-at]`.
/// - Without a run, an admin gets the log newest first (the global chain, or every chain),
///   filtered by event type, paged, and may verify the global chain (`?verify=global`); a tenant
///   gets a form to pick one of its runs, and its latest runs.
struct AuditController: Sendable {
    let dashboard: Dashboard
    static let pageSize = 100
    /// What the event-type filter suggests (docs/guardrails.md "Audit chain" lists them all).
    static let knownEvents = [
        "run.created", "run.started", "run.completed", "run.failed", "run.cancelled", "step.started", "step.completed", "step.failed",
        "approval.requested", "approval.decided", "dead_letter.recorded", "dead_letter.resolved", "api_key.created", "api_key.rotated",
        "api_key.revoked", "api_key.expiry_set", "api_key.allowlist_changed", "schedule.created", "schedule.updated", "schedule.deleted",
        "emergency.stopped", "emergency.reset", "settings.changed",
    ]

    struct Entry {
        var id: Int64
        var seq: Int64
        var chain: String
        var runID: String?
        var event: String
        var actor: String
        var keyPrefix: String?
        var sourceIP: String?
        var time: String
        var payload: String
        var prevHash: String
        var entryHash: String
        var isBroken: Bool
    }

    struct Verification {
        var chain: String
        var valid: Bool
        var length: Int
        var brokenAt: Int64?
        var brokenEntryID: Int64?
        var reason: String?
        var message: String?
        var headHash: String?
    }

    struct RunLink {
        var id: String
        var workflow: String
        var status: String
        var created: String
    }

    struct Model {
        var chrome: Chrome
        var isAdmin: Bool
        /// The run whose chain is shown; nil: the log (admin) or the run picker (tenant).
        var run: String?
        var runExists: Bool
        var verification: Verification?
        var entries: [Entry]
        var noEntries: Bool
        var total: Int
        var event: String
        var events: [String]
        var allChains: Bool
        var recentRuns: [RunLink]
        var page: Int
        var previous: String?
        var next: String?
    }

    func register(on group: RouterGroup<ServerRequestContext>) {
        let dashboard = self.dashboard
        group.get("audit") { request, _ -> Response in
            await dashboard.page(request) { visit in
                let model = try Self.model(dashboard, visit: visit, request: request)
                return dashboard.html(dashboard.resources.render("audit", model), visit: visit)
            }
        }
    }

    static func model(_ dashboard: Dashboard, visit: Visit, request: Request) throws -> Model {
        let audit = dashboard.orchestrator.runs.repository.audit
        let paging = PageLinks(asked: request.uri.queryParameters.get("page"), size: pageSize)
        let path = "\(Dashboard.root)/audit"
        var model = Model(
            chrome: dashboard.chrome(visit, title: "Audit", current: "audit"), isAdmin: visit.tenant == nil, run: nil, runExists: false,
            verification: nil, entries: [], noEntries: true, total: 0, event: "", events: knownEvents, allChains: false, recentRuns: [],
            page: paging.page, previous: nil, next: nil)
        if let runID = try Dashboard.queryValue(request, "run", limit: 128) {
            let exists = try auditedRun(runID, visit: visit, dashboard: dashboard, audit: audit)
            let verification = try audit.verify(runID: runID)
            let page = try audit.entries(AuditQuery(chain: .run(runID), limit: pageSize, offset: paging.offset))
            let filters = [("run", runID)]
            model.run = runID
            model.runExists = exists
            model.verification = Self.verification(verification)
            model.entries = page.entries.map { Self.entry($0, broken: verification.broken) }
            model.total = page.total
            model.previous = paging.previous(path, filters)
            model.next = paging.next(path, filters, total: page.total)
        } else if visit.tenant == nil {
            let event = try Dashboard.queryValue(request, "event") ?? ""
            let allChains = request.uri.queryParameters.get("chain") == "all"
            if request.uri.queryParameters.get("verify") == "global" {
                model.verification = Self.verification(try audit.verifyGlobal())
            }
            let page = try audit.entries(
                AuditQuery(
                    chain: allChains ? nil : .global, eventType: event.isEmpty ? nil : event, limit: pageSize, offset: paging.offset,
                    newestFirst: true))
            let filters = [("event", event), ("chain", allChains ? "all" : "")]
            model.event = event
            model.allChains = allChains
            model.entries = page.entries.map { Self.entry($0, broken: nil) }
            model.total = page.total
            model.previous = paging.previous(path, filters)
            model.next = paging.next(path, filters, total: page.total)
        } else {
            let runs = try dashboard.orchestrator.runs.runs(RunQuery(limit: 20, tenant: visit.tenant))
            model.recentRuns = runs.map {
                RunLink(id: $0.id, workflow: $0.workflowName, status: $0.status.rawValue, created: Formatting.dateTime($0.createdAt))
            }
        }
        model.noEntries = model.entries.isEmpty
        return model
    }

    /// Whether the run exists; throws "not found" unless the caller may see its chain: a tenant
    /// its own runs only, an admin any run and the chain of a deleted one (as `/api/audit/verify`).
    static func auditedRun(_ runID: String, visit: Visit, dashboard: Dashboard, audit: AuditLog) throws -> Bool {
        let notFound = DashboardError(.notFound, "no run \(runID.prefix(128))")
        guard runID.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_") }),
            dashboard.orchestrator.isVisible(runID: runID, to: visit.tenant)
        else { throw notFound }
        if try dashboard.orchestrator.runs.repository.run(id: runID) != nil { return true }
        guard visit.tenant == nil, try audit.head(of: .run(runID)) != nil else { throw notFound }
        return false
    }

    static func verification(_ result: AuditVerification) -> Verification {
        Verification(
            chain: result.chain.description, valid: result.valid, length: result.chainLength, brokenAt: result.broken?.seq,
            brokenEntryID: result.broken?.entryID, reason: result.broken?.code.rawValue, message: result.broken?.message,
            headHash: result.headHash)
    }

    static func entry(_ entry: AuditEntry, broken: AuditBreak?) -> Entry {
        Entry(
            id: entry.id, seq: entry.seq, chain: entry.chain.description, runID: entry.runID, event: entry.eventType, actor: entry.actorID,
            keyPrefix: entry.actorKeyPrefix, sourceIP: entry.sourceIP, time: entry.timestamp, payload: RunPageModel.pretty(entry.payloadJSON),
            prevHash: String(entry.prevHash.prefix(12)), entryHash: String(entry.entryHash.prefix(12)), isBroken: broken?.entryID == entry.id)
    }
}
