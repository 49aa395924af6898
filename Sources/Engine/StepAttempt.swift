import Foundation
import Sandbox
import Store
import Workflow

/// One attempt of a step (or of one fan-out item), phase by phase as ``run()`` reads: take the
/// concurrency slots, lease a backend, record the start durably, get a sandbox, do the step's
/// ``SandboxWork`` there (a command, an agent), keep its artifacts, record the end. The sandbox's removal outlives the attempt
/// (``RunRemovals``); the slots are given back once it is gone.
struct StepAttempt: Sendable {
    typealias ItemResult = StepJob.ItemResult

    let job: StepJob
    let number: Int
    let index: Int?
    let work: StepWork

    private var step: StepDefinition { job.step }
    private var runID: String { job.runID }

    func run() async -> ItemResult {
        switch work {
        case .inSandbox(let work): return await run(work)
        case .modelOnly(let work): return await run(work)
        }
    }

    /// An `llm` step's attempt: no sandbox, so no slots and no backend; only the records.
    private func run(_ work: any ModelOnlyWork) async -> ItemResult {
        let startedAt = Date()
        let clock = ContinuousClock()
        let start = clock.now
        if let failure = recordStart(backend: ModelOnlyWorkBackend.name, failover: nil, at: startedAt) { return failure }
        job.onEvent(.stepStarted(step: step.id, index: index, attempt: number))
        var outcome = await work.perform(attempt: AttemptPlace(number: number, index: index, inSession: false), job: job)
        outcome.backend = ModelOnlyWorkBackend.name
        return recordFinish(
            outcome, execution: Execution(outcome: outcome), backend: ModelOnlyWorkBackend.name, startedAt: startedAt,
            duration: clock.now - start)
    }

    private func run(_ work: any SandboxWork) async -> ItemResult {
        guard await acquireSlots() else { return .cancelled }
        // The slots count live sandboxes: with a removal under way they are freed once it is done.
        var removal: (@Sendable () async -> Void)?
        defer { releaseSlots(after: removal) }

        let lease: BackendRouter.Lease
        do {
            lease = try await job.router.acquire(job.settings.backend)
        } catch is CancellationError {
            return .cancelled
        } catch {
            // Nothing was created: the attempt fails (and may be retried once a breaker half-opens).
            return ItemResult(status: .failed, output: .null, error: "\(error)")
        }
        let startedAt = Date()
        let clock = ContinuousClock()
        let start = clock.now
        if let failure = recordStart(backend: lease.recordedName, failover: lease.failoverReason, at: startedAt) {
            lease.finish(infrastructureFailure: false, cancelled: true)
            return failure
        }
        job.onEvent(.stepStarted(step: step.id, index: index, attempt: number))

        let execution = await execute(work, on: lease)
        removal = execution.removal
        var outcome = execution.outcome
        lease.finish(
            infrastructureFailure: execution.infrastructureFailure && outcome.status != .cancelled,
            cancelled: outcome.status == .cancelled)
        outcome.backend = lease.recordedName
        return recordFinish(
            outcome, execution: execution, backend: lease.recordedName, startedAt: startedAt,
            duration: clock.now - start)
    }

    // MARK: - Slots

    /// The run's slot, then the process's; false when cancelled while waiting (none is held then).
    private func acquireSlots() async -> Bool {
        do {
            try await job.runLimit.acquire()
        } catch {
            return false
        }
        do {
            try await job.globalLimit.acquire()
        } catch {
            job.runLimit.release()
            return false
        }
        return true
    }

    private func releaseSlots(after removal: (@Sendable () async -> Void)?) {
        let (runLimit, globalLimit) = (job.runLimit, job.globalLimit)
        guard let removal else {
            globalLimit.release()
            runLimit.release()
            return
        }
        job.removals.start {
            await removal()
            globalLimit.release()
            runLimit.release()
        }
    }

    // MARK: - Records

