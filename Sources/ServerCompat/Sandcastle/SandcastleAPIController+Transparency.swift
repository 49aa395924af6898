import EngineService
import Hummingbird
import Orchestrator
import ServerCore

/// `GET /api/runs/{id}/transparency-report`: what the run did with AI, for a reviewer (issue 15
/// §6). Visible to whoever may see the run (its tenant, or an admin).
extension SandcastleAPIController {
    func registerTransparency(_ routes: RouteTable) {
        let orchestrator = self.orchestrator
        routes.add(.get, "\(Self.prefix)/runs/:id/transparency-report", native: false) { _, context in
            let id = try Self.visibleRunID(context, orchestrator: orchestrator).id
            return SandcastleEnvelope.ok(try orchestrator.transparencyReport(runID: id).json)
        }
    }
}
