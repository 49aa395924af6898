/// What a streamed call yields, in order: deltas as they arrive, then exactly one `.finished`
/// with the whole response (the deltas assembled), unless the stream throws.
public enum ModelStreamEvent: Sendable, Hashable {
    /// A piece of the answer's text.
    case textDelta(String)
    /// A piece of visible reasoning.
    case thinkingDelta(String)
    /// The model began a tool call (its input follows, assembled into the final response).
    case toolCallStarted(id: String, name: String)
    case finished(ModelResponse)
}

/// One provider endpoint speaking one wire protocol (Anthropic Messages, OpenAI Chat Completions).
///
/// Implementations do one attempt per call: retries, failover and circuit breaking are the
/// caller's (``ModelRouter``), so that every retry can be recorded where the run is.
/// Failures are ``ModelProviderError``s.
public protocol ModelProvider: Sendable {
    /// The provider's name in messages and events (`anthropic`, `openai`, `openrouter`, `ollama`, …).
    var name: String { get }
    /// One call, the whole answer at once.
    func complete(_ request: ModelRequest) async throws -> ModelResponse
    /// One call, streamed. Cancelling the consuming task aborts the HTTP request.
    func stream(_ request: ModelRequest) async throws -> AsyncThrowingStream<ModelStreamEvent, any Error>
}
