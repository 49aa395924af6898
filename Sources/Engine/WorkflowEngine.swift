import Crypto
import Foundation
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
    public init(
        backend: any SandboxBackend, repository: any RunRepository,
        configuration: EngineConfiguration = EngineConfiguration(),
        globalLimit: AsyncSemaphore = AsyncSemaphore(limit: 8),
        onEvent: @escaping @Sendable (EngineEvent) -> Void = { _ in }
    ) {
        self.init(
            router: BackendRouter(single: backend), repository: repository, configuration: configuration,
            globalLimit: globalLimit, depth: 0, onEvent: EngineEvent.scrubbing(onEvent))
    }

    /// An engine routing steps across the router's backends.
    public init(
        router: BackendRouter, repository: any RunRepository,
        configuration: EngineConfiguration = EngineConfiguration(),
        globalLimit: AsyncSemaphore = AsyncSemaphore(limit: 8),
        onEvent: @escaping @Sendable (EngineEvent) -> Void = { _ in }
    ) {
        self.init(
            router: router, repository: repository, configuration: configuration, globalLimit: globalLimit,
            depth: 0, onEvent: EngineEvent.scrubbing(onEvent))
    }

    init(
        router: BackendRouter, repository: any RunRepository, configuration: EngineConfiguration,
        globalLimit: AsyncSemaphore, depth: Int, onEvent: @escaping @Sendable (EngineEvent) -> Void = { _ in }
    ) {
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
        /// `sub_workflow` (a child run), `replay`, `fork` or `retry` (a dead letter's new run,
        /// from its start; `step` is the dead letter's).
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
    public func run(
        _ workflow: WorkflowDefinition, inputs: [String: InputValue] = [:],
        runID: String = WorkflowEngine.makeRunID(), lineage: Lineage? = nil
    ) async throws -> RunOutcome {
        let bound = try record(workflow, inputs: inputs, runID: runID, lineage: lineage, owner: configuration.owner)
        if let problem = unsupportedFeature(in: workflow) ?? unroutableStep(in: workflow) {
            // Failing before the first sandbox is better than silently skipping a gate, or than
            // running half a workflow before the step whose backend is missing.
            try finishRun(runID, status: .failed, error: problem, steps: [:], outputs: [:], workflow: workflow)
            return RunOutcome(runID: runID, status: .failed, error: problem, steps: [:], outputs: [:])
        }
        try persist {
            try repository.write([
                .updateRunStatus(id: runID, status: .running, time: Date(), error: nil),
                .event(runID, .runStarted(RunEvent.RunStarted(workflow: workflow.name))),
            ])
        }
        onEvent(.runStarted(runID: runID, workflow: workflow.name))

        let context = TemplateContext(runID: runID, inputs: bound.values, environment: configuration.environment)
        return try await execute(
            workflow, runID: runID, context: context,
            tracker: DependencyTracker(graph: WorkflowGraph(workflow)))
    }

    /// Schedules the steps the tracker has not finished, then cleans up and records the end of the run.
    func execute(
        _ workflow: WorkflowDefinition, runID: String, context: TemplateContext,
        tracker: DependencyTracker, prior: PriorWork = PriorWork()
    ) async throws -> RunOutcome {
        let runLimit = AsyncSemaphore(limit: configuration.maxConcurrentStepsPerRun)
        let sessions = SessionSandboxes()
        let ahead = stepSandboxes(workflow, runID: runID, tracker: tracker)
        let removals = RunRemovals()
        let budget = runBudget(runID)
        let scheduled: Scheduled
        do {
            scheduled = try await schedule(
                workflow, runID: runID, context: context, tracker: tracker, runLimit: runLimit,
                sessions: sessions, ahead: ahead, removals: removals, prior: prior, budget: budget)
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
                try repository.append(.runPaused(RunEvent.RunPaused(waitingFor: scheduled.paused.sorted())), runID: runID)
            }
            onEvent(.runFinished(runID: runID, status: .waitingApproval, error: nil))
            return RunOutcome(runID: runID, status: .waitingApproval, error: nil, steps: scheduled.context.steps, outputs: [:])
        }

        // Kept for replays and forks, while no sandbox writes to it any more. Not for a cancelled
        // run: cancelling must end it promptly, and whoever cancelled removes what carries its label.
        if !scheduled.cancelled || scheduled.budgetExceeded { await saveWorkspace(runID: runID) }
        if configuration.removesWorkspace, let workspaces = router.workspaces {
            // Every sandbox of the run is gone by now (each step destroys its own), so the volume is
            // free. A cleanup problem must not turn a finished run into a failed one; `sandcastle
            // doctor` finds leftovers by the managed label.
            let name = Self.workspaceName(runID: runID)
            await Task.detached { try? await workspaces.removeWorkspace(named: name) }.value
        }

        var status = RunStatus.completed
        var error: String?
        var outputs: [String: JSONValue] = [:]
        if scheduled.budgetExceeded, let budget {
            status = .budgetExceeded
            error = String(
                format: "the run's budget of $%.2f is spent ($%.4f); running steps were interrupted", budget.maxUSD, budget.spent)
        } else if scheduled.cancelled {
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
                return try finishing(
                    runID, status: status, error: "outputs: \(error.message)", context: scheduled.context, workflow: workflow)
            }
        }
        if status == .completed, let problem = storeCompletion(workflow, runID: runID, context: scheduled.context, outputs: outputs) {
            status = .failed
            error = problem
        }
        let (recorded, recordedError) = try finishRun(
            runID, status: status, error: error, steps: scheduled.context.steps,
            outputs: outputs, workflow: workflow)
        return RunOutcome(runID: runID, status: recorded, error: recordedError, steps: scheduled.context.steps, outputs: outputs)
    }

    /// Sandcastle's `on_complete.storage_path`: the completed run's outputs and step outputs as
    /// one JSON file under the data folder's `storage/`. Returns why it could not be written; a
    /// result the workflow asked to keep and that was not kept fails the run.
    func storeCompletion(_ workflow: WorkflowDefinition, runID: String, context: TemplateContext, outputs: [String: JSONValue]) -> String? {
        guard let template = workflow.onComplete?.storagePath else { return nil }
        guard let dataDirectory = configuration.dataDirectory else { return "on_complete.storage_path: this engine has no data folder" }
        let files = RunFiles(dataDirectory: dataDirectory)
        let relative: String
        do {
            relative = try TemplateRenderer.renderString(template, context: context, missingAsNull: true)
        } catch {
            return "on_complete.storage_path: \(error.message)"
        }
        guard let path = files.storageFile(relative) else {
            return "on_complete.storage_path `\(relative)` would leave the storage folder \(files.storageDirectory)"
        }
        let document: JSONValue = [
            "run_id": .string(runID), "workflow": .string(workflow.name), "status": "completed",
            "outputs": .object(outputs), "steps": .object(context.steps.mapValues(\.output)),
        ]
        do {
            try DataFolder.write(Data(document.jsonText.utf8), to: path)
            return nil
        } catch {
            return "on_complete.storage_path: \(error)"
        }
    }

    /// The SHA-256 of a workflow file's bytes (`sha256:` and hex), recorded with each run so
    /// `resume` notices an edited file; nil when the file cannot be read.
    /// Records run `runID` as `pending`, with all its steps and `alongside` (the request it was
    /// submitted with), in one transaction, without starting it: a run queue's entry, which
    /// ``resume(runID:workflow:)`` starts later (in this process or after a restart).
    ///
    /// - Throws: ``EngineError`` `.invalidInputs` before anything is written, `.persistence`
    ///   when the store refuses it (an idempotency key already used is a constraint failure).
    public func enqueue(
        _ workflow: WorkflowDefinition, inputs: [String: InputValue] = [:], runID: String = WorkflowEngine.makeRunID(),
        lineage: Lineage? = nil, alongside: [RunChange] = []
    ) throws {
        _ = try record(workflow, inputs: inputs, runID: runID, lineage: lineage, owner: nil, alongside: alongside)
    }

    /// The run and its steps, pending, in one transaction: a run is recorded whole or not at all.
    private func record(
        _ workflow: WorkflowDefinition, inputs: [String: InputValue], runID: String, lineage: Lineage?, owner: String?,
        alongside: [RunChange] = []
    ) throws -> (values: [String: JSONValue], diagnostics: [ValidationDiagnostic]) {
        let bound = InputBinder.bind(workflow, provided: inputs)
        let inputErrors = bound.diagnostics.filter { $0.severity == .error }
        guard inputErrors.isEmpty else {
            throw EngineError(.invalidInputs, inputErrors.map(\.description).joined(separator: "\n"))
        }
        let run = RunRecord(
            id: runID, workflowName: workflow.name, workflowPath: workflow.file, workflowHash: Self.contentHash(ofFile: workflow.file),
            inputsJSON: JSONValue.object(bound.values).jsonText, parentRunID: lineage?.parentRunID, forkedFromStep: lineage?.step,
            lineageKind: lineage?.kind, owner: owner, maxCostUSD: configuration.maxCostUSD)
        try persist {
            try repository.write(
                [.createRun(run)] + workflow.steps.map { .upsertStep(StepRecord(runID: runID, stepID: $0.id, status: .pending)) } + alongside)
        }
        return bound
    }

    public static func contentHash(ofFile path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return "sha256:" + SHA256.hash(data: data).hex
    }

    func finishing(
        _ runID: String, status: RunStatus, error: String, context: TemplateContext, workflow: WorkflowDefinition? = nil
    ) throws -> RunOutcome {
        try finishRun(runID, status: status, error: error, steps: context.steps, outputs: [:], workflow: workflow)
        return RunOutcome(runID: runID, status: status, error: error, steps: context.steps, outputs: [:])
    }

    /// Records the end of a run (with its dead letter when failed runs leave one, in the same
    /// commit) and returns the status and error it was recorded with.
    @discardableResult
    func finishRun(
        _ runID: String, status requested: RunStatus, error requestedError: String?,
        steps: [String: StepResult], outputs: [String: JSONValue], workflow: WorkflowDefinition? = nil
    ) throws -> (RunStatus, String?) {
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
                _ = try? repository.decideApproval(
                    runID: runID, stepID: approval.stepID, status: .cancelled, decidedBy: nil,
                    comment: "the run \(status)", responseJSON: nil, at: Date())
            }
        }
        let deadLetter = failedRunDeadLetter(runID, status: status, error: error, workflow: workflow, steps: steps)
        try persist {
            try repository.write(
                [
                    .event(runID, .runFinished(RunEvent.RunFinished(status: status, error: error, outputs: outputs))),
                    .updateRunStatus(id: runID, status: status, time: Date(), error: error),
                ] + deadLetter)
        }
        onEvent(.runFinished(runID: runID, status: status, error: error))
        return (status, error)
    }

    /// The run's budget, when it has one: the configured one for a new run, the recorded one for
    /// a resumed run, which keeps what it spent so far.
    func runBudget(_ runID: String) -> RunBudget? {
        let record = try? repository.run(id: runID)?.run
        guard let maximum = record?.maxCostUSD ?? configuration.maxCostUSD else { return nil }
        let spent = (try? repository.modelUsage(runIDs: [runID]))?[runID]?.pricedCostUSD ?? 0
        return RunBudget(maxUSD: maximum, spent: spent)
    }

    /// The kinds this engine runs.
    static let supportedKinds: Set<StepKind> = [.run, .approval, .subWorkflow, .agent, .llm]

    /// The first feature of `workflow` the engine cannot run, as a message for the user.
    func unsupportedFeature(in workflow: WorkflowDefinition) -> String? {
        if configuration.models == nil, let step = workflow.steps.first(where: { $0.kind == .agent || $0.kind == .llm }) {
            return "step `\(step.id)` (\(step.location)) calls a model, but no model provider is set up for this run"
                + (configuration.modelsProblem.map { ": \($0)" } ?? "")
        }
        for step in workflow.steps {
            if !Self.supportedKinds.contains(step.kind) {
                return "step `\(step.id)` (\(step.location)): `type: \(step.kind)` steps are not supported by the engine yet"
            }
        }
        return nil
    }

    /// The first step that names a backend this engine has not configured (e.g. `backend: e2b`
    /// without `E2B_API_KEY`), said with where the name was written; nil when every step can run.
    func unroutableStep(in workflow: WorkflowDefinition) -> String? {
        let available = router.available
        for step in workflow.steps where step.kind == .run || step.kind == .agent {
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

    func persist(_ body: () throws -> Void) throws {
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
    static func seconds(_ duration: Duration) -> TimeInterval {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
