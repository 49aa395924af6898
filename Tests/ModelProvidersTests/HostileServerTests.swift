import Foundation
import Hummingbird
import JSONValues
import Logging
import ModelProviders
import Synchronization
import Testing

/// Answers no provider would give on purpose, from a stub server: huge garbage, HTML error
/// pages, redirects, a stream that never ends.
@Suite struct HostileServerTests {
    /// 40 MiB of bytes that are neither JSON nor events (no line break either).
    static let garbage = ByteBuffer(repeating: UInt8(ascii: "x"), count: 40 << 20)

    @Test(arguments: [false, true])
    func fortyMebibytesOfGarbageAreAbandonedAtTheCap(_ streaming: Bool) async throws {
        try await StubServer.with { router, _ in
            router.post("/v1/messages") { _, _ in
                var headers = HTTPFields()
                headers[.contentType] = streaming ? "text/event-stream" : "application/json"
                return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: Self.garbage))
            }
        } run: { stub in
            let provider = try AnthropicProvider(endpoint: stub.anthropicEndpoint(), options: DoubleFixture.options)
            let error = await providerError {
                if streaming {
                    _ = try await collect(try await provider.stream(prompt("Hi")))
                } else {
                    _ = try await provider.complete(prompt("Hi"))
                }
            }
            #expect(error?.code == .malformedResponse)
            #expect(error?.message.contains("exceeds \(32 << 20) bytes") == true, "\(error?.message ?? "")")
        }
    }

    @Test func aHugeErrorPageStillGivesAShortMessage() async throws {
        try await StubServer.with { router, _ in
            router.post("/v1/chat/completions") { _, _ in
                Response(status: .badGateway, body: ResponseBody(byteBuffer: Self.garbage))
            }
        } run: { stub in
            let provider = try OpenAIChatProvider(endpoint: stub.openAIEndpoint(), options: DoubleFixture.options)
            let error = await providerError { _ = try await provider.complete(prompt("Hi")) }
            #expect(error?.code == .serverError)
            #expect((error?.message.count ?? .max) < 400, "an excerpt, not the page")
        }
    }

    @Test func htmlErrorPagesAndGarbageGetExcerpts() async throws {
        try await StubServer.with { router, _ in
            router.post("/v1/chat/completions") { request, _ in
                let html = "<html>\n<head><title>502 Bad Gateway</title></head>\n<body>\u{1B}[31mnginx</body></html>"
                if request.headers[.authorization] != nil {
                    return Response(status: .badGateway, body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
                }
                return Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: "Service starting, try later")))
            }
        } run: { stub in
            let failing = try OpenAIChatProvider(endpoint: stub.openAIEndpoint(), options: DoubleFixture.options)
            let error = await providerError { _ = try await failing.complete(prompt("Hi")) }
            #expect(error?.code == .serverError)
            #expect(error?.message.contains("502 Bad Gateway") == true)
            #expect(error?.message.contains("\u{1B}") == false, "control characters are not passed on")
            var keyless = stub.openAIEndpoint()
            keyless.apiKey = nil
            let garbled = try OpenAIChatProvider(endpoint: keyless, options: DoubleFixture.options)
            let malformed = await providerError { _ = try await garbled.complete(prompt("Hi")) }
            #expect(malformed?.code == .malformedResponse)
            #expect(malformed?.message.contains("Service starting") == true)
        }
    }

    @Test func aRedirectPointsAtTheBaseURL() async throws {
        try await StubServer.with { router, _ in
            router.post("/v1/messages") { _, _ in
                var headers = HTTPFields()
                headers[.location] = "https://api.anthropic.com/v1/messages"
                return Response(status: .movedPermanently, headers: headers)
            }
        } run: { stub in
            let provider = try AnthropicProvider(endpoint: stub.anthropicEndpoint(), options: DoubleFixture.options)
            let error = await providerError { _ = try await provider.complete(prompt("Hi")) }
            #expect(error?.code == .invalidRequest)
            #expect(error?.message.contains("base URL") == true)
        }
    }

    @Test func aStreamingRequestAnsweredWithOneJSONDocumentStillWorks() async throws {
        try await StubServer.with { router, _ in
            // A server that ignores `stream: true` (OpenAI route), and a gateway's error with status 200 (Anthropic route).
            router.post("/v1/chat/completions") { _, _ in
                let body = #"{"id":"c1","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"whole"},"finish_reason":"stop"}]}"#
                return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
            }
            router.post("/v1/messages") { _, _ in
                let body = #"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#
                return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
            }
        } run: { stub in
            let openAI = try OpenAIChatProvider(endpoint: stub.openAIEndpoint(), options: DoubleFixture.options)
            let (events, response) = try await collect(try await openAI.stream(prompt("Hi")))
            #expect(events.first == .textDelta("whole"))
            #expect(response.message.text == "whole" && response.usage == nil)
            let anthropic = try AnthropicProvider(endpoint: stub.anthropicEndpoint(), options: DoubleFixture.options)
            let error = await providerError { _ = try await collect(try await anthropic.stream(prompt("Hi"))) }
            #expect(error?.code == .overloaded)
        }
    }

    @Test func cancellingTheConsumerAbortsTheRequestPromptly() async throws {
        try await StubServer.with { router, flag in
            // One text delta, then a ping every 10 ms for ever: only the client can end this.
            router.post("/v1/messages") { _, _ in
                Response(
                    status: .ok, headers: [.contentType: "text/event-stream"],
                    body: ResponseBody { writer in
                        let start = #"{"type":"message_start","message":{"id":"m","model":"x","usage":{"input_tokens":1,"output_tokens":1}}}"#
                        let block = #"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#
                        let delta = #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"first"}}"#
                        try await writer.write(
                            ByteBuffer(
                                string: "event: message_start\ndata: \(start)\n\nevent: content_block_start\ndata: \(block)\n\n"
                                    + "event: content_block_delta\ndata: \(delta)\n\n"))
                        do {
                            while true {
                                try await Task.sleep(for: .milliseconds(10))
                                try await writer.write(ByteBuffer(string: "event: ping\ndata: {\"type\":\"ping\"}\n\n"))
                            }
                        } catch {
                            flag.set()
                            throw error
                        }
                    })
            }
        } run: { stub in
            let provider = try AnthropicProvider(endpoint: stub.anthropicEndpoint(), options: DoubleFixture.options)
            let (firstDelta, gotFirst) = AsyncStream<Void>.makeStream()
            let consumer = Task {
                var text = ""
                for try await event in try await provider.stream(prompt("Hi")) {
                    if case .textDelta(let piece) = event {
                        text += piece
                        gotFirst.yield()
                    }
                }
                return text
            }
            var waiter = firstDelta.makeAsyncIterator()
            await waiter.next()
            let cancelled = ContinuousClock.now
            consumer.cancel()
            let outcome = await consumer.result
            let took = ContinuousClock.now - cancelled
            #expect(throws: CancellationError.self) { try outcome.get() }
            // Not tight: in the whole suite on two cores a task can wait seconds for a cooperative thread.
            #expect(took < .seconds(20), "cancellation took \(took)")
            #expect(await eventuallyTrue { stub.flag.isSet }, "the server saw the connection close")
        }
    }
}

