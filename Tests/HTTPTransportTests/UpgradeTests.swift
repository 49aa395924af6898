import Foundation
import Testing

@testable import HTTPTransport

@Suite("Upgraded streams against the Docker socket")
struct UpgradeTests {
    static func attachPath(_ id: String) -> String {
        "/containers/\(id)/attach?stream=1&stdin=1&stdout=1&stderr=1"
    }

    /// Reads demultiplexed stdout until `count` bytes arrived.
    static func read(
        _ count: Int, from iterator: inout AsyncThrowingStream<[UInt8], any Error>.AsyncIterator,
        demux: inout TestDemux
    ) async throws -> [UInt8] {
        var out: [UInt8] = []
        while out.count < count {
            guard let chunk = try await iterator.next() else { break }
            for (_, payload) in demux.feed(chunk) { out += payload }
        }
        return out
    }

    @Test func echoRoundTripThroughCat() async throws {
        let docker = try DockerFixture()
        try await docker.withContainer(cmd: ["cat"], openStdin: true) { id in
            let stream = try await docker.client.upgrade(HTTPRequest(method: .post, path: Self.attachPath(id)))
            #expect(stream.status == 101)
            #expect(stream.headers["Upgrade"] == "tcp")
            try await docker.start(id)
            var iterator = stream.inbound.makeAsyncIterator()
            var demux = TestDemux()
            var samples: [Duration] = []
            for i in 0..<200 {
                let message = Array("ping \(i)\n".utf8)
                let start = ContinuousClock.now
                try await stream.write(message)
                let echoed = try await Self.read(message.count, from: &iterator, demux: &demux)
                samples.append(ContinuousClock.now - start)
                #expect(echoed == message)
            }
            samples.sort()
            print("attach echo round trip over 200 writes: p50 \(samples[100]), p90 \(samples[180]), max \(samples[199])")
            // Half-close: cat sees EOF, exits, and the engine ends the stream.
            stream.closeWrite()
            while try await iterator.next() != nil {}
            await #expect(throws: HTTPTransportError.self) { try await stream.write([1]) }
        }
    }

    @Test func largeWritesArriveIntactAndInOrder() async throws {
        // Writes far larger than the socket buffer exercise the queued path of the I/O thread,
        // while concurrent readers keep the pipe drained.
        let docker = try DockerFixture()
        try await docker.withContainer(cmd: ["cat"], openStdin: true) { id in
            let stream = try await docker.client.upgrade(HTTPRequest(method: .post, path: Self.attachPath(id)))
            try await docker.start(id)
            let blocks = (0..<8).map { i in [UInt8](repeating: UInt8(65 + i), count: 1 << 20) }
            let expected = blocks.flatMap { $0 }
            let reader = Task {
                var iterator = stream.inbound.makeAsyncIterator()
                var demux = TestDemux()
                return try await Self.read(expected.count, from: &iterator, demux: &demux)
            }
            for block in blocks { try await stream.write(block) }
            let received = try await reader.value
            #expect(received.count == expected.count)
            #expect(received == expected)
            stream.close()
        }
    }

    @Test func concurrentWritersNeverInterleaveWithinAWrite() async throws {
        let docker = try DockerFixture()
        try await docker.withContainer(cmd: ["cat"], openStdin: true) { id in
            let stream = try await docker.client.upgrade(HTTPRequest(method: .post, path: Self.attachPath(id)))
            try await docker.start(id)
            let writers = 4, perWriter = 50, size = 4096
            let total = writers * perWriter * size
            let reader = Task {
                var iterator = stream.inbound.makeAsyncIterator()
                var demux = TestDemux()
                return try await Self.read(total, from: &iterator, demux: &demux)
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for w in 0..<writers {
                    group.addTask {
                        for _ in 0..<perWriter { try await stream.write([UInt8](repeating: UInt8(97 + w), count: size)) }
                    }
                }
                try await group.waitForAll()
            }
            let received = try await reader.value
            #expect(received.count == total)
            // Every 4 KiB write is one run of the same byte, so each aligned block must be uniform.
            var uniform = true
            for block in stride(from: 0, to: received.count, by: size) where Set(received[block..<(block + size)]).count != 1 {
                uniform = false
            }
            #expect(uniform)
            stream.close()
        }
    }

    @Test func refusedUpgradeCarriesTheResponse() async throws {
        let docker = try DockerFixture()
        let error = await #expect(throws: HTTPTransportError.self) {
            _ = try await docker.client.upgrade(HTTPRequest(method: .post, path: Self.attachPath("sandcastle-no-such-container")))
        }
        #expect(error?.code == .upgradeRejected)
        #expect(error?.response?.status == 404)
        #expect(error?.response?.bodyText.contains("No such container") == true)
    }

    @Test func closeEndsInboundAndFailsWrites() async throws {
        let docker = try DockerFixture()
        try await docker.withContainer(cmd: ["cat"], openStdin: true) { id in
            let stream = try await docker.client.upgrade(HTTPRequest(method: .post, path: Self.attachPath(id)))
            try await docker.start(id)
            let reader = Task { () -> Int in
                var n = 0
                for try await chunk in stream.inbound { n += chunk.count }
                return n
            }
            try await Task.sleep(for: .milliseconds(50))
            stream.close()
            _ = try await reader.value
            let error = await #expect(throws: HTTPTransportError.self) { try await stream.write([1, 2, 3]) }
            #expect(error?.code == .closed)
        }
    }

    @Test func cancellingTheHandshakeIsPrompt() async throws {
        // A listener that accepts but never answers: the upgrade waits for a head that never comes.
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sandcastle-mute-\(UUID().uuidString).sock").path
        let listener = try MuteUnixListener(path: path)
        defer { listener.close() }
        let client = try HTTPClient(endpoint: .unixSocket(path))
        let task = Task { try await client.upgrade(HTTPRequest(method: .post, path: "/attach")) }
        try await Task.sleep(for: .milliseconds(200))
        let start = ContinuousClock.now
        task.cancel()
        let result = await task.result
        // Uncancelled, this would wait forever; the bound is generous because a loaded two-core
        // machine has stalled every thread of the test run for several seconds at once.
        #expect(ContinuousClock.now - start < .seconds(30))
        guard case .failure(let error) = result else {
            Issue.record("expected cancellation")
            return
        }
        #expect((error as? HTTPTransportError)?.code == .cancelled)
    }

    @Test func handshakeTimeout() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sandcastle-mute-\(UUID().uuidString).sock").path
        let listener = try MuteUnixListener(path: path)
        defer { listener.close() }
        let client = try HTTPClient(endpoint: .unixSocket(path))
        let error = await #expect(throws: HTTPTransportError.self) {
            _ = try await client.upgrade(HTTPRequest(method: .post, path: "/attach", timeout: .milliseconds(300)))
        }
        #expect(error?.code == .timeout)
    }
}

/// A Unix socket that accepts connections (the kernel does, via the backlog) and never reads or answers.
final class MuteUnixListener: Sendable {
    let fd: Int32
    let path: String

    init(path: String) throws {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in path.utf8.prefix(raw.count - 1).enumerated() { raw[i] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, listen(fd, 8) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }

    func close() {
        _ = Glibc.close(fd)
        unlink(path)
    }
}
