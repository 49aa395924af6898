import Testing

@testable import Workflow

@Suite struct ParsingTests {
    @Test func parsesEveryField() throws {
        let result = load(
            """
            name: full
            description: Every field once.
            inputs:
              count:
                type: integer
                default: 3
              names: list
              mode:
                type: string
                enum: [fast, slow]
                default: fast
            defaults:
              image: python
              profile: default
              backend: docker
              timeout: 5m
              retry: {max_attempts: 3, backoff: fixed, initial_delay: 2s, max_delay: 10s, jitter: false}
              on_failure: continue
              env: {LANG: C.UTF-8}
            steps:
              - id: a
                description: first
                run: echo {input.count} {input.mode}
                image: node
                env:
                  NAMES: "{input.names}"
                  FLAG: true
                timeout: 1h30m
                retry:
                  max_attempts: 5
                session: s1
              - id: b
                depends_on: a
                parallel_over: "{input.names}"
                max_concurrency: 4
                when: steps.a.status == "completed"
                on_failure: skip
                backend: docker
                run: echo {input._item} {input._index}
              - id: gate
                type: approval
                depends_on: [b]
                approval_config: {message: "ok {run_id}?", timeout_hours: 2, on_timeout: skip, allow_edit: true}
            outputs:
              first: "{steps.a.output}"
            """)
        #expect(result.diagnostics.isEmpty, "\(lines(result))")
        let workflow = try #require(result.workflow)
        #expect(workflow.name == "full")
        #expect(workflow.inputs.map(\.name) == ["count", "names", "mode"])
        #expect(workflow.input("count")?.defaultValue == .integer(3))
        #expect(workflow.input("count")?.required == false)
        #expect(workflow.input("names")?.type == .list)
        #expect(workflow.input("names")?.required == true)
        #expect(workflow.input("mode")?.allowedValues == ["fast", "slow"])

        let a = try #require(workflow.step("a"))
        #expect(a.kind == .run)
        #expect(a.timeout?.value == .seconds(5400))
        let settingsA = workflow.settings(for: a)
        #expect(settingsA.image == "node")
        #expect(settingsA.profile == "default")
        #expect(settingsA.timeout == .seconds(5400))
        // Field-by-field retry merge: attempts from the step, the rest from defaults.
        #expect(
            settingsA.retry
                == RetryPolicy(
                    maxAttempts: 5, backoff: .fixed, initialDelay: .seconds(2),
                    maxDelay: .seconds(10), jitter: false))
        #expect(settingsA.onFailure == .continue)
        #expect(Set(settingsA.environment.keys) == ["LANG", "NAMES", "FLAG"])
        #expect(settingsA.environment["FLAG"]?.source == "true")
        #expect(settingsA.session == "s1")

        let b = try #require(workflow.step("b"))
        #expect(b.dependencyIDs == ["a"])
        #expect(b.fanOut?.reference == .input(name: "names", path: []))
        #expect(b.fanOut?.maxConcurrency == 4)
        #expect(b.when?.source == "steps.a.status == \"completed\"")
        #expect(workflow.settings(for: b).onFailure == .skip)
        #expect(workflow.settings(for: b).image == "python")

