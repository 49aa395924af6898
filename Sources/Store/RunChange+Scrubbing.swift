import Guardrails

/// What the store writes passes the process's secret scrubber first (issue 15 §2): step outputs,
/// errors, run events (agent transcripts are `model_turn` events), dead letters' errors and
/// approvals' data (those two where their rows are written). Doing it here, at the one door every run write goes through, means no caller
/// can forget it; the scrubber is idempotent, so text a caller already scrubbed is unchanged.
///
/// Left as they are, on purpose: a run's inputs and fork changes (what the run needs to run,
/// also after a restart), ids, names and numbers.
extension RunChange {
    /// This change with its free text scrubbed.
    public var scrubbed: RunChange {
        switch self {
        case .createRun(var run):
            run.error = run.error.map(ScrubbingSystem.scrub)
            return .createRun(run)
        case .updateRunStatus(let id, let status, let time, let error):
            return .updateRunStatus(id: id, status: status, time: time, error: error.map(ScrubbingSystem.scrub))
        case .upsertStep(let step):
            return .upsertStep(step.scrubbed)
        case .recordAttempt(var attempt):
            attempt.error = attempt.error.map(ScrubbingSystem.scrub)
            return .recordAttempt(attempt)
        case .appendEvent(let runID, let kind, let payloadJSON, let time):
            return .appendEvent(runID: runID, kind: kind, payloadJSON: ScrubbingSystem.scrubJSON(payloadJSON), time: time)
        case .setRunOwner, .recordModelCall, .recordSubmission, .recordDeadLetter, .resolveDeadLetter, .appendAudit, .recordViolation:
            // Dead letters' error and reason are scrubbed where they are written, which the
            // repository's own `recordDeadLetter` and `resolveDeadLetter` share; an audit entry's
            // payload is made from fields the store scrubbed before it hashes them; a violation
            // holds its match masked already.
            return self
        }
    }
}

extension StepRecord {
    /// This step with its output and error scrubbed.
    public var scrubbed: StepRecord {
        var step = self
        step.outputJSON = outputJSON.map(ScrubbingSystem.scrubJSON)
        step.outputText = outputText.map(ScrubbingSystem.scrub)
        step.error = error.map(ScrubbingSystem.scrub)
        return step
    }
}
