import Foundation
import HTTPTypes
import Hummingbird
import JSONValues
import Orchestrator
import Schedules
import ServerCore

/// Sandcastle's `/api/schedules` over the server's ``Scheduler``: create, list, get, update,
/// delete and trigger, answering its `ScheduleResponse` plus our `timezone`, `description` and
/// `catch_up`. An invalid expression or zone is 422 `INVALID_CRON` with the field at fault in
/// `details.field` (a crontab field, `cron_expression` for the whole of it, or `timezone`).
extension SandcastleAPIController {
    /// Sandcastle's caps on a JSON-object field of a request (`input_data`): 1 MiB serialized,
    /// nesting depth 20.
    static let maxInputBytes = 1 << 20
    static let maxInputDepth = 20

    package init(orchestrator: Orchestrator, version: String, scheduler: Scheduler?) {
        self.init(orchestrator: orchestrator, version: version)
        self.scheduler = scheduler
    }

    /// The schedule of the path, which must be the caller's tenant's (an admin sees all): another
    /// tenant's is not found, as one that does not exist.
    static func visibleSchedule(_ context: ServerRequestContext, _ scheduler: Scheduler) async throws -> ScheduleInfo {
        let caller = try caller(context)
        let id = try scheduleID(context)
        let info = try await scheduler.schedule(id: id)
        guard caller.isAdmin || info.record.tenant == caller.tenantID else {
            throw OrchestratorError(.scheduleNotFound, "schedule \(id) not found")
        }
        return info
    }

    /// Registers nothing when the server has no scheduler.
    func registerSchedules(_ routes: RouteTable) {
        guard let scheduler else { return }
        let path = "\(Self.prefix)/schedules"
        routes.add(.post, path, native: false) { request, context in
            let caller = try Self.caller(context)
            return try await Self.answeringCronErrors {
                let body = try await Self.object(request)
                var schedule = try Self.newSchedule(body)
                try Self.requireAllowed(caller, workflow: schedule.workflowName)
                schedule.tenant = caller.tenantID
                let info = try await scheduler.create(schedule)
                return SandcastleEnvelope.ok(Self.scheduleJSON(info), status: .created)
            }
        }
        routes.add(.get, path, native: false) { request, context in
            let caller = try Self.caller(context)
            let parameters = Dictionary(
                request.uri.queryParameters.map { (String($0.key), String($0.value)) }, uniquingKeysWith: { first, _ in first })
            let limit = try Self.integer(parameters["limit"], "limit", in: 1...200) ?? 50
            let offset = try Self.integer(parameters["offset"], "offset", in: 0...Int(Int32.max)) ?? 0
            let page = try await scheduler.list(limit: limit, offset: offset, tenant: caller.tenantID)
            return SandcastleEnvelope.page(page.items.map(Self.scheduleJSON), total: page.total, limit: limit, offset: offset)
        }
        routes.add(.get, "\(path)/:id", native: false) { _, context in
            SandcastleEnvelope.ok(Self.scheduleJSON(try await Self.visibleSchedule(context, scheduler)))
        }
        routes.add(.patch, "\(path)/:id", native: false) { request, context in
            try await Self.answeringCronErrors {
                let id = try await Self.visibleSchedule(context, scheduler).record.id
                let changes = try Self.scheduleChanges(try await Self.object(request))
                return SandcastleEnvelope.ok(Self.scheduleJSON(try await scheduler.update(id: id, changes)))
            }
        }
        routes.add(.delete, "\(path)/:id", native: false) { _, context in
            let id = try await Self.visibleSchedule(context, scheduler).record.id
            try await scheduler.delete(id: id)
            return SandcastleEnvelope.ok(["deleted": true, "id": .string(id)])
        }
        routes.add(.post, "\(path)/:id/trigger", native: false) { _, context in
            _ = try Self.admin(context)
            let submitted = try await scheduler.trigger(id: try Self.scheduleID(context))
            return SandcastleEnvelope.ok(["run_id": .string(submitted.runID), "status": "queued"], status: .accepted)
        }
    }

    /// Sandcastle's `ScheduleResponse`, plus `timezone`, `description`, `catch_up` and `updated_at`.
    static func scheduleJSON(_ info: ScheduleInfo) -> JSONValue {
        let record = info.record
        return [
            "id": .string(record.id), "workflow_name": .string(record.workflowName), "cron_expression": .string(record.cronExpression),
            "input_data": .object(info.inputs), "enabled": .bool(record.enabled),
            "last_run_id": record.lastRunID.map(JSONValue.string) ?? .null,
            "last_run_at": SandcastleEnvelope.timestamp(record.lastRunAt),
            "last_run_status": record.lastRunStatus.map { .string(SandcastleRunJSON.status($0)) } ?? .null,
            "next_run_at": SandcastleEnvelope.timestamp(info.nextRunAt), "success_rate": info.successRate.map(JSONValue.number) ?? .null,
            "status": .string(info.status.rawValue), "created_at": SandcastleEnvelope.timestamp(record.createdAt),
            "updated_at": SandcastleEnvelope.timestamp(record.updatedAt), "timezone": .string(record.timeZone),
            "description": .string(info.description), "catch_up": .string(info.catchUp.rawValue),
        ]
    }

