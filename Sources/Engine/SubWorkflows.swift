import Foundation
import Sandbox
import Store
import Workflow

/// Runs a `type: sub_workflow` step: the child file as a run of its own (recorded with the
/// parent run and step as its lineage, `sub_workflow`), once per fan-out item, with the step's
/// retries and time limit. The child shares the parent's backends (and their breakers), store and global limit.
struct SubWorkflowJob: Sendable {
    var parentRunID: String
    var parentFile: String
    var step: StepDefinition
    var settings: ResolvedStepSettings
    var context: TemplateContext
    var router: BackendRouter
    var repository: any RunRepository
    var configuration: EngineConfiguration
    var globalLimit: AsyncSemaphore
    var depth: Int

    func execute() async -> WorkflowEngine.StepCompletion {
        let clock = ContinuousClock()
        let start = clock.now
        func failed(_ message: String) -> WorkflowEngine.StepCompletion {
            WorkflowEngine.StepCompletion(
                stepID: step.id, status: .failed,
                result: StepResult(output: .null, status: .failed, error: message),
                duration: clock.now - start, outputTail: nil)
        }
        guard let config = step.configuration(as: SubWorkflowConfiguration.self) else {
            return failed("step `\(step.id)` has no sub_workflow settings")
        }
        guard depth < SubWorkflowConfiguration.maximumDepth else {
            return failed("sub-workflows nest deeper than \(SubWorkflowConfiguration.maximumDepth) levels")
        }
        let path = WorkflowLoader.subWorkflowPath(config.workflow.value, relativeTo: parentFile)
        let child: WorkflowDefinition
        do throws(WorkflowError) {
            child = try WorkflowLoader().loadValid(path: path)
        } catch {
            return failed("sub-workflow \(path): \(error.message)")
        }
        var contexts: [(Int?, TemplateContext)] = [(nil, context)]
        if let fanOut = step.fanOut {
            do throws(WorkflowError) {
                contexts = try fanOut.items(in: context).enumerated().map { ($0.offset, context.withItem($0.element, index: $0.offset)) }
            } catch {
                return failed(error.message)
            }
        }
        let itemLimit = AsyncSemaphore(limit: step.fanOut?.maxConcurrency ?? max(1, contexts.count))
        let results = await withTaskGroup(of: (Int, Result<JSONValue, SubWorkflowFailure>).self) { group in
            for (position, (index, itemContext)) in contexts.enumerated() {
                group.addTask {
                    do {
                        return (
                            position,
                            try await itemLimit.withSlot {
                                await runChild(child, config: config, index: index, context: itemContext)
                            }
                        )
                    } catch {
                        return (position, .failure(SubWorkflowFailure(message: "cancelled", cancelled: true)))
                    }
                }
            }
            var collected = [Result<JSONValue, SubWorkflowFailure>?](repeating: nil, count: contexts.count)
            for await (position, result) in group { collected[position] = result }
            return collected.compactMap { $0 }
        }
        var outputs: [JSONValue] = []
        for (position, result) in results.enumerated() {
            switch result {
            case .success(let output): outputs.append(output)
            case .failure(let failure):
                let prefix = step.fanOut == nil ? "" : "item \(position): "
                return WorkflowEngine.StepCompletion(
                    stepID: step.id, status: failure.cancelled ? .cancelled : .failed,
                    result: StepResult(output: .null, status: .failed, error: prefix + failure.message),
                    duration: clock.now - start, outputTail: nil)
            }
        }
        let output = step.fanOut == nil ? (outputs.first ?? .null) : .array(outputs)
        return WorkflowEngine.StepCompletion(
            stepID: step.id, status: .completed,
            result: StepResult(output: output, status: .completed),
            duration: clock.now - start, outputTail: nil)
    }

    struct SubWorkflowFailure: Error {
        var message: String
        var cancelled = false
    }

