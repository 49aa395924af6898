import Foundation

/// One policy violation (issue 15 §1): a guardrail policy fired on a step's result. Written in
/// the transaction that records the step's result, so a result never exists without the
/// violations it caused. What matched is stored masked (its first and last four characters at
/// most), never as the raw text.
public struct ViolationRecord: Sendable, Hashable {
    public var id: String
    public var runID: String
    public var stepID: String
    /// The fan-out item whose output fired the policy; nil for a step that is not fanned out.
    public var fanoutIndex: Int?
    public var policyID: String
    /// `critical`, `high`, `medium` or `low`.
    public var severity: String
    /// What fired: an entity (`email`), `regex`, or `condition`.
    public var trigger: String
    /// What matched, masked (`ali…com`); the condition's text for a condition trigger.
    public var matched: String?
    /// How many matches the output had (1 for a condition).
    public var matchCount: Int
    /// `redact`, `block`, `alert`, `log` or `inject_approval`.
    public var action: String
    /// Whether the output that flows on or is stored differs from what the step produced.
    public var outputModified: Bool
    /// The tenant of the run's submission; nil for an admin's run. Ignored when writing: the store
    /// takes it from the run's submission.
    public var tenant: String?
    public var createdAt: Date

    public init(
        id: String = ViolationRecord.makeID(), runID: String, stepID: String, fanoutIndex: Int? = nil, policyID: String,
        severity: String, trigger: String, matched: String? = nil, matchCount: Int = 1, action: String,
        outputModified: Bool = false, tenant: String? = nil, createdAt: Date = Date()
    ) {
        self.id = id
        self.runID = runID
        self.stepID = stepID
        self.fanoutIndex = fanoutIndex
        self.policyID = policyID
        self.severity = severity
        self.trigger = trigger
        self.matched = matched
        self.matchCount = matchCount
        self.action = action
        self.outputModified = outputModified
        self.tenant = tenant
        self.createdAt = createdAt.storeRounded
    }

    /// A fresh id: 16 lowercase hex digits, like a run's.
    public static func makeID() -> String {
        UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16).description
    }
}

/// Which violations to list, newest first. Every filter is optional.
public struct ViolationQuery: Sendable, Hashable {
    public var runID: String?
    public var stepID: String?
    public var policyID: String?
    public var severity: String?
    /// Created at or after.
    public var since: Date?
    /// Created before.
    public var until: Date?
    /// Only this tenant's; nil: everybody's (an admin).
    public var tenant: String?
    public var limit: Int
    public var offset: Int

    public init(
        runID: String? = nil, stepID: String? = nil, policyID: String? = nil, severity: String? = nil, since: Date? = nil,
        until: Date? = nil, tenant: String? = nil, limit: Int = 50, offset: Int = 0
    ) {
        self.runID = runID
        self.stepID = stepID
        self.policyID = policyID
        self.severity = severity
        self.since = since
        self.until = until
        self.tenant = tenant
        self.limit = limit
        self.offset = offset
    }

    /// Whether `record` passes the filters (limit and offset aside).
    public func matches(_ record: ViolationRecord) -> Bool {
        if let runID, record.runID != runID { return false }
        if let stepID, record.stepID != stepID { return false }
        if let policyID, record.policyID != policyID { return false }
        if let severity, record.severity != severity { return false }
        if let since, record.createdAt < since { return false }
        if let until, record.createdAt >= until { return false }
        if let tenant, record.tenant != tenant { return false }
        return true
    }
}

/// Counts of the violations passing a query's filters.
public struct ViolationStats: Sendable, Hashable {
    public var total: Int
    public var bySeverity: [String: Int]
    public var byPolicy: [String: Int]
    public var byAction: [String: Int]

    public init(total: Int = 0, bySeverity: [String: Int] = [:], byPolicy: [String: Int] = [:], byAction: [String: Int] = [:]) {
        self.total = total
        self.bySeverity = bySeverity
        self.byPolicy = byPolicy
        self.byAction = byAction
    }

    /// Counts `records` (already filtered).
    public init(counting records: some Sequence<ViolationRecord>) {
        self.init()
        for record in records {
            total += 1
            bySeverity[record.severity, default: 0] += 1
            byPolicy[record.policyID, default: 0] += 1
            byAction[record.action, default: 0] += 1
        }
    }
}
