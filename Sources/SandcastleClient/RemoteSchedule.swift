import Foundation
import JSONValues

/// Sandcastle's `ScheduleResponse`, with our `timezone`, `description` and `catch_up`.
public struct RemoteSchedule: Decodable, Sendable {
    public let id: String
    public let workflowName: String
    public let cronExpression: String
    public let inputData: JSONValue?
    public let enabled: Bool
    public let lastRunID: String?
    public let lastRunAt: Date?
    public let lastRunStatus: String?
    public let nextRunAt: Date?
    public let successRate: Double?
    /// `active`, `paused` or `failing`.
    public let status: String?
    public let createdAt: Date?
    public let timezone: String?
    public let description: String?
    public let catchUp: String?

    enum CodingKeys: String, CodingKey {
        case id, workflowName = "workflow_name", cronExpression = "cron_expression", inputData = "input_data", enabled
        case lastRunID = "last_run_id", lastRunAt = "last_run_at", lastRunStatus = "last_run_status", nextRunAt = "next_run_at"
        case successRate = "success_rate", status, createdAt = "created_at", timezone, description, catchUp = "catch_up"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(FlexibleID.self, forKey: .id).value
        workflowName = try container.decode(String.self, forKey: .workflowName)
        cronExpression = try container.decode(String.self, forKey: .cronExpression)
        inputData = try container.decodeIfPresent(JSONValue.self, forKey: .inputData)
        enabled = try container.decodeIfPresent(Bool.self, forKey: .enabled) ?? true
        lastRunID = try container.decodeIfPresent(String.self, forKey: .lastRunID)
        lastRunAt = try container.decodeIfPresent(Date.self, forKey: .lastRunAt)
        lastRunStatus = try container.decodeIfPresent(String.self, forKey: .lastRunStatus)
        nextRunAt = try container.decodeIfPresent(Date.self, forKey: .nextRunAt)
        successRate = try container.decodeIfPresent(Double.self, forKey: .successRate)
        status = try container.decodeIfPresent(String.self, forKey: .status)
        createdAt = try container.decodeIfPresent(Date.self, forKey: .createdAt)
        timezone = try container.decodeIfPresent(String.self, forKey: .timezone)
        description = try container.decodeIfPresent(String.self, forKey: .description)
        catchUp = try container.decodeIfPresent(String.self, forKey: .catchUp)
    }
}

/// What `create_schedule` sends; nil fields are left out (the server's defaults apply).
public struct NewRemoteSchedule: Sendable {
    public var workflowName: String
    public var cronExpression: String
    public var timezone: String?
    public var inputData: [String: JSONValue]?
    public var enabled: Bool?
    public var catchUp: String?

    public init(
        workflowName: String, cronExpression: String, timezone: String? = nil, inputData: [String: JSONValue]? = nil, enabled: Bool? = nil,
        catchUp: String? = nil
    ) {
        self.workflowName = workflowName
        self.cronExpression = cronExpression
        self.timezone = timezone
        self.inputData = inputData
        self.enabled = enabled
        self.catchUp = catchUp
    }

    var json: JSONValue {
        var body: [String: JSONValue] = ["workflow_name": .string(workflowName), "cron_expression": .string(cronExpression)]
        body["timezone"] = timezone.map(JSONValue.string)
        body["input_data"] = inputData.map(JSONValue.object)
        body["enabled"] = enabled.map(JSONValue.bool)
        body["catch_up"] = catchUp.map(JSONValue.string)
        return .object(body)
    }
}

/// What `PATCH /api/schedules/{id}` changes; nil fields stay as they are.
public struct RemoteScheduleChanges: Sendable {
    public var cronExpression: String?
    public var timezone: String?
    public var inputData: [String: JSONValue]?
    public var enabled: Bool?
    public var catchUp: String?

    public init(
        cronExpression: String? = nil, timezone: String? = nil, inputData: [String: JSONValue]? = nil, enabled: Bool? = nil, catchUp: String? = nil
    ) {
        self.cronExpression = cronExpression
        self.timezone = timezone
        self.inputData = inputData
        self.enabled = enabled
        self.catchUp = catchUp
    }

    public var isEmpty: Bool { cronExpression == nil && timezone == nil && inputData == nil && enabled == nil && catchUp == nil }

    var json: JSONValue {
        var body: [String: JSONValue] = [:]
        body["cron_expression"] = cronExpression.map(JSONValue.string)
        body["timezone"] = timezone.map(JSONValue.string)
        body["input_data"] = inputData.map(JSONValue.object)
        body["enabled"] = enabled.map(JSONValue.bool)
        body["catch_up"] = catchUp.map(JSONValue.string)
        return .object(body)
    }
}
