import Foundation
import ModelProviders
import Synchronization

/// A provider that refuses calls once a session's spending reached its limit (Sandstorm's
/// `max_budget_usd`, the Agent SDK's `maxBudgetUsd`): each answer's usage is priced as it
/// arrives, and the call after the one that crossed the limit fails with
/// ``BudgetedProvider/budgetExceeded``, which ends the run `error_max_budget_usd`.
///
/// A call whose cost is unknown (no price, no usage) adds nothing: the limit then bounds only
/// what can be priced, which the session reports (`total_cost_usd: null`).
final class BudgetedProvider: ModelProvider {
    static let budgetExceeded = ModelProviderError.Code(rawValue: "budget_exceeded")

    var name: String { base.name }
    private let base: any ModelProvider
    private let catalog: ModelCatalog
    private let limit: Decimal
    private let spent = Mutex(Decimal(0))

    init(_ base: any ModelProvider, catalog: ModelCatalog, limitUSD: Double) {
        self.base = base
        self.catalog = catalog
        self.limit = Decimal(limitUSD)
    }

    func complete(_ request: ModelRequest) async throws -> ModelResponse {
        try refuseWhenSpent()
        let response = try await base.complete(request)
        charge(response)
        return response
    }

    func stream(_ request: ModelRequest) async throws -> AsyncThrowingStream<ModelStreamEvent, any Error> {
        try refuseWhenSpent()
        let upstream = try await base.stream(request)
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    for try await event in upstream {
                        if case .finished(let response) = event { self.charge(response) }
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

    private func refuseWhenSpent() throws {
        let spent = self.spent.withLock { $0 }
        guard spent >= limit else { return }
        throw ModelProviderError(
            Self.budgetExceeded, provider: "budget",
            message: "the session's budget of $\(NSDecimalNumber(decimal: limit).doubleValue) is spent ($\(NSDecimalNumber(decimal: spent).doubleValue))")
    }

    private func charge(_ response: ModelResponse) {
        guard let usage = response.usage, let model = try? catalog.resolve(response.model), let cost = catalog.cost(of: usage, for: model) else {
            return
        }
        spent.withLock { $0 += cost }
    }
}
