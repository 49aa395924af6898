import Foundation
import Suggestions

/// A model of the models file.
public struct ModelEntry: Sendable, Hashable {
    /// The name it is known by (`claude-sonnet-5-5`, `openai/gpt-4o`).
    public var name: String
    /// A built-in provider (``BuiltInProvider``) or one of the file's `providers:`.
    public var provider: String
    /// The provider's own id for it, sent in requests.
    public var modelID: String
    /// Nil when the file does not say.
    public var contextWindow: Int?
    public var maxOutputTokens: Int?
    public var prices: ModelPrices
    /// The region the file gives the model (`region:`); nil: its provider's.
    public var region: String?

    public init(
        name: String, provider: String, modelID: String, contextWindow: Int? = nil, maxOutputTokens: Int? = nil,
        prices: ModelPrices = .unknown, region: String? = nil
    ) {
        self.region = region
        self.name = name
        self.provider = provider
        self.modelID = modelID
        self.contextWindow = contextWindow
        self.maxOutputTokens = maxOutputTokens
        self.prices = prices
    }
}

/// A provider defined under `providers:` in a models file: any server speaking one of the two
/// protocols (vLLM, LiteLLM, Together, a company gateway).
public struct CustomProvider: Sendable, Hashable {
    public var name: String
    public var wireProtocol: ProviderProtocol
    public var baseURL: String
    /// The variable holding its key; nil for a server that needs none (it is then always configured).
    public var apiKeyVariable: String?
    /// Prices of its models that the file does not list (`name/some-model`): unknown unless given.
    public var prices: ModelPrices
    /// The region the file gives the provider; nil: ``ModelRegion/default(forCustomProviderAt:)``.
    public var region: String?

    public init(
        name: String, wireProtocol: ProviderProtocol, baseURL: String, apiKeyVariable: String?, prices: ModelPrices = .unknown,
        region: String? = nil
    ) {
        self.region = region
        self.name = name
        self.wireProtocol = wireProtocol
        self.baseURL = baseURL
        self.apiKeyVariable = apiKeyVariable
        self.prices = prices
    }
}

/// One models file's text and the name messages give it.
public struct ModelsFileSource: Sendable, Hashable {
    public var text: String
    /// A path, or `shipped models file` for the default.
    public var file: String

    public init(text: String, file: String) {
        self.text = text
        self.file = file
    }

    /// The models file every binary carries (``ShippedModels``).
    public static let shipped = ModelsFileSource(text: ShippedModels.yaml, file: "shipped models file")
}

/// Model names and what they stand for: the shipped models file with the user's merged over it.
///
/// A name resolves (``resolve(_:)``) as a model of the files, an alias of one, or a provider
/// prefix and the provider's own id (`openai/gpt-4o`, `openrouter/anthropic/claude-sonnet-5.5`,
/// `ollama/llama3.2`). Files are merged in order, each over the ones before it, key by key:
/// a user's `sonnet` entry may change only its prices.
public struct ModelCatalog: Sendable {
    public private(set) var models: [String: ModelEntry] = [:]
    /// Alias → the name it stands for (a model of the files or a prefixed name).
    public private(set) var aliases: [String: String] = [:]
    public private(set) var customProviders: [String: CustomProvider] = [:]
    /// Model name → the models to fail over to, in order, as the files give them.
    public private(set) var failoverChains: [String: [String]] = [:]
    /// The files merged, lowest first.
    public private(set) var files: [String] = []
    /// (provider, model id) → the model's name, so `anthropic/claude-sonnet-5-5` finds its prices.
    private var namesByProviderModel: [ProviderModel: String] = [:]

    private struct ProviderModel: Hashable {
        var provider: String
        var modelID: String
    }

    /// The shipped models file alone.
    public static func shipped() throws -> ModelCatalog {
        try ModelCatalog(sources: [.shipped])
    }

    /// Reads, merges and checks `sources`, lowest first; the first problem is thrown as a
    /// ``ModelCatalogError`` naming its file, line and key.
    public init(sources: [ModelsFileSource]) throws {
        var merged = MergedModelsFiles()
        for source in sources {
            merged.merge(try ModelsFileReader(file: source.file).read(source.text))
        }
        files = merged.files
        try buildProviders(merged)
        try buildModels(merged)
        try buildAliases(merged)
        try buildFailover(merged)
    }

    /// Every name a request may use without a prefix: models and aliases, sorted.
    public var names: [String] { (Array(models.keys) + Array(aliases.keys)).sorted() }

