import Foundation
import HTTPTransport
import Testing
@testable import DockerEngine

@Suite("Containers against the real engine")
struct ContainerTests {
    @Test func runEchoAndReadLogs() async throws {
        let docker = try Fixture.client()
        try await Fixture.withContainer(docker, Fixture.config(["sh", "-c", "echo hi; echo oops >&2; exit 3"])) { id in
            let waiter = Task { try await docker.waitContainer(id: id, condition: .nextExit) }
            try await docker.startContainer(id: id)
            let result = try await waiter.value
            #expect(result.statusCode == 3)
            let inspect = try await docker.inspectContainer(id: id)
            #expect(inspect.state.status == "exited")
            #expect(inspect.state.exitCode == 3)
            #expect(inspect.state.oomKilled == false)
            #expect(inspect.config?.labels?["sandcastle.managed"] == "true")
            var stdout = "", stderr = ""
            for try await frame in try await docker.containerLogs(id: id) {
                switch frame.stream {
                case .stdout: stdout += String(decoding: frame.payload, as: UTF8.self)
                case .stderr: stderr += String(decoding: frame.payload, as: UTF8.self)
                default: Issue.record("unexpected stream \(frame.stream)")
                }
            }
            #expect(stdout == "hi\n")
            #expect(stderr == "oops\n")
        }
    }

    @Test func attachRoundTripWithCat() async throws {
        let docker = try Fixture.client()
        var config = Fixture.config(["cat"])
        config.openStdin = true
        config.stdinOnce = true
        config.attachStdin = true
        try await Fixture.withContainer(docker, config) { id in
            let stream = try await docker.attachContainer(id: id)
            try await docker.startContainer(id: id)
            let running = try await docker.inspectContainer(id: id)
            #expect(running.state.running)
            #expect(running.state.pid > 0)
            try await stream.write(Array("hello sandcastle\n".utf8))
            stream.closeWrite()
            var demuxer = StdStreamDemuxer()
            var echoed: [UInt8] = []
            for try await chunk in stream.inbound {
                for frame in try demuxer.feed(chunk) where frame.stream == .stdout { echoed += frame.payload }
            }
            #expect(String(decoding: echoed, as: UTF8.self) == "hello sandcastle\n")
            let exit = try await docker.waitContainer(id: id)
            #expect(exit.statusCode == 0)
        }
    }
}
