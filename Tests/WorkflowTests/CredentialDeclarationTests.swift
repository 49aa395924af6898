import Testing

@testable import Workflow

/// A step's `credentials:` (issue 15 §5): both spellings, the variable a credential lands in,
/// and every way to get it wrong, including a workflow-wide list that would reach every step.
@Suite struct CredentialDeclarationTests {
    static func declared(_ result: WorkflowLoadResult, step: String) -> [CredentialDeclaration] {
        result.workflow?.steps.first { $0.id == step }?.sandbox.credentials ?? []
    }

    @Test func bothSpellingsAreReadAndOnlyTheDeclaringStepHasThem() {
        let result = load(
            workflow(
                steps: """
                      - id: release
                        run: echo release
                        credentials:
                          - github:default
                          - {name: slack:ops-team.eu, env: SLACK_TOKEN}
                      - id: other
                        run: echo other
                        depends_on: [release]
                    """))
        #expect(result.isValid, "\(lines(result))")
        let credentials = Self.declared(result, step: "release")
        #expect(credentials.map(\.name) == ["github:default", "slack:ops-team.eu"])
        #expect(credentials.map(\.environmentName) == ["GITHUB_DEFAULT", "SLACK_TOKEN"])
        #expect(Self.declared(result, step: "other").isEmpty)
    }

    @Test func aFlowListOfNamesIsReadToo() {
        let result = load(workflow(steps: "  - id: a\n    run: echo\n    credentials: [github:default, aws.s3:prod]\n"))
        #expect(result.isValid, "\(lines(result))")
        #expect(Self.declared(result, step: "a").map(\.environmentName) == ["GITHUB_DEFAULT", "AWS_S3_PROD"])
    }

    @Test func anAgentStepInSandcastlesFormatDeclaresThemAsWell() {
        let result = load(
            """
            name: triage
            default_model: sonnet
            steps:
              - id: triage
                type: standard
                prompt: Label the open issues.
                credentials: [{name: github:default, env: GITHUB_TOKEN}]
            """)
        #expect(result.isValid, "\(lines(result))")
        #expect(Self.declared(result, step: "triage").map(\.environmentName) == ["GITHUB_TOKEN"])
    }

    @Test func theDefaultVariableIsUpperCasedWithUnderscores() {
        #expect(CredentialDeclaration.defaultEnvironmentName(for: "github:default") == "GITHUB_DEFAULT")
        #expect(CredentialDeclaration.defaultEnvironmentName(for: "postgresql:analytics-eu.2") == "POSTGRESQL_ANALYTICS_EU_2")
    }

    @Test func aWorkflowWideListIsRefusedAtTheTopAndInDefaults() {
        for extra in ["credentials: [github:default]\n", "defaults:\n  credentials: [github:default]\n"] {
            let result = load(workflow(steps: "  - id: a\n    run: echo\n", extra: extra))
            let diagnostic = only(.unknownField, in: result)
            #expect(diagnostic?.hint?.contains("only to the steps that declare them") == true, "\(lines(result))")
        }
    }

    @Test(arguments: [
        ("credentials: [GitHub:default]", "not a valid credential name"),
        ("credentials: [\"../../etc:passwd\"]", "not a valid credential name"),
        ("credentials: [github]", "not a valid credential name"),
        ("credentials: [github:default, github:default]", "declared twice"),
        ("credentials: [{name: a:b, env: TOKEN}, {name: c:d, env: TOKEN}]", "two credentials are received in `TOKEN`"),
        ("credentials: [{name: a:b, env: \"1BAD\"}]", "cannot be received in"),
        ("credentials: [{name: a:b, env: SANDCASTLE_RUN_ID}]", "set by the engine"),
        ("credentials: [{name: a:b, env: SC_X}]", "reserved"),
        ("credentials: [{name: a:b, file: x}]", "unknown field `file`"),
        ("credentials: [{env: TOKEN}]", "name"),
        ("credentials: [[a:b]]", "a credential is a name or a mapping"),
        ("credentials: github:default", "must be a list"),
        ("credentials: [9x:b]", "cannot be received in"),
    ])
    func aBadDeclarationIsRefusedClearly(line: String, expected: String) {
        let result = load(workflow(steps: "  - id: a\n    run: echo\n    \(line)\n"))
        #expect(!result.isValid)
        #expect(lines(result).contains { $0.contains(expected) } || result.diagnostics.contains { ($0.hint ?? "").contains(expected) }, "\(lines(result))")
    }

    @Test func aCredentialCannotShadowTheStepsEnvOrLiveInASession() {
        let shadow = load(workflow(steps: "  - id: a\n    run: echo\n    env: {GITHUB_DEFAULT: x}\n    credentials: [github:default]\n"))
        #expect(lines(shadow).contains { $0.contains("which the step's `env` sets too") }, "\(lines(shadow))")
        let session = load(workflow(steps: "  - id: a\n    run: echo\n    session: s\n    credentials: [github:default]\n"))
        #expect(lines(session).contains { $0.contains("session's shell is shared") }, "\(lines(session))")
    }

    @Test func aStepWithoutASandboxTakesNone() {
        let result = load(workflow(steps: "  - id: a\n    type: approval\n    message: ok?\n    credentials: [github:default]\n"))
        #expect(!result.isValid)
        #expect(lines(result).contains { $0.contains("credentials") }, "\(lines(result))")
    }
}
