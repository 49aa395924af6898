import Foundation
import ModelProviders

/// How agent and `llm` steps reach models: who answers, and what each answer cost.
public struct ModelAccess: Sendable {
    /// Answers calls for catalog names (`sonnet`, `openai/gpt-4o`): the router over the
    /// configured providers, or a replay of a recorded run.
    public var provider: any ModelProvider
    /// Prices, and the model a name stands for.
    public var catalog: ModelCatalog
    /// The same provider reporting its retries and failovers to a sink (the router's
    /// `reporting(to:)`); nil when it has none to report (a replay).
    public var reporting: (@Sendable (@escaping RouterEventSink) -> any ModelProvider)?

    public init(
        provider: any ModelProvider, catalog: ModelCatalog,
        reporting: (@Sendable (@escaping RouterEventSink) -> any ModelProvider)? = nil
    ) {
        self.provider = provider
        self.catalog = catalog
        self.reporting = reporting
    }

    /// The router over `settings`' providers, reporting through ``reporting``.
    public init(router: ModelRouter, catalog: ModelCatalog) {
        self.init(provider: router, catalog: catalog, reporting: { router.reporting(to: $0) })
    }

    /// The provider for one attempt, its retries reported to `sink`.
    func provider(reportingTo sink: @escaping RouterEventSink) -> any ModelProvider {
        reporting?(sink) ?? provider
    }

    /// What an answer from `model` (a catalog name) cost in dollars; nil when the model has no
    /// price or the provider reported no usage. Never 0 for "unknown".
    public func cost(of usage: TokenUsage?, model: String) -> Double? {
        guard let usage, let resolved = try? catalog.resolve(model), let cost = catalog.cost(of: usage, for: resolved) else {
            return nil
        }
        return NSDecimalNumber(decimal: cost).doubleValue
    }
}
