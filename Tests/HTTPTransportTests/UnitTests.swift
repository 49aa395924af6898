import Synchronization
import Testing

@testable import HTTPTransport

@Suite struct EndpointTests {
    @Test func parsesURLs() throws {
        #expect(HTTPEndpoint(url: "unix:///var/run/docker.sock")?.transport == .unixSocket(path: "/var/run/docker.sock"))
        #expect(HTTPEndpoint(url: "http://example.com")?.transport == .tcp(host: "example.com", port: 80))
        let https = try #require(HTTPEndpoint(url: "https://api.e2b.dev/v1/"))
        #expect(https.transport == .tls(host: "api.e2b.dev", port: 443, options: TLSOptions()))
        #expect(https.basePath == "/v1")
        #expect(https.curlBaseURL == "https://api.e2b.dev:443/v1")
        #expect(HTTPEndpoint(url: "http://[::1]:8080")?.transport == .tcp(host: "::1", port: 8080))
        #expect(HTTPEndpoint(url: "http://[::1]:8080")?.description == "http://[::1]:8080")
        #expect(HTTPEndpoint(url: "tcp://host:2375") == nil)
        #expect(HTTPEndpoint(url: "http://host:99999") == nil)
        #expect(HTTPEndpoint(url: "unix://relative") == nil)
    }

    @Test func descriptionsAndHostHeaders() {
        #expect(HTTPEndpoint.unixSocket("/s.sock").description == "unix:///s.sock")
        #expect(HTTPEndpoint.unixSocket("/s.sock").curlBaseURL == "http://localhost")
        #expect(HTTPEndpoint.unixSocket("/s.sock").hostHeader == "localhost")
        #expect(HTTPEndpoint.https(host: "h", port: 2376).hostHeader == "h:2376")
        #expect(HTTPEndpoint.https(host: "h").hostHeader == "h")
    }
}

@Suite struct RequestTests {
    @Test func headersAreCaseInsensitive() {
        var headers: HTTPHeaders = ["Content-Type": "application/json"]
        #expect(headers["content-type"] == "application/json")
        headers.add("X-Multi", "1")
        headers.add("x-multi", "2")
        #expect(headers.values(for: "X-MULTI") == ["1", "2"])
        headers["X-Multi"] = "3"
        #expect(headers.values(for: "x-multi") == ["3"])
        headers.remove("CONTENT-TYPE")
        #expect(!headers.contains("Content-Type"))
    }

    @Test func queryEncoding() {
        #expect(
            HTTPRequest.path("/build", query: [("t", "a/b:c"), ("skip", nil), ("labels", #"{"k":"v w"}"#)])
                == "/build?t=a%2Fb%3Ac&labels=%7B%22k%22%3A%22v%20w%22%7D")
        #expect(HTTPRequest.path("/x", query: []) == "/x")
        #expect(HTTPRequest.percentEncode("ünï-._~") == "%C3%BCn%C3%AF-._~")
    }

    @Test func durationsRoundUpToMilliseconds() {
        #expect(Duration.milliseconds(300).curlMilliseconds == 300)
        #expect(Duration.microseconds(1).curlMilliseconds == 1)
        #expect(Duration.seconds(2).curlMilliseconds == 2000)
    }
}

@Suite struct HTTPHeadTests {
    @Test func findsAndParsesAHead() throws {
        let raw = Array("HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\nraw".utf8)
        let end = try #require(HTTPHead.end(in: raw))
        #expect(Array(raw[end...]) == Array("raw".utf8))
        let (status, headers) = try #require(HTTPHead.parse(raw[0..<end]))
        #expect(status == 101)
        #expect(headers["upgrade"] == "tcp")
        #expect(HTTPHead.end(in: Array("HTTP/1.1 200 OK\r\n".utf8)) == nil)
        #expect(HTTPHead.parse(Array("garbage\r\n\r\n".utf8)[...]) == nil)
    }

    @Test func decodesChunkedBodies() {
        #expect(HTTPHead.decodeChunked(Array("5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n".utf8)) == Array("hello world".utf8))
        #expect(HTTPHead.decodeChunked(Array("5\r\nhel".utf8)) == nil)
    }
}

@Suite struct ByteChannelTests {
    @Test func pausesAboveHighWaterAndAsksForMoreBelowLowWater() async throws {
        let channel = ByteChannel(highWater: 100, cancelledMessage: "cancelled")
        let demands = Mutex(0)
        channel.setHooks(onDemand: { demands.withLock { $0 += 1 } }, onCancel: {})
        #expect(channel.offer([UInt8](repeating: 1, count: 60), force: false) == .accepted)
        #expect(channel.offer([UInt8](repeating: 2, count: 60), force: false) == .accepted)
        // 120 buffered ≥ 100: refused, producer paused.
        #expect(channel.offer([UInt8](repeating: 3, count: 10), force: false) == .paused)
        #expect(channel.isPaused)
        // Taking merges both chunks and drains below low water (25): one demand.
        let chunk = try await channel.next()
        #expect(chunk?.count == 120)
        #expect(demands.withLock { $0 } == 1)
        #expect(!channel.isPaused)
        #expect(channel.offer([3], force: false) == .accepted)
        channel.finish()
        #expect(try await channel.next() == [3])
        #expect(try await channel.next() == nil)
        #expect(channel.offer([4], force: true) == .discarded)
    }

    @Test func waitingConsumerGetsDataDirectlyAndErrorsPropagate() async throws {
        let channel = ByteChannel(highWater: 1024, cancelledMessage: "cancelled")
        let reader = Task { try await channel.next() }
        try await Task.sleep(for: .milliseconds(20))
        #expect(channel.offer([9, 9], force: false) == .accepted)
        #expect(try await reader.value == [9, 9])
        channel.finish(HTTPTransportError(.io, "boom"))
        await #expect(throws: HTTPTransportError.self) { _ = try await channel.next() }
    }

    @Test func cancellingTheConsumerRunsOnCancel() async throws {
        let channel = ByteChannel(highWater: 1024, cancelledMessage: "stream cancelled")
        let cancelled = Mutex(false)
        channel.setHooks(onDemand: {}, onCancel: { cancelled.withLock { $0 = true } })
        let reader = Task { try await channel.next() }
        try await Task.sleep(for: .milliseconds(20))
        reader.cancel()
        let result = await reader.result
        guard case .failure(let error) = result else {
            Issue.record("expected cancellation")
            return
        }
        #expect((error as? HTTPTransportError)?.code == .cancelled)
        #expect(cancelled.withLock { $0 })
        #expect(channel.offer([1], force: false) == .discarded)
    }

    @Test func droppingTheStreamCancels() async throws {
        let channel = ByteChannel(highWater: 1024, cancelledMessage: "stream cancelled")
        let cancelled = Mutex(false)
        channel.setHooks(onDemand: {}, onCancel: { cancelled.withLock { $0 = true } })
        do {
            let stream = channel.makeStream()
            _ = stream
        }
        #expect(cancelled.withLock { $0 })
    }
}
