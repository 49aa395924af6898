import Foundation
import Store
import Workflow

/// Dead letters (Sandcastle's `on_failure: {dead_letter: true}`): a step that failed for good
/// leaves an item with its error, the run's input and its attempts, and the run goes on as if the
/// step had `on_failure: continue` (its dependents run and read a null output). The item and its
/// `dead_lettered` event are part of the commit that records the step's failure, so no crash can
/// leave a failed step without its item, or an item without its step's failure; the store's
/// unique (run, step, index) key keeps a resumed run from adding a second one.
extension WorkflowEngine {
    /// Whether a failed step becomes a dead letter rather than doing what its `on_failure` says.
    /// A rejected approval gate fails its run, as in Sandcastle; a run past its budget ends
    /// `budget_exceeded` (Sandcastle checks the budget first, too).
    static func deadLetters(_ completion: StepCompletion, step: StepDefinition, workflow: WorkflowDefinition, budget: RunBudget?) -> Bool {
        completion.status == .failed && workflow.onFailure?.deadLetters == true && step.kind != .approval && budget?.isExceeded != true
    }

    /// The item for a step (or fan-out item) given up, and its event: changes to commit with the
    /// step's failure.
    func deadLetterChanges(
        runID: String, stepID: String, index: Int?, error: String?, attempts: Int, inputs: [String: JSONValue]
    ) -> [RunChange] {
        let item = DeadLetterRecord(
            runID: runID, stepID: stepID, parallelIndex: index, error: error, inputJSON: JSONValue.object(inputs).jsonText,
            attempts: attempts)
        return [
            .recordDeadLetter(item),
            .event(runID, .deadLettered(RunEvent.DeadLettered(step: stepID, index: index, item: item.id, error: error, attempts: attempts))),
        ]
    }

    /// How many attempts the step (the failed fan-out item) made: its last attempt's number,
    /// from the record that commits with the step, else from the store; at least 1.
    func attemptsMade(_ completion: StepCompletion, runID: String) -> Int {
        var last = 0
        for case .recordAttempt(let attempt) in completion.deferred where attempt.fanoutIndex == completion.failedIndex {
            last = max(last, attempt.attempt)
        }
        if last == 0 {
            let recorded = (try? repository.attempts(runID: runID, stepID: completion.stepID, fanoutIndex: completion.failedIndex)) ?? []
            last = recorded.map(\.attempt).max() ?? 0
        }
        return max(1, last)
    }

    /// The dead letter of a failed run (``EngineConfiguration/deadLettersFailedRuns``): its first
    /// failed step's (in the workflow's order), or the run's own (an empty step id) when it
    /// failed outside any step. Nothing for a run that did not fail, or a sub-workflow's run
    /// (its parent's step fails, and with it the parent run, which gets the item).
    func failedRunDeadLetter(
        _ runID: String, status: RunStatus, error: String?, workflow: WorkflowDefinition?, steps: [String: StepResult]
    ) -> [RunChange] {
        guard configuration.deadLettersFailedRuns, status == .failed, depth == 0 else { return [] }
        let failedStep = workflow?.steps.first { steps[$0.id]?.status == .failed }?.id
        var inputs: [String: JSONValue] = [:]
        if let run = try? repository.run(id: runID)?.run, case .object(let values)? = JSONValue.parse(json: run.inputsJSON) {
            inputs = values
        }
        var attempts = 1
        if let failedStep {
            let recorded = (try? repository.attempts(runID: runID, stepID: failedStep, fanoutIndex: nil)) ?? []
            attempts = max(1, recorded.map(\.attempt).max() ?? 1)
        }
        return deadLetterChanges(
            runID: runID, stepID: failedStep ?? "", index: nil, error: error, attempts: attempts, inputs: inputs)
    }
}