    /// Every provider name a prefix may use: the built-in ones and the file's, sorted.
    public var providerNames: [String] { (BuiltInProvider.names + customProviders.keys).sorted() }

    // MARK: - Building

    private mutating func buildProviders(_ merged: MergedModelsFiles) throws {
        for name in merged.providerOrder {
            guard let draft = merged.providers[name] else { continue }
            let path = "providers.\(name)"
            guard let wireProtocol = draft.wireProtocol?.value else {
                throw ModelCatalogError(
                    .missingKey, at: draft.location, key: "\(path).protocol", "provider `\(name)` needs `protocol:`",
                    hint: "`anthropic` (Messages API) or `openai` (Chat Completions)")
            }
            guard let baseURL = draft.baseURL?.value else {
                throw ModelCatalogError(
                    .missingKey, at: draft.location, key: "\(path).base_url", "provider `\(name)` needs `base_url:`",
                    hint: "where its API is, like https://api.example.com/v1")
            }
            customProviders[name] = CustomProvider(
                name: name, wireProtocol: wireProtocol, baseURL: baseURL, apiKeyVariable: draft.apiKeyVariable?.value,
                prices: draft.prices?.prices ?? .unknown, region: draft.region?.value)
        }
    }

    private mutating func buildModels(_ merged: MergedModelsFiles) throws {
        for name in merged.modelOrder {
            guard let draft = merged.models[name] else { continue }
            let path = "models.\(name)"
            guard let provider = draft.provider else {
                throw ModelCatalogError(
                    .missingKey, at: draft.location, key: "\(path).provider", "model \(UntrustedText.quoted(name)) needs `provider:`",
                    hint: "one of \(providerNames.joined(separator: ", "))")
            }
            guard isProvider(provider.value) else {
                throw ModelCatalogError(
                    .unknownProvider, at: provider.location, key: "\(path).provider",
                    "unknown provider \(UntrustedText.quoted(provider.value))",
                    hint: EditDistance.suggestion(for: provider.value, among: providerNames)
                        ?? "the providers are \(providerNames.joined(separator: ", ")); define others under `providers:`")
            }
            guard let modelID = draft.model?.value, !modelID.isEmpty else {
                throw ModelCatalogError(
                    .missingKey, at: draft.model?.location ?? draft.location, key: "\(path).model",
                    "model \(UntrustedText.quoted(name)) needs `model:`, the provider's id for it")
            }
            models[name] = ModelEntry(
                name: name, provider: provider.value, modelID: modelID, contextWindow: draft.contextWindow?.value,
                maxOutputTokens: draft.maxOutputTokens?.value, prices: draft.prices?.prices ?? .unknown,
                region: draft.region?.value)
        }
        for name in models.keys.sorted() {
            guard let entry = models[name] else { continue }
            let key = ProviderModel(provider: entry.provider, modelID: entry.modelID)
            if namesByProviderModel[key] == nil { namesByProviderModel[key] = name }
        }
    }

    private mutating func buildAliases(_ merged: MergedModelsFiles) throws {
        for name in merged.aliasOrder {
            guard let target = merged.aliases[name] else { continue }
            let path = "aliases.\(name)"
            if merged.aliases[target.value] != nil {
                throw ModelCatalogError(
                    .invalidValue, at: target.location, key: path,
                    "alias `\(name)` points at another alias, \(UntrustedText.quoted(target.value))",
                    hint: "point it at a model")
            }
            do {
                _ = try resolveWithoutAliases(target.value)
            } catch let error as ModelCatalogError {
                throw ModelCatalogError(
                    error.code, at: target.location, key: path, "alias `\(name)` points at nothing: \(error.message)",
                    hint: error.hint)
            }
            aliases[name] = target.value
        }
    }

    private mutating func buildFailover(_ merged: MergedModelsFiles) throws {
        for name in merged.failoverOrder {
            guard let (location, chain) = merged.failover[name] else { continue }
            let path = "failover.\(name)"
            try checkResolves(name, at: location, key: path)
            for (index, target) in chain.enumerated() {
                try checkResolves(target.value, at: target.location, key: "\(path)[\(index)]")
            }
            failoverChains[name] = chain.map(\.value)
        }
    }

    private func checkResolves(_ name: String, at location: ModelCatalogError.Location, key: String) throws {
        do {
            _ = try resolve(name)
        } catch let error as ModelCatalogError {
            throw ModelCatalogError(error.code, at: location, key: key, error.message, hint: error.hint)
        }
    }

    // MARK: - Resolving

