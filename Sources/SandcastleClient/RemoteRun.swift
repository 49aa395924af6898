import Foundation
import JSONValues

/// An item of `GET /api/runs`.
public struct RemoteRunSummary: Decodable, Sendable {
    public let runID: String
    public let workflowName: String
    /// Sandcastle's lowercase status: `queued`, `running`, `completed`, `failed`, `cancelled`,
    /// `budget_exceeded`, `awaiting_approval` (`partial` from Sandcastle itself).
    public let status: String
    public let totalCostUSD: Double?
    /// Model calls without a price (ours only): when not 0, `totalCostUSD` is a lower bound.
    public let unpricedModelCalls: Int?
    public let createdAt: Date?
    public let startedAt: Date?
    public let completedAt: Date?
    public let parentRunID: String?

    enum CodingKeys: String, CodingKey {
        case runID = "run_id", workflowName = "workflow_name", status, totalCostUSD = "total_cost_usd"
        case unpricedModelCalls = "unpriced_model_calls", createdAt = "created_at", startedAt = "started_at"
        case completedAt = "completed_at", parentRunID = "parent_run_id"
    }
}

/// `GET /api/runs/{id}`: Sandcastle's `RunStatusResponse` (and the fields ours adds).
public struct RemoteRun: Decodable, Sendable {
    public let runID: String
    public let workflowName: String
    public let status: String
    public let inputData: JSONValue?
    public let outputs: [String: JSONValue]?
    public let totalCostUSD: Double?
    public let unpricedModelCalls: Int?
    public let maxCostUSD: Double?
    public let createdAt: Date?
    public let startedAt: Date?
    public let completedAt: Date?
    public let error: String?
    public let steps: [RemoteStep]?
    public let parentRunID: String?
    public let replayFromStep: String?
    public let forkChanges: JSONValue?
    public let workflowVersion: Int?
    public let tokens: Tokens?

    /// Token counts of the run's model calls (ours).
    public struct Tokens: Decodable, Sendable {
        public let input: Int
        public let output: Int
        public let cacheRead: Int?
        public let cacheWrite: Int?

        enum CodingKeys: String, CodingKey {
            case input, output, cacheRead = "cache_read", cacheWrite = "cache_write"
        }
    }

    enum CodingKeys: String, CodingKey {
        case runID = "run_id", workflowName = "workflow_name", status, inputData = "input_data", outputs
        case totalCostUSD = "total_cost_usd", unpricedModelCalls = "unpriced_model_calls", maxCostUSD = "max_cost_usd"
        case createdAt = "created_at", startedAt = "started_at", completedAt = "completed_at", error, steps
        case parentRunID = "parent_run_id", replayFromStep = "replay_from_step", forkChanges = "fork_changes"
        case workflowVersion = "workflow_version", tokens
    }

    /// Whether the run will change no more (a run paused at a gate is not finished).
    public var isFinished: Bool { RemoteRunStatus.finished.contains(status) }
}

/// A step of a run, Sandcastle's `StepStatus`.
public struct RemoteStep: Decodable, Sendable {
    public let stepID: String
    public let parallelIndex: Int?
    public let status: String
    public let output: JSONValue?
    public let costUSD: Double?
    public let unpricedModelCalls: Int?
    public let durationSeconds: Double?
    public let attempt: Int?
    public let error: String?
    public let startedAt: Date?
    public let model: String?

    enum CodingKeys: String, CodingKey {
        case stepID = "step_id", parallelIndex = "parallel_index", status, output, costUSD = "cost_usd"
        case unpricedModelCalls = "unpriced_model_calls", durationSeconds = "duration_seconds", attempt, error
        case startedAt = "started_at", model
    }
}

/// Sandcastle's run statuses, and which of them end a run.
public enum RemoteRunStatus {
    /// Nothing more will happen to a run in one of these.
    public static let finished: Set<String> = ["completed", "failed", "cancelled", "budget_exceeded", "partial", "error"]
    /// A live stream ends at these (Sandcastle's SDK counts a paused run as terminal).
    public static let streamEnds: Set<String> = finished.union(["awaiting_approval"])
}

/// `POST /api/workflows/run`'s answer.
public struct RemoteSubmission: Decodable, Sendable {
    public let runID: String
    /// `queued`, or `existing` when the idempotency key was seen before.
    public let status: String

    enum CodingKeys: String, CodingKey {
        case runID = "run_id", status
    }
}

/// `POST /api/runs/{id}/replay` and `/fork`'s answer.
public struct RemoteLineage: Decodable, Sendable {
    public let newRunID: String
    public let parentRunID: String?
    public let status: String?

    enum CodingKeys: String, CodingKey {
        case newRunID = "new_run_id", parentRunID = "parent_run_id", status
    }
}

/// Sandcastle's `ApprovalResponse`.
public struct RemoteApproval: Decodable, Sendable {
    public let id: String
    public let runID: String
    public let stepID: String
    public let status: String
    public let message: String?
    public let requestData: JSONValue?
    public let allowEdit: Bool?
    public let timeoutAt: Date?
    public let onTimeout: String?
    public let reviewerID: String?
    public let reviewerComment: String?
    public let createdAt: Date?
    public let resolvedAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, runID = "run_id", stepID = "step_id", status, message, requestData = "request_data", allowEdit = "allow_edit"
        case timeoutAt = "timeout_at", onTimeout = "on_timeout", reviewerID = "reviewer_id", reviewerComment = "reviewer_comment"
        case createdAt = "created_at", resolvedAt = "resolved_at"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(FlexibleID.self, forKey: .id).value
        runID = try container.decode(String.self, forKey: .runID)
        stepID = try container.decode(String.self, forKey: .stepID)
        status = try container.decode(String.self, forKey: .status)
        message = try container.decodeIfPresent(String.self, forKey: .message)
        requestData = try container.decodeIfPresent(JSONValue.self, forKey: .requestData)
        allowEdit = try container.decodeIfPresent(Bool.self, forKey: .allowEdit)
        timeoutAt = try container.decodeIfPresent(Date.self, forKey: .timeoutAt)
        onTimeout = try container.decodeIfPresent(String.self, forKey: .onTimeout)
        reviewerID = try container.decodeIfPresent(String.self, forKey: .reviewerID)
        reviewerComment = try container.decodeIfPresent(String.self, forKey: .reviewerComment)
        createdAt = try container.decodeIfPresent(Date.self, forKey: .createdAt)
        resolvedAt = try container.decodeIfPresent(Date.self, forKey: .resolvedAt)
    }
}

/// An id a server may answer as a string (ours, Sandcastle's UUIDs) or as a number.
struct FlexibleID: Decodable, Sendable {
    let value: String

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            value = text
        } else {
            value = String(try container.decode(Int.self))
        }
    }
}
