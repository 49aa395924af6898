import Foundation
import Hummingbird
import JSONValues
import Orchestrator
import ServerCore
import Store

/// `GET /api/stats`, `DELETE /api/runs/{id}`, and the emergency stop under `/api/admin`.
extension SandcastleAPIController {
    func registerAdmin(_ routes: RouteTable) {
        let orchestrator = self.orchestrator
        routes.add(.get, "\(Self.prefix)/stats", native: false) { _, context in
            let caller = try Self.caller(context)
            let now = Date()
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
            let today = calendar.startOfDay(for: now)
            let thirtyDays = calendar.date(byAdding: .day, value: -29, to: today) ?? today
            let stats = try orchestrator.runs.repository.runStats(since: today, daysFrom: thirtyDays, tenant: caller.tenantID)
            return SandcastleEnvelope.ok([
                "total_runs_today": .integer(stats.runsSince), "success_rate": stats.successRate.map(JSONValue.number) ?? .null,
                "total_cost_today": .number(stats.costSinceUSD),
                "avg_duration_seconds": stats.averageDurationSeconds.map(JSONValue.number) ?? .null,
                "runs_by_day": .array(
                    stats.days.map {
                        [
                            "date": .string($0.date), "count": .integer($0.runs), "completed": .integer($0.completed), "failed": .integer($0.failed),
                            "cost_usd": .number($0.costUSD),
                        ]
                    }),
                "cost_by_workflow": .array(stats.costByWorkflow.map { ["workflow": .string($0.workflow), "cost_usd": .number($0.costUSD)] }),
            ])
        }
        routes.add(.delete, "\(Self.prefix)/runs/:id", native: false) { _, context in
            let id = try Self.visibleRunID(context, orchestrator: orchestrator).id
            let status = try orchestrator.run(id: id).detail.run.status
            guard status != .pending && status != .running else {
                throw OrchestratorError(.invalidStatus, "run \(id) is \(status == .pending ? "queued" : "running"); cancel it first")
            }
            guard try orchestrator.runs.repository.deleteRun(id: id) else { throw OrchestratorError(.runNotFound, "run \(id) not found") }
            return SandcastleEnvelope.ok(["deleted": true, "run_id": .string(id)])
        }
        routes.add(.post, "\(Self.prefix)/admin/emergency-stop", native: false) { _, context in
            _ = try Self.admin(context)
            let cancelled = try await orchestrator.emergencyStop()
            return SandcastleEnvelope.ok(["cancelled_count": .integer(cancelled), "active": true])
        }
        routes.add(.post, "\(Self.prefix)/admin/emergency-stop/reset", native: false) { _, context in
            _ = try Self.admin(context)
            try await orchestrator.resetEmergencyStop()
            return SandcastleEnvelope.ok(["active": false])
        }
    }
}
