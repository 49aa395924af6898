import Foundation
import Hummingbird
import JSONValues
import Logging
import Yams

/// A local server that speaks Anthropic's Messages API (`POST /v1/messages`) and OpenAI's Chat
/// Completions (`POST /v1/chat/completions`), streamed and not, answering from scripts: the
/// stand-in for a model provider in tests, `sandcastle bench agent` and the demo.
///
/// Each request is matched to a conversation (``DoubleConversations``: the
/// `x-double-conversation` header, else the API key or bearer token) and gets that
/// conversation's next scripted turn; every request is recorded, credentials excepted.
///
/// Besides the two APIs it serves, for scripts outside Swift:
/// - `GET /_double/requests?conversation=KEY`: the recorded requests, as JSON;
/// - `PUT /_double/script?conversation=KEY`: sets that conversation's script (JSON or YAML
///   body: a list of turns or `{turns, repeat}`); without `conversation`, the default script;
/// - `GET /_double/times`: the double's own time answering model requests (``DoubleTimes``), as
///   `{"requests", "handling_ms", "busy_ms"}`;
/// - `GET /_double/health`.
public enum ProviderDouble {
    public struct Configuration: Sendable {
        public var host: String
        /// 0 picks a free port.
        public var port: Int
        public var script: ProviderScriptFile
        /// Pause before each streamed token (text piece, tool-input fragment); zero adds no latency.
        public var tokenDelay: Duration
        /// Larger request bodies get 413.
        public var maxRequestBytes: Int
        public var logLevel: Logger.Level

        public init(
            host: String = "127.0.0.1", port: Int = 0, script: ProviderScriptFile = ProviderScriptFile(),
            tokenDelay: Duration = .zero, maxRequestBytes: Int = 64 << 20, logLevel: Logger.Level = .critical
        ) {
            self.host = host
            self.port = port
            self.script = script
            self.tokenDelay = tokenDelay
            self.maxRequestBytes = maxRequestBytes
            self.logLevel = logLevel
        }
    }

    /// Starts a double in this process and returns once it listens.
    public static func start(port: Int = 0, configuration: Configuration = Configuration()) async throws
        -> RunningProviderDouble
    {
        var configuration = configuration
        configuration.port = port
        let conversations = DoubleConversations(configuration.script)
        let clock = DoubleClock()
        let (ports, continuation) = AsyncStream<Result<Int, any Error>>.makeStream()
        let app = application(configuration, conversations: conversations, clock: clock) { port in continuation.yield(.success(port)) }
        let task = Task {
            do {
                try await app.run()
            } catch {
                continuation.yield(.failure(error))
            }
            continuation.finish()
        }
        var iterator = ports.makeAsyncIterator()
        guard let first = await iterator.next() else {
            throw ProviderScriptError(.unreadable, "the provider double stopped before it listened")
        }
        switch first {
        case .success(let port):
            return RunningProviderDouble(host: configuration.host, port: port, conversations: conversations, clock: clock, task: task)
        case .failure(let error):
            throw error
        }
    }

    /// Serves until SIGTERM or SIGINT (`sandcastle provider-double`); `onRunning` gets the port.
    public static func serve(_ configuration: Configuration, onRunning: @escaping @Sendable (Int) async -> Void) async throws {
        let app = application(
            configuration, conversations: DoubleConversations(configuration.script), clock: DoubleClock(), onRunning: onRunning)
        try await app.runService()
    }

