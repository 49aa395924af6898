import Foundation
import Hummingbird
import JSONValues
import Orchestrator
import ServerCore
import Store

/// Policy violations (issue 15 §1) under `/api`, in Sandcastle's shapes: `GET /violations`
/// (filters `severity`, `policy_id`, `run_id`, `step_id`, `since`, `until`; `limit`/`offset`
/// with `meta`), `GET /violations/stats`, `GET /runs/{id}/violations`. A tenant key sees its own
/// runs' violations only; another tenant's run is 404.
extension SandcastleAPIController {
    static let violationSeverities: Set<String> = ["critical", "high", "medium", "low"]

    func registerViolations(_ routes: RouteTable) {
        let orchestrator = self.orchestrator
        routes.add(.get, "\(Self.prefix)/violations", native: false) { request, context in
            let query = try Self.violationQuery(request, tenant: try Self.tenant(of: context))
            let page = try orchestrator.violations(query)
            return SandcastleEnvelope.page(page.items.map(Self.violationJSON), total: page.total, limit: query.limit, offset: query.offset)
        }
        routes.add(.get, "\(Self.prefix)/violations/stats", native: false) { request, context in
            let query = try Self.violationQuery(request, tenant: try Self.tenant(of: context))
            if let runID = query.runID { try orchestrator.requireVisible(runID: runID, to: query.tenant) }
            return SandcastleEnvelope.ok(Self.violationStatsJSON(try orchestrator.violationStats(query)))
        }
        routes.add(.get, "\(Self.prefix)/runs/:id/violations", native: false) { request, context in
            let (id, caller) = try Self.visibleRunID(context, orchestrator: orchestrator)
            var query = try Self.violationQuery(request, tenant: caller.tenantID)
            query.runID = id
            let page = try orchestrator.violations(query)
            return SandcastleEnvelope.page(page.items.map(Self.violationJSON), total: page.total, limit: query.limit, offset: query.offset)
        }
    }

    static func violationQuery(_ request: Request, tenant: String?) throws -> ViolationQuery {
        let parameters = Dictionary(
            request.uri.queryParameters.map { (String($0.key), String($0.value)) }, uniquingKeysWith: { first, _ in first })
        var query = ViolationQuery(tenant: tenant)
        if let severity = parameters["severity"], !severity.isEmpty {
            guard violationSeverities.contains(severity) else {
                throw SandcastleAPIError(
                    .unprocessableContent, "VALIDATION_ERROR", "`severity` must be critical, high, medium or low, not '\(severity.prefix(32))'")
            }
            query.severity = severity
        }
        query.policyID = try identifier(parameters["policy_id"], "policy_id")
        query.runID = try identifier(parameters["run_id"], "run_id")
        query.stepID = try identifier(parameters["step_id"], "step_id")
        query.since = try date(parameters["since"], "since")
        query.until = try date(parameters["until"], "until")
        query.limit = try integer(parameters["limit"], "limit", in: 1...200) ?? 50
        query.offset = try integer(parameters["offset"], "offset", in: 0...Int(Int32.max)) ?? 0
        return query
    }

    /// A filter naming an id: 1–128 letters, digits, `-` and `_` (what ids are made of), else 400.
    static func identifier(_ text: String?, _ name: String) throws -> String? {
        guard let text, !text.isEmpty else { return nil }
        let allowed = { (byte: UInt8) in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || byte == 0x2D || byte == 0x5F
        }
        guard text.utf8.count <= 128, text.utf8.allSatisfy(allowed) else {
            throw SandcastleAPIError(.badRequest, "INVALID_ID", "`\(name)` is 1-128 letters, digits, '-' or '_'")
        }
        return text
    }

    /// Sandcastle's `PolicyViolationResponse`, plus the fan-out index and the masked match.
    static func violationJSON(_ record: ViolationRecord) -> JSONValue {
        var details: [String: JSONValue] = ["trigger": .string(record.trigger), "match_count": .integer(record.matchCount)]
        if let matched = record.matched { details["matched"] = .string(matched) }
        return [
            "id": .string(record.id), "run_id": .string(record.runID), "step_id": .string(record.stepID),
            "parallel_index": record.fanoutIndex.map(JSONValue.integer) ?? .null, "policy_id": .string(record.policyID),
            "severity": .string(record.severity), "trigger_details": .object(details), "action_taken": .string(record.action),
            "output_modified": .bool(record.outputModified), "created_at": SandcastleEnvelope.timestamp(record.createdAt),
        ]
    }

    static func violationStatsJSON(_ stats: ViolationStats) -> JSONValue {
        func counts(_ values: [String: Int]) -> JSONValue { .object(values.mapValues { .integer($0) }) }
        return [
            "total": .integer(stats.total), "by_severity": counts(stats.bySeverity), "by_policy": counts(stats.byPolicy),
            "by_action": counts(stats.byAction),
        ]
    }
}
