import Engine
import Foundation
import Hummingbird
import JSONValues
import Orchestrator
import ServerCore
import Store

/// Sandcastle's approvals under `/api/approvals`: list, get, approve (with `edited_data` when the
/// gate allows editing), reject, skip. An approval's id is `<run id>.<step id>` (run ids hold no
/// dot); a decision puts a paused run back in the queue.
extension SandcastleAPIController {
    func registerApprovals(_ routes: RouteTable) {
        let orchestrator = self.orchestrator
        routes.add(.get, "\(Self.prefix)/approvals", native: false) { request, context in
            let caller = try Self.caller(context)
            let parameters = Dictionary(
                request.uri.queryParameters.map { (String($0.key), String($0.value)) }, uniquingKeysWith: { first, _ in first })
            var statuses: Set<ApprovalStatus>?
            if let status = parameters["status"], !status.isEmpty {
                guard ["pending", "approved", "rejected", "skipped", "timed_out", "cancelled"].contains(status) else {
                    throw SandcastleAPIError(.badRequest, "INVALID_STATUS", "unknown approval status '\(status.prefix(64))'")
                }
                statuses = [ApprovalStatus(rawValue: status)]
            }
            let limit = try Self.integer(parameters["limit"], "limit", in: 1...200) ?? 50
            let offset = try Self.integer(parameters["offset"], "offset", in: 0...Int(Int32.max)) ?? 0
            // Pending first (the ones waiting for someone), then newest first.
            let all = try orchestrator.runs.repository.approvals(runID: nil, statuses: statuses).filter {
                caller.isAdmin || orchestrator.isVisible(runID: $0.runID, to: caller.tenantID)
            }.sorted {
                ($0.status == .pending ? 0 : 1, $1.requestedAt) < ($1.status == .pending ? 0 : 1, $0.requestedAt)
            }
            return SandcastleEnvelope.page(
                all.dropFirst(offset).prefix(limit).map(Self.approvalJSON), total: all.count, limit: limit, offset: offset)
        }
        routes.add(.get, "\(Self.prefix)/approvals/:id", native: false) { _, context in
            let (runID, stepID) = try Self.visibleApprovalID(context, orchestrator: orchestrator)
            guard let approval = try orchestrator.runs.repository.approval(runID: runID, stepID: stepID) else {
                throw OrchestratorError(.approvalNotFound, "no approval \(runID).\(stepID)")
            }
            return SandcastleEnvelope.ok(Self.approvalJSON(approval))
        }
        for (verb, field) in [("approve", "approved"), ("reject", "rejected"), ("skip", "skipped")] {
            routes.add(.post, "\(Self.prefix)/approvals/:id/\(verb)", native: false) { request, context in
                let (runID, stepID) = try Self.visibleApprovalID(context, orchestrator: orchestrator)
                // The body is optional (the SDK sends none when there is nothing to say).
                let body = try SandcastleRequestLimits.object(try await HTTP.body(request, limit: Self.maxBodyBytes), allowEmpty: true)
                let comment = try Self.optionalString(body, "comment") ?? Self.optionalString(body, "reason")
                let decision: ApprovalDecision
                switch verb {
                case "approve":
                    let edited = body["edited_data"].flatMap { $0 == .null ? nil : $0 }
                    decision = .approve(data: edited)
                case "reject": decision = .reject
                default: decision = .skip
                }
                let record = try await orchestrator.decide(decision, runID: runID, stepID: stepID, by: context.apiKeyID, comment: comment)
                return SandcastleEnvelope.ok([
                    .init(stringLiteral: field): true, "approval_id": .string("\(record.runID).\(record.stepID)"), "run_id": .string(record.runID),
                ])
            }
        }
    }

    /// The approval id of the path, whose run the caller must be allowed to see: another
    /// tenant's gate is not found, as one that does not exist.
    static func visibleApprovalID(_ context: ServerRequestContext, orchestrator: Orchestrator) throws -> (run: String, step: String) {
        let (runID, stepID) = try approvalID(context)
        guard orchestrator.isVisible(runID: runID, to: try caller(context).tenantID) else {
            throw OrchestratorError(.approvalNotFound, "no approval \(runID).\(stepID)")
        }
        return (runID, stepID)
    }

    static func approvalID(_ context: ServerRequestContext) throws -> (run: String, step: String) {
        let id = context.parameters.get("id") ?? ""
        guard let dot = id.firstIndex(of: "."), dot != id.startIndex, id.index(after: dot) != id.endIndex, id.count <= 300 else {
            throw SandcastleAPIError(.badRequest, "INVALID_ID", "an approval id is <run id>.<step id>")
        }
        return (String(id[..<dot]), String(id[id.index(after: dot)...]))
    }

    /// Sandcastle's `ApprovalResponse`.
    static func approvalJSON(_ approval: ApprovalRecord) -> JSONValue {
        [
            "id": .string("\(approval.runID).\(approval.stepID)"), "run_id": .string(approval.runID), "step_id": .string(approval.stepID),
            "status": .string(approval.status.rawValue),
            "request_data": approval.requestJSON.flatMap { JSONValue.parse(json: $0) } ?? .null,
            "response_data": approval.responseJSON.flatMap { JSONValue.parse(json: $0) } ?? .null,
            "message": approval.message.map(JSONValue.string) ?? .null, "reviewer_id": approval.decidedBy.map(JSONValue.string) ?? .null,
            "reviewer_comment": approval.comment.map(JSONValue.string) ?? .null, "timeout_at": SandcastleEnvelope.timestamp(approval.timeoutAt),
            "on_timeout": .string(approval.onTimeout ?? "abort"), "allow_edit": .bool(approval.allowEdit),
            "created_at": SandcastleEnvelope.timestamp(approval.requestedAt), "resolved_at": SandcastleEnvelope.timestamp(approval.decidedAt),
        ]
    }
}
