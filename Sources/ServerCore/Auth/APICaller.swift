/// Who is calling, as the auth middleware found it: the key's id, its tenant (nil: an admin, who
/// sees every tenant), and what the key restricts. In open mode every request is ``open``.
public struct APICaller: Sendable, Hashable {
    /// The key's id (`key_…`); nil in open mode.
    public var keyID: String?
    /// The tenant the key belongs to; nil for an admin key.
    public var tenantID: String?
    /// Workflow names the key may run; nil: any.
    public var allowedWorkflows: [String]?
    /// The budget of a run submitted with this key that names none.
    public var maxCostPerRunUSD: Double?
    /// The stored key's first characters (`key_prefix`), for the audit log; nil for a key given
    /// at start-up (its characters are the operator's secret) and in open mode.
    public var keyPrefix: String?

    public init(
        keyID: String?, tenantID: String?, allowedWorkflows: [String]? = nil, maxCostPerRunUSD: Double? = nil, keyPrefix: String? = nil
    ) {
        self.keyPrefix = keyPrefix
        self.keyID = keyID
        self.tenantID = tenantID
        self.allowedWorkflows = allowedWorkflows
        self.maxCostPerRunUSD = maxCostPerRunUSD
    }

    /// An admin sees and may do everything; a tenant key only its tenant's things.
    public var isAdmin: Bool { tenantID == nil }

    /// Every request of a server without auth (`--open`, `AUTH_REQUIRED=false`): an admin.
    public static let open = APICaller(keyID: nil, tenantID: nil)

    /// Whether the key may run workflow `name` (by name: Sandcastle compares the YAML text, a bug).
    public func mayRun(workflow name: String) -> Bool {
        allowedWorkflows.map { $0.contains(name) } ?? true
    }
}
