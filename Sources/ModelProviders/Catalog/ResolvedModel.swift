/// What a model name stands for, ready for a call and for pricing its usage.
public struct ResolvedModel: Sendable, Hashable, CustomStringConvertible {
    /// The catalog's name for it: a model of the models file (`claude-sonnet-5-5` for `sonnet`),
    /// or the prefixed name as given (`openai/gpt-4o`). Resolving it again gives the same model.
    public var name: String
    /// The provider endpoint's name (`anthropic`, `openai`, `openrouter`, `ollama`, a custom one).
    public var provider: String
    /// The provider's own id for the model, sent in the request.
    public var modelID: String
    /// Nil when unknown (a prefixed name the file does not list).
    public var contextWindow: Int?
    public var maxOutputTokens: Int?
    public var prices: ModelPrices
    /// Where the model processes data (`eu`, `us`, `local`, …); nil when nothing says
    /// (a custom provider on a remote host without `region:`), which no data residency allows.
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

    init(_ entry: ModelEntry, region: String?) {
        self.init(
            name: entry.name, provider: entry.provider, modelID: entry.modelID, contextWindow: entry.contextWindow,
            maxOutputTokens: entry.maxOutputTokens, prices: entry.prices, region: region)
    }

    public var description: String { "\(name) (\(provider) \(modelID))" }
}
