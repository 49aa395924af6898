import Foundation
import ProviderDouble
import SandboxDocker
import Store
import Testing
import Workflow

@testable import Engine

/// Forking an agent step with Sandcastle's changes (prompt, model, max_turns), on real Docker
/// against the provider double: the fork's model call carries the new prompt and model, the
/// upstream step is reused, the changes are recorded and come back on resume; changes a step's
/// kind cannot take are refused by name.
@Suite(.serialized, .timeLimit(.minutes(5))) struct AgentForkTests {
    static let yaml = """
        name: agent-fork
        default_model: sonnet
        steps:
          - {id: fetch, run: echo 42}
          - id: think
            depends_on: [fetch]
            prompt: "Say something about {steps.fetch.output}."
            tools: []
        """

    @Test func aForkOfAnAgentStepSendsTheNewPromptAndModel() async throws {
        let double = try await ProviderDouble.start()
        defer { Task { await double.stop() } }
        let key = AgentStepRunTests.key()
        double.setScript(key: key, turns: [.reply("first"), .reply("second")])
        let backend = try await DockerSandboxBackend.fromEnvironment()
        let (directory, repository) = try DockerWorkflowRunTests.scratchRepository()
        defer { try? FileManager.default.removeItem(at: directory) }
        let engine = AgentStepRunTests.engine(backend, repository, models: try AgentStepRunTests.models(double, key: key))
        let wf = try workflow(Self.yaml)
        let parent = try await engine.run(wf)
        #expect(parent.status == .completed, "\(parent.error ?? "")")

        let changes = ForkChanges(prompt: "Be brief about {steps.fetch.output}.", model: "haiku", maxTurns: 3)
        let fork = try await engine.replay(parentRunID: parent.runID, fromStep: "think", workflow: wf, changes: changes)
        #expect(fork.status == .completed, "\(fork.error ?? "")")
        #expect(fork.steps["think"]?.output == "second")
        let requests = double.requests(key: key)
        #expect(requests.count == 2, "fetch was reused: one call for the parent, one for the fork")
        let sent = try #require(requests.last?.body)
        #expect(sent.child("messages")?.jsonText.contains("Be brief about 42.") == true, "\(sent.jsonText.prefix(400))")
        let model = try #require(try repository.modelCalls(runID: fork.runID).first?.model)
        #expect(model.contains("haiku"), "\(model)")

        let run = try #require(try repository.run(id: fork.runID)).run
        let stored = try #require(run.forkChangesJSON.flatMap { JSONValue.parse(json: $0) })
        #expect(stored.child("prompt") == "Be brief about {steps.fetch.output}." && stored.child("max_turns") == 3)
        #expect(ForkChanges(json: stored) == changes)
        let again = try WorkflowEngine.effectiveWorkflow(wf, for: run)
        let configuration = try #require(again.step("think")?.configuration as? AgentStepConfiguration)
        #expect(configuration.model?.value == "haiku" && configuration.maxTurns?.value == 3)
    }

    @Test func changesAStepCannotTakeAreRefusedByName() throws {
        let wf = try workflow(Self.yaml)
        func refusal(_ changes: ForkChanges, _ step: String) -> String? {
            do {
                _ = try changes.applied(to: wf, step: step)
                return nil
            } catch let error as EngineError {
                return error.code == .invalidRequest ? error.message : "\(error.code)"
            } catch {
                return "\(error)"
            }
        }
        #expect(refusal(ForkChanges(command: "echo x"), "think")?.contains("cannot take run") == true)
        #expect(refusal(ForkChanges(prompt: "x", model: "haiku"), "fetch")?.contains("cannot take prompt, model") == true)
        #expect(refusal(ForkChanges(maxTurns: 0), "think")?.contains("max_turns must be 1 to 1000") == true)
        #expect(refusal(ForkChanges(prompt: "about {steps.think.output}"), "think")?.contains("is not upstream") == true)
        #expect(refusal(ForkChanges(prompt: "about {steps.fetch.output}", maxTurns: 5), "think") == nil)
    }
}
