import Foundation
import ProviderDouble
import SandboxDocker
import Store
import TestSupport
import Testing
import Workflow

@testable import Engine

/// An agent (`prompt:`) step's declared credential (issue 15 §5) on real Docker with the
/// provider double: its Bash tool finds the value in the sandbox's environment, and no request
/// to the model provider holds it (only the hash the command printed goes back).
@Suite(.serialized, .timeLimit(.minutes(5)))
struct CredentialAgentStepTests {
    @Test func theAgentsSandboxHasTheCredentialAndTheProviderNeverSeesIt() async throws {
        let token = "ghp_AgentCredential_\(UUID().uuidString.replacingOccurrences(of: "-", with: ""))"
        let double = try await ProviderDouble.start()
        defer { Task { await double.stop() } }
        let key = AgentStepRunTests.key()
        double.setScript(
            key: key,
            turns: [
                .calls([ScriptedToolCall(name: "Bash", input: ["command": "printf %s \"$GITHUB_TOKEN\" | sha256sum | cut -c1-64"])]),
                .reply("done"),
            ])
        let backend = try await DockerSandboxBackend.fromEnvironment()
        let (directory, repository) = try DockerWorkflowRunTests.scratchRepository()
        defer { try? FileManager.default.removeItem(at: directory) }
        let vault = CredentialVault(
            database: repository.database, keySource: CredentialKeySource(dataDirectory: directory.path, environment: [:]))
        try vault.set("github:default", value: token)
        var configuration = EngineConfiguration(removesWorkspace: true)
        configuration.models = try AgentStepRunTests.models(double, key: key)
        configuration.credentials = vault
        let engine = WorkflowEngine(backend: backend, repository: repository, configuration: configuration)
        let outcome = try await engine.run(
            try workflow(
                """
                name: agent-credential
                default_model: sonnet
                steps:
                  - id: look
                    prompt: Check the token.
                    tools: [Bash]
                    credentials: [{name: github:default, env: GITHUB_TOKEN}]
                """))
        #expect(outcome.status == .completed, "\(outcome.error ?? "")")

        let expectedHash = String(try await runChild("sha256sum", input: Data(token.utf8)).text.prefix(64))
        let requests = double.requests(key: key)
        #expect(requests.count == 2)
        #expect(requests.last?.bodyText.contains(expectedHash) == true, "the Bash tool saw the value in the sandbox's environment")
        #expect(requests.allSatisfy { !$0.bodyText.contains(token) }, "no request to the provider holds the value")
        let events = try repository.events(runID: outcome.runID)
        #expect(!events.isEmpty && !events.contains { $0.payloadJSON.contains(token) }, "no event holds it")
    }
}