    /// An invalid expression or zone, thrown by the scheduler, as Sandcastle's 422 `INVALID_CRON`.
    static func answeringCronErrors(_ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let error as CronError {
            let field = error.code == .unknownTimeZone ? "timezone" : (error.field?.rawValue ?? "cron_expression")
            return SandcastleEnvelope.error(
                code: "INVALID_CRON", message: error.code == .unknownTimeZone ? error.message : "Invalid cron expression: \(error.message)",
                details: ["field": .string(field), "reason": .string(error.code.description)], status: .unprocessableContent)
        }
    }

    /// Schedule ids are UUIDs, as Sandcastle's; compared in lowercase.
    static func scheduleID(_ context: ServerRequestContext) throws -> String {
        guard let text = context.parameters.get("id"), text.count <= 64, let id = UUID(uuidString: text) else {
            throw SandcastleAPIError(.badRequest, "INVALID_ID", "Invalid schedule ID format")
        }
        return id.uuidString.lowercased()
    }

    // MARK: bodies

    /// Sandcastle's `ScheduleCreateRequest` plus `timezone` and `catch_up`.
    static func newSchedule(_ body: [String: JSONValue]) throws -> NewSchedule {
        let name = try requiredString(body, "workflow_name")
        guard let cron = try optionalString(body, "cron_expression") else {
            throw SandcastleAPIError(.unprocessableContent, "VALIDATION_ERROR", "`cron_expression` is required")
        }
        return NewSchedule(
            workflowName: name, cronExpression: cron, timeZone: try optionalString(body, "timezone"),
            inputs: try inputData(body) ?? [:], enabled: try optionalBool(body, "enabled") ?? true, catchUp: try catchUp(body))
    }

    /// Sandcastle's `ScheduleUpdateRequest` plus `timezone` and `catch_up`; absent or null leaves a setting.
    static func scheduleChanges(_ body: [String: JSONValue]) throws -> ScheduleChanges {
        ScheduleChanges(
            enabled: try optionalBool(body, "enabled"), cronExpression: try optionalString(body, "cron_expression"),
            timeZone: try optionalString(body, "timezone"), inputs: try inputData(body), catchUp: try catchUp(body))
    }

    static func inputData(_ body: [String: JSONValue]) throws -> [String: JSONValue]? {
        switch body["input_data"] {
        case nil, .null?: return nil
        case .object(let members)?:
            guard depth(.object(members)) <= maxInputDepth else {
                throw SandcastleAPIError(.unprocessableContent, "VALIDATION_ERROR", "`input_data` is nested deeper than \(maxInputDepth) levels")
            }
            let size = JSONValue.object(members).jsonText.utf8.count
            guard size <= maxInputBytes else {
                throw SandcastleAPIError(
                    .unprocessableContent, "VALIDATION_ERROR", "`input_data` is \(size) bytes as JSON; at most \(maxInputBytes) are accepted")
            }
            return members
        default: throw SandcastleAPIError(.unprocessableContent, "VALIDATION_ERROR", "`input_data` must be an object")
        }
    }

    static func catchUp(_ body: [String: JSONValue]) throws -> CatchUp? {
        guard let text = try optionalString(body, "catch_up") else { return nil }
        guard let value = CatchUp(rawValue: text) else {
            throw SandcastleAPIError(.unprocessableContent, "VALIDATION_ERROR", "`catch_up` must be once or skip")
        }
        return value
    }

    static func optionalBool(_ body: [String: JSONValue], _ key: String) throws -> Bool? {
        switch body[key] {
        case nil, .null?: return nil
        case .bool(let value)?: return value
        default: throw SandcastleAPIError(.unprocessableContent, "VALIDATION_ERROR", "`\(key)` must be true or false")
        }
    }

    /// Levels of objects and lists (a flat object is 1).
    static func depth(_ value: JSONValue) -> Int {
        switch value {
        case .object(let members): 1 + (members.values.map(depth).max() ?? 0)
        case .array(let items): 1 + (items.map(depth).max() ?? 0)
        default: 0
        }
    }
}
