import Testing

@testable import Workflow

/// Sandcastle's workflow-level webhooks: `on_complete.webhook` and the top-level `on_failure:
/// {webhook}`; what is not supported yet (`dead_letter`) is refused by name, and a scalar top-level
/// `on_failure` still points to `defaults`.
@Suite struct WorkflowWebhookTests {
    @Test func bothWebhooksAreRead() throws {
        let result = load(
            """
            name: hooked
            on_complete: {storage_path: "out/{run_id}.json", webhook: "https://hooks.example/done"}
            on_failure:
              webhook: https://hooks.example/failed
            steps:
              - {id: a, run: echo hi}
            """)
        #expect(result.isValid, "\(result.diagnostics)")
        let workflow = try #require(result.workflow)
        #expect(workflow.onComplete?.webhook?.value == "https://hooks.example/done")
        #expect(workflow.onComplete?.storagePath != nil)
        #expect(workflow.onFailure?.webhook?.value == "https://hooks.example/failed")
    }

    @Test func whatIsNotRunIsRefusedByName() {
        let deadLetter = load("name: x\non_failure: {dead_letter: true}\nsteps:\n  - {id: a, run: echo}")
        #expect(
            deadLetter.errors.contains { ($0.hint ?? $0.message).contains("dead letters are not supported yet") && $0.message.contains("dead_letter") },
            "\(deadLetter.diagnostics)")
        let scalar = load("name: x\non_failure: continue\nsteps:\n  - {id: a, run: echo}")
        #expect(
            scalar.errors.contains { $0.hint?.contains("defaults: {on_failure: continue}") == true || $0.message.contains("defaults") }, "\(scalar.diagnostics)"
        )
        let notHTTP = load("name: x\non_complete: {webhook: ftp://x}\nsteps:\n  - {id: a, run: echo}")
        #expect(notHTTP.errors.contains { $0.message.contains("must be an http or https URL") }, "\(notHTTP.diagnostics)")
    }
}
