import Store
import Workflow

/// What a resumed run already did inside the steps it runs again: fan-out items that completed
/// (they never run again; their results stand) and how many attempts each step or item has
/// recorded (new attempts are numbered after them: the attempt history is append-only).
struct PriorWork: Sendable {
    /// Completed items of unfinished fan-out steps, by step and index.
    var completedItems: [String: [Int: StepJob.ItemResult]] = [:]
    /// The highest attempt recorded, by step and item (nil index: the step itself).
    var lastAttempts: [String: [Int?: Int]] = [:]
    /// Steps a policy's approval gate held, with the output they produced (``StepJob/resumedAtGate()``).
    var heldAtGate: [String: StepJob.ItemResult] = [:]

    init() {}

    /// Read from the run's step and item rows; `finished` are the steps whose results stand whole.
    init(runID: String, records: [StepRecord], finished: Set<String>, repository: any RunRepository) throws {
        for record in records where !finished.contains(record.stepID) {
            let attempts = try repository.attempts(runID: runID, stepID: record.stepID, fanoutIndex: record.fanoutIndex)
            if let last = attempts.map(\.attempt).max() {
                lastAttempts[record.stepID, default: [:]][record.fanoutIndex] = last
            }
            if record.fanoutIndex == nil, record.status == .waitingApproval, let output = WorkflowEngine.recordedOutput(record) {
                heldAtGate[record.stepID] = StepJob.ItemResult(
                    status: .completed, output: output, exitCode: record.exitCode, backend: record.backend)
            }
            guard let index = record.fanoutIndex, record.status == .completed,
                let output = WorkflowEngine.recordedOutput(record)
            else { continue }
            completedItems[record.stepID, default: [:]][index] = StepJob.ItemResult(
                status: .completed, output: output, exitCode: record.exitCode, backend: record.backend)
        }
    }

    /// What step `id`'s job needs.
    func forStep(_ id: String) -> StepJob.Prior {
        StepJob.Prior(completedItems: completedItems[id] ?? [:], lastAttempts: lastAttempts[id] ?? [:], heldAtGate: heldAtGate[id])
    }
}
