import Foundation
import HTTPTypes
import Hummingbird
import JSONValues
import NIOCore
import SandcastleClient
import Synchronization
import Testing

/// ``SandcastleAPIClient`` against scripted servers on loopback: the run stream resumed with
/// `Last-Event-ID` after the connection drops (nothing missed, nothing twice), a refusal not
/// retried, Sandcastle's error shapes read, and the key sent only as a header.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct SandcastleClientTests {
    /// A server that answers `GET /api/runs/r1/stream` with frames 1…4 and a result, dropping
    /// the first connection after frame 2; it records each request's `Last-Event-ID` and key.
    final class FlakyStream: Sendable {
        let requests = Mutex<[(lastEventID: String?, key: String?)]>([])
        let task = Mutex<Task<Void, any Error>?>(nil)
        let port = Mutex(0)

        static func frame(_ id: Int, _ event: String, _ data: String) -> String { "id: \(id)\nevent: \(event)\ndata: \(data)\n\n" }

        static func start() async throws -> FlakyStream {
            let server = FlakyStream()
            let router = Router()
            router.get("/api/runs/r1/stream") { request, _ -> Response in
                let lastEventID = HTTPField.Name("Last-Event-ID").flatMap { request.headers[$0] }
                let key = HTTPField.Name("X-API-Key").flatMap { request.headers[$0] }
                let attempt = server.requests.withLock {
                    $0.append((lastEventID, key))
                    return $0.count
                }
                let after = Int(lastEventID ?? "0") ?? 0
                let body = ResponseBody { writer in
                    // As ours does: the current status first, then the frames after Last-Event-ID.
                    try await writer.write(ByteBuffer(string: Self.frame(after, "status", #"{"run_id":"r1","status":"running"}"#)))
                    try await writer.write(ByteBuffer(string: ": keepalive\n\n"))
                    for id in (after + 1)...4 {
                        try await writer.write(ByteBuffer(string: Self.frame(id, "step", #"{"step_id":"s\#(id)","status":"completed"}"#)))
                        // The first connection breaks mid-stream, as a restarting server's would
                        // (a body that throws makes Hummingbird close the connection).
                        if attempt == 1 && id == 2 { throw CancellationError() }
                    }
                    try await writer.write(ByteBuffer(string: Self.frame(4, "result", #"{"run_id":"r1","status":"completed","outputs":{}}"#)))
                    try await writer.finish(nil)
                }
                var headers = HTTPFields()
                headers[.contentType] = "text/event-stream"
                return Response(status: .ok, headers: headers, body: body)
            }
            router.get("/api/runs/missing/stream") { _, _ -> Response in
                server.requests.withLock { $0.append((nil, nil)) }
                return Self.json(#"{"detail":{"data":null,"error":{"code":"RUN_NOT_FOUND","message":"no run missing"},"meta":null}}"#, .notFound)
            }
            router.get("/api/runs") { _, _ -> Response in
                Self.json(#"{"data":null,"error":{"code":"UNAUTHORIZED","message":"Invalid API key"}}"#, .unauthorized)
            }
            router.get("/api/limited") { _, _ -> Response in
                Self.json(#"{"detail":"Rate limit exceeded: 10 requests per 60s. Try again later."}"#, .tooManyRequests)
            }
            router.get("/api/html") { _, _ -> Response in
                Response(status: .badGateway, body: ResponseBody(byteBuffer: ByteBuffer(string: "<html>\u{1B}[31mbad gateway</html>")))
            }
            let (ports, continuation) = AsyncStream<Int>.makeStream()
            let app = Application(
                router: router, configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
                onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) })
            server.task.withLock { $0 = Task { try await app.runService() } }
            var iterator = ports.makeAsyncIterator()
            let port = await iterator.next() ?? 0
            server.port.withLock { $0 = port }
            return server
        }

        static func json(_ text: String, _ status: HTTPResponse.Status) -> Response {
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }

        var url: String { "http://127.0.0.1:\(port.withLock { $0 })" }

        func stop() { task.withLock { $0?.cancel() } }
    }

    @Test func aDroppedStreamResumesAfterTheLastEventIDWithNoGapAndNoRepeat() async throws {
        let server = try await FlakyStream.start()
        defer { server.stop() }
        let client = try SandcastleAPIClient(server: try RemoteServer(url: server.url + "/", apiKey: " sc_secret \n"))
        var frames: [RunStreamFrame] = []
        for try await frame in client.followRun(id: "r1") { frames.append(frame) }
        let steps = frames.filter { $0.event == "step" }.compactMap { $0.data.child("step_id")?.renderedString }
        #expect(steps == ["s1", "s2", "s3", "s4"], "\(frames)")
        #expect(frames.last?.event == "result")
        #expect(frames.filter { $0.event == "status" }.count == 2, "a status at each connection's start")
        let requests = server.requests.withLock { $0 }
        #expect(requests.map(\.lastEventID) == [nil, "2"])
        #expect(requests.allSatisfy { $0.key == "sc_secret" }, "the key, trimmed, as X-API-Key")
    }

    @Test func aRefusalIsNotRetriedAndErrorsCarryTheServersCode() async throws {
        let server = try await FlakyStream.start()
        defer { server.stop() }
        let client = try SandcastleAPIClient(server: try RemoteServer(url: server.url, apiKey: "sc_secret"))
        await #expect {
            for try await _ in client.followRun(id: "missing") {}
        } throws: { error in
            guard let error = error as? RemoteAPIError else { return false }
            return error.status == 404 && error.serverCode == "RUN_NOT_FOUND"
                && error.message == "the server at \(server.url) answered 404 RUN_NOT_FOUND: no run missing"
        }
        #expect(server.requests.withLock { $0.count } == 1, "a 404 is final")

        await #expect {
            _ = try await client.runs()
        } throws: { error in
            (error as? RemoteAPIError)?.message == "the server at \(server.url) answered 401 UNAUTHORIZED: Invalid API key"
        }
        let limited = await #expect(throws: RemoteAPIError.self) { _ = try await client.call(.get, "/limited") }
        #expect(limited?.status == 429 && limited?.serverMessage == "Rate limit exceeded: 10 requests per 60s. Try again later.")
        let gateway = await #expect(throws: RemoteAPIError.self) { _ = try await client.call(.get, "/html") }
        #expect(gateway?.status == 502 && gateway?.message.contains("\u{1B}") == false, "\(String(describing: gateway))")
        #expect(gateway?.message.contains("bad gateway") == true, "\(String(describing: gateway))")
    }

    @Test func urlsAreCheckedAndTheKeyIsNeverInADescription() throws {
        for bad in ["ftp://host", "localhost:8080", "http://user:pass@host", "http://host/?x=1", "unix:///var/run/docker.sock", "http://ho st", ""] {
            #expect(throws: RemoteAPIError.self, "\(bad)") { _ = try RemoteServer(url: bad, apiKey: nil) }
        }
        let server = try RemoteServer(url: "https://sandcastle.example.com:8443/", apiKey: "sc_topsecret")
        #expect(server.url == "https://sandcastle.example.com:8443" && server.hasAPIKey)
        var dumped = ""
        dump(server, to: &dumped)
        #expect(!"\(server)".contains("sc_topsecret") && !String(reflecting: server).contains("sc_topsecret") && !dumped.contains("sc_topsecret"))
        #expect(try RemoteServer(url: "http://127.0.0.1:1", apiKey: "  ").hasAPIKey == false)
    }

    @Test func nothingListeningNamesTheURLAndSuggestsServe() async throws {
        let client = try SandcastleAPIClient(server: try RemoteServer(url: "http://127.0.0.1:1", apiKey: "sc_secret"), reconnectAttempts: 0)
        let error = await #expect(throws: RemoteAPIError.self) { _ = try await client.health() }
        #expect(error?.code == .unreachable)
        #expect(error?.message.hasPrefix("cannot reach a Sandcastle server at http://127.0.0.1:1") == true, "\(String(describing: error))")
        #expect(error?.message.contains("`sandcastle serve`") == true)
        #expect(error?.message.contains("sc_secret") == false)
        let streamError = await #expect(throws: RemoteAPIError.self) { for try await _ in client.followRun(id: "r1") {} }
        #expect(streamError?.code == .unreachable)
    }
}