    /// One child run per attempt, within the step's time limit.
    private func runChild(
        _ child: WorkflowDefinition, config: SubWorkflowConfiguration, index: Int?,
        context: TemplateContext
    ) async -> Result<JSONValue, SubWorkflowFailure> {
        let inputs: [String: InputValue]
        do throws(WorkflowError) {
            inputs = try config.childInputs(in: context)
        } catch {
            return .failure(SubWorkflowFailure(message: error.message))
        }
        var childConfiguration = configuration
        // A child paused at an approval would leave its parent's step with no result: it waits.
        childConfiguration.waitForApprovals = true
        let engine = WorkflowEngine(
            router: router, repository: repository, configuration: childConfiguration,
            globalLimit: globalLimit, depth: depth + 1)
        // A fan-out item's child names its item, so a resumed parent finds the right one.
        let label = index.map { "\(step.id)[\($0)]" } ?? step.id
        // After a crash the parent's step runs again: continue the child run it had started
        // (its completed steps are not run twice) rather than starting another.
        var interrupted = (try? WorkflowEngine.orphanedRuns(in: repository, includingSubWorkflows: true))?
            .last { $0.parentRunID == parentRunID && $0.forkedFromStep == label && $0.lineageKind == "sub_workflow" }
        var attempt = 0
        while true {
            attempt += 1
            if Task.isCancelled { return .failure(SubWorkflowFailure(message: "cancelled", cancelled: true)) }
            let resuming = interrupted
            interrupted = nil
            let childID = resuming?.id ?? WorkflowEngine.makeRunID()
            let lineage = WorkflowEngine.Lineage(parentRunID: parentRunID, step: label, kind: "sub_workflow")
            let outcome: Result<RunOutcome, any Error> = await withTimeout(settings.timeout) {
                if resuming != nil, let resumed = try? await engine.resume(runID: childID, workflow: child) {
                    return resumed
                }
                return try await engine.run(
                    child, inputs: inputs, runID: resuming == nil ? childID : WorkflowEngine.makeRunID(),
                    lineage: lineage)
            }
            let failure: SubWorkflowFailure
            switch outcome {
            case .success(let run) where run.status == .completed:
                return .success(config.stepOutput(fromChildOutputs: run.outputs))
            case .success(let run):
                failure = SubWorkflowFailure(
                    message: "sub-workflow run \(childID) \(run.status): \(run.error ?? "")",
                    cancelled: run.status == .cancelled && Task.isCancelled)
            case .failure(let error as EngineError):
                failure = SubWorkflowFailure(message: "sub-workflow: \(error.message)")
            case .failure(is TimedOut):
                failure = SubWorkflowFailure(message: "sub-workflow run \(childID) timed out after \(DurationParser.format(settings.timeout))")
            case .failure(let error):
                failure = SubWorkflowFailure(message: "sub-workflow: \(error)", cancelled: Task.isCancelled)
            }
            if failure.cancelled || attempt >= settings.retry.maxAttempts { return .failure(failure) }
            _ = try? repository.append(
                .retryScheduled(
                    RunEvent.RetryScheduled(
                        step: step.id, index: index, attempt: attempt, error: failure.message)), runID: parentRunID)
            do {
                try await Task.sleep(for: settings.retry.delay(afterAttempt: attempt))
            } catch {
                return .failure(SubWorkflowFailure(message: "cancelled", cancelled: true))
            }
        }
    }

    struct TimedOut: Error {}

    /// Runs `body`, cancelling it when `limit` passes first.
    private func withTimeout<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async
        -> Result<T, any Error>
    {
        await withTaskGroup(of: Result<T, any Error>?.self) { group in
            group.addTask {
                do { return .success(try await body()) } catch { return .failure(error) }
            }
            group.addTask {
                do {
                    try await Task.sleep(for: limit)
                    return .failure(TimedOut())
                } catch {
                    return nil
                }
            }
            var result: Result<T, any Error> = .failure(TimedOut())
            while let next = await group.next() {
                guard let next else { continue }
                result = next
                break
            }
            group.cancelAll()
            return result
        }
    }
}
