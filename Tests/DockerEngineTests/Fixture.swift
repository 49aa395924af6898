import Foundation
import Testing

@testable import DockerEngine

enum Fixture {
    static let image = "sandcastle/bootstrap:bookworm"
    static let managed = ["sandcastle.managed": "true", "sandcastle.test": "docker-engine"]

    static func client() throws -> DockerClient {
        try DockerClient(host: .unixSocket())
    }

    static func uniqueName(_ prefix: String) -> String {
        "sandcastle-test-\(prefix)-\(UInt32.random(in: 0...UInt32.max))"
    }

    /// A container config from the test image with the managed labels.
    static func config(_ cmd: [String]) -> ContainerConfig {
        var config = ContainerConfig(image: image)
        config.cmd = cmd
        config.labels = managed
        config.attachStdout = true
        config.attachStderr = true
        var host = HostConfig()
        host.networkMode = "none"
        config.hostConfig = host
        return config
    }

    /// Runs `body`, then `cleanup`, even when `body` throws.
    static func withCleanup<T>(_ body: () async throws -> T, cleanup: () async -> Void) async throws -> T {
        do {
            let result = try await body()
            await cleanup()
            return result
        } catch {
            await cleanup()
            throw error
        }
    }

    /// Creates a container, runs `body` with its id, and force-removes it (with volumes) afterwards.
    static func withContainer<T>(
        _ docker: DockerClient, _ config: ContainerConfig, name: String? = nil,
        _ body: (String) async throws -> T
    ) async throws -> T {
        let id = try await docker.createContainer(name: name, config: config)
        return try await withCleanup(
            { try await body(id) },
            cleanup: {
                try? await docker.removeContainer(id: id, force: true, removeVolumes: true)
            })
    }
}