    static func application(
        _ configuration: Configuration, conversations: DoubleConversations, clock: DoubleClock,
        onRunning: @escaping @Sendable (Int) async -> Void
    ) -> some ApplicationProtocol {
        let responder = DoubleResponder(
            conversations: conversations, tokenDelay: configuration.tokenDelay, maxRequestBytes: configuration.maxRequestBytes)
        let router = Router()
        router.post("/v1/messages") { request, _ in try await timed(clock) { try await responder.respond(.anthropic, to: request) } }
        router.post("/v1/chat/completions") { request, _ in
            try await timed(clock) { try await responder.respond(.openAIChat, to: request) }
        }
        router.get("/_double/times") { _, _ in
            let times = clock.times
            let json: JSONValue = [
                "requests": .integer(times.requests), "handling_ms": .number(times.handling.doubleMilliseconds),
                "busy_ms": .number(times.busy.doubleMilliseconds),
            ]
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: json.jsonText)))
        }
        router.get("/_double/health") { _, _ in Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"status":"ok"}"#))) }
        router.get("/_double/requests") { request, _ in
            let key = request.uri.queryParameters["conversation"].map(String.init) ?? ""
            let list = JSONValue.array(conversations.requests(for: key).map(\.json))
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: list.jsonText)))
        }
        router.put("/_double/script") { request, _ in
            var text = ""
            for try await buffer in request.body { text += String(buffer: buffer) }
            let script: ProviderScript
            do {
                script = try ScriptReader.script(try YAMLText.value(text), at: "")
            } catch {
                return Response(status: .badRequest, body: ResponseBody(byteBuffer: ByteBuffer(string: "\(error)\n")))
            }
            if let key = request.uri.queryParameters["conversation"] {
                conversations.setScript(script, for: String(key))
            } else {
                conversations.setDefaultScript(script)
            }
            return Response(status: .noContent)
        }
        var logger = Logger(label: "sandcastle.provider-double")
        logger.logLevel = configuration.logLevel
        return Application(
            router: router,
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.host, port: configuration.port), serverName: "sandcastle-provider-double"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }
}

/// A double running in this process.
public final class RunningProviderDouble: Sendable {
    public let host: String
    public let port: Int
    private let conversations: DoubleConversations
    private let clock: DoubleClock
    private let task: Task<Void, Never>

    init(host: String, port: Int, conversations: DoubleConversations, clock: DoubleClock, task: Task<Void, Never>) {
        self.host = host
        self.port = port
        self.conversations = conversations
        self.clock = clock
        self.task = task
    }

    /// The double's own time answering model requests so far.
    public var times: DoubleTimes { clock.times }

    /// `http://127.0.0.1:PORT`.
    public var baseURL: String { "http://\(host.contains(":") ? "[\(host)]" : host):\(port)" }
    /// The base an Anthropic client is given (`ANTHROPIC_BASE_URL`): no `/v1`.
    public var anthropicBaseURL: String { baseURL }
    /// The base an OpenAI-compatible client is given (`OPENAI_BASE_URL`): with `/v1`.
    public var openAIBaseURL: String { baseURL + "/v1" }

    /// The script of the conversation `key` (an API key, or an `x-double-conversation` value),
    /// from its first turn.
    public func setScript(key: String, _ script: ProviderScript) {
        conversations.setScript(script, for: key)
    }

    public func setScript(key: String, turns: [ScriptedTurn]) {
        conversations.setScript(ProviderScript(turns: turns), for: key)
    }

    /// The script of conversations without one of their own (each keeps its own position in it).
    public func setDefaultScript(_ script: ProviderScript?) {
        conversations.setDefaultScript(script)
    }

    /// What the conversation `key` sent, oldest first (the last 1,000).
    public func requests(key: String) -> [RecordedRequest] {
        conversations.requests(for: key)
    }

    /// Stops listening and closes open connections.
    public func stop() async {
        task.cancel()
        await task.value
    }
}

/// Runs a model request's handler on the double's clock, until its answer's last byte is written
/// (a streamed answer is written after the handler returns).
private func timed(_ clock: DoubleClock, _ respond: () async throws -> Response) async throws -> Response {
    let start = clock.started()
    var response: Response
    do {
        response = try await respond()
    } catch {
        clock.finished(startedAt: start)
        throw error
    }
    let body = response.body
    response.body = ResponseBody(contentLength: body.contentLength) { writer in
        do {
            try await body.write(writer)
        } catch {
            clock.finished(startedAt: start)
            throw error
        }
        clock.finished(startedAt: start)
    }
    return response
}

extension Duration {
    fileprivate var doubleMilliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}

/// JSON or YAML text as a value.
enum YAMLText {
    static func value(_ text: String) throws -> JSONValue {
        do {
            return try YAMLDecoder().decode(JSONValue.self, from: text)
        } catch {
            throw ProviderScriptError(.syntax, "not JSON or YAML: \(error)")
        }
    }
}
