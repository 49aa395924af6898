import Foundation
import Sandbox
import Store
import Workflow

extension WorkflowEngine {
    // MARK: - Scheduling

    struct Scheduled {
        var context: TemplateContext
        var failure: String?
        var cancelled: Bool
        /// Approval steps still waiting for a decision when nothing else could run (pause mode).
        var paused: Set<String> = []
        /// The run spent its budget; `cancelled` is set too (its steps were interrupted).
        var budgetExceeded = false
    }

    /// What a step's task reports back to the scheduler.
    struct StepCompletion: Sendable {
        var stepID: String
        var status: StepStatus
        var result: StepResult
        var duration: Duration
        var outputTail: String?
        /// The last attempt's record, not written yet: it commits with the step's result.
        var deferred: [RunChange] = []
        /// The backend(s) the step's last attempt(s) ran on, recorded on the step's row.
        var backend: String?
        /// The fan-out item whose failure failed the step (nil: the step itself, or not fanned out).
        var failedIndex: Int?
        /// What the store keeps when a policy redacted the output differently for storage; nil: `result.output`.
        var storedOutput: JSONValue?
        /// The approval a policy asks for before the output flows on (handled inside the step's job).
        var gate: PolicyVerdict.Gate?
        /// Alerts policies raised, reported once the step's result is committed.
        var alerts: [PolicyAlert] = []
    }

