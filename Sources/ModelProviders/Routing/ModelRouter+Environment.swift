extension ModelRouter {
    /// The router a process uses: the models file (`modelsFile`, else `SANDCASTLE_MODELS_FILE`,
    /// else the user's, over the shipped one), the providers the environment configures, and
    /// the real clients (one per endpoint, kept).
    public static func fromEnvironment(
        _ environment: [String: String], modelsFile: String? = nil, policy: RoutingPolicy = RoutingPolicy()
    ) throws -> ModelRouter {
        let catalog = try ModelCatalog.load(modelsFile: modelsFile, environment: environment)
        let settings = try ProviderSettings(environment: environment, catalog: catalog)
        return ModelRouter(catalog: catalog, settings: settings, policy: policy, makeProvider: Self.client(for:))
    }

    /// The client that speaks `endpoint`'s protocol.
    public static func client(for endpoint: ProviderEndpoint) throws -> any ModelProvider {
        switch endpoint.wireProtocol {
        case .anthropic: try AnthropicProvider(endpoint: endpoint)
        case .openAIChat: try OpenAIChatProvider(endpoint: endpoint)
        }
    }
}
