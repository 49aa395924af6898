import Foundation

/// A dead letter: a step that failed for good in a workflow with `on_failure: {dead_letter:
/// true}` (or a failed run, when the server dead-letters every failed run), kept until someone
/// retries it (a new run of the whole workflow) or resolves it by hand. At most one per step
/// (and fan-out index) of a run.
public struct DeadLetterRecord: Sendable, Hashable {
    public var id: String
    public var runID: String
    public var stepID: String
    /// The fan-out item that failed; nil for a step that is not fanned out.
    public var parallelIndex: Int?
    public var error: String?
    /// The run's input, a JSON object (Sandcastle's `input_data`).
    public var inputJSON: String?
    /// How many attempts the step made before it was given up.
    public var attempts: Int
    /// The tenant of the run's submission; nil for an admin's run or one not submitted to the
    /// server. Ignored when writing: the store takes it from the run's submission, so an item
    /// always belongs to whoever may see its run.
    public var tenant: String?
    public var createdAt: Date
    public var resolvedAt: Date?
    public var resolvedBy: DeadLetterResolution?
    /// Why it was resolved by hand, as the resolver wrote it.
    public var resolveReason: String?
    /// The run a retry made.
    public var retryRunID: String?

    public var isResolved: Bool { resolvedAt != nil }

    public init(
        id: String = DeadLetterRecord.makeID(), runID: String, stepID: String, parallelIndex: Int? = nil, error: String? = nil,
        inputJSON: String? = nil, attempts: Int = 1, tenant: String? = nil, createdAt: Date = Date(), resolvedAt: Date? = nil,
        resolvedBy: DeadLetterResolution? = nil, resolveReason: String? = nil, retryRunID: String? = nil
    ) {
        self.id = id
        self.runID = runID
        self.stepID = stepID
        self.parallelIndex = parallelIndex
        self.error = error
        self.inputJSON = inputJSON
        self.attempts = attempts
        self.tenant = tenant
        self.createdAt = createdAt.storeRounded
        self.resolvedAt = resolvedAt?.storeRounded
        self.resolvedBy = resolvedBy
        self.resolveReason = resolveReason
        self.retryRunID = retryRunID
    }

    /// A fresh id: 16 lowercase hex digits, like a run's.
    public static func makeID() -> String {
        UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16).description
    }
}

/// How a dead letter was resolved (Sandcastle's `resolved_by`).
public struct DeadLetterResolution: RawRepresentable, Hashable, Sendable {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// A new run of the workflow was made for it.
    public static let retry = DeadLetterResolution(rawValue: "retry")
    /// Someone marked it dealt with.
    public static let manual = DeadLetterResolution(rawValue: "manual")
}

/// Which dead letters to list, newest first.
public struct DeadLetterQuery: Sendable, Hashable {
    /// false: only open items; true: only resolved ones; nil: both.
    public var resolved: Bool?
    /// Only this tenant's items; nil: everybody's (an admin).
    public var tenant: String?
    public var limit: Int
    public var offset: Int

    public init(resolved: Bool? = false, tenant: String? = nil, limit: Int = 50, offset: Int = 0) {
        self.resolved = resolved
        self.tenant = tenant
        self.limit = limit
        self.offset = offset
    }

    /// Whether `item` passes the filters (limit and offset aside).
    public func matches(_ item: DeadLetterRecord) -> Bool {
        if let resolved, item.isResolved != resolved { return false }
        if let tenant, item.tenant != tenant { return false }
        return true
    }
}
