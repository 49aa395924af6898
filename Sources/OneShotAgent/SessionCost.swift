import Agent
import Foundation
import JSONValues
import ModelProviders

/// What a session's model calls cost, priced with the models file: each call by the model that
/// answered it (after a failover, the fallback's prices), subagents' calls included.
///
/// The total is nil, never 0, as soon as one call's cost is unknown (a model without a price,
/// a provider that reported no usage): Sandstorm then shows `total_cost_usd: null`.
struct SessionCost {
    /// Dollars, or nil when some call's cost is unknown.
    let total: Double?
    /// The tokens of every call that reported them.
    let usage: TokenUsage
    /// The Agent SDK's `modelUsage`: per answering model, its tokens and `costUSD` (null when unknown).
    let byModel: JSONValue

    init(_ calls: [ModelCallRecord], catalog: ModelCatalog) {
        var total: Decimal? = 0
        var usage = TokenUsage()
        var models: [String: (usage: TokenUsage, cost: Decimal?)] = [:]
        for call in calls {
            let cost = call.usage.flatMap { used in (try? catalog.resolve(call.respondingModel)).flatMap { catalog.cost(of: used, for: $0) } }
            total = total.flatMap { sum in cost.map { sum + $0 } }
            usage = usage + (call.usage ?? TokenUsage())
            let before = models[call.respondingModel] ?? (TokenUsage(), 0)
            models[call.respondingModel] = (
                before.usage + (call.usage ?? TokenUsage()), before.cost.flatMap { sum in cost.map { sum + $0 } }
            )
        }
        self.total = total.map { NSDecimalNumber(decimal: $0).doubleValue }
        self.usage = usage
        self.byModel = .object(
            models.mapValues { entry in
                [
                    "inputTokens": .integer(entry.usage.inputTokens), "outputTokens": .integer(entry.usage.outputTokens),
                    "cacheReadInputTokens": .integer(entry.usage.cacheReadTokens),
                    "cacheCreationInputTokens": .integer(entry.usage.cacheWriteTokens),
                    "costUSD": entry.cost.map { .number(NSDecimalNumber(decimal: $0).doubleValue) } ?? .null,
                ]
            })
    }
}
