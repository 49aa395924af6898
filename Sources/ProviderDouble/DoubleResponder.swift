import Foundation
import HTTPTypes
import Hummingbird
import JSONValues

/// Answers the two APIs' requests from the conversations' scripts.
struct DoubleResponder: Sendable {
    let conversations: DoubleConversations
    let tokenDelay: Duration
    let maxRequestBytes: Int

    /// Headers never recorded: they carry credentials.
    static let credentialHeaders: Set<String> = ["x-api-key", "authorization", "api-key", "proxy-authorization"]

    func respond(_ api: DoubleAPI, to request: Request) async throws -> Response {
        let requestID = "req_double_\(conversations.sequence())"
        guard let bytes = try await read(request.body) else {
            return failure(api, DoubleFailure(status: 413, type: nil, message: "the request exceeds \(maxRequestBytes) bytes"), requestID)
        }
        let body = try? JSONDecoder().decode(JSONValue.self, from: Data(bytes))
        let apiKey = request.headers.value("x-api-key")
        let bearer = request.headers[.authorization].flatMap { value in
            value.lowercased().hasPrefix("bearer ") ? String(value.dropFirst("bearer ".count)) : nil
        }
        let recorded = RecordedRequest(
            api: api, path: request.uri.path,
            headers: request.headers.filter { !Self.credentialHeaders.contains($0.name.canonicalName) }
                .map { RecordedRequest.Header(name: $0.name.canonicalName, value: $0.value) },
            credentialScheme: apiKey != nil ? "x-api-key" : bearer != nil ? "bearer" : nil,
            bodyText: String(decoding: bytes, as: UTF8.self), body: body)
        let conversation = request.headers.value(DoubleConversations.conversationHeader) ?? apiKey ?? bearer ?? ""

        if let refusal = refusal(api, request.headers, body: body, credentialed: apiKey != nil || bearer != nil) {
            // The real APIs refuse these before any model runs: no turn is taken.
            conversations.record(recorded, for: conversation)
            return failure(api, refusal, requestID)
        }
        switch conversations.next(for: conversation, recording: recorded) {
        case .turn(let turn, let sequence):
            return answer(api, turn, body: body ?? .null, sequence: sequence, requestBytes: bytes.count, requestID: requestID)
        case .unscripted:
            let message = "the provider double has no script for this conversation and no default script"
            return failure(api, DoubleFailure(status: 400, type: nil, message: message), requestID)
        case .exhausted(let played):
            let message = "the provider double's script for this conversation has no turn left (\(played) played)"
            return failure(api, DoubleFailure(status: 400, type: nil, message: message), requestID)
        }
    }

    /// The whole body, or nil past ``maxRequestBytes``.
    private func read(_ body: RequestBody) async throws -> [UInt8]? {
        var bytes: [UInt8] = []
        for try await buffer in body {
            guard bytes.count + buffer.readableBytes <= maxRequestBytes else { return nil }
            bytes.append(contentsOf: buffer.readableBytesView)
        }
        return bytes
    }

    /// Why the real API would refuse this request, if it would.
    private func refusal(_ api: DoubleAPI, _ headers: HTTPFields, body: JSONValue?, credentialed: Bool) -> DoubleFailure? {
        if api == .anthropic && !credentialed {
            return DoubleFailure(status: 401, type: nil, message: "x-api-key header is required")
        }
        if api == .anthropic && headers.value("anthropic-version") == nil {
            return DoubleFailure(status: 400, type: nil, message: "anthropic-version: header is required")
        }
        guard let body else { return DoubleFailure(status: 400, type: nil, message: "There was an error parsing the body: it is not JSON") }
        do {
            switch api {
            case .anthropic: try AnthropicDouble.validate(body)
            case .openAIChat: try OpenAIChatDouble.validate(body)
            }
            return nil
        } catch {
            return error
        }
    }

