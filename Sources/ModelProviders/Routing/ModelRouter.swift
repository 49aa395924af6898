import Resilience
import Synchronization

/// Model calls by catalog name, with retries, cooldowns, circuit breakers and failover.
///
/// A call resolves its model name through the ``ModelCatalog``, then tries that model: a
/// passing failure (429, 529, 5xx, a cut stream, a transport error) is retried after the
/// provider's `retry-after` (up to ``RoutingPolicy/maximumRetryAfter``) or a jittered
/// exponential backoff, up to ``RoutingPolicy/attemptsPerModel`` calls. Then the call fails over
/// along the model's chain, skipping models whose provider has no key, is cooling down or has
/// an open breaker. Authentication, permission and request errors are never retried: they fail
/// at once, naming the variable to fix. A stream is retried only while nothing of it has been
/// yielded. Cancelling the calling task ends waits and calls at once.
///
/// `ModelRouter` is itself a ``ModelProvider`` (named `router`) whose requests name a catalog
/// model (`sonnet`, `openai/gpt-4o`), so code written against `any ModelProvider` gets routing
/// for free; its answers name the model that answered by its catalog name. The richer
/// ``complete(_:onEvent:)`` and ``stream(_:onEvent:)`` also report every retry and failover.
public final class ModelRouter: ModelProvider, Sendable {
    public let name = "router"
    public let catalog: ModelCatalog
    public let settings: ProviderSettings
    public let policy: RoutingPolicy

    let clock: RoutingClock
    let health: ProviderHealth
    private let clients: ProviderClients
    private let random: Mutex<any RandomNumberGenerator & Sendable>
    /// Where the `ModelProvider` face reports events (the rich API takes its own sink).
    private let defaultSink: RouterEventSink

    /// - Parameters:
    ///   - makeProvider: makes the client of one endpoint (Anthropic or OpenAI-compatible);
    ///     called once per provider, the client is kept for later calls.
    ///   - clock: what waits are measured and slept on; tests pass a manual one.
    ///   - random: the jitter's source; tests pass a seeded one.
    ///   - events: where the `ModelProvider` face's events go (``reporting(to:)`` makes views
    ///     with other sinks).
    public init(
        catalog: ModelCatalog, settings: ProviderSettings, policy: RoutingPolicy = RoutingPolicy(),
        clock: RoutingClock = .continuous, random: some RandomNumberGenerator & Sendable = SystemRandomNumberGenerator(),
        events: @escaping RouterEventSink = { _ in },
        makeProvider: @escaping @Sendable (ProviderEndpoint) throws -> any ModelProvider
    ) {
        self.catalog = catalog
        self.settings = settings
        self.policy = policy
        self.clock = clock
        self.health = ProviderHealth(policy: policy, now: clock.now)
        self.clients = ProviderClients(makeProvider: makeProvider)
        self.random = Mutex(random)
        self.defaultSink = events
    }

    private init(
        view router: ModelRouter, settings: ProviderSettings, health: ProviderHealth, clients: ProviderClients,
        events: @escaping RouterEventSink, policy: RoutingPolicy? = nil
    ) {
        self.catalog = router.catalog
        self.settings = settings
        self.policy = policy ?? router.policy
        self.clock = router.clock
        self.health = health
        self.clients = clients
        self.random = Mutex(SystemRandomNumberGenerator())
        self.defaultSink = events
    }

    /// This router with its `ModelProvider` face reporting to `sink`, sharing cooldowns,
    /// breakers and clients: one per agent step, so its events land in that step.
    public func reporting(to sink: @escaping RouterEventSink) -> ModelRouter {
        ModelRouter(view: self, settings: settings, health: health, clients: clients, events: sink)
    }

    /// This router calling only models `residency` allows (`DATA_RESIDENCY`), sharing cooldowns,
    /// breakers and clients; nil keeps it as it is.
    public func residing(in residency: DataResidency?) -> ModelRouter {
        guard let residency else { return self }
        var policy = self.policy
        policy.residency = residency
        return ModelRouter(view: self, settings: settings, health: health, clients: clients, events: defaultSink, policy: policy)
    }

    /// A router for one request's calls with that request's own keys (Sandstorm's
    /// `anthropic_api_key`, `openrouter_api_key`). It has its own clients, cooldowns and
    /// breakers, since the keys' limits are not the environment's, and holds the keys only as
    /// long as the caller keeps it: drop it when the request ends.
    public func overriding(_ credentials: RequestCredentials) -> ModelRouter {
        guard !credentials.isEmpty else { return self }
        return ModelRouter(
            view: self, settings: settings.overriding(credentials), health: ProviderHealth(policy: policy, now: clock.now),
            clients: ProviderClients(makeProvider: clients.makeProvider), events: defaultSink)
    }

    // MARK: - The rich API

    /// One call to the model `request.model` names (a catalog name), retried and failed over.
    /// - Throws: the last ``ModelProviderError`` when every model failed (with code
    ///   ``ModelProviderError/Code/unknownModel`` for a name the catalog does not know), or
    ///   `CancellationError`.
    public func complete(_ request: ModelRequest, onEvent: @escaping RouterEventSink) async throws -> RoutedResponse {
        try await route(request, onEvent: onEvent) { client, modelRequest, _ in
            try await client.complete(modelRequest)
        }
    }

    /// One streamed call: the answer's deltas as they arrive, then `.finished` with the whole
    /// answer and the model that gave it. Retries and failover happen only before the first
    /// delta; a failure after it ends the stream with that error. Ending the iteration (or
    /// cancelling its task) cancels the call.
    public func stream(_ request: ModelRequest, onEvent: @escaping RouterEventSink) -> AsyncThrowingStream<RoutedStreamEvent, any Error> {
        streamRouted(request, onEvent: onEvent)
    }

    // MARK: - ModelProvider

    public func complete(_ request: ModelRequest) async throws -> ModelResponse {
        try await complete(request, onEvent: defaultSink).responseNamingModel
    }

    public func stream(_ request: ModelRequest) async throws -> AsyncThrowingStream<ModelStreamEvent, any Error> {
        let routed = streamRouted(request, onEvent: defaultSink)
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    for try await event in routed {
                        switch event {
                        case .delta(let delta): continuation.yield(delta)
                        case .finished(let answer): continuation.yield(.finished(answer.responseNamingModel))
                        }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    // MARK: - Internals for the routing loop

    func client(for endpoint: ProviderEndpoint) throws -> any ModelProvider {
        try clients.client(for: endpoint)
    }

    func backoffDelay(forRetry retry: Int) -> Duration {
        random.withLock { generator in policy.backoff.delay(forRetry: retry, using: &generator) }
    }
}

/// The clients of one router, one per provider, made when first needed.
final class ProviderClients: Sendable {
    let makeProvider: @Sendable (ProviderEndpoint) throws -> any ModelProvider
    private let clients = Mutex<[String: any ModelProvider]>([:])

    init(makeProvider: @escaping @Sendable (ProviderEndpoint) throws -> any ModelProvider) {
        self.makeProvider = makeProvider
    }

    func client(for endpoint: ProviderEndpoint) throws -> any ModelProvider {
        if let client = clients.withLock({ $0[endpoint.name] }) { return client }
        // Made outside the lock: a client's initialiser may take its time (TLS set-up).
        let client = try makeProvider(endpoint)
        return clients.withLock { clients in
            if let existing = clients[endpoint.name] { return existing }
            clients[endpoint.name] = client
            return client
        }
    }
}
