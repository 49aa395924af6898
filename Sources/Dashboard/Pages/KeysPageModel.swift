import Foundation
import ServerCore
import Store

/// What `templates/keys.mustache` shows: the active keys (prefix, name, tenant, state, expiry,
/// last use, allowed workflows) with their Rotate and Deactivate forms, the form for a new key,
/// and — only in the answer to the POST that made it — the new key itself.
struct KeysPageModel {
    struct Row {
        var id: String
        var prefix: String
        var name: String
        var tenant: String?
        /// `active`, `expiring` (within a week: a rotation's grace runs, or its expiry nears) or
        /// `expired` (it no longer signs in).
        var state: String
        var expires: String?
        var lastUsed: String?
        var created: String
        var workflows: String?
        var budget: String?
        /// The rotate form's one-time value (``OneTimeForms``).
        var rotateOnce: String
        /// The signed-in key itself: deactivating it signs this browser out.
        var isYours: Bool
    }

    /// A key just made, shown once: its plaintext is in no other page, log or address.
    struct NewKey {
        var key: String
        var id: String
        var prefix: String
        var name: String
        var tenant: String?
        /// A rotation: the key it replaces and until when that one still works.
        var rotated: Bool
        var oldPrefix: String?
        var oldExpires: String?
        var graceHours: Int?
    }

    /// A key whose expiry is closer than this is marked `expiring`.
    static let expiringWithin: TimeInterval = 7 * 86_400

    var chrome: Chrome
    var keys: [Row]
    var newKey: NewKey?
    var createOnce: String
    var defaultGrace: Int
    var maxGrace: Int
    /// A result without a secret (`?done=deactivated`): what the last action did.
    var notice: String?
    var total: Int
    var page: Int
    var previous: String?
    var next: String?
    var empty: Bool

    static func row(_ key: APIKeyRecord, visit: Visit, forms: OneTimeForms, now: Date) -> Row {
        let state: String
        switch key.expiresAt {
        case let expiry? where expiry <= now: state = "expired"
        case let expiry? where expiry.timeIntervalSince(now) < Self.expiringWithin: state = "expiring"
        default: state = "active"
        }
        return Row(
            id: key.id, prefix: key.keyPrefix, name: key.name, tenant: key.tenantID, state: state, expires: key.expiresAt.map(Formatting.dateTime),
            lastUsed: key.lastUsedAt.map(Formatting.dateTime), created: Formatting.dateTime(key.createdAt),
            workflows: key.allowedWorkflows.map { $0.joined(separator: ", ") }, budget: key.maxCostPerRunUSD.map(Formatting.cost),
            rotateOnce: forms.issue(), isYours: visit.caller.keyID == key.id)
    }
}

/// The new-key form's fields, checked as `/api/api-keys` checks them.
struct NewKeyForm {
    static let maxNameCharacters = 200
    static let maxTenantCharacters = 200
    static let maxExpiryDays = 3650
    static let maxWorkflows = 1000

    var key: APIKeyService.NewKey

    init(_ form: FormInput, now: Date) throws {
        let name = try form.required("name")
        guard name.count <= Self.maxNameCharacters else { throw DashboardError(.invalidInput, "the name is at most \(Self.maxNameCharacters) characters") }
        let tenant = form["tenant_id"]?.trimmingCharacters(in: .whitespacesAndNewlines).nilWhenEmpty
        if let tenant, tenant.count > Self.maxTenantCharacters {
            throw DashboardError(.invalidInput, "the tenant is at most \(Self.maxTenantCharacters) characters (empty: an admin key)")
        }
        var expiry: Date?
        if let text = form["expires_in_days"]?.trimmingCharacters(in: .whitespaces).nilWhenEmpty {
            guard let days = Int(text), (1...Self.maxExpiryDays).contains(days) else {
                throw DashboardError(.invalidInput, "expires in days must be a whole number from 1 to \(Self.maxExpiryDays)")
            }
            expiry = now.addingTimeInterval(TimeInterval(days) * 86_400)
        }
        var budget: Double?
        if let text = form["max_cost_per_run_usd"]?.trimmingCharacters(in: .whitespaces).nilWhenEmpty {
            guard let value = Double(text), value.isFinite, value >= 0 else {
                throw DashboardError(.invalidInput, "the budget per run must be a number ≥ 0 (US dollars)")
            }
            budget = value
        }
        key = APIKeyService.NewKey(
            name: name, tenantID: tenant, maxCostPerRunUSD: budget, allowedWorkflows: try Self.workflows(form["allowed_workflows"]), expiresAt: expiry)
    }

    /// Workflow names separated by commas or lines; none: the key may run any workflow.
    static func workflows(_ text: String?) throws -> [String]? {
        let names = (text ?? "").split(whereSeparator: { $0 == "," || $0.isNewline }).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        guard !names.isEmpty else { return nil }
        guard names.count <= maxWorkflows, names.allSatisfy({ $0.count <= 200 }) else {
            throw DashboardError(.invalidInput, "at most \(maxWorkflows) workflow names of at most 200 characters each")
        }
        var seen: Set<String> = []
        return names.filter { seen.insert($0).inserted }
    }
}

extension String {
    fileprivate var nilWhenEmpty: String? { isEmpty ? nil : self }
}