        let gate = try #require(workflow.step("gate")?.configuration(as: ApprovalStepConfiguration.self))
        #expect(gate.timeout == .seconds(7200))
        #expect(gate.onTimeout == .skip)
        #expect(gate.allowEdit)
        #expect(gate.message.references == [.runID])
        #expect(workflow.outputs.map(\.name) == ["first"])
    }

    @Test func builtInDefaults() throws {
        let result = load(workflow(steps: "  - id: only\n    run: echo ok\n"))
        #expect(result.isValid, "\(lines(result))")
        let workflow = try #require(result.workflow)
        let settings = workflow.settings(for: try #require(workflow.step("only")))
        #expect(settings.image == "base")
        #expect(settings.profile == "default")
        #expect(settings.backend == .docker)
        #expect(settings.timeout == .seconds(300))
        #expect(settings.retry == .none)
        #expect(settings.onFailure == .abort)
    }

    /// `run: true` is the shell builtin written as YAML's boolean: a wrong type, reported with a fix.
    @Test func runMustBeText() {
        let result = load(workflow(steps: "  - id: only\n    run: true\n"))
        let diagnostic = only(.wrongType, in: result)
        expectAt(diagnostic, 4, 10)
        #expect(diagnostic?.message == "`run` must be a string, found boolean")
        #expect(diagnostic?.hint == "quote it: run: \"…\"")
    }

    @Test func yaml12ScalarsKeepYesAsText() {
        #expect(YAMLNode.coreSchemaValue(plain: "yes") == .string("yes"))
        #expect(YAMLNode.coreSchemaValue(plain: "no") == .string("no"))
        #expect(YAMLNode.coreSchemaValue(plain: "on") == .string("on"))
        #expect(YAMLNode.coreSchemaValue(plain: "True") == .bool(true))
        #expect(YAMLNode.coreSchemaValue(plain: "~") == .null)
        #expect(YAMLNode.coreSchemaValue(plain: "") == .null)
        #expect(YAMLNode.coreSchemaValue(plain: "012") == .integer(12))
        #expect(YAMLNode.coreSchemaValue(plain: "-7") == .integer(-7))
        #expect(YAMLNode.coreSchemaValue(plain: "0x1F") == .integer(31))
        #expect(YAMLNode.coreSchemaValue(plain: "1.5e3") == .number(1500))
        #expect(YAMLNode.coreSchemaValue(plain: ".5") == .number(0.5))
        #expect(YAMLNode.coreSchemaValue(plain: "1.2.3") == .string("1.2.3"))
        #expect(YAMLNode.coreSchemaValue(plain: "1e") == .string("1e"))
        #expect(YAMLNode.coreSchemaValue(plain: "v1") == .string("v1"))
    }

    @Test func explicitTagsWin() throws {
        let result = load(
            """
            name: tags
            inputs:
              version: {type: string, default: !!str 1.10}
              count: {type: integer, default: !!int "4"}
            steps:
              - {id: a, run: "echo {input.version} {input.count}"}
            """)
        #expect(result.isValid, "\(lines(result))")
        #expect(result.workflow?.input("version")?.defaultValue == .string("1.10"))
        #expect(result.workflow?.input("count")?.defaultValue == .integer(4))
    }

    @Test func durations() {
        #expect(DurationParser.parse("30s") == .seconds(30))
        #expect(DurationParser.parse("5m") == .seconds(300))
        #expect(DurationParser.parse("1h30m") == .seconds(5400))
        #expect(DurationParser.parse("1h 30m 15s") == .seconds(5415))
        #expect(DurationParser.parse("1.5h") == .seconds(5400))
        #expect(DurationParser.parse("250ms") == .milliseconds(250))
        #expect(DurationParser.parse("2d") == .seconds(172_800))
        #expect(DurationParser.parse("90") == .seconds(90))
        #expect(DurationParser.parse("0.5") == .milliseconds(500))
        #expect(DurationParser.parse(.integer(42)) == .seconds(42))
        #expect(DurationParser.parse(.number(1.25)) == .milliseconds(1250))
        for bad in ["", "5", "m", "5 minutes", "1h30", "-5s", "5x", "1..5s", "h1"] where bad != "5" {
            #expect(DurationParser.parse(bad) == nil, "\(bad)")
        }
        #expect(DurationParser.parse(.bool(true)) == nil)
        // Numbers past what a duration holds are refused, not converted (which would trap).
        for huge in ["1e300", "99999999999999999999d", "1.7976931348623157e308"] { #expect(DurationParser.parse(huge) == nil, "\(huge)") }
        #expect(DurationParser.parse(.number(1.7976931348623155e+308)) == nil)
        #expect(DurationParser.format(.seconds(5400)) == "1h30m")
        #expect(DurationParser.format(.seconds(45)) == "45s")
        #expect(DurationParser.format(.milliseconds(250)) == "250ms")
        #expect(DurationParser.format(.milliseconds(1500)) == "1.5s")
    }

    @Test func yamlSyntaxErrorHasPosition() {
        let result = load("name: broken\nsteps:\n  - id: a\n    run: [echo\n  - id: b\n")
        #expect(result.workflow == nil)
        let diagnostic = only(.yamlSyntax, in: result)
        #expect(diagnostic?.location?.file == "wf.yaml")
        #expect((diagnostic?.location?.line ?? 0) >= 4)
    }

    @Test func unquotedTemplateInFlowMappingGetsAHint() {
        let result = load("name: x\nsteps:\n  - {id: a, run: echo {input.note}}\n")
        let diagnostic = only(.yamlSyntax, in: result)
        #expect(diagnostic?.location?.line == 3)
        #expect(diagnostic?.hint == "quote values that contain templates: run: \"echo {input.x}\"")
    }

    @Test func tabsGetAHint() {
        let result = load("name: tabs\nsteps:\n\t- id: a\n")
        let diagnostic = only(.yamlSyntax, in: result)
        #expect(diagnostic?.hint?.contains("spaces") == true)
    }

    @Test func duplicateKeyPointsAtTheSecondOne() {
        let result = load("name: dup\nsteps:\n  - id: a\n    run: echo one\n    run: echo two\n")
        let diagnostic = only(.duplicateKey, in: result)
        expectAt(diagnostic, 5, 5)
        #expect(diagnostic?.message == "`run` is given twice in the same mapping")
    }

    @Test func emptyAndNonMappingDocuments() {
        #expect(only(.yamlSyntax, in: load(""))?.message == "the file is empty")
        let list = only(.wrongType, in: load("- a\n- b\n"))
        #expect(list?.message == "the workflow must be a mapping, found list")
        expectAt(list, 1, 1)
    }

    @Test func referenceLocationsInsideBlockScalars() throws {
        let result = load(
            """
            name: where
            steps:
              - id: a
                run: echo a
              - id: b
                run: |
                  echo first
                  echo "{steps.a.output}" and {stepz.a.output}
            """)
        let diagnostic = only(.invalidTemplate, in: result)
        expectAt(diagnostic, 8, 35)
        #expect(diagnostic?.message == "unknown template root `stepz`")
        #expect(diagnostic?.hint == "did you mean `steps`?")
        let notUpstream = only(.referenceNotUpstream, in: result)
        expectAt(notUpstream, 8, 13)
    }

    @Test func referenceLocationsInQuotedAndFoldedScalars() {
        let result = load(
            """
            name: where
            steps:
              - id: a
                run: "echo \\"x\\" {steps.b.output}"
              - id: b
                run: >
                  echo folded
                  {steps.zz.output}
            """)
        let unknown = result.diagnostics.filter { $0.code == .unknownStep || $0.code == .referenceNotUpstream }
        #expect(unknown.count == 2, "\(lines(result))")
        expectAt(unknown.first { $0.code == .referenceNotUpstream }, 4, 22)
        expectAt(unknown.first { $0.code == .unknownStep }, 8, 7)
    }

    @Test func anchorsAndAliasesWork() throws {
        let result = load(
            """
            name: anchors
            defaults:
              retry: &retry {max_attempts: 2}
            steps:
              - id: a
                run: echo a
                retry: *retry
            """)
        #expect(result.isValid, "\(lines(result))")
        #expect(result.workflow?.step("a")?.retry?.maxAttempts == 2)
    }

    @Test func openStepKinds() throws {
        // A kind registered from outside the module parses, validates and keeps its configuration.
        struct EchoConfiguration: StepConfiguration {
            var text: Template
            var templates: [Template] { [text] }
        }
        struct EchoKind: StepKindHandler {
            var kind: StepKind { StepKind("echo") }
            var summary: String { "prints text" }
            var fields: Set<String> { ["say"] }
            var sharedFields: Set<String> { StepFields.control }
            var impliedByField: String? { "say" }
            func parseConfiguration(_ step: MappingReader) -> (any StepConfiguration)? {
                step.template("say", required: true).map { EchoConfiguration(text: $0) }
            }
            func validate(_ step: StepDefinition, in context: ValidationContext, diagnostics: inout DiagnosticList) {
                if step.id == "loud" { diagnostics.warning(ValidationDiagnostic.Code(rawValue: "too_loud"), at: step.location, "loud") }
            }
        }
        var registry = StepKindRegistry.standard
        registry.register(EchoKind())
        let options = ValidationOptions(registry: registry)
        let result = load(
            """
            name: open
            inputs: {who: {default: world}}
            steps:
              - id: loud
                say: hello {input.who}
              - id: b
                type: echo
                depends_on: [loud]
                say: "{steps.loud.output}"
                image: python
            """, options: options)
        let workflow = try #require(result.workflow)
        #expect(workflow.step("loud")?.kind == StepKind("echo"))
        #expect(workflow.step("loud")?.configuration(as: EchoConfiguration.self)?.text.references == [.input(name: "who", path: [])])
        #expect(result.diagnostics.contains { $0.code.rawValue == "too_loud" })
        // `image` belongs to sandbox kinds only.
        let image = only(.unknownField, in: result)
        #expect(image?.message == "`image` is not a field of step `b`")
        #expect(image?.hint == "echo steps do not take `image`")
        // The standard registry does not know `say`.
        #expect(!load("name: x\nsteps:\n  - id: a\n    say: hi\n").isValid)
    }
}
