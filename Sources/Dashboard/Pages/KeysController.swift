import Foundation
import Hummingbird
import ServerCore
import Store

/// `/ui/keys` (admins only; a tenant key is answered 403, as `POST /api/api-keys` answers it):
/// the active keys, a form for a new one, Rotate and Deactivate — through the same
/// ``APIKeyService`` as `/api/api-keys`, recorded on the audit chain as the signed-in key's doing.
///
/// A new key's plaintext appears once: in the answer to the POST that made it (`no-store`, never
/// a redirect carrying it, never in an address). A reload or the back button cannot show it
/// again; posting the same form again is refused (``OneTimeForms``) rather than making a second
/// key. Deactivating a key ends its dashboard sessions at once.
struct KeysController: Sendable {
    let dashboard: Dashboard
    let forms = OneTimeForms()
    static let pageSize = 100

    /// A new key and its plaintext, as ``APIKeyService/create(_:rotatedFrom:)`` returns it.
    typealias Made = (record: APIKeyRecord, key: String)
    /// A rotation as ``APIKeyService/rotate(id:graceHours:)`` returns it, with the grace it was given.
    typealias Rotation = (made: (record: APIKeyRecord, key: String, old: APIKeyRecord), grace: Int)

    func register(on group: RouterGroup<ServerRequestContext>) {
        let dashboard = self.dashboard
        let forms = self.forms
        group.get("keys") { request, _ -> Response in
            await dashboard.page(request) { visit in
                try Self.requireAdmin(visit)
                let notice = try Dashboard.queryValue(request, "done", limit: 40).flatMap(Self.notice)
                let page = request.uri.queryParameters.get("page")
                return try Self.render(dashboard, forms, visit: visit, newKey: nil, notice: notice, page: page)
            }
        }
        group.post("keys") { request, _ -> Response in
            await dashboard.page(request) { visit in
                try Self.requireAdmin(visit)
                let form = try await dashboard.form(request, visit)
                let made: Made = try await Self.once(form, forms, describe: { "\($0.record.id) (\($0.record.keyPrefix)…)" }) {
                    let new = try NewKeyForm(form, now: Date()).key
                    return try await dashboard.acting(visit) { try Self.keyService { try dashboard.keys.create(new) } }
                }
                let shown = KeysPageModel.NewKey(
                    key: made.key, id: made.record.id, prefix: made.record.keyPrefix, name: made.record.name, tenant: made.record.tenantID,
                    rotated: false, oldPrefix: nil, oldExpires: nil, graceHours: nil)
                return try Self.render(dashboard, forms, visit: visit, newKey: shown, notice: nil, page: nil)
            }
        }
        group.post("keys/{id}/rotate") { request, context -> Response in
            await dashboard.page(request) { visit in
                try Self.requireAdmin(visit)
                let id = try Self.keyID(context)
                let form = try await dashboard.form(request, visit)
                let rotation: Rotation = try await Self.once(form, forms, describe: { "\($0.made.record.id) (\($0.made.record.keyPrefix)…)" }) {
                    let grace = try Self.graceHours(form["grace_period_hours"], default: dashboard.keys.defaultGraceHours)
                    let made = try await dashboard.acting(visit) { try Self.keyService { try dashboard.keys.rotate(id: id, graceHours: grace) } }
                    return (made, grace)
                }
                // No grace: the old key stops now, and so do the browsers signed in with it.
                if rotation.grace == 0 { dashboard.sessions.close(keyID: id) }
                let (made, old) = (rotation.made.record, rotation.made.old)
                let shown = KeysPageModel.NewKey(
                    key: rotation.made.key, id: made.id, prefix: made.keyPrefix, name: made.name, tenant: made.tenantID, rotated: true,
                    oldPrefix: old.keyPrefix, oldExpires: old.expiresAt.map(Formatting.dateTime), graceHours: rotation.grace)
                return try Self.render(dashboard, forms, visit: visit, newKey: shown, notice: nil, page: nil)
            }
        }
        group.post("keys/{id}/deactivate") { request, context -> Response in
            await dashboard.page(request) { visit in
                try Self.requireAdmin(visit)
                let id = try Self.keyID(context)
                _ = try await dashboard.form(request, visit)
                try await dashboard.acting(visit) { try Self.keyService { try dashboard.keys.deactivate(id: id, tenant: nil) } }
                // At once, not at their next request: a revoked key's browsers hold nothing live.
                dashboard.sessions.close(keyID: id)
                return dashboard.redirect(to: PageLinks.link("\(Dashboard.root)/keys", [("done", "deactivated")]), visit: visit)
            }
        }
    }

