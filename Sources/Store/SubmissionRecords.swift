import Foundation

/// One saved version of a workflow (`POST /api/workflows`, or a file of the workflows folder
/// whose content changed): versions count 1, 2, 3, … per name and are never rewritten.
public struct WorkflowVersionRecord: Sendable, Hashable {
    public var name: String
    public var version: Int
    public var yaml: String
    /// SHA-256 of `yaml`, lowercase hex.
    public var contentHash: String
    public var description: String?
    /// Where the version came from: ``Source/api`` or ``Source/file``.
    public var source: Source
    public var createdAt: Date
    /// The tenant whose key saved it; nil for a workflow every key sees (the folder's, an admin's).
    public var tenant: String?
    /// When an admin published this version as `POST /api/v1/{name}`; nil while unpublished.
    public var publishedAt: Date?

    public struct Source: RawRepresentable, Hashable, Sendable {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        public static let api = Source(rawValue: "api")
        public static let file = Source(rawValue: "file")
    }

    public init(
        name: String, version: Int, yaml: String, contentHash: String, description: String? = nil, source: Source,
        createdAt: Date = Date(), tenant: String? = nil, publishedAt: Date? = nil
    ) {
        self.tenant = tenant
        self.publishedAt = publishedAt
        self.name = name
        self.version = version
        self.yaml = yaml
        self.contentHash = contentHash
        self.description = description
        self.source = source
        self.createdAt = createdAt
    }
}

/// What a client asked for when it submitted a run to the server, kept with the run.
public struct RunSubmissionRecord: Sendable, Hashable {
    public var runID: String
    /// The saved version the run runs; nil for a workflow sent inline.
    public var workflowVersion: Int?
    /// The tenant of the key that submitted it; nil for an admin.
    public var tenant: String?
    /// The client's key for retrying a submission safely: one run per tenant and key.
    public var idempotencyKey: String?
    public var callbackURL: String?
    public var submittedAt: Date
    /// The workflow name of `POST /api/v1/{name}` when the run came through that endpoint; nil otherwise.
    public var endpoint: String?

    public init(
        runID: String, workflowVersion: Int? = nil, tenant: String? = nil, idempotencyKey: String? = nil,
        callbackURL: String? = nil, submittedAt: Date = Date(), endpoint: String? = nil
    ) {
        self.endpoint = endpoint
        self.runID = runID
        self.workflowVersion = workflowVersion
        self.tenant = tenant
        self.idempotencyKey = idempotencyKey
        self.callbackURL = callbackURL
        self.submittedAt = submittedAt
    }
}
