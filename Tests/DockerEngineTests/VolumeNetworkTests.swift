import Testing

@testable import DockerEngine

@Suite("Volumes and networks against the real engine")
struct VolumeNetworkTests {
    @Test func volumeLifecycle() async throws {
        let docker = try Fixture.client()
        let name = Fixture.uniqueName("vol")
        var labels = Fixture.managed
        labels["sandcastle.marker"] = name
        try await Fixture.withCleanup(
            {
                let created = try await docker.createVolume(name: name, labels: labels)
                #expect(created.name == name)
                #expect(created.labels?["sandcastle.managed"] == "true")
                let inspected = try await docker.inspectVolume(name: name)
                #expect(inspected.driver == "local")
                let listed = try await docker.listVolumes(filters: .label("sandcastle.marker", name))
                #expect(listed.map(\.name) == [name])
                try await docker.removeVolume(name: name)
                let gone = await #expect(throws: DockerError.self) { _ = try await docker.inspectVolume(name: name) }
                #expect(gone?.code == .notFound)
            },
            cleanup: {
                try? await docker.removeVolume(name: name, force: true)
            })
    }

    @Test func volumeInUseIsAConflict() async throws {
        let docker = try Fixture.client()
        let name = Fixture.uniqueName("busy")
        try await Fixture.withCleanup(
            {
                _ = try await docker.createVolume(name: name, labels: Fixture.managed)
                var config = Fixture.config(["true"])
                config.hostConfig?.mounts = [Mount(type: .volume, source: name, target: "/data")]
                try await Fixture.withContainer(docker, config) { _ in
                    let error = await #expect(throws: DockerError.self) { try await docker.removeVolume(name: name) }
                    #expect(error?.code == .conflict)
                }
            },
            cleanup: {
                try? await docker.removeVolume(name: name, force: true)
            })
    }

    @Test func networkLifecycle() async throws {
        let docker = try Fixture.client()
        let name = Fixture.uniqueName("net")
        var networkID: String?
        try await Fixture.withCleanup(
            {
                let id = try await docker.createNetwork(name: name, internal: true, labels: Fixture.managed)
                networkID = id
                let inspected = try await docker.inspectNetwork(id: id)
                #expect(inspected.name == name)
                #expect(inspected.internal == true)
                #expect(inspected.labels?["sandcastle.managed"] == "true")
                let listed = try await docker.listNetworks(filters: ["name": [name]])
                #expect(listed.map(\.id) == [id])

                var config = Fixture.config(["sleep", "30"])
                config.hostConfig?.networkMode = nil
                try await Fixture.withContainer(docker, config) { container in
                    try await docker.startContainer(id: container)
                    try await docker.connectNetwork(id: id, container: container, aliases: ["sandbox"])
                    let attached = try await docker.inspectNetwork(id: id)
                    #expect(attached.containers?[container] != nil)
                    try await docker.disconnectNetwork(id: id, container: container)
                }
                try await docker.removeNetwork(id: id)
                let gone = await #expect(throws: DockerError.self) { _ = try await docker.inspectNetwork(id: id) }
                #expect(gone?.code == .notFound)
            },
            cleanup: {
                if let networkID { try? await docker.removeNetwork(id: networkID) }
            })
    }
}