    /// A turn as the API's answer: its error, its event stream, or its one JSON document.
    private func answer(
        _ api: DoubleAPI, _ turn: ScriptedTurn, body: JSONValue, sequence: Int, requestBytes: Int, requestID: String
    ) -> Response {
        if let status = turn.status {
            var headers = HTTPFields()
            if let retryAfter = turn.retryAfter { headers[.retryAfter] = retryAfter }
            if let ms = turn.retryAfterMs { headers.set("retry-after-ms", String(ms)) }
            let message = turn.errorMessage ?? Self.defaultMessage(status)
            return failure(api, DoubleFailure(status: status, type: turn.errorType, message: message), requestID, headers: headers)
        }
        let reply = DoubleReply(
            turn, api: api, sequence: sequence, model: body.doubleMember("model")?.doubleString ?? "double", requestBytes: requestBytes)
        let created = Int(Date().timeIntervalSince1970)
        var headers = HTTPFields()
        headers.set(api == .anthropic ? "request-id" : "x-request-id", requestID)
        if body.doubleMember("stream") == .bool(true) {
            let includeUsage = body.doubleMember("stream_options")?.doubleMember("include_usage") == .bool(true)
            return streamed(api, reply, created: created, includeUsage: includeUsage, headers: headers)
        }
        headers[.contentType] = "application/json"
        if turn.malformed {
            let broken = #"{"id": "\#(reply.messageID)", "content": [{"type": "te"#
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: broken)))
        }
        let text =
            switch api {
            case .anthropic: AnthropicDouble.message(reply).jsonText
            case .openAIChat: OpenAIChatDouble.completion(reply, created: created).jsonText
            }
        guard let cut = turn.cutAfterEvents else {
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
        // After `cut` bytes or half the body, whichever is less, the connection closes.
        let part = ByteBuffer(string: String(text.prefix(min(max(cut, 1), text.count / 2))))
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                try await writer.write(part)
                throw DoubleStreamCut()
            })
    }

    private func streamed(_ api: DoubleAPI, _ reply: DoubleReply, created: Int, includeUsage: Bool, headers: HTTPFields) -> Response {
        let turn = reply.turn
        var frames: [StreamFrame]
        let streamError: StreamFrame?
        let malformed: StreamFrame
        switch api {
        case .anthropic:
            frames = AnthropicDouble.events(reply)
            streamError = turn.streamError.map(AnthropicDouble.streamError)
            malformed = AnthropicDouble.malformedEvent
        case .openAIChat:
            frames = OpenAIChatDouble.chunks(reply, created: created, includeUsage: includeUsage)
            streamError = turn.streamError.map(OpenAIChatDouble.streamError)
            malformed = OpenAIChatDouble.malformedEvent
        }
        if turn.malformed { frames = Array(frames.prefix(1)) + [malformed] }
        var headers = headers
        headers[.contentType] = "text/event-stream; charset=utf-8"
        headers[.cacheControl] = "no-cache"
        let stream = DoubleEventStream(
            frames: frames, quirks: turn.quirks, cutAfterEvents: turn.cutAfterEvents,
            streamError: streamError, errorAfterEvents: turn.streamError?.afterEvents,
            tokenDelay: turn.tokenDelayMs.map { .milliseconds($0) } ?? tokenDelay)
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in try await stream.write(to: &writer) })
    }

    func failure(_ api: DoubleAPI, _ failure: DoubleFailure, _ requestID: String, headers extra: HTTPFields = [:]) -> Response {
        var headers = extra
        headers[.contentType] = "application/json"
        let body: JSONValue
        switch api {
        case .anthropic:
            headers.set("request-id", requestID)
            body = AnthropicDouble.errorBody(failure, requestID: requestID)
        case .openAIChat:
            headers.set("x-request-id", requestID)
            body = OpenAIChatDouble.errorBody(failure)
        }
        return Response(
            status: HTTPResponse.Status(code: failure.status), headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(string: body.jsonText)))
    }

    static func defaultMessage(_ status: Int) -> String {
        switch status {
        case 401: "invalid x-api-key"
        case 403: "Your API key does not have permission to use the specified resource."
        case 404: "model: not found"
        case 429: "Number of request tokens has exceeded your per-minute rate limit"
        case 529: "Overloaded"
        case 500...599: "Internal server error"
        default: "Invalid request"
        }
    }
}

/// Thrown by a response body to close the connection mid-body.
struct DoubleStreamCut: Error {}

extension HTTPFields {
    /// The first value of a header named by a string (names the type cannot hold have none).
    fileprivate func value(_ name: String) -> String? {
        HTTPField.Name(name).flatMap { self[$0] }
    }

    fileprivate mutating func set(_ name: String, _ value: String) {
        if let field = HTTPField.Name(name) { self[field] = value }
    }
}
