import DockerEngine
import Foundation
import HTTPTransport
import Logging
import Sandbox
import Testing

@testable import Server
@testable import ServerCompat
@testable import ServerCore

@Suite struct PoolTargetParsingTests {
    @Test func targetsParseWithAndWithoutProfile() throws {
        let targets = try PoolProvisioner.targets(["base=2", "python:strict=1", "sandcastle/node:latest=3"])
        #expect(
            targets == [
                PoolTarget(image: "base", profile: "default", size: 2),
                PoolTarget(image: "python", profile: "strict", size: 1),
                PoolTarget(image: "sandcastle/node:latest", profile: "default", size: 3),
            ])
        for bad in ["base", "base=0", "base=x", "=2", "base=100"] {
            #expect(throws: ServerError.self, "\(bad)") { try PoolProvisioner.targets([bad]) }
        }
        var flags = ServerConfiguration.Overrides()
        flags.openMode = true
        flags.pool = ["base=nope"]
        #expect(throws: ServerError.self) { try ServerConfiguration.load(configFile: nil, environment: [:], flags: flags) }
    }
}

/// The warm pool behind the provisioner seam, on the real engine.
@Suite(.timeLimit(.minutes(3)))
struct DockerPoolServerTests {
    @Test func aPooledCreateIsAHitCarriesTheServerLabelAndGetsItsEnvironment() async throws {
        let data = DockerServerFixture.dataDirectory()
        var configuration = DockerServerFixture.configuration(dataDirectory: data)
        configuration.pool = ["base=1"]
        let dependencies = try await ServerDependencies.production(configuration, logger: Logger(label: "test"))
        let serverID = dependencies.serverID
        defer { try? FileManager.default.removeItem(atPath: data) }
        try await ServerFixture.with(configuration, dependencies) { s in
            // Wait for the pool to fill (metrics show it).
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline {
                let metrics = try await s.call(.get, "/metrics").text
                if metrics.contains(#"sandcastle_pool_size{image="sandcastle/base:latest",profile="default"} 1"#) { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            let start = ContinuousClock.now
            let created = try await s.call(.post, "/v1/sandboxes", json: #"{"image":"base","env":{"GREETING":"pooled"}}"#)
            let id = try #require(created.body["id"] as? String)
            let exec = try await s.call(.post, "/v1/sandboxes/\(id)/exec", json: #"{"command":"echo $GREETING"}"#)
            let elapsed = ContinuousClock.now - start
            #expect(exec.body["stdout"] as? String == "pooled\n")
            let argv = try await s.call(.post, "/v1/sandboxes/\(id)/exec", json: #"{"argv":["sh","-c","echo $GREETING"]}"#)
            #expect(argv.body["stdout"] as? String == "pooled\n")
            let metrics = try await s.call(.get, "/metrics").text
            #expect(metrics.contains(#"sandcastle_pool_hits_total{image="sandcastle/base:latest",profile="default"} 1"#), "\(metrics)")
            #expect(metrics.contains(#"sandcastle_sandboxes_created_total{source="pool"} 1"#))
            print("create → first exec from the pool: \(elapsed) (debug build, over HTTP)")
            let docker = try await DockerClient.connect()
            let mine = try await docker.listContainers(
                all: true,
                filters: .labels([
                    "\(SandcastleLabels.server)=\(serverID)",
                    "\(SandcastleLabels.sandbox)=\(id)",
                ]))
            #expect(mine.count == 1, "the handed-out container carries the server label")
            #expect(try await s.call(.delete, "/v1/sandboxes/\(id)").status == 200)
        }
        // Shutdown drained the pool: nothing of this server is left.
        let leaked = try await DockerServerFixture.sweep(serverID: serverID)
        #expect(leaked.isEmpty, "left behind: \(leaked)")
    }
}
