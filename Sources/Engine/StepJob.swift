import Foundation
import Sandbox
import Store
import Workflow

/// One sandbox step (`run:` or `prompt:`; all its fan-out items and retries), as a task of its
/// own: everything it needs is copied out of the engine actor, so steps run in parallel. Each
/// attempt is a ``StepAttempt`` doing the step's ``SandboxWork``; the scheduler gets a
/// ``WorkflowEngine/StepCompletion`` back.
struct StepJob: Sendable {
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
    /// What a resumed run already did in this step.
    var prior = Prior()
    /// The run's budget for model calls, shared by its steps; nil: none.
    var budget: RunBudget?
    /// The workflow's `default_model` and `default_max_turns`, for agent and `llm` steps.
    var defaultModel: String?
    var defaultMaxTurns: Int?
    /// The privacy router's settings in force for the run (its `prompts` target is applied here).
    var privacy: PrivacySettings = .off
    /// The step's guardrail policies, compiled once for the run (``RunPolicies``).
    var policies: [CompiledPolicy] = []

    /// A resumed step's completed items and recorded attempts (empty for a fresh run).
    struct Prior: Sendable {
        var completedItems: [Int: ItemResult] = [:]
        var lastAttempts: [Int?: Int] = [:]
        /// The output the step produced before a policy's approval gate held it (paused run).
        var heldAtGate: ItemResult?
    }

    var artifactsEnabled: Bool { configuration.collectArtifacts && configuration.dataDirectory != nil }

    /// One item's (or the plain step's) final result.
    struct ItemResult: Sendable {
        var status: StepStatus
        var output: JSONValue
        var exitCode: Int?
        var error: String?
        var outputTail: String?
        /// The attempt's record when it is left to the step's final write (see ``StepAttempt``).
        var deferred: [RunChange] = []
        /// The backend the last attempt ran on (nil when none could be chosen).
        var backend: String?
        /// What the store keeps when a policy redacted `output` differently for storage; nil: `output`.
        var storedOutput: JSONValue?
        /// An approval a policy asks for before the output flows on.
        var gate: PolicyVerdict.Gate?
        /// Alerts policies raised (recorded in `deferred`; reported live once committed).
        var alerts: [PolicyAlert] = []
    }

