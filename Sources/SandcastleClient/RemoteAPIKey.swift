import Foundation
import JSONValues

/// An item of `GET /api/api-keys` (never the key itself: the server keeps only its hash).
public struct RemoteAPIKey: Decodable, Sendable {
    public let id: String
    public let keyPrefix: String?
    public let tenantID: String?
    public let name: String?
    public let isActive: Bool?
    public let maxCostPerRunUSD: Double?
    public let expiresAt: Date?
    public let allowedCIDRs: [String]?
    public let allowedWorkflows: [String]?
    public let createdAt: Date?
    public let lastUsedAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, keyPrefix = "key_prefix", tenantID = "tenant_id", name, isActive = "is_active"
        case maxCostPerRunUSD = "max_cost_per_run_usd", expiresAt = "expires_at", allowedCIDRs = "allowed_cidrs"
        case allowedWorkflows = "allowed_workflows", createdAt = "created_at", lastUsedAt = "last_used_at"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(FlexibleID.self, forKey: .id).value
        keyPrefix = try container.decodeIfPresent(String.self, forKey: .keyPrefix)
        tenantID = try container.decodeIfPresent(String.self, forKey: .tenantID)
        name = try container.decodeIfPresent(String.self, forKey: .name)
        isActive = try container.decodeIfPresent(Bool.self, forKey: .isActive)
        maxCostPerRunUSD = try container.decodeIfPresent(Double.self, forKey: .maxCostPerRunUSD)
        expiresAt = try container.decodeIfPresent(Date.self, forKey: .expiresAt)
        allowedCIDRs = try container.decodeIfPresent([String].self, forKey: .allowedCIDRs)
        allowedWorkflows = try container.decodeIfPresent([String].self, forKey: .allowedWorkflows)
        createdAt = try container.decodeIfPresent(Date.self, forKey: .createdAt)
        lastUsedAt = try container.decodeIfPresent(Date.self, forKey: .lastUsedAt)
    }
}

/// `POST /api/api-keys`'s answer: the only time the plaintext key is shown.
public struct CreatedRemoteAPIKey: Decodable, Sendable {
    public let id: String
    public let keyPrefix: String?
    public let tenantID: String?
    public let name: String?
    /// The plaintext key; the server cannot show it again.
    public let key: String

    enum CodingKeys: String, CodingKey {
        case id, keyPrefix = "key_prefix", tenantID = "tenant_id", name, key
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(FlexibleID.self, forKey: .id).value
        keyPrefix = try container.decodeIfPresent(String.self, forKey: .keyPrefix)
        tenantID = try container.decodeIfPresent(String.self, forKey: .tenantID)
        name = try container.decodeIfPresent(String.self, forKey: .name)
        key = try container.decode(String.self, forKey: .key)
    }
}

/// `POST /api/api-keys/{id}/rotate`'s answer: the new key (plaintext, once) and when the old one stops working.
public struct RotatedRemoteAPIKey: Decodable, Sendable {
    public let newKey: String
    public let newKeyID: String
    public let oldKeyID: String
    public let oldKeyExpiresAt: Date?
    public let gracePeriodHours: Double?

    enum CodingKeys: String, CodingKey {
        case newKey = "new_key", newKeyID = "new_key_id", oldKeyID = "old_key_id", oldKeyExpiresAt = "old_key_expires_at"
        case gracePeriodHours = "grace_period_hours"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        newKey = try container.decode(String.self, forKey: .newKey)
        newKeyID = try container.decode(FlexibleID.self, forKey: .newKeyID).value
        oldKeyID = try container.decode(FlexibleID.self, forKey: .oldKeyID).value
        oldKeyExpiresAt = try container.decodeIfPresent(Date.self, forKey: .oldKeyExpiresAt)
        gracePeriodHours = try container.decodeIfPresent(Double.self, forKey: .gracePeriodHours)
    }
}

/// What `POST /api/api-keys` asks for.
public struct NewRemoteAPIKey: Sendable {
    public var name: String
    public var tenantID: String?
    public var maxCostPerRunUSD: Double?
    public var allowedWorkflows: [String]?

    public init(name: String, tenantID: String? = nil, maxCostPerRunUSD: Double? = nil, allowedWorkflows: [String]? = nil) {
        self.name = name
        self.tenantID = tenantID
        self.maxCostPerRunUSD = maxCostPerRunUSD
        self.allowedWorkflows = allowedWorkflows
    }

    var json: JSONValue {
        var body: [String: JSONValue] = ["name": .string(name)]
        body["tenant_id"] = tenantID.map(JSONValue.string)
        body["max_cost_per_run_usd"] = maxCostPerRunUSD.map(JSONValue.number)
        body["allowed_workflows"] = allowedWorkflows.map { .array($0.map(JSONValue.string)) }
        return .object(body)
    }
}

/// An item of `GET /api/dead-letter`: a step that exhausted its retries.
public struct RemoteDeadLetter: Decodable, Sendable {
    public let id: String
    public let runID: String
    public let stepID: String?
    public let parallelIndex: Int?
    public let error: String?
    public let inputData: JSONValue?
    public let attempts: Int?
    public let createdAt: Date?
    public let resolvedAt: Date?
    /// `retry` or `manual` once resolved.
    public let resolvedBy: String?

    enum CodingKeys: String, CodingKey {
        case id, runID = "run_id", stepID = "step_id", parallelIndex = "parallel_index", error, inputData = "input_data", attempts
        case createdAt = "created_at", resolvedAt = "resolved_at", resolvedBy = "resolved_by"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(FlexibleID.self, forKey: .id).value
        runID = try container.decode(String.self, forKey: .runID)
        stepID = try container.decodeIfPresent(String.self, forKey: .stepID)
        parallelIndex = try container.decodeIfPresent(Int.self, forKey: .parallelIndex)
        error = try container.decodeIfPresent(String.self, forKey: .error)
        inputData = try container.decodeIfPresent(JSONValue.self, forKey: .inputData)
        attempts = try container.decodeIfPresent(Int.self, forKey: .attempts)
        createdAt = try container.decodeIfPresent(Date.self, forKey: .createdAt)
        resolvedAt = try container.decodeIfPresent(Date.self, forKey: .resolvedAt)
        resolvedBy = try container.decodeIfPresent(String.self, forKey: .resolvedBy)
    }
}

/// `POST /api/dead-letter/{id}/retry`'s answer: the new run.
public struct RemoteDeadLetterRetry: Decodable, Sendable {
    public let newRunID: String

    enum CodingKeys: String, CodingKey {
        case newRunID = "new_run_id"
    }
}