    /// The step's running row, the attempt's row and its event, in one commit; without a durable
    /// record of the start the step must not run, so a failure here is the attempt's result.
    private func recordStart(backend: String, failover: String?, at startedAt: Date) -> ItemResult? {
        let started = RunEvent.StepStarted(step: step.id, index: index, attempt: number, backend: backend, failover: failover)
        do {
            try job.repository.write([
                .upsertStep(
                    StepRecord(
                        runID: runID, stepID: step.id, fanoutIndex: index, status: .running,
                        attempt: number, backend: backend, startedAt: startedAt)),
                .recordAttempt(
                    StepAttemptRecord(
                        runID: runID, stepID: step.id, fanoutIndex: index,
                        attempt: number, backend: backend, startedAt: startedAt)),
                .event(runID, .stepStarted(started)),
            ])
            return nil
        } catch {
            return ItemResult(status: .failed, output: .null, error: "cannot record the step's start: \(error)")
        }
    }

    /// The attempt's row and event (and a fan-out item's own row). A plain step's last attempt
    /// is left to commit with the step's result (one commit fewer per step; nothing acts on it
    /// before that); an item's is written now.
    private func recordFinish(
        _ outcome: ItemResult, execution: Execution, backend: String, startedAt: Date,
        duration: Duration
    ) -> ItemResult {
        let finishedAt = Date()
        let finished = RunEvent.AttemptFinished(
            step: step.id, index: index, attempt: number, status: outcome.status, error: outcome.error,
            outputTail: outcome.outputTail.flatMap { $0.isEmpty ? nil : $0 }, sandboxMadeAhead: execution.prewarmed ? true : nil)
        if let artifacts = execution.artifacts, !artifacts.files.isEmpty || artifacts.problem != nil {
            // Artifacts are a by-product: a problem copying them is reported, not a step failure.
            _ = try? job.repository.append(
                .artifactsCollected(
                    RunEvent.ArtifactsCollected(
                        step: step.id, index: index, files: artifacts.files, bytes: artifacts.bytes, problem: artifacts.problem)),
                runID: runID)
        }
        var changes: [RunChange] = [
            .recordAttempt(
                StepAttemptRecord(
                    runID: runID, stepID: step.id, fanoutIndex: index, attempt: number, backend: backend,
                    sandboxID: execution.sandboxID, exitCode: outcome.exitCode, startedAt: startedAt, finishedAt: finishedAt,
                    durationMs: Int64(WorkflowEngine.milliseconds(duration)), error: outcome.error)),
            .event(runID, .attemptFinished(finished)),
        ]
        guard let index else {
            var deferred = outcome
            deferred.deferred = changes
            return deferred
        }
        // A fan-out item's own row (capped like a step's); the step's row is written by the scheduler.
        var stored: (json: String?, text: String?, path: String?) = (nil, nil, nil)
        if outcome.status == .completed {
            do {
                stored = try WorkflowEngine.storedOutput(
                    outcome.output, runID: runID, name: "\(step.id).\(index)",
                    configuration: job.configuration)
                if stored.path == nil { stored = (outcome.output.jsonText, nil, nil) }
            } catch {
                return ItemResult(
                    status: .failed, output: .null, exitCode: outcome.exitCode,
                    error: "cannot record the item's output: \(error)", outputTail: outcome.outputTail,
                    backend: backend)
            }
        }
        changes.append(
            .upsertStep(
                StepRecord(
                    runID: runID, stepID: step.id, fanoutIndex: index, status: outcome.status, attempt: number,
                    backend: backend, sandboxID: execution.sandboxID, exitCode: outcome.exitCode,
                    outputJSON: stored.json, outputText: stored.text, outputPath: stored.path,
                    startedAt: startedAt, finishedAt: finishedAt, error: outcome.error)))
        do {
            try job.repository.write(changes)
        } catch {
            // An attempt whose result could not be recorded does not count as done: the run
            // could not be resumed from it.
            return ItemResult(
                status: .failed, output: .null, exitCode: outcome.exitCode,
                error: "cannot record the attempt: \(error)", outputTail: outcome.outputTail, backend: backend)
        }
        return outcome
    }

    // MARK: - Sandbox and command

