/// A routed call's answer and which model gave it, for pricing after a failover.
public struct RoutedResponse: Sendable, Hashable {
    /// The answer as the provider gave it (its `model` is the provider's own id, maybe dated).
    public var response: ModelResponse
    /// The model that answered: price its usage with ``ModelCatalog/cost(of:for:)``.
    public var model: ResolvedModel
    /// The name the request asked for (`sonnet`).
    public var requestedModel: String
    /// Calls made in all, over every model tried (1 when the first call answered).
    public var attempts: Int
    /// Whether a model other than the one asked for answered (`sonnet` answered by
    /// `claude-sonnet-5-5`, its alias's model, is not a failover).
    public var failedOver: Bool

    public init(response: ModelResponse, model: ResolvedModel, requestedModel: String, attempts: Int, failedOver: Bool) {
        self.response = response
        self.model = model
        self.requestedModel = requestedModel
        self.attempts = attempts
        self.failedOver = failedOver
    }

    /// The response as ``ModelRouter``'s `ModelProvider` face returns it: `model` is the
    /// catalog name of the model that answered, which resolves again for pricing.
    public var responseNamingModel: ModelResponse {
        var response = response
        response.model = model.name
        return response
    }
}

/// What ``ModelRouter/stream(_:onEvent:)`` yields: the answer's pieces as they arrive, then
/// exactly one `.finished` with the whole answer and the model that gave it.
public enum RoutedStreamEvent: Sendable, Hashable {
    /// A piece of the answer (never `.finished`).
    case delta(ModelStreamEvent)
    case finished(RoutedResponse)
}