/// Polls until `condition` holds, for up to 30 s.
func eventuallyTrue(_ condition: @Sendable () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + .seconds(30)
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return condition()
}

/// Set once by a stub's handler, read by the test.
final class StubFlag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}

/// A Hummingbird server on a free loopback port with routes a test defines.
struct StubServer {
    let port: Int
    let flag: StubFlag

    func anthropicEndpoint() -> ProviderEndpoint {
        ProviderEndpoint(
            name: "stub", wireProtocol: .anthropic, baseURL: "http://127.0.0.1:\(port)", apiKey: SecretValue("sk-stub-key-0123"),
            credentialVariable: "ANTHROPIC_API_KEY")
    }

    func openAIEndpoint() -> ProviderEndpoint {
        ProviderEndpoint(
            name: "stub", wireProtocol: .openAIChat, baseURL: "http://127.0.0.1:\(port)/v1", apiKey: SecretValue("sk-stub-key-0123"),
            credentialVariable: "OPENAI_API_KEY")
    }

    static func with(
        _ routes: (Router<BasicRequestContext>, StubFlag) -> Void, run body: (StubServer) async throws -> Void
    ) async throws {
        let flag = StubFlag()
        let router = Router()
        routes(router, flag)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "stub")
        logger.logLevel = .critical
        let app = Application(
            router: router, configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) }, logger: logger)
        let running = Task { try await app.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        do {
            try await body(StubServer(port: port, flag: flag))
        } catch {
            running.cancel()
            _ = await running.result
            throw error
        }
        running.cancel()
        _ = await running.result
    }
}