    func execute() async -> WorkflowEngine.StepCompletion {
        let clock = ContinuousClock()
        let start = clock.now
        if let (gate, held) = resumedAtGate() { return await passGate(gate, completion: held) }
        guard let fanOut = step.fanOut else {
            let item = await executeItem(index: nil, context: context)
            return await gated(completion(from: [item], fannedOut: false, duration: clock.now - start))
        }
        let items: [JSONValue]
        do {
            items = try fanOut.items(in: context)
        } catch {
            return WorkflowEngine.StepCompletion(
                stepID: step.id, status: .failed,
                result: StepResult(output: .null, status: .failed, error: error.message),
                duration: clock.now - start, outputTail: nil)
        }
        // The step was counted as one sandbox ahead of time; its other items now are too.
        let toRun = items.indices.count { prior.completedItems[$0] == nil }
        if step.kind != .llm, let ahead, toRun > 1, let kind = StepSandboxes.kind(of: settings, on: ahead.backendName) {
            await ahead.expect(kind, more: toRun - 1)
        }
        // `max_concurrency` bounds this step's items; the run and global limits still apply to each.
        let itemLimit = AsyncSemaphore(limit: fanOut.maxConcurrency ?? items.count)
        let results = await withTaskGroup(of: (Int, ItemResult).self) { group in
            for (index, value) in items.enumerated() {
                let itemContext = context.withItem(value, index: index)
                if let done = prior.completedItems[index] {
                    // Completed before the process died: its result and its attempt history stand.
                    group.addTask { (index, done) }
                    continue
                }
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
        return await gated(completion(from: results, fannedOut: true, duration: clock.now - start))
    }

    /// The completion after the approval gate a policy asked for, if one did.
    private func gated(_ completion: WorkflowEngine.StepCompletion) async -> WorkflowEngine.StepCompletion {
        guard let gate = completion.gate else { return completion }
        return await passGate(gate, completion: completion)
    }

    private func completion(from items: [ItemResult], fannedOut: Bool, duration: Duration) -> WorkflowEngine.StepCompletion {
        var completion = completionIgnoringDeferred(from: items, fannedOut: fannedOut, duration: duration)
        completion.deferred = items.flatMap(\.deferred)
        completion.alerts = items.flatMap(\.alerts)
        if completion.status == .completed {
            if items.contains(where: { $0.storedOutput != nil }) {
                let stored = items.map { $0.storedOutput ?? $0.output }
                completion.storedOutput = fannedOut ? .array(stored) : stored.first
            }
            completion.gate = items.lazy.compactMap(\.gate).first
        }
        // Fan-out items may have landed on different backends; the step row names them all.
        var backends: [String] = []
        for case let backend? in items.map(\.backend) where !backends.contains(backend) { backends.append(backend) }
        completion.backend = backends.isEmpty ? nil : backends.joined(separator: ",")
        return completion
    }

    private func completionIgnoringDeferred(from items: [ItemResult], fannedOut: Bool, duration: Duration) -> WorkflowEngine.StepCompletion {
        let output: JSONValue = fannedOut ? .array(items.map(\.output)) : (items.first?.output ?? .null)
        if items.contains(where: { $0.status == .cancelled }) {
            return WorkflowEngine.StepCompletion(
                stepID: step.id, status: .cancelled,
                result: StepResult(output: .null, status: .failed, error: "cancelled"),
                duration: duration, outputTail: nil)
        }
        if let failedIndex = items.firstIndex(where: { $0.status != .completed }) {
            let failed = items[failedIndex]
            let error = fannedOut ? "item \(failedIndex): \(failed.error ?? "failed")" : (failed.error ?? "failed")
            return WorkflowEngine.StepCompletion(
                stepID: step.id, status: .failed,
                result: StepResult(output: .null, status: .failed, error: error, exitCode: failed.exitCode),
                duration: duration, outputTail: failed.outputTail, failedIndex: fannedOut ? failedIndex : nil)
        }
        return WorkflowEngine.StepCompletion(
            stepID: step.id, status: .completed,
            result: StepResult(output: output, status: .completed, exitCode: fannedOut ? 0 : items.first?.exitCode),
            duration: duration, outputTail: nil)
    }

    /// Runs the step (or one item) with its retries, each attempt in a fresh sandbox, then its policies.
    func executeItem(index: Int?, context: TemplateContext) async -> ItemResult {
        let work: StepWork
        switch prepareWork(index: index, context: context) {
        case .success(let prepared): work = prepared
        case .failure(let failure): return failure.result
        }
        let clock = ContinuousClock()
        let start = clock.now
        let (result, attempt) = await runAttempts(work, index: index, context: context)
        return applyPolicies(to: result, index: index, attempt: attempt, duration: clock.now - start)
    }

    /// The attempts of one item until one succeeds or the retry policy gives up; the result and
    /// the number of the last attempt.
    private func runAttempts(_ work: StepWork, index: Int?, context: TemplateContext) async -> (ItemResult, Int) {

        let policy = settings.retry
        // Numbered after what a resumed run already recorded: attempts are history, never overwritten.
        let firstAttempt = (prior.lastAttempts[index] ?? 0) + 1
        var attempt = firstAttempt - 1
        while true {
            attempt += 1
            if Task.isCancelled { return (ItemResult(status: .cancelled, output: .null, error: "cancelled"), attempt) }
            let result = await StepAttempt(job: self, number: attempt, index: index, work: work).run()
            if result.status == .completed || result.status == .cancelled || attempt - firstAttempt + 1 >= policy.maxAttempts {
                guard result.status == .failed, settings.onFailure == .fallback, budget?.isExceeded != true,
                    case .success(let fallbackWork) = prepareWork(index: index, context: context, fallback: true)
                else { return (result, attempt) }
                // Sandcastle's `on_failure: fallback`: one more attempt with the fallback's prompt and model.
                if !result.deferred.isEmpty {
                    do {
                        try repository.write(result.deferred)
                    } catch {
                        return (ItemResult(status: .failed, output: .null, error: "cannot record the attempt: \(error)"), attempt)
                    }
                }
                return (await StepAttempt(job: self, number: attempt + 1, index: index, work: fallbackWork).run(), attempt + 1)
            }
            if !result.deferred.isEmpty {
                // Another attempt follows: this one's record cannot wait for the step's end.
                do {
                    try repository.write(result.deferred)
                } catch {
                    return (ItemResult(status: .failed, output: .null, error: "cannot record the attempt: \(error)"), attempt)
                }
            }
            let delay = policy.delay(afterAttempt: attempt - firstAttempt + 1)
            do {
                // Recorded before it is acted on: a retry nobody can see later is not retried.
                try repository.append(
                    .retryScheduled(
                        RunEvent.RetryScheduled(
                            step: step.id, index: index, attempt: attempt, delayMs: WorkflowEngine.milliseconds(delay))), runID: runID)
            } catch {
                return (ItemResult(status: .failed, output: .null, error: "cannot record the retry: \(error)"), attempt)
            }
            onEvent(
                .attemptFailed(
                    step: step.id, index: index, attempt: attempt, error: result.error ?? "failed",
                    outputTail: result.outputTail ?? "", willRetry: true, retryDelay: delay))
            do {
                try await Task.sleep(for: delay)
            } catch {
                return (ItemResult(status: .cancelled, output: .null, error: "cancelled"), attempt)
            }
        }
    }

    /// A step whose work cannot even be prepared (a reference without a value) fails without an attempt.
    struct Unprepared: Error {
        var result: ItemResult
    }

    /// The step's work for one item, with the templates rendered for it.
    private func prepareWork(index: Int?, context: TemplateContext, fallback: Bool = false) -> Result<StepWork, Unprepared> {
        var environment: [String: String]
        do {
            environment = try TemplateRenderer.renderEnvironment(settings.environment, context: context)
        } catch {
            return .failure(Unprepared(result: ItemResult(status: .failed, output: .null, error: error.message)))
        }
        environment["SANDCASTLE_RUN_ID"] = runID
        environment["SANDCASTLE_STEP_ID"] = step.id
        if artifactsEnabled {
            environment["SANDCASTLE_OUTPUTS"] = Artifacts.sandboxFolder(step: step.id, index: index)
        }
        // Declared credentials join this step's sandbox environment only. A missing one fails
        // the step before any attempt (a retry would not make it appear).
        switch credentialEnvironment() {
        case .success(let credentials): environment.merge(credentials) { _, credential in credential }
        case .failure(let failure): return .failure(failure)
        }
        if let configuration = step.configuration(as: AgentStepConfiguration.self) {
            return .success(.inSandbox(agentWork(configuration, context: context, environment: environment, fallback: fallback)))
        }
        if let configuration = step.configuration(as: LLMStepConfiguration.self) {
            return .success(.modelOnly(llmWork(configuration, context: context)))
        }
        if let configuration = step.configuration(as: RunStepConfiguration.self) {
            do {
                let rendered = try TemplateRenderer.renderCommand(configuration.command, context: context)
                environment.merge(rendered.environment) { _, rendered in rendered }
                return .success(.inSandbox(CommandWork(command: rendered.command, environment: environment)))
            } catch {
                return .failure(Unprepared(result: ItemResult(status: .failed, output: .null, error: error.message)))
            }
        }
        return .failure(
            Unprepared(result: ItemResult(status: .failed, output: .null, error: "step kind `\(step.kind)` cannot run in a sandbox")))
    }

    /// The values of the step's declared credentials by the variables they are received in.
    /// Errors name the credential, never a value.
    private func credentialEnvironment() -> Result<[String: String], Unprepared> {
        let declared = step.sandbox.credentials
        guard !declared.isEmpty else { return .success([:]) }
        func failed(_ message: String) -> Result<[String: String], Unprepared> {
            .failure(Unprepared(result: ItemResult(status: .failed, output: .null, error: message)))
        }
        guard let vault = configuration.credentials else {
            return failed("the step declares credential `\(declared[0].name)`, but this engine has no credential vault")
        }
        var values: [String: String] = [:]
        for declaration in declared {
            do {
                values[declaration.environmentName] = try vault.value(of: declaration.name)
            } catch let error as CredentialError {
                return failed(error.message)
            } catch {
                return failed("credential `\(declaration.name)` cannot be read: \(error)")
            }
        }
        return .success(values)
    }

    /// An attempt that could not run its command (or lost it), cancelled or not.
    static func failure(_ error: any Error) -> ItemResult {
        Task.isCancelled
            ? ItemResult(status: .cancelled, output: .null, error: "cancelled")
            : ItemResult(status: .failed, output: .null, error: "\(error)")
    }

    /// Turns a finished process into a result: exit 0 within the time limit is success.
    func interpret(_ output: CollectedOutput) -> ItemResult {
        let tail = Self.tail(of: output, bytes: configuration.outputTailBytes)
        let exitCode = Int(output.exitCode)
        if output.result.timedOut {
            return ItemResult(
                status: .failed, output: .null, exitCode: exitCode,
                error: "timed out after \(DurationParser.format(settings.timeout))", outputTail: tail)
        }
        if output.result.cancelled || Task.isCancelled {
            return ItemResult(status: .cancelled, output: .null, exitCode: exitCode, error: "cancelled", outputTail: tail)
        }
        guard exitCode == 0 else {
            return ItemResult(
                status: .failed, output: .null, exitCode: exitCode,
                error: "exit code \(exitCode)", outputTail: tail)
        }
        return ItemResult(
            status: .completed, output: StepResult.output(fromStdout: output.stdoutText),
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
