import HTTPTransport

/// Turns one protocol's stream events into ``ModelStreamEvent``s and, at its end, the whole response.
protocol StreamAssembler: Sendable {
    /// The events one server-sent event produces (the last of a stream includes `.finished`).
    mutating func consume(_ event: ServerSentEvent) throws -> [ModelStreamEvent]
    /// The protocol's end marker arrived (`message_stop`, `[DONE]`).
    var isFinished: Bool { get }
}

extension ProviderHTTP {
    /// The events of a 2xx event-stream body, pulled through `assembler` as the consumer asks.
    ///
    /// The body is read in the consumer's own task, so cancelling that task aborts the HTTP
    /// transfer at once and the stream throws `CancellationError` (a stream that merely ended
    /// would look like a finished one); dropping the stream aborts it too. Never more than
    /// ``maxResponseBytes`` are read. A body that ends (or breaks) before the protocol's end
    /// marker is `stream_interrupted`. After the end marker the rest of the body is read in
    /// the background, so that the connection goes back to the pool instead of being closed.
    func events(
        from response: HTTPStreamingResponse, assembler: some StreamAssembler
    ) -> AsyncThrowingStream<ModelStreamEvent, any Error> {
        let pump = EventPump(http: self, response: response, assembler: assembler)
        return AsyncThrowingStream(unfolding: { try await pump.next() })
    }

    /// What a failure while reading a stream becomes: a broken connection after the head is a
    /// cut stream (the request may be retried), not a failure to connect.
    fileprivate func streamFailure(_ error: any Error) -> any Error {
        if error is ModelProviderError || error is CancellationError { return error }
        if let error = error as? HTTPTransportError {
            if error.code == .cancelled { return CancellationError() }
            return context.error(.streamInterrupted, "the stream from \(client.endpoint) broke off: \(error.message)")
        }
        return context.error(.streamInterrupted, "the stream from \(client.endpoint) broke off: \(error)")
    }
    /// A finished response as a stream, for a server that answered a streaming request with one
    /// JSON document: its text, its tool calls, then `.finished`.
    static func replay(_ response: ModelResponse) -> AsyncThrowingStream<ModelStreamEvent, any Error> {
        AsyncThrowingStream { continuation in
            for block in response.message.content {
                switch block {
                case .text(let text): continuation.yield(.textDelta(text))
                case .thinking(let text, _): continuation.yield(.thinkingDelta(text))
                case .toolCall(let call): continuation.yield(.toolCallStarted(id: call.id, name: call.name))
                case .toolResult: break
                }
            }
            continuation.yield(.finished(response))
            continuation.finish()
        }
    }
}

/// The state of one stream between the consumer's calls.
///
/// Unchecked `Sendable` because it is confined, not shared: `AsyncThrowingStream(unfolding:)`
/// calls ``next()`` from the consuming task, one call at a time, and the background drain
/// starts only after the consumer has been told the stream is over.
private final class EventPump<Assembler: StreamAssembler>: @unchecked Sendable {
    private let http: ProviderHTTP
    private let response: HTTPStreamingResponse
    private var body: AsyncThrowingStream<[UInt8], any Error>.AsyncIterator
    private var assembler: Assembler
    private var decoder = ServerSentEventDecoder()
    private var ready: [ModelStreamEvent] = []
    private var readIndex = 0
    private var received = 0
    private var over = false
    private var draining = false

    /// How long the rest of a finished stream may take to arrive before its connection is closed.
    static var drainLimit: Duration { .seconds(5) }

    init(http: ProviderHTTP, response: HTTPStreamingResponse, assembler: Assembler) {
        self.http = http
        self.response = response
        self.body = response.body.makeAsyncIterator()
        self.assembler = assembler
    }

    deinit {
        // The consumer dropped the stream before its end: nobody reads the rest.
        if !draining { response.cancel() }
    }

    func next() async throws -> ModelStreamEvent? {
        while true {
            if readIndex < ready.count {
                readIndex += 1
                return ready[readIndex - 1]
            }
            ready.removeAll(keepingCapacity: true)
            readIndex = 0
            if over { return nil }
            if assembler.isFinished {
                over = true
                drainInBackground()
                return nil
            }
            do {
                try await pull()
            } catch {
                over = true
                response.cancel()
                throw http.streamFailure(error)
            }
        }
    }

    /// Reads one chunk and turns the events it completes into ready output.
    private func pull() async throws {
        // A cancelled consumer's body stream just ends (AsyncThrowingStream's rule): that must
        // not pass for the server ending it.
        try Task.checkCancellation()
        guard let chunk = try await body.next() else {
            try Task.checkCancellation()
            let cut = decoder.hasPartialEvent ? " in the middle of an event" : ""
            throw http.context.error(.streamInterrupted, "the stream from \(http.client.endpoint) ended\(cut) before the message did")
        }
        received += chunk.count
        guard received <= http.maxResponseBytes else { throw http.oversized() }
        for event in decoder.feed(chunk) {
            ready += try assembler.consume(event)
            if assembler.isFinished { return }
        }
    }

    /// Reads what follows the end marker (normally just the body's end) so that libcurl can
    /// reuse the connection; a server that keeps the body open is cut off after a while.
    private func drainInBackground() {
        draining = true
        Task {
            let limit = Task {
                try await Task.sleep(for: Self.drainLimit)
                self.response.cancel()
            }
            defer { limit.cancel() }
            do {
                while let chunk = try await body.next() {
                    received += chunk.count
                    if received > http.maxResponseBytes {
                        response.cancel()
                        return
                    }
                }
            } catch {
                // Ending early only costs the connection.
            }
        }
    }
}