    /// What running the command did, beyond its result.
    private struct Execution: Sendable {
        var outcome: ItemResult
        var sandboxID: String?
        /// The sandbox was made ahead (``StepSandboxes``).
        var prewarmed = false
        var artifacts: Artifacts.Collected?
        /// Whether the backend (not the command) failed the attempt: that feeds its breaker.
        var infrastructureFailure = false
        /// Destroys the attempt's own sandbox; nil for a session's (kept for the run) or none.
        var removal: (@Sendable () async -> Void)?
    }

    private func execute(_ work: any SandboxWork, on lease: BackendRouter.Lease) async -> Execution {
        let settings = job.settings
        let session = settings.session
        var labels = job.configuration.sandboxLabels
        labels[SandcastleLabels.run] = runID
        labels[SandcastleLabels.step] = step.id
        if let session { labels[SandcastleLabels.session] = session }
        let spec = SandboxSpec(
            image: settings.image, profile: settings.profile, environment: session == nil ? work.environment : [:],
            workspace: lease.entry.mountsWorkspace ? WorkflowEngine.workspaceName(runID: runID) : nil,
            labels: labels)
        var execution = Execution(outcome: .cancelled)
        let sandbox: any SandboxInstance
        do {
            (sandbox, execution.prewarmed) = try await self.sandbox(spec, on: lease)
        } catch {
            execution.infrastructureFailure = BackendRouter.isInfrastructureFailure(error)
            execution.outcome = StepJob.failure(error)
            return execution
        }
        execution.sandboxID = sandbox.id
        if job.artifactsEnabled {
            // The folder must exist before the work writes to it; a failure shows in the work's own.
            // Made by the sandbox's file API, not a `mkdir -p` in its shell: no command to run
            // (≈0.5 ms instead of ≈2.7 ms on Docker, on every step's path).
            let folder = Artifacts.sandboxFolder(step: step.id, index: index)
            try? await sandbox.makeDirectory(path: folder, parents: true)
        }
        let collected: Result<ItemResult, any Error>
        do {
            let place = AttemptPlace(number: number, index: index, inSession: session != nil)
            collected = .success(try await work.perform(in: sandbox, attempt: place, job: job))
        } catch {
            execution.infrastructureFailure = BackendRouter.isInfrastructureFailure(error)
            collected = .failure(error)
        }
        switch collected {
        case .success(let outcome): execution.outcome = outcome
        case .failure(let error): execution.outcome = StepJob.failure(error)
        }
        if execution.outcome.status == .completed, job.artifactsEnabled, let dataDirectory = job.configuration.dataDirectory {
            let destination = RunFiles(dataDirectory: dataDirectory).artifactsDirectory(runID, step: step.id, index: index)
            let folder = Artifacts.sandboxFolder(step: step.id, index: index)
            execution.artifacts = await Task.detached { await Artifacts.collect(from: sandbox, folder: folder, to: destination) }.value
        }
        if let key = sessionKey(on: lease) {
            // A broken channel would fail every later step of the session: start it afresh.
            if case .failure = collected { await job.sessions.discard(key) }
        } else {
            execution.removal = { try? await sandbox.destroy() }
        }
        return execution
    }

    /// A session's sandbox lives on one backend: an attempt routed elsewhere starts its own.
    private func sessionKey(on lease: BackendRouter.Lease) -> String? {
        job.settings.session.map { "\(lease.entry.name.rawValue)/\($0)" }
    }

    /// The session's sandbox, one made ahead on the backend that mounts the run's workspace, or a new one.
    private func sandbox(_ spec: SandboxSpec, on lease: BackendRouter.Lease) async throws -> (any SandboxInstance, Bool) {
        let backend = lease.entry.backend
        let ahead = job.ahead?.backendName == lease.entry.name ? job.ahead : nil
        let create: @Sendable () async throws -> (instance: any SandboxInstance, prewarmed: Bool) = {
            if let ahead { return try await ahead.sandbox(for: spec) }
            return (try await backend.create(spec), false)
        }
        if let key = sessionKey(on: lease) {
            return (try await job.sessions.sandbox(key) { try await create().instance }, false)
        }
        let made = try await create()
        return (made.instance, made.prewarmed)
    }
}

extension StepJob.ItemResult {
    static var cancelled: Self { Self(status: .cancelled, output: .null, error: "cancelled") }
}
