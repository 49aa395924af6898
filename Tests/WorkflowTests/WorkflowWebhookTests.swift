import Testing

@testable import Workflow

/// Sandcastle's workflow-level webhooks: `on_complete.webhook` and the top-level `on_failure:
/// {dead_letter, webhook}`; a `dead_letter` that is not a boolean is refused, and a scalar top-level
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

    @Test func deadLetterIsRead() throws {
        let on = load("name: x\non_failure: {dead_letter: true, webhook: https://hooks.example/f}\nsteps:\n  - {id: a, run: echo}")
        #expect(on.isValid, "\(on.diagnostics)")
        #expect(try #require(on.workflow).onFailure?.deadLetters == true)
        let off = load("name: x\non_failure: {dead_letter: false}\nsteps:\n  - {id: a, run: echo}")
        #expect(off.isValid, "\(off.diagnostics)")
        #expect(try #require(off.workflow).onFailure?.deadLetters == false)
        #expect(try #require(load("name: x\nsteps:\n  - {id: a, run: echo}").workflow).onFailure?.deadLetters != true)
        let notBool = load("name: x\non_failure: {dead_letter: sometimes}\nsteps:\n  - {id: a, run: echo}")
        #expect(notBool.errors.contains { $0.message.contains("`dead_letter` must be true or false") }, "\(notBool.diagnostics)")
        let unknown = load("name: x\non_failure: {dead_leter: true}\nsteps:\n  - {id: a, run: echo}")
        #expect(unknown.errors.contains { $0.message.contains("dead_leter") }, "\(unknown.diagnostics)")
    }

    @Test func whatIsNotRunIsRefusedByName() {
        let scalar = load("name: x\non_failure: continue\nsteps:\n  - {id: a, run: echo}")
        #expect(
            scalar.errors.contains { $0.hint?.contains("defaults: {on_failure: continue}") == true || $0.message.contains("defaults") }, "\(scalar.diagnostics)"
        )
        let notHTTP = load("name: x\non_complete: {webhook: ftp://x}\nsteps:\n  - {id: a, run: echo}")
        #expect(notHTTP.errors.contains { $0.message.contains("must be an http or https URL") }, "\(notHTTP.diagnostics)")
    }
}
