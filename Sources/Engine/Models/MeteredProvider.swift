import Foundation
import Guardrails
import ModelProviders
import Store
import Synchronization

/// The model provider one attempt of an agent or `llm` step talks to: the run's provider,
/// with every answer recorded as it arrives (a `model_turn` event and a `model_calls` row in
/// one commit), its cost charged to the run's budget, retries and failovers recorded, and text
/// passed to the live view as it streams. Once the budget is spent it refuses further calls.
///
/// With the privacy router's `prompts` target on, every request is redacted here first (system
/// prompt, user prompt, tool results), since every agent and `llm` step's call passes through
/// this one place on its way to the provider; the turn records how many entities were replaced.
///
/// The agent loop above it knows nothing of runs or stores; this is where a call becomes history.
final class MeteredProvider: ModelProvider {
    var name: String { base.name }
    private let base: any ModelProvider
    private let models: ModelAccess
    private let ledger: AttemptLedger
    private let redactor: PIIDetector?
    private let turns = Mutex(0)

    init(models: ModelAccess, ledger: AttemptLedger, redactor: PIIDetector? = nil) {
        self.models = models
        self.ledger = ledger
        self.redactor = redactor
        self.base = models.provider(reportingTo: { event in ledger.record(event) })
    }

    /// The request as it may leave, and how many PII entities it had replaced.
    private func outgoing(_ request: ModelRequest) -> (ModelRequest, Int) {
        guard let redactor else { return (request, 0) }
        let (clean, counts) = request.redactingPII(with: redactor)
        return (clean, counts.total)
    }

    func complete(_ request: ModelRequest) async throws -> ModelResponse {
        try ledger.refuseWhenOverBudget()
        let (request, redacted) = outgoing(request)
        let started = ContinuousClock.now
        let response = try await base.complete(request)
        try ledger.recordTurn(
            nextTurn(), response: response, duration: ContinuousClock.now - started, models: models, piiRedacted: redacted)
        return response
    }

    func stream(_ request: ModelRequest) async throws -> AsyncThrowingStream<ModelStreamEvent, any Error> {
        try ledger.refuseWhenOverBudget()
        let (request, redacted) = outgoing(request)
        let started = ContinuousClock.now
        let upstream = try await base.stream(request)
        let turn = nextTurn()
        let (ledger, models) = (self.ledger, self.models)
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    for try await event in upstream {
                        switch event {
                        case .textDelta(let text): ledger.showText(text)
                        case .finished(let response):
                            try ledger.recordTurn(
                                turn, response: response, duration: ContinuousClock.now - started, models: models,
                                piiRedacted: redacted)
                        default: break
                        }
                        continuation.yield(event)
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    private func nextTurn() -> Int {
        turns.withLock { turns in
            turns += 1
            return turns
        }
    }
}

/// Records what one attempt's model calls and tools did.
struct AttemptLedger: Sendable {
    var runID: String
    var place: RunEvent.AgentPlace
    var repository: any RunRepository
    var budget: RunBudget?
    var onEvent: @Sendable (EngineEvent) -> Void

    /// The code of the error a call gets once the run's budget is spent.
    static let budgetExceeded = ModelProviderError.Code(rawValue: "budget_exceeded")

    func refuseWhenOverBudget() throws {
        guard let budget, budget.isExceeded else { return }
        throw ModelProviderError(
            Self.budgetExceeded, provider: "budget",
            message: "the run's budget of $\(String(format: "%.2f", budget.maxUSD)) is spent")
    }

    func showText(_ text: String) {
        onEvent(.stepOutput(step: place.step, index: place.index, text: text))
    }

    /// The turn's event and its `model_calls` row in one commit, then the budget.
    func recordTurn(_ turn: Int, response: ModelResponse, duration: Duration, models: ModelAccess, piiRedacted: Int = 0) throws {
        let usage = response.usage
        let cost = models.cost(of: usage, model: response.model)
        let resolved = try? models.catalog.resolve(response.model)
        let milliseconds = WorkflowEngine.milliseconds(duration)
        let event = RunEvent.ModelTurn(
            place: place, turn: turn, provider: resolved?.provider ?? "unknown", model: response.model,
            stopReason: response.stopReason.rawValue, text: String(response.message.text.prefix(Self.textCap)),
            toolCalls: response.message.toolCalls.count, inputTokens: usage?.inputTokens, outputTokens: usage?.outputTokens,
            cacheReadTokens: usage?.cacheReadTokens, cacheWriteTokens: usage?.cacheWriteTokens, costUSD: cost,
            durationMs: milliseconds, region: resolved?.region, piiRedacted: piiRedacted > 0 ? piiRedacted : nil)
        let call = ModelCallRecord(
            runID: runID, stepID: place.step, fanoutIndex: place.index, attempt: place.attempt, turn: turn,
            provider: event.provider, model: response.model, inputTokens: usage?.inputTokens ?? 0,
            outputTokens: usage?.outputTokens ?? 0, cacheReadTokens: usage?.cacheReadTokens ?? 0,
            cacheWriteTokens: usage?.cacheWriteTokens ?? 0, costUSD: cost, durationMs: milliseconds, region: resolved?.region,
            piiRedacted: piiRedacted)
        try repository.write([.recordModelCall(call), .event(runID, .modelTurn(event))])
        guard let budget, let crossing = budget.charge(cost) else { return }
        switch crossing {
        case .warning(let spent):
            _ = try? repository.append(.budgetWarning(RunEvent.Budget(spentUSD: spent, maxUSD: budget.maxUSD)), runID: runID)
        case .exceeded(let spent):
            _ = try? repository.append(.budgetExceeded(RunEvent.Budget(spentUSD: spent, maxUSD: budget.maxUSD)), runID: runID)
        }
    }

    /// A retry or failover of the router, as a `model_retried` event (cooldowns and skips are
    /// the router's own bookkeeping and show in the retry that follows).
    func record(_ event: RouterEvent) {
        let retried: RunEvent.ModelRetried
        switch event {
        case .retrying(let model, let provider, _, let after, let error):
            retried = RunEvent.ModelRetried(
                place: place, action: "retry", provider: provider, model: model, delayMs: WorkflowEngine.milliseconds(after),
                error: error.description)
        case .failingOver(let from, let to, let error):
            retried = RunEvent.ModelRetried(
                place: place, action: "failover", provider: "", model: from, toModel: to, error: error?.description ?? "skipped")
        case .cooldown, .skipped:
            return
        }
        _ = try? repository.append(.modelRetried(retried), runID: runID)
    }

    /// The most of a turn's text an event keeps; the transcript's purpose is reading, not archiving.
    static let textCap = 16 * 1024
}
