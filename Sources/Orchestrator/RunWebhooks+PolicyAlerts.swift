import Engine
import EngineService
import Foundation
import JSONValues
import Logging
import Webhooks
import Workflow

/// An `alert` policy's webhook (issue 15 §1): sent when the alert is committed, to where the
/// run's end would go (its `callback_url`, else the workflow's `on_complete.webhook`), with
/// event `policy.alert` and the alert as `outputs`.
extension RunWebhooks {
    func deliverAlert(_ alert: PolicyAlert, runID: String, runs: RunService, logger: Logger) async {
        guard let detail = try? runs.repository.run(id: runID) else { return }
        let submission = try? runs.repository.submission(runID: runID)
        let workflow = detail.run.workflowPath.flatMap { WorkflowLoader().load(path: $0).workflow }
        guard let url = Self.targets(callback: submission?.callbackURL, workflow: workflow, status: .completed).first else { return }
        let outputs = JSONValue.parse(json: alert.payloadJSON) ?? .null
        let payload = WebhookPayload(
            event: .policyAlert, runID: runID, workflow: detail.run.workflowName, status: Self.apiStatus(detail.run.status), outputs: outputs)
        await send(payload, to: url, runID: runID, runs: runs, logger: logger)
    }
}
