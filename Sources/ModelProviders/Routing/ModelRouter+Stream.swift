extension ModelRouter {
    /// The stream behind both stream faces: one routed call whose attempts forward their deltas
    /// as they come. An attempt that fails before its first delta is retried or failed over like
    /// a `complete`; once a delta is out, a failure is a ``CommittedFailure`` and ends the stream.
    func streamRouted(_ request: ModelRequest, onEvent: @escaping RouterEventSink) -> AsyncThrowingStream<RoutedStreamEvent, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    let answer = try await self.route(request, onEvent: onEvent) { client, modelRequest, model in
                        try await Self.forward(client: client, request: modelRequest, model: model, to: continuation)
                    }
                    continuation.yield(.finished(answer))
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// One streamed attempt: its deltas go to `continuation`, its final response is returned.
    private static func forward(
        client: any ModelProvider, request: ModelRequest, model: ResolvedModel,
        to continuation: AsyncThrowingStream<RoutedStreamEvent, any Error>.Continuation
    ) async throws -> ModelResponse {
        var yielded = false
        do {
            for try await event in try await client.stream(request) {
                if case .finished(let response) = event { return response }
                yielded = true
                continuation.yield(.delta(event))
            }
        } catch {
            throw yielded ? CommittedFailure(error: error) : error
        }
        // A stream that stops without its final event was cut, unless we were cancelled
        // (iterating a cancelled task's stream just ends).
        try Task.checkCancellation()
        let cut = ModelProviderError(
            .streamInterrupted, provider: model.provider, message: "the stream of \(model.name) ended before its message did")
        throw yielded ? CommittedFailure(error: cut) : cut
    }
}
