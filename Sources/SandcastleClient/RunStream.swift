import HTTPTransport
import JSONValues
import ModelProviders

/// One frame of `GET /api/runs/{id}/stream`: `status`, `step`, `result`, or an agent event
/// (`model_turn`, `tool_called`, …) under its own name; `data` is its JSON.
public struct RunStreamFrame: Sendable, Hashable {
    public let event: String
    /// The run's event sequence number the frame reflects (ours); what `Last-Event-ID` resumes after.
    public let id: Int64?
    public let data: JSONValue

    public init(event: String, id: Int64?, data: JSONValue) {
        self.event = event
        self.id = id
        self.data = data
    }
}

extension SandcastleAPIClient {
    /// The largest event the reader holds while it waits for its end: a server that never ends
    /// a line cannot grow the buffer past this.
    static let maxEventBytes = 8 << 20

    /// Follows a run's live stream until its `result` frame (the run ended, or paused at an
    /// approval gate). A dropped connection, or a server that closes the stream early (a
    /// restart), is reconnected with `Last-Event-ID` set to the last frame's id, so nothing is
    /// missed and nothing comes twice; after ``reconnectAttempts`` failed reconnects in a row it
    /// throws. A 4xx answer (unknown run, bad key) throws at once.
    ///
    /// - Parameter after: resume after this event id (`0` replays the run's whole history); nil
    ///   starts with the run's current state.
    public func followRun(id: String, after: Int64? = nil) -> AsyncThrowingStream<RunStreamFrame, any Error> {
        let (stream, continuation) = AsyncThrowingStream<RunStreamFrame, any Error>.makeStream()
        let reader = Task {
            do {
                try await self.readRun(id: id, after: after) { continuation.yield($0) }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in reader.cancel() }
        return stream
    }

    private func readRun(id: String, after: Int64?, _ deliver: (RunStreamFrame) -> Void) async throws {
        var lastID = after
        var failures = 0
        let path = "/runs/\(Self.segment(id))/stream"
        while true {
            try Task.checkCancellation()
            var headers = baseHeaders()
            headers.remove("Accept")
            headers.add("Accept", "text/event-stream")
            if let lastID { headers.add("Last-Event-ID", String(lastID)) }
            let request = HTTPRequest(method: .get, path: "/api" + path, headers: headers, timeout: nil, connectTimeout: .seconds(10))
            var problem: RemoteAPIError
            do {
                let response = try await http.stream(request)
                if !response.isSuccess {
                    let body = (try? await response.collect(upTo: 1 << 20)) ?? []
                    let error = Self.serverError(
                        server, status: response.status, json: JSONValue.parse(json: String(decoding: body, as: UTF8.self)),
                        text: String(decoding: body, as: UTF8.self))
                    // A refusal is final; a server in trouble (5xx, a restart's 503) is tried again.
                    guard response.status >= 500 else { throw error }
                    problem = error
                } else {
                    var decoder = ServerSentEventDecoder()
                    for try await chunk in response.body {
                        for event in decoder.feed(chunk) {
                            let frame = RunStreamFrame(
                                event: event.event ?? "message", id: event.id.flatMap { Int64($0) },
                                data: JSONValue.parse(json: event.data) ?? .string(event.data))
                            if let id = frame.id { lastID = id }
                            failures = 0
                            if frame.event == "error" {
                                let message = frame.data.child("message").map(\.renderedString) ?? frame.data.renderedString
                                throw RemoteAPIError(.server, "the server at \(server.url) ended the stream of run \(id): \(Self.clean(message))")
                            }
                            deliver(frame)
                            if frame.event == "result" {
                                response.cancel()
                                return
                            }
                        }
                        if decoder.bufferedByteCount > Self.maxEventBytes {
                            response.cancel()
                            throw RemoteAPIError(.invalidAnswer, "the server at \(server.url) sent an event of more than \(Self.maxEventBytes) bytes")
                        }
                    }
                    problem = RemoteAPIError(.unreachable, "the server at \(server.url) closed the stream of run \(id) before its result")
                }
            } catch let error as HTTPTransportError {
                if error.code == .cancelled { throw CancellationError() }
                problem = RemoteAPIError.unreachable(server, error)
            }
            failures += 1
            guard failures <= reconnectAttempts else { throw problem }
            // 0.25 s, 0.5 s, 1 s, … at most 5 s between reconnects.
            let delay = min(250 * (1 << min(failures - 1, 5)), 5000)
            try await Task.sleep(for: .milliseconds(delay))
        }
    }
}