    static func render(
        _ dashboard: Dashboard, _ forms: OneTimeForms, visit: Visit, newKey: KeysPageModel.NewKey?, notice: String?, page asked: String?
    ) throws -> Response {
        let paging = PageLinks(asked: asked, size: pageSize)
        let listed = try keyService { try dashboard.keys.list(tenant: nil, limit: pageSize, offset: paging.offset) }
        let now = Date()
        let path = "\(Dashboard.root)/keys"
        let model = KeysPageModel(
            chrome: dashboard.chrome(visit, title: "API keys", current: "keys"),
            keys: listed.keys.map { KeysPageModel.row($0, visit: visit, forms: forms, now: now) }, newKey: newKey, createOnce: forms.issue(),
            defaultGrace: dashboard.keys.defaultGraceHours, maxGrace: APIKeyService.maxGraceHours, notice: notice, total: listed.total,
            page: paging.page, previous: paging.previous(path, []), next: paging.next(path, [], total: listed.total), empty: listed.keys.isEmpty)
        // `html` answers `Cache-Control: no-store`: the page with a key is kept by no cache or history.
        return dashboard.html(dashboard.resources.render("keys", model), visit: visit)
    }

    /// Key management is an admin's, as in `/api/api-keys`.
    static func requireAdmin(_ visit: Visit) throws {
        guard visit.tenant == nil else { throw DashboardError(.forbidden, "API keys are managed by an admin; a tenant key may not") }
    }

    /// Runs the action of a one-time form: refused when the form was posted before (naming what
    /// that first post made), freed again when the action fails so the form can be corrected.
    static func once<T>(
        _ form: FormInput, _ forms: OneTimeForms, describe: (T) -> String, _ action: () async throws -> T
    ) async throws -> T {
        guard let value = form["once"], value.count <= 100 else { throw DashboardError(.invalidInput, "the form lacks its one-time value: reload the page") }
        guard forms.claim(value) else {
            let made = forms.made(by: value).map { " It made \($0), whose key was shown once and is not shown again." } ?? ""
            throw DashboardError(.conflict, "This form was already posted.\(made) Open API keys again to make another.")
        }
        do {
            let result = try await action()
            forms.record(value, made: describe(result))
            return result
        } catch {
            forms.release(value)
            throw error
        }
    }

    /// The key service's errors as pages: its messages name key ids, never keys.
    static func keyService<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as ServerError {
            switch error.code {
            case .notFound: throw DashboardError(.notFound, error.message)
            case .invalidInput: throw DashboardError(.invalidInput, error.message)
            case .conflict: throw DashboardError(.conflict, error.message)
            default: throw DashboardError(.internalFailure, error.message)
            }
        }
    }

    /// `grace_period_hours`: 0 (the old key stops now) to a year; empty: the server's default.
    static func graceHours(_ text: String?, default fallback: Int) throws -> Int {
        guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return fallback }
        guard let hours = Int(text), (0...APIKeyService.maxGraceHours).contains(hours) else {
            throw DashboardError(.invalidInput, "the grace period is a whole number of hours from 0 to \(APIKeyService.maxGraceHours)")
        }
        return hours
    }

    static func keyID(_ context: ServerRequestContext) throws -> String {
        let id = context.parameters.get("id") ?? ""
        guard (1...128).contains(id.utf8.count),
            id.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_") })
        else { throw DashboardError(.notFound, "no active API key \(id.prefix(80))") }
        return id
    }

    static func notice(_ done: String) -> String? {
        done == "deactivated" ? "The key was deactivated: it no longer signs in, and its dashboard sessions have ended." : nil
    }
}
