import DockerEngine
import Foundation
import HTTPTransport
import Logging
import Sandbox
import Store
import Testing

@testable import Server
@testable import ServerCompat
@testable import ServerCore

/// Real-engine fixtures. No skip path: without an engine these tests fail.
enum DockerServerFixture {
    /// A fresh data folder (so a fresh server id: only this test's containers carry its label).
    static func dataDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("sc-server-\(UUID().uuidString)").path
    }

    static func configuration(
        dataDirectory: String, open: Bool = true, _ adjust: (inout ServerConfiguration) -> Void = { _ in }
    ) -> ServerConfiguration {
        ServerFixture.configuration(open: open) {
            $0.dataDirectory = dataDirectory
            $0.reapIntervalSeconds = 0.5
            adjust(&$0)
        }
    }

    /// Runs `body` against a server on the real engine; afterwards removes whatever carries this
    /// server's label and fails the test if anything was left behind by `body`.
    static func with<T>(
        dataDirectory: String = dataDirectory(), open: Bool = true, expectNoLeaks: Bool = true, keepData: Bool = false,
        adjust: (inout ServerConfiguration) -> Void = { _ in },
        _ body: (LiveServer) async throws -> T
    ) async throws -> T {
        let configuration = configuration(dataDirectory: dataDirectory, open: open, adjust)
        let dependencies = try await ServerDependencies.production(configuration, logger: Logger(label: "test"))
        let result = try await ServerFixture.with(configuration, dependencies, body)
        if expectNoLeaks {
            let leaked = try await sweep(serverID: dependencies.serverID)
            #expect(leaked.isEmpty, "containers left behind: \(leaked)")
        }
        if !keepData { try? FileManager.default.removeItem(atPath: dataDirectory) }
        return result
    }

    /// Removes this server's containers; returns the ids it found.
    @discardableResult
    static func sweep(serverID: String) async throws -> [String] {
        let docker = try await DockerClient.connect()
        let containers = try await docker.listContainers(all: true, filters: .labels(["\(SandcastleLabels.server)=\(serverID)"]))
        for container in containers { try? await docker.removeContainer(id: container.id, force: true, removeVolumes: true) }
        return containers.map(\.id)
    }

    static func serverID(dataDirectory: String) throws -> String {
        try String(contentsOfFile: dataDirectory + "/server-id", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
