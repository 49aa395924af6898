import JSONValues
import Workflow

/// A client's request to run a workflow (`POST /api/workflows/run`).
public struct RunSubmission: Sendable {
    /// What to run: a saved workflow by name (and version), or YAML sent inline.
    public enum Source: Sendable {
        case named(String, version: Int?)
        case inline(String)
    }

    public var source: Source
    public var inputs: [String: InputValue]
    public var callbackURL: String?
    /// One run per tenant and key: submitting again returns the first run.
    public var idempotencyKey: String?
    public var maxCostUSD: Double?
    /// The tenant of the submitting key; nil for an admin.
    public var tenant: String?
    /// The workflow name of `POST /api/v1/{name}` when the run is submitted through that
    /// endpoint (kept with the run, for the endpoint's usage); nil otherwise.
    public var endpoint: String?

    public init(
        source: Source, inputs: [String: InputValue] = [:], callbackURL: String? = nil, idempotencyKey: String? = nil,
        maxCostUSD: Double? = nil, tenant: String? = nil, endpoint: String? = nil
    ) {
        self.endpoint = endpoint
        self.source = source
        self.inputs = inputs
        self.callbackURL = callbackURL
        self.idempotencyKey = idempotencyKey
        self.maxCostUSD = maxCostUSD
        self.tenant = tenant
    }
}

/// What a submission did.
public struct SubmittedRun: Sendable, Hashable {
    public var runID: String
    /// False when the idempotency key named a run submitted before (Sandcastle's `existing`).
    public var isNew: Bool
    /// The saved version the run runs; nil for inline YAML.
    public var workflowVersion: Int?
}
