import Guardrails
import Workflow

/// The live events pass the process's secret scrubber before a view sees them, as their stored
/// copies do in the store (issue 15 §2). A chunk of live output is scrubbed on its own: a secret
/// split across two chunks shows in the live view, but never in what is stored or sent (the
/// step's whole output is scrubbed when it is recorded).
extension EngineEvent {
    /// `onEvent` behind the scrubber: what public engines hand their views.
    static func scrubbing(_ onEvent: @escaping @Sendable (EngineEvent) -> Void) -> @Sendable (EngineEvent) -> Void {
        { event in onEvent(event.scrubbed) }
    }

    /// This event with its free text scrubbed.
    var scrubbed: EngineEvent {
        switch self {
        case .runStarted, .stepStarted:
            return self
        case .attemptFailed(let step, let index, let attempt, let error, let outputTail, let willRetry, let retryDelay):
            return .attemptFailed(
                step: step, index: index, attempt: attempt, error: ScrubbingSystem.scrub(error),
                outputTail: ScrubbingSystem.scrub(outputTail), willRetry: willRetry, retryDelay: retryDelay)
        case .stepFinished(let step, let status, let duration, let error, let outputTail):
            return .stepFinished(
                step: step, status: status, duration: duration, error: error.map(ScrubbingSystem.scrub),
                outputTail: outputTail.map(ScrubbingSystem.scrub))
        case .stepOutput(let step, let index, let text):
            return .stepOutput(step: step, index: index, text: ScrubbingSystem.scrub(text))
        case .approvalRequested(let runID, let step, let message, let data, let timeoutAt):
            return .approvalRequested(
                runID: runID, step: step, message: ScrubbingSystem.scrub(message), data: data.map(Self.scrubbed),
                timeoutAt: timeoutAt)
        case .policyAlert(let runID, var alert):
            // The match is masked already; the policy's message is the workflow author's text.
            alert.message = alert.message.map(ScrubbingSystem.scrub)
            return .policyAlert(runID: runID, alert: alert)
        case .runFinished(let runID, let status, let error):
            return .runFinished(runID: runID, status: status, error: error.map(ScrubbingSystem.scrub))
        }
    }

    private static func scrubbed(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(let text): .string(ScrubbingSystem.scrub(text))
        case .array(let items): .array(items.map(scrubbed))
        case .object(let fields): .object(fields.mapValues(scrubbed))
        default: value
        }
    }
}
