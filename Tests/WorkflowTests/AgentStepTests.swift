import Foundation
import Testing

@testable import Workflow

/// Agent (`prompt:`) and `llm` steps, and Sandcastle's way of writing a workflow, which must
/// load unchanged.
@Suite struct AgentStepTests {
    @Test func sandcastleStyleExamplesLoadWithTheirMeaning() throws {
        let lead = try WorkflowLoader().loadValid(path: repositoryRoot.appendingPathComponent("examples/lead-enrichment.yaml").path)
        #expect(lead.defaults.model?.value == "sonnet")
        #expect(lead.defaults.maxTurns?.value == 8)
        #expect(lead.defaults.timeout?.value == .seconds(300))
        // input_schema became inputs: `required` with a default is optional, as in JSON Schema.
        #expect(lead.inputs.map(\.name) == ["company", "product"])
        #expect(lead.input("company")?.defaultValue == "example.com")
        #expect(lead.input("company")?.required == false)

        let research = try #require(lead.step("research"))
        #expect(research.kind == .agent)
        let researchConfiguration = try #require(research.configuration(as: AgentStepConfiguration.self))
        #expect(researchConfiguration.tools?.map(\.value) == ["Bash", "Read", "Write", "Grep", "Glob"])
        #expect(lead.settings(for: research).image == StepDefaults.builtInAgentImage, "agent steps default to the agent image")

        let score = try #require(lead.step("score"))
        let scoreConfiguration = try #require(score.configuration(as: AgentStepConfiguration.self))
        #expect(score.onFailure?.value == .fallback, "retry.on_failure is the step's on_failure")
        #expect(scoreConfiguration.fallback?.model?.value == "haiku")
        guard case .object(let schema)? = scoreConfiguration.outputSchema?.value else {
            Issue.record("output_schema is not an object")
            return
        }
        #expect(schema["required"] == ["score", "industry", "reasons"])
        #expect(schema["additionalProperties"] == false)

        let email = try #require(lead.step("email"))
        #expect(email.kind == .llm)
        let emailConfiguration = try #require(email.configuration(as: LLMStepConfiguration.self))
        #expect(emailConfiguration.temperature == 0.4)
        #expect(emailConfiguration.maxTokens == 400)
        #expect(emailConfiguration.systemPrompt?.source == "You write short, specific sales emails without filler.")
        #expect(lead.onComplete?.storagePath?.source == "leads/{run_id}/result.json")

        let competitors = try WorkflowLoader().loadValid(
            path: repositoryRoot.appendingPathComponent("examples/competitor-analysis.yaml").path)
        let analyse = try #require(competitors.step("analyse"))
        #expect(analyse.kind == .agent)
        #expect(analyse.fanOut?.reference == .input(name: "competitors", path: []))
        #expect(analyse.configuration(as: AgentStepConfiguration.self)?.maxTurns?.value == 6)
        #expect(competitors.input("competitors")?.type == .list, "JSON Schema's `array` is a list")
    }

    @Test func sandcastleSpellingsAndRefusals() {
        let result = load(
            """
            name: compat
            sandstorm_url: http://localhost:8000
            memory: {agent: x}
            steps:
              - id: a
                type: standard
                prompt: hello
                tools: [Bash, Raed]
              - id: b
                run: echo
                on_failure: fallback
              - id: c
                prompt: hi
                fallback: {prompt: again}
              - id: d
                type: llm
                prompt: hi
                llm_config: {temperature: 3, top_k: 4}
            """)
        let messages = result.diagnostics.map { "\($0.severity) \($0.location?.line ?? 0): \($0.message) | \($0.hint ?? "")" }
        #expect(messages.contains("warning 2: `sandstorm_url` is ignored: agent steps run here, in the step's sandbox | remove it"))
        #expect(messages.contains("error 3: `memory` is not a field of the workflow | `memory` is not supported yet; remove it to run this workflow"))
        #expect(result.workflow?.step("a")?.kind == .agent, "Sandcastle's `type: standard` is a prompt step")
        #expect(messages.contains("error 8: unknown tool `Raed` | did you mean `Read`?"), "\(messages)")
        #expect(messages.contains { $0.hasPrefix("error 11: `on_failure: fallback` needs a `fallback:` on the step | only agent") })
        #expect(messages.contains("warning 14: `fallback` is used only with `on_failure: fallback` | add retry: {on_failure: fallback}"))
        #expect(messages.contains("error 18: `temperature` must be a number from 0 to 2, found 3 | "))
        #expect(messages.contains { $0.hasPrefix("error 18: unknown field `top_k` in `llm_config`") })
    }

    @Test func inputSchemaIsCheckedLikeInputs() {
        let result = load(
            """
            name: schema
            input_schema:
              properties:
                count: {type: integer, default: "x"}
                when: {type: file}
              required: [count, missing]
            steps:
              - {id: a, prompt: "count {input.count}"}
            """)
        let messages = result.errors.map { "\($0.location?.line ?? 0): \($0.message)" }
        #expect(messages.contains("4: the default of `count` must be an integer, found string"), "\(messages)")
        #expect(messages.contains("5: unknown input type `file`"))
        #expect(messages.contains("6: `input_schema.required` names `missing`, which `properties` does not declare"))
    }

    @Test func agentFieldsAreRangeChecked() {
        let result = load(
            workflow(
                steps: """
                      - id: a
                        prompt: "   "
                      - id: b
                        prompt: go
                        max_turns: 0
                        output_schema: [not, a, schema]
                        agents:
                          "bad name": {description: x, prompt: y}
                          reviewer: {description: reviews, prompt: you review, tools: [Read, Nope]}
                    """))
        let messages = result.errors.map(\.message)
        #expect(messages.contains("`prompt` must not be empty"))
        #expect(messages.contains { $0.contains("`max_turns` must be between 1 and 1000") }, "\(messages)")
        #expect(messages.contains("`output_schema` must be a JSON Schema (a mapping), found list"))
        #expect(messages.contains("invalid agent name `bad name`"))
        #expect(messages.contains("agent `reviewer` names an unknown tool `Nope`"))
    }
}

/// Prompts are rendered as Sandcastle renders them.
@Suite struct PromptRendererTests {
    @Test func referencesAreSplicedAsTextAndUnreferencedDependenciesAppended() throws {
        let workflow = try load(
            """
            name: p
            inputs: {company: {type: string, default: acme}}
            steps:
              - {id: research, prompt: go}
              - {id: notes, prompt: go}
              - id: score
                depends_on: [research, notes, research]
                prompt: "Score {input.company}: {steps.research.output} and {steps.research.output.missing}"
            """
        ).workflow.map { $0 }
        let step = try #require(workflow?.step("score"))
        let template = try #require(step.configuration(as: AgentStepConfiguration.self)?.prompt)
        let context = TemplateContext(
            runID: "r", inputs: ["company": "acme"],
            steps: [
                "research": StepResult(output: ["industry": "tools", "size": 40]),
                "notes": StepResult(output: "plain notes"),
            ])
        let rendered = PromptRenderer.render(template, step: step, context: context)
        #expect(
            rendered.text
                == #"Score acme: {"industry":"tools","size":40} and {steps.research.output.missing}"#
                + "\n\nContext from previous steps:\n[notes]: plain notes")
        #expect(rendered.unresolved == ["{steps.research.output.missing}"])
    }
}
