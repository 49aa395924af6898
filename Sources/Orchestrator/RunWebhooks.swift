import Engine
import EngineService
import Foundation
import Guardrails
import JSONValues
import Logging
import Store
import Webhooks
import Workflow

/// A submitted run's `callback_url`: checked at submission (SSRF rules, docs/webhooks.md) and
/// sent Sandcastle's signed body when the run ends or pauses at a gate. Each delivery, with every
/// attempt and its outcome, is recorded as the run's `webhook_delivered` event.
public struct RunWebhooks: Sendable {
    public let sender: WebhookSender

    /// The kind of the run event that records a delivery.
    public static let eventKind = "webhook_delivered"

    /// `WEBHOOK_SECRET` signs the bodies; `SANDCASTLE_WEBHOOK_ALLOW_PRIVATE_NETWORKS` (development
    /// only) lets callbacks reach loopback and private addresses.
    public static func fromEnvironment(_ environment: [String: String]) throws -> RunWebhooks {
        RunWebhooks(sender: WebhookSender(secret: WebhookSecret.fromEnvironment(environment), policy: try WebhookPolicy.fromEnvironment(environment)))
    }

    public init(sender: WebhookSender) {
        self.sender = sender
    }

    /// Refuses a URL the policy refuses, before the run is recorded.
    ///
    /// - Throws: ``OrchestratorError`` `invalidCallbackURL` naming why.
    func check(_ url: String) async throws {
        do {
            _ = try await CallbackURL.check(url, policy: sender.policy)
        } catch let error as WebhookError {
            throw OrchestratorError(.invalidCallbackURL, error.message)
        } catch {
            throw OrchestratorError(.invalidCallbackURL, "callback_url cannot be checked: \(error)")
        }
    }

    /// Checks the webhook URLs a workflow names itself (`on_complete.webhook`,
    /// `on_failure.webhook`), before a run of it is recorded.
    func check(_ workflow: WorkflowDefinition) async throws {
        for url in [workflow.onComplete?.webhook, workflow.onFailure?.webhook].compactMap({ $0?.value }) { try await check(url) }
    }

    /// Where a run's end goes, as Sandcastle sends it: the run's `callback_url`, else the
    /// workflow's `on_complete.webhook` when it completed; and its `on_failure.webhook` when it failed.
    static func targets(callback: String?, workflow: WorkflowDefinition?, status: RunStatus) -> [String] {
        var urls: [String] = []
        if let callback {
            urls.append(callback)
        } else if status == .completed, let url = workflow?.onComplete?.webhook?.value {
            urls.append(url)
        }
        if status == .failed, let url = workflow?.onFailure?.webhook?.value, !urls.contains(url) { urls.append(url) }
        return urls
    }

    /// Sends the run's state to each of its targets and records each delivery.
    func deliver(runID: String, runs: RunService, logger: Logger) async {
        guard let report = try? runs.report(id: runID) else { return }
        let run = report.detail.run
        let submission = try? runs.repository.submission(runID: runID)
        let workflow = run.workflowPath.flatMap { WorkflowLoader().load(path: $0).workflow }
        // The privacy router's `webhooks` target: the workflow's `privacy:`, else the server's.
        let redactor = (workflow?.privacy ?? runs.settings.privacy).detector(for: .webhooks)
        let policies = workflow.map(RunPolicies.init)
        for url in Self.targets(callback: submission?.callbackURL, workflow: workflow, status: run.status) {
            await deliver(report, to: url, redactor: redactor, policies: policies, runs: runs, logger: logger)
        }
    }

    private func deliver(
        _ report: RunService.RunReport, to url: String, redactor: PIIDetector?, policies: RunPolicies?, runs: RunService,
        logger: Logger
    ) async {
        let run = report.detail.run
        let runID = run.id
        let status = Self.apiStatus(run.status)
        var outputs: [String: JSONValue] = [:]
        for step in report.detail.steps where step.status == .completed && step.fanoutIndex == nil {
            let output = WorkflowEngine.recordedOutput(step) ?? .null
            // `redact` policies with `apply_to: webhooks` rewrite what the body carries of their step.
            outputs[step.stepID] = policies?.redactingWebhook(output, step: step.stepID) ?? output
        }
        let duration = run.startedAt.map { (run.finishedAt ?? Date()).timeIntervalSince($0) } ?? 0
        var body: JSONValue = .object(outputs)
        var error = run.error
        if let redactor {
            body = body.redactingPII(with: redactor).value
            error = error.map { redactor.redact($0).text }
        }
        let payload = WebhookPayload(
            event: .forRunStatus(status), runID: runID, workflow: run.workflowName, status: status, outputs: body,
            totalCostUSD: report.usage().pricedCostUSD, durationSeconds: duration, error: error)
        await send(payload, to: url, runID: runID, runs: runs, logger: logger)
    }

    /// Sends `payload` and records the delivery as the run's `webhook_delivered` event.
    func send(_ payload: WebhookPayload, to url: String, runID: String, runs: RunService, logger: Logger) async {
        let record = await sender.deliver(payload, to: url)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        let json = (try? encoder.encode(record)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        do {
            try runs.repository.appendEvent(runID: runID, kind: Self.eventKind, payloadJSON: json)
        } catch {
            logger.error("the webhook delivery of run \(runID) could not be recorded: \(error)")
        }
        logger.notice(
            "webhook delivered", metadata: ["run": .string(runID), "outcome": .string(record.outcome.rawValue), "event": .string(payload.event.rawValue)])
    }

    /// The API's spelling of a run status.
    static func apiStatus(_ status: RunStatus) -> String {
        switch status {
        case .pending: "queued"
        case .waitingApproval: "awaiting_approval"
        default: status.rawValue
        }
    }
}
