import Foundation

// One models file as written, before it is merged over the files below it: every key is
// optional (a user's file overrides only the keys it gives), `null` clears a value the file
// below set, and every value remembers where it was written so errors found after the merge
// still point at a line.

/// A value with the place it was written.
struct Located<Value: Sendable & Hashable>: Sendable, Hashable {
    var value: Value
    var location: ModelCatalogError.Location
}

/// A key's setting in one file: absent (the `Optional` around it), cleared with `null`, or a value.
enum Setting<Value: Sendable & Hashable>: Sendable, Hashable {
    case cleared
    case value(Value)

    var value: Value? {
        if case .value(let value) = self { value } else { nil }
    }
}

extension Optional {
    /// This file's setting over the one below: absent keeps the lower value, `null` clears it.
    func merged<Value>(over lower: Value?) -> Value? where Wrapped == Setting<Value> {
        switch self {
        case .none: lower
        case .cleared: nil
        case .value(let value): value
        }
    }
}

/// Rates as one file gives them.
struct RatesDraft: Sendable, Hashable {
    var input: Setting<Decimal>?
    var output: Setting<Decimal>?
    var cacheRead: Setting<Decimal>?
    var cacheWrite: Setting<Decimal>?

    /// These rates applied to lower ones: absent keeps, `null` clears.
    func applied(to lower: TokenRates) -> TokenRates {
        TokenRates(
            input: input.merged(over: lower.input), output: output.merged(over: lower.output),
            cacheRead: cacheRead.merged(over: lower.cacheRead), cacheWrite: cacheWrite.merged(over: lower.cacheWrite))
    }
}

/// A `long_prompt:` block; it replaces the lower file's block whole.
struct LongPromptDraft: Sendable, Hashable {
    var thresholdTokens: Int
    var rates: RatesDraft
}

/// A `prices:` mapping.
struct PricesDraft: Sendable, Hashable {
    var rates = RatesDraft()
    var longPrompt: Setting<LongPromptDraft>?

    /// These prices applied to lower ones.
    func applied(to lower: ModelPrices) -> ModelPrices {
        let longPrompt: ModelPrices.LongPrompt? =
            switch self.longPrompt {
            case .none: lower.longPrompt
            case .cleared: nil
            case .value(let draft):
                ModelPrices.LongPrompt(thresholdTokens: draft.thresholdTokens, rates: draft.rates.applied(to: .unknown))
            }
        return ModelPrices(rates.applied(to: lower.rates), longPrompt: longPrompt)
    }
}

/// One entry under `models:`.
struct ModelDraft: Sendable, Hashable {
    /// Where the entry's name was written (in the last file that gave it).
    var location: ModelCatalogError.Location
    var provider: Located<String>?
    var model: Located<String>?
    var contextWindow: Setting<Int>?
    var maxOutputTokens: Setting<Int>?
    var prices: PricesDraft?
    /// Where the model processes data (`eu`, `us`, `local`, …); the provider's when absent.
    var region: Setting<String>?

    /// This file's entry over the lower file's entry of the same name, key by key.
    func merged(over lower: ModelDraft) -> ModelDraft {
        var merged = lower
        merged.location = location
        if let provider { merged.provider = provider }
        if let model { merged.model = model }
        if let contextWindow { merged.contextWindow = contextWindow }
        if let maxOutputTokens { merged.maxOutputTokens = maxOutputTokens }
        if let prices { merged.prices = prices.merged(over: lower.prices) }
        if let region { merged.region = region }
        return merged
    }
}

extension PricesDraft {
    /// This file's prices over a lower file's prices as drafts, keeping `null`s as clears.
    func merged(over lower: PricesDraft?) -> PricesDraft {
        guard let lower else { return self }
        return PricesDraft(
            rates: RatesDraft(
                input: rates.input ?? lower.rates.input, output: rates.output ?? lower.rates.output,
                cacheRead: rates.cacheRead ?? lower.rates.cacheRead, cacheWrite: rates.cacheWrite ?? lower.rates.cacheWrite),
            longPrompt: longPrompt ?? lower.longPrompt)
    }

    /// The final prices: every rate not given is unknown.
    var prices: ModelPrices { applied(to: .unknown) }
}

/// One entry under `providers:`.
struct ProviderDraft: Sendable, Hashable {
    var location: ModelCatalogError.Location
    var wireProtocol: Located<ProviderProtocol>?
    var baseURL: Located<String>?
    var apiKeyVariable: Setting<String>?
    var prices: PricesDraft?
    var region: Setting<String>?

    func merged(over lower: ProviderDraft) -> ProviderDraft {
        var merged = lower
        merged.location = location
        if let wireProtocol { merged.wireProtocol = wireProtocol }
        if let baseURL { merged.baseURL = baseURL }
        if let apiKeyVariable { merged.apiKeyVariable = apiKeyVariable }
        if let prices { merged.prices = prices.merged(over: lower.prices) }
        if let region { merged.region = region }
        return merged
    }
}

/// A whole file: the four top-level mappings, in the order their entries were written.
struct ModelsFileLayer: Sendable {
    var file: String
    var providers: [(name: String, draft: ProviderDraft)] = []
    var models: [(name: String, draft: ModelDraft)] = []
    var aliases: [(name: String, target: Located<String>)] = []
    var failover: [(name: String, location: ModelCatalogError.Location, chain: [Located<String>])] = []
}

/// Files merged in order, each over the ones before it; what ``ModelCatalog`` validates.
struct MergedModelsFiles {
    var providers: [String: ProviderDraft] = [:]
    var providerOrder: [String] = []
    var models: [String: ModelDraft] = [:]
    var modelOrder: [String] = []
    var aliases: [String: Located<String>] = [:]
    var aliasOrder: [String] = []
    var failover: [String: (location: ModelCatalogError.Location, chain: [Located<String>])] = [:]
    var failoverOrder: [String] = []
    var files: [String] = []

    mutating func merge(_ layer: ModelsFileLayer) {
        files.append(layer.file)
        for (name, draft) in layer.providers {
            if let lower = providers[name] {
                providers[name] = draft.merged(over: lower)
            } else {
                providers[name] = draft
                providerOrder.append(name)
            }
        }
        // A name is a model or an alias, never both: the later file's kind wins, so a user
        // can turn a shipped alias into a model of their own and the other way round.
        for (name, draft) in layer.models {
            if aliases.removeValue(forKey: name) != nil { aliasOrder.removeAll { $0 == name } }
            if let lower = models[name] {
                models[name] = draft.merged(over: lower)
            } else {
                models[name] = draft
                modelOrder.append(name)
            }
        }
        for (name, target) in layer.aliases {
            if models.removeValue(forKey: name) != nil { modelOrder.removeAll { $0 == name } }
            if aliases.updateValue(target, forKey: name) == nil { aliasOrder.append(name) }
        }
        for (name, location, chain) in layer.failover {
            if failover.updateValue((location, chain), forKey: name) == nil { failoverOrder.append(name) }
        }
    }
}
