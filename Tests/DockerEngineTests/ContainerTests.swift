import Foundation
import HTTPTransport
import Testing

@testable import DockerEngine

@Suite("Containers against the real engine")
struct ContainerTests {
    @Test func runEchoAndReadLogs() async throws {
        let docker = try Fixture.client()
        try await Fixture.withContainer(docker, Fixture.config(["sh", "-c", "echo hi; echo oops >&2; exit 3"])) { id in
            try await docker.startContainer(id: id)
            // `not-running`, not `next-exit`: this container exits at once, and a `next-exit` wait
            // that reaches the engine after that exit waits for one that never comes (it hung a
            // loaded test run).
            let result = try await docker.waitContainer(id: id, condition: .notRunning)
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

@Suite("Container lifecycle details against the real engine")
struct ContainerLifecycleTests {
    @Test func killStopAndNotRunning() async throws {
        let docker = try Fixture.client()
        try await Fixture.withContainer(docker, Fixture.config(["sleep", "300"])) { id in
            try await docker.startContainer(id: id)
            try await docker.startContainer(id: id) // already running: 304, not an error
            let stats = try await docker.containerStats(id: id)
            #expect(stats.pidsStats?.current ?? 0 >= 1)
            // PID 1 ignores signals it has no handler for, so only SIGKILL ends `sleep` here.
            try await docker.killContainer(id: id, signal: "SIGKILL")
            let exit = try await docker.waitContainer(id: id)
            #expect(exit.statusCode == 137)
            let error = await #expect(throws: DockerError.self) { try await docker.killContainer(id: id) }
            #expect(error?.code == .notRunning)
            #expect(error?.statusCode == 409)
            try await docker.stopContainer(id: id, timeout: 1) // already stopped: 304, not an error
        }
    }

    @Test func listByLabelAndNameConflict() async throws {
        let docker = try Fixture.client()
        let marker = "list-\(UInt32.random(in: 0...UInt32.max))"
        var config = Fixture.config(["true"])
        config.labels?["sandcastle.marker"] = marker
        let name = Fixture.uniqueName("named")
        try await Fixture.withContainer(docker, config, name: name) { id in
            let listed = try await docker.listContainers(all: true, filters: .label("sandcastle.marker", marker))
            #expect(listed.map(\.id) == [id])
            #expect(listed.first?.names == ["/\(name)"])
            #expect(listed.first?.labels?["sandcastle.managed"] == "true")
            let error = await #expect(throws: DockerError.self) { _ = try await docker.createContainer(name: name, config: config) }
            #expect(error?.code == .conflict)
            #expect(error?.message.contains(name) == true)
        }
        let after = try await docker.listContainers(all: true, filters: .label("sandcastle.marker", marker))
        #expect(after.isEmpty)
    }

    @Test func hostConfigRoundTripsThroughInspect() async throws {
        let docker = try Fixture.client()
        var config = Fixture.config(["true"])
        var host = HostConfig()
        host.networkMode = "none"
        host.capDrop = ["ALL"]
        host.capAdd = ["CHOWN"]
        host.securityOpt = ["no-new-privileges:true"]
        host.readonlyRootfs = true
        host.pidsLimit = 64
        host.memory = 64 << 20
        host.memorySwap = 64 << 20
        host.nanoCpus = 500_000_000
        host.tmpfs = ["/tmp": "size=16m,mode=1777"]
        host.ulimits = [Ulimit(name: "nofile", soft: 1024, hard: 2048)]
        host.logConfig = LogConfig(type: "none")
        host.initProcess = false
        host.ipcMode = "private"
        host.shmSize = 8 << 20
        host.mounts = [Mount(type: .volume, target: "/workspace", volumeOptions: VolumeOptions(labels: Fixture.managed))]
        config.hostConfig = host
        config.user = "1000:1000"
        config.workingDir = "/workspace"
        config.env = ["A=1"]
        config.stopSignal = "SIGINT"
        config.stopTimeout = 3
        try await Fixture.withContainer(docker, config) { id in
            let inspect = try await docker.inspectContainer(id: id)
            let got = try #require(inspect.hostConfig)
            #expect(got.capDrop == ["ALL"])
            #expect(got.capAdd == ["CHOWN"])
            #expect(got.readonlyRootfs == true)
            #expect(got.pidsLimit == 64)
            #expect(got.memory == 64 << 20)
            #expect(got.nanoCpus == 500_000_000)
            #expect(got.tmpfs?["/tmp"] == "size=16m,mode=1777")
            #expect(got.ulimits == [Ulimit(name: "nofile", soft: 1024, hard: 2048)])
            #expect(got.logConfig?.type == "none")
            #expect(got.shmSize == 8 << 20)
            #expect(inspect.config?.user == "1000:1000")
            #expect(inspect.config?.stopSignal == "SIGINT")
            #expect(inspect.config?.stopTimeout == 3)
            #expect(inspect.mounts?.first?.destination == "/workspace")
        }
    }

    @Test func missingImageIsNotFoundWithTheEngineMessage() async throws {
        let docker = try Fixture.client()
        let error = await #expect(throws: DockerError.self) {
            _ = try await docker.createContainer(config: ContainerConfig(image: "sandcastle/does-not-exist:nope"))
        }
        #expect(error?.code == .notFound)
        #expect(error?.statusCode == 404)
        #expect(error?.message == "No such image: sandcastle/does-not-exist:nope")
    }

    @Test func attachToMissingContainerIsNotFound() async throws {
        let docker = try Fixture.client()
        let error = await #expect(throws: DockerError.self) { _ = try await docker.attachContainer(id: "sandcastle-nope") }
        #expect(error?.code == .notFound)
        #expect(error?.message == "No such container: sandcastle-nope")
    }
}