    func schedule(
        _ workflow: WorkflowDefinition, runID: String, context initial: TemplateContext,
        tracker initialTracker: DependencyTracker, runLimit: AsyncSemaphore,
        sessions: SessionSandboxes, ahead: StepSandboxes?, removals: RunRemovals, prior: PriorWork,
        budget: RunBudget? = nil
    ) async throws -> Scheduled {
        var tracker = initialTracker
        var context = initial
        var failure: String?
        var cancelled = false
        var budgetExceeded = false
        let router = self.router
        let repository = self.repository
        let configuration = self.configuration
        let globalLimit = self.globalLimit
        let onEvent = self.onEvent
        let privacy = self.privacy(for: workflow)
        let outputRedactor = privacy.detector(for: .outputs)

        var paused: Set<String> = []
        // `workflow.step(_:)` is a linear search; at thousands of steps that would dominate.
        let stepsByID = Dictionary(workflow.steps.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        // Compiled once per run, not per step: every regex is built here.
        let policies = RunPolicies(workflow)
        try await withThrowingTaskGroup(of: StepCompletion.self) { group in
            var running = 0
            // Approval steps whose decision is not in yet; the run shows `waiting_approval` while any is.
            var waiting: Set<String> = []
            while true {
                if Task.isCancelled && !cancelled {
                    cancelled = true
                    group.cancelAll()
                }
                // Start everything that is ready; `when: false` finishes at once and may make more ready.
                var startedSomething = true
                while startedSomething && !cancelled {
                    startedSomething = false
                    for id in tracker.readySteps {
                        guard let step = stepsByID[id] else { continue }
                        tracker.markStarted(id)
                        startedSomething = true
                        if let when = step.when {
                            let shouldRun: Bool
                            do throws(WorkflowError) {
                                shouldRun = try when.evaluate(in: context)
                            } catch {
                                let completion = StepCompletion(
                                    stepID: id, status: .failed,
                                    result: StepResult(output: .null, status: .failed, error: error.message),
                                    duration: .zero, outputTail: nil)
                                // A `when` that cannot be evaluated fails the step like any failure (a resume reads it so).
                                let deadLettered = Self.deadLetters(completion, step: step, workflow: workflow, budget: budget)
                                try self.record(
                                    completion, runID: runID,
                                    alongside: deadLettered
                                        ? deadLetterChanges(
                                            runID: runID, stepID: id, index: nil, error: error.message, attempts: 1, inputs: context.inputs)
                                        : [])
                                apply(
                                    completion, step: step, workflow: workflow, runID: runID, tracker: &tracker,
                                    context: &context, failure: &failure, deadLettered: deadLettered)
                                continue
                            }
                            if !shouldRun {
                                let completion = StepCompletion(
                                    stepID: id, status: .skipped,
                                    result: StepResult(output: .null, status: .skipped),
                                    duration: .zero, outputTail: nil)
                                try self.record(completion, runID: runID, reason: "when: \(when.source) is false")
                                apply(
                                    completion, step: step, workflow: workflow, runID: runID, tracker: &tracker,
                                    context: &context, failure: &failure)
                                continue
                            }
                        }
                        if step.kind == .approval {
                            switch try self.beginApproval(step, runID: runID, context: context, runWaits: waiting.isEmpty) {
                            case .finished(let completion):
                                try self.record(completion, runID: runID)
                                apply(
                                    completion, step: step, workflow: workflow, runID: runID, tracker: &tracker,
                                    context: &context, failure: &failure)
                            case .wait(let waiter, let isPending):
                                if isPending { waiting.insert(id) }
                                running += 1
                                group.addTask { await waiter.wait() }
                            }
                            continue
                        }
                        if step.kind == .subWorkflow {
                            let job = SubWorkflowJob(
                                parentRunID: runID, parentFile: workflow.file, step: step,
                                settings: workflow.settings(for: step),
                                context: Self.jobContext(context, for: step), router: router,
                                repository: repository, configuration: configuration,
                                globalLimit: globalLimit, depth: depth)
                            try persist {
                                try repository.write([
                                    .upsertStep(StepRecord(runID: runID, stepID: id, status: .running, attempt: 1, startedAt: Date())),
                                    .event(runID, .stepStarted(RunEvent.StepStarted(step: id, attempt: 1))),
                                ])
                            }
                            onEvent(.stepStarted(step: id, index: nil, attempt: 1))
                            running += 1
                            group.addTask { await job.execute() }
                            continue
                        }
                        let job = StepJob(
                            runID: runID, step: step, settings: workflow.settings(for: step),
                            context: Self.jobContext(context, for: step),
                            router: router, repository: repository, configuration: configuration,
                            globalLimit: globalLimit, runLimit: runLimit, sessions: sessions, ahead: ahead,
                            removals: removals, onEvent: onEvent, prior: prior.forStep(id), budget: budget,
                            defaultModel: workflow.defaults.model?.value, defaultMaxTurns: workflow.defaults.maxTurns?.value,
                            privacy: privacy, policies: policies.forStep(id))
                        running += 1
                        group.addTask { await job.execute() }
                    }
                }
                if running == 0 { break }
                let finished: StepCompletion?
                do {
                    finished = try await group.next()
                } catch {
                    // Step tasks do not throw; a cancelled wait means the run was cancelled.
                    cancelled = true
                    group.cancelAll()
                    continue
                }
                guard let finished else { break }
                // Before anything stores it or a dependent reads it (the privacy router's `outputs`).
                let completion = Self.redactingOutputs(finished, detector: outputRedactor)
                running -= 1
                if let budget, budget.isExceeded, !budgetExceeded {
                    // The step that spent the last of the budget ended on it; the others are interrupted.
                    budgetExceeded = true
                    cancelled = true
                    group.cancelAll()
                }
                if completion.status == .waitingApproval {
                    // Pause mode: the gate stays open (its step stays started) and the run ends paused
                    // once the other branches are done.
                    paused.insert(completion.stepID)
                    continue
                }
                if waiting.remove(completion.stepID) != nil && waiting.isEmpty && !cancelled && !tracker.isAborted {
                    try persist { try repository.updateRunStatus(id: runID, to: .running, at: Date(), error: nil) }
                }
                guard let step = stepsByID[completion.stepID] else { continue }
                var recorded = completion
                var deadLetter: [RunChange] = []
                let deadLettered = Self.deadLetters(completion, step: step, workflow: workflow, budget: budget)
                if deadLettered {
                    // Committed with the step's failure: a crash cannot separate the two.
                    deadLetter = deadLetterChanges(
                        runID: runID, stepID: step.id, index: completion.failedIndex, error: completion.result.error,
                        attempts: attemptsMade(completion, runID: runID), inputs: context.inputs)
                } else if completion.status == .failed, workflow.settings(for: step).onFailure == .skip {
                    // The docs promise `on_failure: skip` leaves the step itself `skipped` (with its error kept).
                    recorded.status = .skipped
                }
                try self.record(recorded, runID: runID, alongside: deadLetter)
                for alert in completion.alerts { onEvent(.policyAlert(runID: runID, alert: alert)) }
                // A step cancelled because another aborted the run does not make the run "cancelled".
                if completion.status == .cancelled && !tracker.isAborted { cancelled = true }
                apply(
                    completion, step: step, workflow: workflow, runID: runID, tracker: &tracker,
                    context: &context, failure: &failure, deadLettered: deadLettered)
                if tracker.isAborted { group.cancelAll() }
            }
        }
        if cancelled {
            // Steps that never started are cancelled with the run; persist that so nothing looks pending.
            for id in tracker.graph.ids where tracker.states[id] == .pending {
                try persist { try repository.upsertStep(StepRecord(runID: runID, stepID: id, status: .cancelled)) }
            }
        }
        return Scheduled(context: context, failure: failure, cancelled: cancelled, paused: paused, budgetExceeded: budgetExceeded)
    }

    /// The part of the run's context a step may read: inputs, run id, environment, and only the
    /// results of the steps it references (validation guarantees they are upstream). A job holding
    /// the whole result map would make every later update copy it (copy-on-write), which is
    /// quadratic over a large run.
    static func jobContext(_ context: TemplateContext, for step: StepDefinition) -> TemplateContext {
        var trimmed = context
        var steps: [String: StepResult] = [:]
        for (reference, _) in step.readReferences {
            if let id = reference.stepID, let result = context.steps[id] { steps[id] = result }
        }
        if step.kind == .agent || step.kind == .llm {
            // A prompt is also given the dependencies it does not reference ("Context from previous steps").
            for dependency in step.dependsOn { steps[dependency.value] = context.steps[dependency.value] }
        }
        trimmed.steps = steps
        return trimmed
    }

    enum ApprovalStart {
        /// The gate could not even be asked (a template failed): the step is over.
        case finished(StepCompletion)
        /// Wait for the decision; `isPending` is false when it is already in the store (resume).
        case wait(ApprovalWait, isPending: Bool)
    }

    /// Applies a finished step to the tracker and the template context (after it was persisted).
    /// A dead-lettered step goes on as `on_failure: continue` does, whatever its own says.
    func apply(
        _ completion: StepCompletion, step: StepDefinition, workflow: WorkflowDefinition, runID: String,
        tracker: inout DependencyTracker, context: inout TemplateContext, failure: inout String?, deadLettered: Bool = false
    ) {
        let outcome: DependencyTracker.Outcome
        var result = completion.result
        switch completion.status {
        case .completed: outcome = .completed
        case .skipped where completion.result.status == .skipped: outcome = .skipped
        case .skipped: outcome = .pruned
        case .cancelled: outcome = .failedAborting
        case .failed where deadLettered:
            outcome = .failedContinuing
            result = StepResult(output: .null, status: .failed, error: result.error, exitCode: result.exitCode)
        default:
            switch workflow.settings(for: step).onFailure {
            // A fallback is a last attempt inside the step's job: when that failed too, the run fails.
            case .abort, .fallback:
                outcome = .failedAborting
                failure = failure ?? "step `\(step.id)` failed: \(result.error ?? "unknown error")"
            case .skip:
                outcome = .pruned
                result = StepResult(output: .null, status: .skipped, error: result.error, exitCode: result.exitCode)
            case .continue:
                outcome = .failedContinuing
            }
        }
        context.steps[step.id] = result
        let (_, pruned) = tracker.markFinished(step.id, outcome)
        for id in pruned {
            context.steps[id] = StepResult(output: .null, status: .skipped)
            let reason = "skipped because `\(step.id)` failed with on_failure: skip"
            do {
                try persist {
                    try repository.upsertStep(StepRecord(runID: runID, stepID: id, status: .skipped, finishedAt: Date(), error: reason))
                    try repository.append(.stepSkipped(RunEvent.StepSkipped(step: id, reason: reason)), runID: runID)
                }
            } catch {
                // The run cannot be trusted to resume from state it failed to write: end it.
                failure = failure ?? "\(error)"
            }
            onEvent(.stepFinished(step: id, status: .skipped, duration: nil, error: reason, outputTail: nil))
        }
    }
}
