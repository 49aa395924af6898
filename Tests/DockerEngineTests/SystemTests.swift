import Testing

@testable import DockerEngine

@Suite("System endpoints against the real engine")
struct SystemTests {
    @Test func negotiatesTheEngineVersion() async throws {
        let docker = try Fixture.client()
        let version = try await docker.version()
        let negotiated = try await docker.apiVersion()
        #expect(negotiated == DockerClient.negotiatedVersion(server: version.apiVersion))
        #expect(DockerClient.compareVersions(negotiated, DockerClient.maxAPIVersion) <= 0)
        // Every call is versioned: an info call must succeed on the negotiated prefix.
        let info = try await docker.info()
        #expect(info.ncpu ?? 0 > 0)
        try await docker.ping()
    }

    @Test func pinnedVersionSkipsNegotiation() async throws {
        var host = DockerHost.unixSocket()
        host.pinnedAPIVersion = "1.41"
        let docker = try DockerClient(host: host)
        #expect(try await docker.apiVersion() == "1.41")
        _ = try await docker.listContainers(filters: .label("sandcastle.test", "none"))
    }

    @Test func unreachableEngineSaysHowToFixIt() async throws {
        let error = await #expect(throws: DockerError.self) {
            _ = try await DockerClient.connect(to: .unixSocket("/nonexistent/docker.sock"))
        }
        #expect(error?.code == .engineUnreachable)
        #expect(
            error?.message == "Docker engine not reachable at unix:///nonexistent/docker.sock (No such file or directory). "
                + "Start it with `dockerd` or `systemctl start docker`.")
    }

    @Test func concurrentFirstCallsNegotiateOnce() async throws {
        let docker = try Fixture.client()
        try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<10 { group.addTask { try await docker.apiVersion() } }
            var versions = Set<String>()
            for try await version in group { versions.insert(version) }
            #expect(versions.count == 1)
        }
    }
}