    /// What `name` stands for: its provider, the provider's model id, the context window and the prices.
    ///
    /// Throws a ``ModelCatalogError`` for an empty or overlong name, an unknown prefix
    /// (listing the providers) or an unknown bare name (listing the close matches).
    public func resolve(_ name: String) throws -> ResolvedModel {
        if let target = aliases[name] {
            return try resolveWithoutAliases(target)
        }
        return try resolveWithoutAliases(name)
    }

    /// The cost of one call's `usage` on `model`, in US dollars; nil when a price it needs is unknown.
    public func cost(of usage: TokenUsage, for model: ResolvedModel) -> Decimal? {
        model.prices.cost(of: usage)
    }

    /// The models to try, in order, when `name` fails for a passing reason. A chain given for
    /// the name itself wins, then one given for the model it resolves to or for an alias of it
    /// (`claude-sonnet-5-5` uses `sonnet`'s chain).
    public func failoverChain(for name: String) -> [String] {
        if let chain = failoverChains[name] { return chain }
        guard let resolved = try? resolve(name) else { return [] }
        if let chain = failoverChains[resolved.name] { return chain }
        for alias in aliases.keys.sorted() where failoverChains[alias] != nil {
            if (try? resolve(alias))?.name == resolved.name, let chain = failoverChains[alias] { return chain }
        }
        return []
    }

    private func isProvider(_ name: String) -> Bool {
        BuiltInProvider(rawValue: name) != nil || customProviders[name] != nil
    }

    private func resolveWithoutAliases(_ name: String) throws -> ResolvedModel {
        if name.isEmpty {
            throw ModelCatalogError(.unknownModel, "no model named", hint: "name one, like `sonnet` or `openai/gpt-4o`")
        }
        if name.count > ModelsFileReader.maximumNameLength {
            throw ModelCatalogError(
                .unknownModel, "a model name is at most \(ModelsFileReader.maximumNameLength) characters, this one has \(name.count)")
        }
        if let entry = models[name] {
            return ResolvedModel(entry, region: region(of: entry.provider, model: entry.region))
        }
        guard let slash = name.firstIndex(of: "/") else {
            throw unknownModel(name)
        }
        let prefix = String(name[..<slash])
        let modelID = String(name[name.index(after: slash)...])
        guard isProvider(prefix) else {
            throw ModelCatalogError(
                .unknownProvider, "unknown provider \(UntrustedText.quoted(prefix)) in \(UntrustedText.quoted(name))",
                hint: EditDistance.suggestion(for: prefix, among: providerNames)
                    ?? "the providers are \(providerNames.joined(separator: ", ")); define others under `providers:` in the models file")
        }
        guard !modelID.isEmpty else {
            throw ModelCatalogError(
                .unknownModel, "\(UntrustedText.quoted(name)) names no model after the provider",
                hint: "write the provider's model id after the slash, like \(prefix)/model-id")
        }
        if let entryName = namesByProviderModel[ProviderModel(provider: prefix, modelID: modelID)], let entry = models[entryName] {
            return ResolvedModel(entry, region: region(of: entry.provider, model: entry.region))
        }
        let prices: ModelPrices
        if let custom = customProviders[prefix] {
            prices = custom.prices
        } else {
            prices = BuiltInProvider(rawValue: prefix)?.isLocal == true ? .free : .unknown
        }
        return ResolvedModel(name: name, provider: prefix, modelID: modelID, prices: prices, region: region(of: prefix, model: nil))
    }

    /// Where a model of `provider` processes data: the model's own `region`, else the
    /// provider's in the file, else the built-in default (``ModelRegion``).
    private func region(of provider: String, model: String?) -> String? {
        if let model { return model }
        if let custom = customProviders[provider] {
            return custom.region ?? ModelRegion.default(forCustomProviderAt: custom.baseURL)
        }
        return BuiltInProvider(rawValue: provider).map(ModelRegion.default(for:))
    }

    private func unknownModel(_ name: String) -> ModelCatalogError {
        let matches = EditDistance.closeMatches(to: name, among: names, limit: 3)
        let prefixes = providerNames.map { "\($0)/…" }.joined(separator: ", ")
        var message = "unknown model \(UntrustedText.quoted(name))"
        if !matches.isEmpty {
            message += "; did you mean " + matches.map { "`\($0)`" }.joined(separator: ", ") + "?"
        }
        return ModelCatalogError(
            .unknownModel, message,
            hint: "use a name of the models file (\(aliases.keys.sorted().joined(separator: ", ")) …) or a provider prefix: \(prefixes)")
    }
}
