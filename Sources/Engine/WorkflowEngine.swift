import Crypto
import Foundation
import RunnerClient
import RunnerProtocol
import Sandbox
import Store
import Workflow

/// Runs validated workflows on sandbox backends, persisting every state change in a
/// ``RunRepository`` before acting on it.
///
/// Backends: a ``BackendRouter`` picks the backend of every step attempt from the step's
/// `backend:` (see the router for `auto`, circuit breakers and per-backend limits); the backend
/// used is recorded with the attempt and the step.
///
/// Scheduling: a step starts as soon as its dependencies are done (``DependencyTracker``, no
/// layer barrier), bounded by a global limit shared by all runs of this engine and a per-run
/// limit. Each step (each fan-out item) gets a fresh sandbox mounting the run's workspace
/// volume, and the sandbox is destroyed after the step whatever happened.
///
/// `type: approval` steps pause their branch until a decision is in the store (see ``Approvals``);
/// the rest of the DAG goes on meanwhile.
///
/// `type: sub_workflow` steps run the child file as a run of its own; `session:` steps share a
/// sandbox kept for the run.
public actor WorkflowEngine {
    /// Where step attempts run.
    public let router: BackendRouter
    public let repository: any RunRepository
    public let configuration: EngineConfiguration
    /// Shared by every run of this engine (and of any engine given the same semaphore).
    public let globalLimit: AsyncSemaphore
    let onEvent: @Sendable (EngineEvent) -> Void
    /// How deeply this engine's runs nest as sub-workflows (0 for a top-level run).
    let depth: Int

    /// An engine with one backend, used for every step as `docker` (and `auto`); its circuit
    /// breaker never opens, since there is nowhere to fail over to.
    public init(backend: any SandboxBackend, repository: any RunRepository,
                configuration: EngineConfiguration = EngineConfiguration(),
                globalLimit: AsyncSemaphore = AsyncSemaphore(limit: 8),
                onEvent: @escaping @Sendable (EngineEvent) -> Void = { _ in }) {
        self.init(router: BackendRouter(single: backend), repository: repository, configuration: configuration,
                  globalLimit: globalLimit, depth: 0, onEvent: onEvent)
    }

    /// An engine routing steps across the router's backends.
    public init(router: BackendRouter, repository: any RunRepository,
                configuration: EngineConfiguration = EngineConfiguration(),
                globalLimit: AsyncSemaphore = AsyncSemaphore(limit: 8),
                onEvent: @escaping @Sendable (EngineEvent) -> Void = { _ in }) {
        self.init(router: router, repository: repository, configuration: configuration, globalLimit: globalLimit,
                  depth: 0, onEvent: onEvent)
    }

    init(router: BackendRouter, repository: any RunRepository, configuration: EngineConfiguration,
         globalLimit: AsyncSemaphore, depth: Int, onEvent: @escaping @Sendable (EngineEvent) -> Void = { _ in }) {
        self.router = router
        self.repository = repository
        self.configuration = configuration
        self.globalLimit = globalLimit
        self.depth = depth
        self.onEvent = onEvent
    }

    /// Where a run comes from, when it is not started by hand.
    public struct Lineage: Sendable {
        public var parentRunID: String
        public var step: String
        /// `sub_workflow` (a child run), `replay` or `fork`.
        public var kind: String

        public init(parentRunID: String, step: String, kind: String) {
            self.parentRunID = parentRunID
            self.step = step
            self.kind = kind
        }
    }

    /// A fresh run id: lowercase hex, valid in Docker volume and label names.
    public static func makeRunID() -> String {
        UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16).description
    }

    /// The shared workspace volume of a run.
    public static func workspaceName(runID: String) -> String { "sandcastle-run-\(runID)" }

    /// Runs `workflow` once to the end (or until the calling task is cancelled).
    ///
    /// - Returns: how the run ended; a failed or cancelled run is an outcome, not an error.
    /// - Throws: ``EngineError`` `.invalidInputs` before anything is stored, `.persistence` when
    ///   the repository fails (the run cannot go on durably).
    public func run(_ workflow: WorkflowDefinition, inputs: [String: InputValue] = [:],
                    runID: String = WorkflowEngine.makeRunID(), lineage: Lineage? = nil) async throws -> RunOutcome {
        let bound = InputBinder.bind(workflow, provided: inputs)
        let inputErrors = bound.diagnostics.filter { $0.severity == .error }
        guard inputErrors.isEmpty else {
            throw EngineError(.invalidInputs, inputErrors.map(\.description).joined(separator: "\n"))
        }
        let inputsJSON = JSONValue.object(bound.values).jsonText
        try persist {
            // One transaction: a run is recorded with all its steps or not at all.
            try repository.write([.createRun(RunRecord(id: runID, workflowName: workflow.name, workflowPath: workflow.file,
                                                       workflowHash: Self.contentHash(ofFile: workflow.file),
                                                       inputsJSON: inputsJSON, parentRunID: lineage?.parentRunID,
                                                       forkedFromStep: lineage?.step, lineageKind: lineage?.kind,
                                                       owner: configuration.owner))]
                                 + workflow.steps.map { .upsertStep(StepRecord(runID: runID, stepID: $0.id, status: .pending)) })
        }
        if let problem = Self.unsupportedFeature(in: workflow) ?? unroutableStep(in: workflow) {
            // Failing before the first sandbox is better than silently skipping a gate, or than
            // running half a workflow before the step whose backend is missing.
            try finishRun(runID, status: .failed, error: problem, steps: [:], outputs: [:])
            return RunOutcome(runID: runID, status: .failed, error: problem, steps: [:], outputs: [:])
        }
        try persist {
            try repository.write([.updateRunStatus(id: runID, status: .running, time: Date(), error: nil),
                                  .event(runID, "run_started", JSONValue.object(["workflow": .string(workflow.name)]).jsonText)])
        }
        onEvent(.runStarted(runID: runID, workflow: workflow.name))

        let context = TemplateContext(runID: runID, inputs: bound.values, environment: configuration.environment)
        return try await execute(workflow, runID: runID, context: context,
                                 tracker: DependencyTracker(graph: WorkflowGraph(workflow)))
    }

    /// Schedules the steps the tracker has not finished, then cleans up and records the end of the run.
    func execute(_ workflow: WorkflowDefinition, runID: String, context: TemplateContext,
                         tracker: DependencyTracker) async throws -> RunOutcome {
        let runLimit = AsyncSemaphore(limit: configuration.maxConcurrentStepsPerRun)
        let sessions = SessionSandboxes()
        let ahead = stepSandboxes(workflow, runID: runID, tracker: tracker)
        let removals = RunRemovals()
        let scheduled: Scheduled
        do {
            scheduled = try await schedule(workflow, runID: runID, context: context, tracker: tracker, runLimit: runLimit,
                                           sessions: sessions, ahead: ahead, removals: removals)
        } catch {
            await removals.waitForAll()
            await ahead?.close()
            await sessions.destroyAll()
            throw error
        }
        // None outlives the run's process (nor a pause): every sandbox goes before the workspace.
        await removals.waitForAll()
        await ahead?.close()
        await sessions.destroyAll()

        if !scheduled.paused.isEmpty && !scheduled.cancelled && scheduled.failure == nil {
            // Only approval gates are left: keep the workspace (later steps read it) and stop here.
            try persist {
                try repository.updateRunStatus(id: runID, to: .waitingApproval, at: Date(), error: nil)
                try repository.appendEvent(runID: runID, kind: "run_paused", payloadJSON: JSONValue.object([
                    "waiting_for": .array(scheduled.paused.sorted().map(JSONValue.string)),
                ]).jsonText)
            }
            onEvent(.runFinished(runID: runID, status: .waitingApproval, error: nil))
            return RunOutcome(runID: runID, status: .waitingApproval, error: nil, steps: scheduled.context.steps, outputs: [:])
        }

        // Kept for replays and forks, while no sandbox writes to it any more. Not for a cancelled
        // run: cancelling must end it promptly, and whoever cancelled removes what carries its label.
        if !scheduled.cancelled { await saveWorkspace(runID: runID) }
        if let removeWorkspace = configuration.removeWorkspace {
            // Every sandbox of the run is gone by now (each step destroys its own), so the volume is free.
            let name = Self.workspaceName(runID: runID)
            await Task.detached { await removeWorkspace(name) }.value
        }

        var status = RunStatus.completed
        var error: String?
        var outputs: [String: JSONValue] = [:]
        if scheduled.cancelled {
            status = .cancelled
            error = "the run was cancelled"
        } else if let failure = scheduled.failure {
            status = .failed
            error = failure
        } else {
            do {
                outputs = try workflow.resolveOutputs(in: scheduled.context)
            } catch {
                status = .failed
                outputs = [:]
                return try finishing(runID, status: status, error: "outputs: \(error.message)", context: scheduled.context)
            }
        }
        let (recorded, recordedError) = try finishRun(runID, status: status, error: error, steps: scheduled.context.steps,
                                                      outputs: outputs)
        return RunOutcome(runID: runID, status: recorded, error: recordedError, steps: scheduled.context.steps, outputs: outputs)
    }

    /// Continues an unfinished run (`pending`, `running` or `waiting_approval`, e.g. after the
    /// process was killed, or after a paused run's approval was decided) from its persisted state.
    ///
    /// Completed and skipped steps are not run again: their recorded outputs feed the templates of
    /// the steps that follow. Steps that failed with `on_failure: continue` stay failed; every other
    /// step (interrupted, cancelled, failed, never started) runs again with fresh attempts.
    /// Sandboxes left over by the dead process must be removed by the caller first (they carry the
    /// ``EngineLabels/run`` label); the run's workspace volume is kept, since later steps read it.
    ///
    /// - Throws: ``EngineError`` `.notResumable` for an unknown or finished run, or when the
    ///   workflow file's content no longer matches the hash recorded at the start of the run;
    ///   `.persistence` when the repository fails.
    public func resume(runID: String, workflow: WorkflowDefinition) async throws -> RunOutcome {
        let found: RunDetail?
        do {
            found = try repository.run(id: runID)
        } catch {
            throw EngineError(.persistence, "cannot read run \(runID): \(error)", cause: error)
        }
        guard let detail = found else { throw EngineError(.notResumable, "no run \(runID)") }
        let run = detail.run
        guard Self.resumableStatuses.contains(run.status) else {
            throw EngineError(.notResumable,
                              "run \(runID) is \(run.status); only pending, running or waiting_approval runs can be resumed")
        }
        if let recorded = run.workflowHash {
            // Steps already done ran the old file; mixing them with a changed one would be a different run.
            guard Self.contentHash(ofFile: workflow.file) == recorded else {
                throw EngineError(.notResumable,
                                  "the workflow file \(workflow.file) changed since run \(runID) started; it cannot be resumed")
            }
        }
        // A fork runs its file with changes to one step; they are recorded with the run.
        let workflow = try Self.effectiveWorkflow(workflow, for: run)
        if let problem = Self.unsupportedFeature(in: workflow) {
            throw EngineError(.notResumable, problem)
        }
        if let problem = unroutableStep(in: workflow) {
            // Left resumable: once the backend is configured, the run can go on.
            throw EngineError(.backendUnavailable, problem)
        }
        var inputs: [String: JSONValue] = [:]
        if case .object(let values)? = JSONValue.parse(json: run.inputsJSON) { inputs = values }

        var context = TemplateContext(runID: runID, inputs: inputs, environment: configuration.environment)
        var tracker = DependencyTracker(graph: WorkflowGraph(workflow))
        let stepsByID = Dictionary(workflow.steps.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for record in detail.steps where record.fanoutIndex == nil {
            guard let step = stepsByID[record.stepID],
                  let prior = Self.priorResult(record, step: step, workflow: workflow) else { continue }
            context.steps[record.stepID] = prior.1
            let (_, pruned) = tracker.markFinished(record.stepID, prior.0)
            for id in pruned where context.steps[id] == nil {
                context.steps[id] = StepResult(output: .null, status: .skipped)
            }
        }
        try persist {
            try repository.write([.setRunOwner(id: runID, owner: configuration.owner)])
            try repository.updateRunStatus(id: runID, to: .running, at: Date(), error: nil)
            try repository.appendEvent(runID: runID, kind: "run_resumed", payloadJSON: JSONValue.object([
                "workflow": .string(workflow.name),
                "finished_steps": .array(context.steps.keys.sorted().map(JSONValue.string)),
            ]).jsonText)
        }
        onEvent(.runStarted(runID: runID, workflow: workflow.name))
        return try await execute(workflow, runID: runID, context: context, tracker: tracker)
    }

    /// The run states `resume` accepts.
    public static let resumableStatuses: Set<RunStatus> = [.pending, .running, .waitingApproval]

    /// Unfinished runs no live process is executing, oldest first: what a restarted service (or
    /// `sandcastle runs resume --all`) should resume. Sub-workflow runs are left out: resuming their
    /// parent starts them again.
    public static func orphanedRuns(in repository: any RunRepository, includingSubWorkflows: Bool = false) throws -> [RunRecord] {
        try repository.listRuns(RunQuery(statuses: resumableStatuses, limit: 10_000))
            .filter { run in
                (includingSubWorkflows || run.lineageKind != "sub_workflow") && !(run.owner.map(ProcessOwner.isAlive) ?? false)
            }
            .reversed()
    }

    /// How a persisted step counts on resume, or nil when it has to run (again).
    static func priorResult(_ record: StepRecord, step: StepDefinition,
                            workflow: WorkflowDefinition) -> (DependencyTracker.Outcome, StepResult)? {
        switch record.status {
        case .completed:
            let output: JSONValue
            if let path = record.outputPath {
                // A large output lives in a file; without it the step's result is unknown and it runs again.
                guard let data = FileManager.default.contents(atPath: path) else { return nil }
                let text = String(decoding: data, as: UTF8.self)
                output = path.hasSuffix(".json") ? (JSONValue.parse(json: text) ?? .string(text)) : .string(text)
            } else if let json = record.outputJSON {
                output = JSONValue.parse(json: json) ?? .string(json)
            } else {
                output = record.outputText.map(JSONValue.string) ?? .null
            }
            return (.completed, StepResult(output: output, status: .completed, exitCode: record.exitCode))
        case .skipped:
            // `when: false` lets dependents run; anything else skipped (on_failure: skip) prunes them.
            let byCondition = (record.error?.hasPrefix("when:") ?? false)
                || (record.error?.hasPrefix(ApprovalWait.timedOutPrefix) ?? false)
            return (byCondition ? .skipped : .pruned,
                    StepResult(output: .null, status: .skipped, error: byCondition ? nil : record.error,
                               exitCode: record.exitCode))
        case .failed where workflow.settings(for: step).onFailure == .continue:
            return (.failedContinuing, StepResult(output: .null, status: .failed, error: record.error, exitCode: record.exitCode))
        default:
            return nil
        }
    }

    /// The SHA-256 of a workflow file's bytes (`sha256:` and hex), recorded with each run so
    /// `resume` notices an edited file; nil when the file cannot be read.
    public static func contentHash(ofFile path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return "sha256:" + SHA256.hash(data: data).hex
    }

    private func finishing(_ runID: String, status: RunStatus, error: String, context: TemplateContext) throws -> RunOutcome {
        try finishRun(runID, status: status, error: error, steps: context.steps, outputs: [:])
        return RunOutcome(runID: runID, status: status, error: error, steps: context.steps, outputs: [:])
    }

    /// Records the end of a run and returns the status and error it was recorded with.
    @discardableResult
    private func finishRun(_ runID: String, status requested: RunStatus, error requestedError: String?,
                           steps: [String: StepResult], outputs: [String: JSONValue]) throws -> (RunStatus, String?) {
        var status = requested
        var error = requestedError
        if requested != .completed, let stored = try? repository.run(id: runID)?.run, stored.status == .cancelled {
            // `sandcastle runs cancel` from another process removed the sandboxes under this one;
            // the failures that followed are its consequence, not the run's outcome.
            status = .cancelled
            error = stored.error ?? error
        }
        if status != .completed {
            // A gate nobody answered before the run ended must not show as still waiting.
            let pending = (try? repository.approvals(runID: runID, statuses: [.pending])) ?? []
            for approval in pending {
                _ = try? repository.decideApproval(runID: runID, stepID: approval.stepID, status: .cancelled, decidedBy: nil,
                                                   comment: "the run \(status)", responseJSON: nil, at: Date())
            }
        }
        var payload: [String: JSONValue] = ["status": .string(status.rawValue), "outputs": .object(outputs)]
        if let error { payload["error"] = .string(error) }
        try persist {
            try repository.appendEvent(runID: runID, kind: "run_finished", payloadJSON: JSONValue.object(payload).jsonText)
            try repository.updateRunStatus(id: runID, to: status, at: Date(), error: error)
        }
        onEvent(.runFinished(runID: runID, status: status, error: error))
        return (status, error)
    }

    /// The first feature of `workflow` the engine cannot run, as a message for the user.
    static func unsupportedFeature(in workflow: WorkflowDefinition) -> String? {
        for step in workflow.steps {
            if step.kind != .run && step.kind != .approval && step.kind != .subWorkflow {
                return "step `\(step.id)` (\(step.location)): `type: \(step.kind)` steps are not supported by the engine yet"
            }
        }
        return nil
    }

    /// The first step that names a backend this engine has not configured (e.g. `backend: e2b`
    /// without `E2B_API_KEY`), said with where the name was written; nil when every step can run.
    func unroutableStep(in workflow: WorkflowDefinition) -> String? {
        let available = router.available
        for step in workflow.steps where step.kind == .run {
            let backend = workflow.settings(for: step).backend
            guard !available.contains(backend) else { continue }
            let written = step.sandbox.backend?.location ?? workflow.defaults.backend?.location ?? step.location
            let configured = router.entries.map(\.name.rawValue).joined(separator: ", ")
            let hint = backend == .e2b ? " (set E2B_API_KEY, and E2B_API_URL / E2B_DOMAIN for a self-hosted E2B)" : ""
            return "step `\(step.id)` (\(written)) runs on backend `\(backend)`, which is not configured\(hint); "
                + "configured: \(configured)"
        }
        return nil
    }

    // MARK: - Scheduling

    private struct Scheduled {
        var context: TemplateContext
        var failure: String?
        var cancelled: Bool
        /// Approval steps still waiting for a decision when nothing else could run (pause mode).
        var paused: Set<String> = []
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
    }

    private func schedule(_ workflow: WorkflowDefinition, runID: String, context initial: TemplateContext,
                          tracker initialTracker: DependencyTracker, runLimit: AsyncSemaphore,
                          sessions: SessionSandboxes, ahead: StepSandboxes?, removals: RunRemovals) async throws -> Scheduled {
        var tracker = initialTracker
        var context = initial
        var failure: String?
        var cancelled = false
        let router = self.router
        let repository = self.repository
        let configuration = self.configuration
        let globalLimit = self.globalLimit
        let onEvent = self.onEvent

        var paused: Set<String> = []
        // `workflow.step(_:)` is a linear search; at thousands of steps that would dominate.
        let stepsByID = Dictionary(workflow.steps.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
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
                                let completion = StepCompletion(stepID: id, status: .failed,
                                                                result: StepResult(output: .null, status: .failed, error: error.message),
                                                                duration: .zero, outputTail: nil)
                                try self.record(completion, runID: runID)
                                apply(completion, step: step, workflow: workflow, runID: runID, tracker: &tracker,
                                      context: &context, failure: &failure)
                                continue
                            }
                            if !shouldRun {
                                let completion = StepCompletion(stepID: id, status: .skipped,
                                                                result: StepResult(output: .null, status: .skipped),
                                                                duration: .zero, outputTail: nil)
                                try self.record(completion, runID: runID, reason: "when: \(when.source) is false")
                                apply(completion, step: step, workflow: workflow, runID: runID, tracker: &tracker,
                                      context: &context, failure: &failure)
                                continue
                            }
                        }
                        if step.kind == .approval {
                            switch try self.beginApproval(step, runID: runID, context: context, runWaits: waiting.isEmpty) {
                            case .finished(let completion):
                                try self.record(completion, runID: runID)
                                apply(completion, step: step, workflow: workflow, runID: runID, tracker: &tracker,
                                      context: &context, failure: &failure)
                            case .wait(let waiter, let isPending):
                                if isPending { waiting.insert(id) }
                                running += 1
                                group.addTask { await waiter.wait() }
                            }
                            continue
                        }
                        if step.kind == .subWorkflow {
                            let job = SubWorkflowJob(parentRunID: runID, parentFile: workflow.file, step: step,
                                                     settings: workflow.settings(for: step),
                                                     context: Self.jobContext(context, for: step), router: router,
                                                     repository: repository, configuration: configuration,
                                                     globalLimit: globalLimit, depth: depth)
                            try persist {
                                try repository.write([
                                    .upsertStep(StepRecord(runID: runID, stepID: id, status: .running, attempt: 1, startedAt: Date())),
                                    .event(runID, "step_started", JSONValue.object(["step": .string(id), "attempt": .integer(1)]).jsonText),
                                ])
                            }
                            onEvent(.stepStarted(step: id, index: nil, attempt: 1))
                            running += 1
                            group.addTask { await job.execute() }
                            continue
                        }
                        let job = StepJob(runID: runID, step: step, settings: workflow.settings(for: step),
                                          context: Self.jobContext(context, for: step),
                                          router: router, repository: repository, configuration: configuration,
                                          globalLimit: globalLimit, runLimit: runLimit, sessions: sessions, ahead: ahead,
                                          removals: removals, onEvent: onEvent)
                        running += 1
                        group.addTask { await job.execute() }
                    }
                }
                if running == 0 { break }
                let completion: StepCompletion?
                do {
                    completion = try await group.next()
                } catch {
                    // Step tasks do not throw; a cancelled wait means the run was cancelled.
                    cancelled = true
                    group.cancelAll()
                    continue
                }
                guard let completion else { break }
                running -= 1
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
                if completion.status == .failed, workflow.settings(for: step).onFailure == .skip {
                    // The docs promise `on_failure: skip` leaves the step itself `skipped` (with its error kept).
                    recorded.status = .skipped
                }
                try self.record(recorded, runID: runID)
                // A step cancelled because another aborted the run does not make the run "cancelled".
                if completion.status == .cancelled && !tracker.isAborted { cancelled = true }
                apply(completion, step: step, workflow: workflow, runID: runID, tracker: &tracker,
                      context: &context, failure: &failure)
                if tracker.isAborted { group.cancelAll() }
            }
        }
        if cancelled {
            // Steps that never started are cancelled with the run; persist that so nothing looks pending.
            for id in tracker.graph.ids where tracker.states[id] == .pending {
                try persist { try repository.upsertStep(StepRecord(runID: runID, stepID: id, status: .cancelled)) }
            }
        }
        return Scheduled(context: context, failure: failure, cancelled: cancelled, paused: paused)
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
        trimmed.steps = steps
        return trimmed
    }

    private enum ApprovalStart {
        /// The gate could not even be asked (a template failed): the step is over.
        case finished(StepCompletion)
        /// Wait for the decision; `isPending` is false when it is already in the store (resume).
        case wait(ApprovalWait, isPending: Bool)
    }

    /// Records an approval request (or finds the one recorded before a restart) and reports it.
    /// While it is pending, the step's `waiting_approval` state, its event and (with `runWaits`,
    /// for the first gate the run waits at) the run's status commit with it in one transaction.
    private func beginApproval(_ step: StepDefinition, runID: String, context: TemplateContext,
                               runWaits: Bool) throws -> ApprovalStart {
        let config = step.configuration(as: ApprovalStepConfiguration.self)
            ?? ApprovalStepConfiguration(message: Template(literal: "Approve `\(step.id)` to continue.", location: step.location))
        let message: String
        let data: JSONValue?
        do throws(WorkflowError) {
            message = try TemplateRenderer.renderString(config.message, context: context)
            data = try config.showData.map { template throws(WorkflowError) in
                try TemplateRenderer.resolveValue(template, context: context)
            }
        } catch {
            return .finished(StepCompletion(stepID: step.id, status: .failed,
                                            result: StepResult(output: .null, status: .failed, error: error.message),
                                            duration: .zero, outputTail: nil))
        }
        let now = Date()
        let timeoutAt = config.timeout.map { now.addingTimeInterval(Self.seconds($0)) }
        var stored = ApprovalRecord(runID: runID, stepID: step.id, message: message, requestJSON: data?.jsonText,
                                    onTimeout: config.onTimeout.rawValue, allowEdit: config.allowEdit,
                                    requestedAt: now, timeoutAt: timeoutAt)
        try persist {
            // Made from the stored request: one kept from before a restart keeps its first time and deadline.
            stored = try repository.requestApproval(stored) { pending in
                var payload: [String: JSONValue] = ["step": .string(step.id), "message": .string(message)]
                if let data { payload["data"] = data }
                if let timeoutAt = pending.timeoutAt { payload["timeout_at"] = .string(ISO8601DateFormatter().string(from: timeoutAt)) }
                var changes: [RunChange] = [
                    .upsertStep(StepRecord(runID: runID, stepID: step.id, status: .waitingApproval, startedAt: pending.requestedAt)),
                    .event(runID, "approval_requested", JSONValue.object(payload).jsonText),
                ]
                if runWaits { changes.append(.updateRunStatus(id: runID, status: .waitingApproval, time: Date(), error: nil)) }
                return changes
            }
        }
        if stored.status == .pending {
            onEvent(.approvalRequested(runID: runID, step: step.id, message: stored.message ?? message,
                                       data: stored.requestJSON.flatMap { JSONValue.parse(json: $0) }, timeoutAt: stored.timeoutAt))
        }
        let waiter = ApprovalWait(runID: runID, stepID: step.id, timeoutAt: stored.timeoutAt, repository: repository,
                                  pollInterval: configuration.approvalPollInterval,
                                  pauseInstead: !configuration.waitForApprovals)
        return .wait(waiter, isPending: stored.status == .pending)
    }

    static func seconds(_ duration: Duration) -> TimeInterval {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// Applies a finished step to the tracker and the template context (after it was persisted).
    private func apply(_ completion: StepCompletion, step: StepDefinition, workflow: WorkflowDefinition, runID: String,
                       tracker: inout DependencyTracker, context: inout TemplateContext, failure: inout String?) {
        let outcome: DependencyTracker.Outcome
        var result = completion.result
        switch completion.status {
        case .completed: outcome = .completed
        case .skipped where completion.result.status == .skipped: outcome = .skipped
        case .skipped: outcome = .pruned
        case .cancelled: outcome = .failedAborting
        default:
            switch workflow.settings(for: step).onFailure {
            case .abort:
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
                    _ = try repository.appendEvent(runID: runID, kind: "step_skipped",
                                                   payloadJSON: JSONValue.object(["step": .string(id), "reason": .string(reason)]).jsonText)
                }
            } catch {
                // The run cannot be trusted to resume from state it failed to write: end it.
                failure = failure ?? "\(error)"
            }
            onEvent(.stepFinished(step: id, status: .skipped, duration: nil, error: reason, outputTail: nil))
        }
    }

    /// Persists a step's final state and its event, then reports it.
    private func record(_ completion: StepCompletion, runID: String, reason: String? = nil) throws {
        let status = completion.status
        let output = completion.result.output
        var payload: [String: JSONValue] = ["step": .string(completion.stepID), "status": .string(status.rawValue),
                                            "duration_ms": .integer(Self.milliseconds(completion.duration))]
        if let error = completion.result.error { payload["error"] = .string(error) }
        if let reason { payload["reason"] = .string(reason) }
        if let tail = completion.outputTail, !tail.isEmpty { payload["output_tail"] = .string(tail) }
        let stored = try Self.storedOutput(output, runID: runID, name: completion.stepID, configuration: configuration)
        let (outputJSON, outputText, outputPath) = (stored.json, stored.text, stored.path)
        if let outputPath {
            payload["output_path"] = .string(outputPath)
        } else if status == .completed {
            payload["output"] = output
        }
        try persist {
            // The step's result and its event commit together: the checkpoint after every step.
            try repository.write(completion.deferred + [
                .upsertStep(StepRecord(
                    runID: runID, stepID: completion.stepID, status: status, backend: completion.backend,
                    exitCode: completion.result.exitCode, outputJSON: outputJSON, outputText: outputText, outputPath: outputPath, finishedAt: Date(),
                    error: completion.result.error ?? reason)),
                .event(runID, "step_finished", JSONValue.object(payload).jsonText),
            ])
        }
        onEvent(.stepFinished(step: completion.stepID, status: status, duration: completion.duration,
                              error: completion.result.error ?? reason, outputTail: completion.outputTail))
    }

    /// How an output is kept in a step row: JSON or text inline, or, above the inline limit (when
    /// there is a data folder), in full in a file named after `name` with its head inline.
    static func storedOutput(_ output: JSONValue, runID: String, name: String,
                             configuration: EngineConfiguration) throws -> (json: String?, text: String?, path: String?) {
        let text: String? = if case .string(let value) = output { value } else { nil }
        let json: String? = if case .string = output { nil } else if output == .null { nil } else { output.jsonText }
        let full = json ?? text ?? ""
        guard full.utf8.count > configuration.inlineOutputLimit, let dataDirectory = configuration.dataDirectory else {
            return (json, text, nil)
        }
        let path = RunFiles(dataDirectory: dataDirectory).outputFile(runID, step: name, json: json != nil)
        do {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try Data(full.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw EngineError(.persistence, "cannot write the output of `\(name)` to \(path): \(error)", cause: error)
        }
        return (nil, head(of: full, bytes: configuration.inlineOutputLimit), path)
    }

    /// At most `bytes` bytes of `text`, cut at a character boundary.
    static func head(of text: String, bytes: Int) -> String {
        var result = ""
        var used = 0
        for character in text {
            let size = character.utf8.count
            if used + size > bytes { break }
            result.append(character)
            used += size
        }
        return result
    }

    private func persist(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch {
            throw EngineError(.persistence, "cannot record the run's state: \(error)", cause: error)
        }
    }

    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }

    // MARK: - One step

    /// Everything a step's task needs, copied out of the actor so steps run in parallel.
    private struct StepJob: Sendable {
        var runID: String
        var step: StepDefinition
        var settings: ResolvedStepSettings
        var context: TemplateContext
        var router: BackendRouter
        var repository: any RunRepository
        var configuration: EngineConfiguration
        var globalLimit: AsyncSemaphore
        var runLimit: AsyncSemaphore
        var sessions: SessionSandboxes
        /// The run's sandboxes created ahead on local Docker; nil when it makes none.
        var ahead: StepSandboxes?
        /// Where the steps' sandboxes are removed after their steps are done.
        var removals: RunRemovals
        var onEvent: @Sendable (EngineEvent) -> Void

        var artifactsEnabled: Bool { configuration.collectArtifacts && configuration.dataDirectory != nil }

        /// One item's (or the plain step's) final result.
        struct ItemResult: Sendable {
            var status: StepStatus
            var output: JSONValue
            var exitCode: Int?
            var error: String?
            var outputTail: String?
            /// The attempt's record when it is left to the step's final write (see `runAttempt`).
            var deferred: [RunChange] = []
            /// The backend the last attempt ran on (nil when none could be chosen).
            var backend: String?
        }

        func execute() async -> StepCompletion {
            let clock = ContinuousClock()
            let start = clock.now
            guard let fanOut = step.fanOut else {
                let item = await executeItem(index: nil, context: context)
                return completion(from: [item], fannedOut: false, duration: clock.now - start)
            }
            let items: [JSONValue]
            do {
                items = try fanOut.items(in: context)
            } catch {
                return StepCompletion(stepID: step.id, status: .failed,
                                      result: StepResult(output: .null, status: .failed, error: error.message),
                                      duration: clock.now - start, outputTail: nil)
            }
            // The step was counted as one sandbox ahead of time; its other items now are too.
            if let ahead, items.count > 1, let kind = StepSandboxes.kind(of: settings) {
                await ahead.expect(kind, more: items.count - 1)
            }
            // `max_concurrency` bounds this step's items; the run and global limits still apply to each.
            let itemLimit = AsyncSemaphore(limit: fanOut.maxConcurrency ?? items.count)
            let results = await withTaskGroup(of: (Int, ItemResult).self) { group in
                for (index, value) in items.enumerated() {
                    let itemContext = context.withItem(value, index: index)
                    group.addTask {
                        do {
                            return (index, try await itemLimit.withSlot { await executeItem(index: index, context: itemContext) })
                        } catch {
                            return (index, ItemResult(status: .cancelled, output: .null, error: "cancelled"))
                        }
                    }
                }
                var collected = [ItemResult?](repeating: nil, count: items.count)
                for await (index, result) in group { collected[index] = result }
                return collected.compactMap { $0 }
            }
            return completion(from: results, fannedOut: true, duration: clock.now - start)
        }

        private func completion(from items: [ItemResult], fannedOut: Bool, duration: Duration) -> StepCompletion {
            var completion = completionIgnoringDeferred(from: items, fannedOut: fannedOut, duration: duration)
            completion.deferred = items.flatMap(\.deferred)
            // Fan-out items may have landed on different backends; the step row names them all.
            var backends: [String] = []
            for case let backend? in items.map(\.backend) where !backends.contains(backend) { backends.append(backend) }
            completion.backend = backends.isEmpty ? nil : backends.joined(separator: ",")
            return completion
        }

        private func completionIgnoringDeferred(from items: [ItemResult], fannedOut: Bool, duration: Duration) -> StepCompletion {
            let output: JSONValue = fannedOut ? .array(items.map(\.output)) : (items.first?.output ?? .null)
            if items.contains(where: { $0.status == .cancelled }) {
                return StepCompletion(stepID: step.id, status: .cancelled,
                                      result: StepResult(output: .null, status: .failed, error: "cancelled"),
                                      duration: duration, outputTail: nil)
            }
            if let failedIndex = items.firstIndex(where: { $0.status != .completed }) {
                let failed = items[failedIndex]
                let error = fannedOut ? "item \(failedIndex): \(failed.error ?? "failed")" : (failed.error ?? "failed")
                return StepCompletion(stepID: step.id, status: .failed,
                                      result: StepResult(output: .null, status: .failed, error: error, exitCode: failed.exitCode),
                                      duration: duration, outputTail: failed.outputTail)
            }
            return StepCompletion(stepID: step.id, status: .completed,
                                  result: StepResult(output: output, status: .completed, exitCode: fannedOut ? 0 : items.first?.exitCode),
                                  duration: duration, outputTail: nil)
        }

        /// Runs the step (or one item) with its retries, each attempt in a fresh sandbox.
        func executeItem(index: Int?, context: TemplateContext) async -> ItemResult {
            guard let configuration = step.configuration(as: RunStepConfiguration.self) else {
                return ItemResult(status: .failed, output: .null, error: "step kind `\(step.kind)` cannot run in a sandbox")
            }
            // Values reach the shell only as environment variables: the command holds `"${SC_…}"` expansions.
            let rendered: RenderedCommand
            var environment: [String: String]
            do {
                rendered = try TemplateRenderer.renderCommand(configuration.command, context: context)
                environment = try TemplateRenderer.renderEnvironment(settings.environment, context: context)
            } catch {
                return ItemResult(status: .failed, output: .null, error: error.message)
            }
            environment.merge(rendered.environment) { _, rendered in rendered }
            environment["SANDCASTLE_RUN_ID"] = runID
            environment["SANDCASTLE_STEP_ID"] = step.id
            if artifactsEnabled {
                environment["SANDCASTLE_OUTPUTS"] = Artifacts.sandboxFolder(step: step.id, index: index)
            }

            let policy = settings.retry
            var attempt = 0
            while true {
                attempt += 1
                if Task.isCancelled { return ItemResult(status: .cancelled, output: .null, error: "cancelled") }
                let result = await runAttempt(attempt, index: index, command: rendered.command, environment: environment)
                if result.status == .completed || result.status == .cancelled || attempt >= policy.maxAttempts {
                    return result
                }
                if !result.deferred.isEmpty {
                    // Another attempt follows: this one's record cannot wait for the step's end.
                    do {
                        try repository.write(result.deferred)
                    } catch {
                        return ItemResult(status: .failed, output: .null, error: "cannot record the attempt: \(error)")
                    }
                }
                let delay = policy.delay(afterAttempt: attempt)
                do {
                    // Recorded before it is acted on: a retry nobody can see later is not retried.
                    _ = try repository.appendEvent(runID: runID, kind: "retry_scheduled", payloadJSON: JSONValue.object([
                        "step": .string(step.id), "index": index.map(JSONValue.integer) ?? .null,
                        "attempt": .integer(attempt), "delay_ms": .integer(WorkflowEngine.milliseconds(delay)),
                    ]).jsonText)
                } catch {
                    return ItemResult(status: .failed, output: .null, error: "cannot record the retry: \(error)")
                }
                onEvent(.attemptFailed(step: step.id, index: index, attempt: attempt, error: result.error ?? "failed",
                                       outputTail: result.outputTail ?? "", willRetry: true, retryDelay: delay))
                do {
                    try await Task.sleep(for: delay)
                } catch {
                    return ItemResult(status: .cancelled, output: .null, error: "cancelled")
                }
            }
        }

        /// One attempt: take the concurrency slots, persist the start, create the sandbox, run, and
        /// start the sandbox's removal (``RunRemovals``).
        private func runAttempt(_ attempt: Int, index: Int?, command: String, environment: [String: String]) async -> ItemResult {
            do {
                try await runLimit.acquire()
            } catch {
                return ItemResult(status: .cancelled, output: .null, error: "cancelled")
            }
            do {
                try await globalLimit.acquire()
            } catch {
                runLimit.release()
                return ItemResult(status: .cancelled, output: .null, error: "cancelled")
            }
            // The slots count live sandboxes: with a removal under way they are freed once it is done.
            var removal: (@Sendable () async -> Void)?
            defer {
                let (runLimit, globalLimit) = (runLimit, globalLimit)
                if let removal {
                    removals.start {
                        await removal()
                        globalLimit.release()
                        runLimit.release()
                    }
                } else {
                    globalLimit.release()
                    runLimit.release()
                }
            }

            let lease: BackendRouter.Lease
            do {
                lease = try await router.acquire(settings.backend)
            } catch is CancellationError {
                return ItemResult(status: .cancelled, output: .null, error: "cancelled")
            } catch {
                // Nothing was created: the attempt fails (and may be retried once a breaker half-opens).
                return ItemResult(status: .failed, output: .null, error: "\(error)")
            }
            let backendName = lease.recordedName
            var startPayload: [String: JSONValue] = [
                "step": .string(step.id), "index": index.map(JSONValue.integer) ?? .null, "attempt": .integer(attempt),
                "backend": .string(backendName),
            ]
            if let reason = lease.failoverReason { startPayload["failover"] = .string(reason) }

            let startedAt = Date()
            let clock = ContinuousClock()
            let start = clock.now
            do {
                try repository.write([
                    .upsertStep(StepRecord(runID: runID, stepID: step.id, fanoutIndex: index, status: .running,
                                           attempt: attempt, backend: backendName, startedAt: startedAt)),
                    .recordAttempt(StepAttemptRecord(runID: runID, stepID: step.id, fanoutIndex: index,
                                                     attempt: attempt, backend: backendName, startedAt: startedAt)),
                    .event(runID, "step_started", JSONValue.object(startPayload).jsonText),
                ])
            } catch {
                // Without a durable record of the start the step must not run.
                lease.finish(infrastructureFailure: false, cancelled: true)
                return ItemResult(status: .failed, output: .null, error: "cannot record the step's start: \(error)")
            }
            onEvent(.stepStarted(step: step.id, index: index, attempt: attempt))

            var labels = self.configuration.labels
            labels[EngineLabels.run] = runID
            labels[EngineLabels.step] = step.id
            let session = settings.session
            if let session { labels[EngineLabels.session] = session }
            // A session's sandbox lives on one backend: an attempt routed elsewhere starts its own.
            let sessionKey = session.map { "\(lease.entry.name.rawValue)/\($0)" }
            let spec = SandboxSpec(image: settings.image, profile: settings.profile, environment: session == nil ? environment : [:],
                                   workspace: lease.entry.mountsWorkspace ? WorkflowEngine.workspaceName(runID: runID) : nil,
                                   labels: labels)
            let timeoutMs = UInt32(clamping: max(1, WorkflowEngine.milliseconds(settings.timeout)))
            let request = ShellExecRequest(
                command: session == nil ? command : SessionSandboxes.command(command, exporting: environment),
                timeoutMilliseconds: timeoutMs, maxOutputBytes: self.configuration.maxOutputBytes)

            var sandboxID: String?
            var prewarmed = false
            var outcome: ItemResult
            var artifacts: Artifacts.Collected?
            // Whether the backend (not the command) failed the attempt: that feeds its breaker.
            var infrastructureFailure = false
            do {
                let backend = lease.entry.backend
                // Sandboxes made ahead mount the run's workspace on local Docker; others are made now.
                let ahead = lease.entry.name == .docker && lease.entry.mountsWorkspace ? self.ahead : nil
                let create: @Sendable () async throws -> (instance: any SandboxInstance, prewarmed: Bool) = {
                    if let ahead { return try await ahead.sandbox(for: spec) }
                    return (try await backend.create(spec), false)
                }
                let sandbox: any SandboxInstance
                if let sessionKey {
                    sandbox = try await sessions.sandbox(sessionKey) {
                        let made = try await create()
                        return made.instance
                    }
                } else {
                    let made = try await create()
                    (sandbox, prewarmed) = (made.instance, made.prewarmed)
                }
                sandboxID = sandbox.id
                let collected: Result<CollectedOutput, any Error>
                do {
                    if artifactsEnabled {
                        // The folder must exist before the command writes to it; a failure shows in the command's own.
                        let folder = Artifacts.sandboxFolder(step: step.id, index: index)
                        _ = try? await sandbox.run("mkdir -p -- '\(folder)'", timeout: .seconds(30))
                    }
                    let process = try await sandbox.execute(request)
                    let onEvent = self.onEvent
                    let stepID = step.id
                    // Output is passed on as it arrives (a live view shows its tail) and collected whole.
                    let tapped = process.events.map { event -> ProcessEvent in
                        if case .output(_, let bytes) = event {
                            onEvent(.stepOutput(step: stepID, index: index, text: String(decoding: bytes, as: UTF8.self)))
                        }
                        return event
                    }
                    collected = .success(try await withTaskCancellationHandler {
                        try await CollectedOutput.collect(tapped)
                    } onCancel: {
                        Task { try? await process.cancel() }
                    })
                } catch {
                    infrastructureFailure = BackendRouter.isInfrastructureFailure(error)
                    collected = .failure(error)
                }
                switch collected {
                case .success(let output): outcome = interpret(output)
                case .failure(let error): outcome = Self.failure(error)
                }
                if outcome.status == .completed, artifactsEnabled, let dataDirectory = configuration.dataDirectory {
                    let destination = RunFiles(dataDirectory: dataDirectory).artifactsDirectory(runID, step: step.id, index: index)
                    let folder = Artifacts.sandboxFolder(step: step.id, index: index)
                    artifacts = await Task.detached { await Artifacts.collect(from: sandbox, folder: folder, to: destination) }.value
                }
                if let sessionKey {
                    // A broken channel would fail every later step of the session: start it afresh.
                    if case .failure = collected { await sessions.discard(sessionKey) }
                } else {
                    removal = { try? await sandbox.destroy() }
                }
            } catch {
                infrastructureFailure = BackendRouter.isInfrastructureFailure(error)
                outcome = Self.failure(error)
            }
            lease.finish(infrastructureFailure: infrastructureFailure && outcome.status != .cancelled,
                         cancelled: outcome.status == .cancelled)
            outcome.backend = backendName
            let finishedAt = Date()
            var payload: [String: JSONValue] = [
                "step": .string(step.id), "index": index.map(JSONValue.integer) ?? .null, "attempt": .integer(attempt),
                "status": .string(outcome.status.rawValue),
            ]
            if prewarmed { payload["sandbox_made_ahead"] = .bool(true) }
            if let error = outcome.error { payload["error"] = .string(error) }
            if let tail = outcome.outputTail, !tail.isEmpty { payload["output_tail"] = .string(tail) }
            if let artifacts, !artifacts.files.isEmpty || artifacts.problem != nil {
                var event: [String: JSONValue] = [
                    "step": .string(step.id), "index": index.map(JSONValue.integer) ?? .null,
                    "files": .array(artifacts.files.map(JSONValue.string)), "bytes": .integer(artifacts.bytes),
                ]
                if let problem = artifacts.problem { event["problem"] = .string(problem) }
                // Artifacts are a by-product: a problem copying them is reported, not a step failure.
                _ = try? repository.appendEvent(runID: runID, kind: "artifacts_collected",
                                                payloadJSON: JSONValue.object(event).jsonText)
            }
            var changes: [RunChange] = [
                .recordAttempt(StepAttemptRecord(
                    runID: runID, stepID: step.id, fanoutIndex: index, attempt: attempt, backend: backendName,
                    sandboxID: sandboxID, exitCode: outcome.exitCode, startedAt: startedAt, finishedAt: finishedAt,
                    durationMs: Int64(WorkflowEngine.milliseconds(clock.now - start)), error: outcome.error)),
                .event(runID, "attempt_finished", JSONValue.object(payload).jsonText),
            ]
            if let index {
                // A fan-out item's own row (capped like a step's); the step's row is written by the scheduler.
                var stored: (json: String?, text: String?, path: String?) = (nil, nil, nil)
                if outcome.status == .completed {
                    do {
                        stored = try WorkflowEngine.storedOutput(outcome.output, runID: runID,
                                                                 name: "\(step.id).\(index)", configuration: configuration)
                        if stored.path == nil { stored = (outcome.output.jsonText, nil, nil) }
                    } catch {
                        return ItemResult(status: .failed, output: .null, exitCode: outcome.exitCode,
                                          error: "cannot record the item's output: \(error)", outputTail: outcome.outputTail,
                                          backend: backendName)
                    }
                }
                changes.append(.upsertStep(StepRecord(
                    runID: runID, stepID: step.id, fanoutIndex: index, status: outcome.status, attempt: attempt,
                    backend: backendName, sandboxID: sandboxID, exitCode: outcome.exitCode,
                    outputJSON: stored.json, outputText: stored.text, outputPath: stored.path,
                    startedAt: startedAt, finishedAt: finishedAt, error: outcome.error)))
            }
            if index == nil {
                // A plain step's last attempt commits together with the step's result (one commit
                // fewer per step); nothing acts on it before that.
                var deferredOutcome = outcome
                deferredOutcome.deferred = changes
                return deferredOutcome
            }
            var persistenceError: (any Error)?
            do {
                try repository.write(changes)
            } catch {
                persistenceError = error
            }
            // An attempt whose result could not be recorded does not count as done: the run
            // could not be resumed from it.
            if let persistenceError {
                return ItemResult(status: .failed, output: .null, exitCode: outcome.exitCode,
                                  error: "cannot record the attempt: \(persistenceError)", outputTail: outcome.outputTail,
                                  backend: backendName)
            }
            return outcome
        }

        /// An attempt that could not run its command (or lost it), cancelled or not.
        static func failure(_ error: any Error) -> ItemResult {
            Task.isCancelled
                ? ItemResult(status: .cancelled, output: .null, error: "cancelled")
                : ItemResult(status: .failed, output: .null, error: "\(error)")
        }

        /// Turns a finished process into a result: exit 0 within the time limit is success.
        private func interpret(_ output: CollectedOutput) -> ItemResult {
            let tail = Self.tail(of: output, bytes: configuration.outputTailBytes)
            let exitCode = Int(output.exitCode)
            if output.result.timedOut {
                return ItemResult(status: .failed, output: .null, exitCode: exitCode,
                                  error: "timed out after \(DurationParser.format(settings.timeout))", outputTail: tail)
            }
            if output.result.cancelled || Task.isCancelled {
                return ItemResult(status: .cancelled, output: .null, exitCode: exitCode, error: "cancelled", outputTail: tail)
            }
            guard exitCode == 0 else {
                return ItemResult(status: .failed, output: .null, exitCode: exitCode,
                                  error: "exit code \(exitCode)", outputTail: tail)
            }
            return ItemResult(status: .completed, output: StepResult.output(fromStdout: output.stdoutText),
                              exitCode: 0, outputTail: tail)
        }

        /// The last bytes of stdout and stderr, for error reports.
        static func tail(of output: CollectedOutput, bytes: Int) -> String {
            func last(_ data: [UInt8]) -> String { String(decoding: data.suffix(max(0, bytes)), as: UTF8.self) }
            var parts: [String] = []
            if !output.stdout.isEmpty { parts.append(last(output.stdout)) }
            if !output.stderr.isEmpty { parts.append(last(output.stderr)) }
            return parts.joined(separator: parts.count > 1 && !(parts[0].hasSuffix("\n")) ? "\n" : "")
        }
    }
}
