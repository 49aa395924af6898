import Foundation
import Logging
import RunnerClient
import RunnerProtocol
import Sandbox
@testable import Server
import Testing

/// The E2B client backend's own concerns: configuration and control-plane errors. What it does
/// with a sandbox is checked by the backend conformance suites (`BackendConformance/`), the
/// same tests the Docker backend runs.
@Suite("E2B client backend")
struct E2BClientBackendTests {
    static func backend(port: Int, key: String = "any-key") throws -> E2BSandboxBackend {
        let url = "http://127.0.0.1:\(port)"
        return try E2BSandboxBackend(configuration: try E2BConfiguration.fromEnvironment([
            "E2B_API_KEY": key, "E2B_API_URL": url, "E2B_SANDBOX_URL": url,
        ]), timeoutSeconds: 120)
    }

    @Test(.timeLimit(.minutes(2)))
    func controlPlaneErrorsMapToSandboxErrors() async throws {
        let configuration = ServerFixture.configuration(open: false)
        let dependencies = try await ServerDependencies.production(configuration, logger: Logger(label: "test"))
        try await ServerFixture.with(configuration, dependencies) { live in
            do {
                _ = try await Self.backend(port: live.port, key: "wrong-key").create(SandboxSpec(image: "base"))
                Issue.record("a wrong key created a sandbox")
            } catch let error as SandboxError {
                #expect(error.code == .unauthorized && error.message.contains("Invalid API key"), "\(error)")
            }
            do {
                _ = try await Self.backend(port: live.port, key: ServerFixture.key).create(SandboxSpec(image: "no-such-template-zz"))
                Issue.record("an unknown template created a sandbox")
            } catch let error as SandboxError {
                #expect(error.code == .imageNotFound && error.message.contains("no-such-template-zz"), "\(error)")
            }
        }
        let leaked = try await DockerServerFixture.sweep(serverID: dependencies.serverID)
        #expect(leaked.isEmpty)
    }

    @Test func environmentFollowsTheSDK() throws {
        #expect(throws: SandboxError.self) { try E2BConfiguration.fromEnvironment([:]) }
        let defaults = try E2BConfiguration.fromEnvironment(["E2B_API_KEY": "k"])
        #expect(defaults.apiURL == "https://api.e2b.app")
        #expect(defaults.envdURL(sandboxID: "abc", domain: nil) == "https://sandbox.e2b.app")
        let custom = try E2BConfiguration.fromEnvironment(["E2B_API_KEY": "k", "E2B_DOMAIN": "sbx.example.test"])
        #expect(custom.apiURL == "https://api.sbx.example.test")
        #expect(custom.envdURL(sandboxID: "abc", domain: nil) == "https://49983-abc.sbx.example.test")
        let local = try E2BConfiguration.fromEnvironment(["E2B_API_KEY": "k", "E2B_API_URL": "http://h:1", "E2B_SANDBOX_URL": "http://h:2"])
        #expect(local.apiURL == "http://h:1" && local.envdURL(sandboxID: "abc", domain: "x") == "http://h:2")
    }
}
