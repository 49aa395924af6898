import Testing

@testable import Workflow

@Suite struct ValidationTests {
    @Test func collectsAllErrorsNotJustTheFirst() {
        let result = load(
            """
            name: many
            stepz: []
            steps:
              - id: a
                run: echo a
                dependson: [b]
              - id: a
                run: echo again
              - id: c
                depends_on: [nope]
                run: echo {input.missing}
                timeout: forever
                retry: {max_attempts: 0}
            """)
        let codes = Set(result.errors.map(\.code))
        #expect(
            codes == [.unknownField, .duplicateStepID, .unknownDependency, .unknownInput, .invalidDuration, .invalidRetry],
            "\(lines(result))")
        #expect(result.errors.count == 7, "\(lines(result))")
        // Sorted by position.
        let positions = result.diagnostics.compactMap(\.location).map { [$0.line, $0.column] }
        #expect(positions == positions.sorted { $0.lexicographicallyPrecedes($1) })
    }

    @Test func unknownFieldsSuggestTheClosestName() {
        let result = load(
            """
            name: typos
            descripton: x
            steps:
              - id: a
                rn: echo a
              - id: b
                run: echo b
                dependson: [a]
                timout: 5s
                retry: {max_attempt: 2, on_failure: skp}
            """)
        let byLine = Dictionary(grouping: result.errors, by: { $0.location?.line ?? 0 })
        #expect(byLine[2]?.first?.message == "unknown field `descripton` in the workflow")
        #expect(byLine[2]?.first?.hint == "did you mean `description`?")
        // `rn` alone gives a step nothing to do; the kind cannot be inferred.
        #expect(byLine[4]?.first?.message == "step `a` has nothing to do")
        #expect(byLine[5]?.first?.message == "unknown field `rn` in step `a`")
        #expect(byLine[5]?.first?.hint == "did you mean `run`?")
        #expect(byLine[8]?.first?.hint == "did you mean `depends_on`?")
        expectAt(byLine[8]?.first, 8, 5)
        #expect(byLine[9]?.first?.hint == "did you mean `timeout`?")
        let retry = byLine[10] ?? []
        #expect(retry.contains { $0.message == "unknown field `max_attempt` in `retry`" })
        #expect(retry.contains { $0.hint == "did you mean `max_attempts`?" && $0.location?.column == 13 })
        // Sandcastle writes on_failure inside retry: it is read there, and checked.
        #expect(retry.contains { $0.message.contains("`skp`") && $0.hint == "did you mean `skip`?" }, "\(retry.map(\.message))")
    }

    @Test func fieldsOfOtherKindsAreExplained() {
        let result = load(
            """
            name: kinds
            steps:
              - id: gate
                type: approval
                run: deploy.sh
                image: python
              - id: b
                depends_on: [gate]
                run: echo
                approval_config: {message: hi}
                prompt: summarise this
                llm_config: {temperature: 0.1}
            """)
        let messages = result.errors.map { "\($0.location?.line ?? 0): \($0.message) | \($0.hint ?? "")" }
        #expect(messages.contains("5: `run` is not a field of step `gate` | `run` belongs to `type: run` steps; this is a approval step"))
        #expect(messages.contains("6: `image` is not a field of step `gate` | approval steps do not take `image`"))
        #expect(messages.contains("10: `approval_config` is not a field of step `b` | `approval_config` belongs to `type: approval` steps; this is a run step"))
        #expect(messages.contains("11: `prompt` is not a field of step `b` | `prompt` belongs to `type: llm` and `type: agent` steps; this is a run step"))
        #expect(messages.contains("12: `llm_config` is not a field of step `b` | `llm_config` belongs to `type: llm` steps; this is a run step"))
    }

    @Test func unknownAndLaterStepTypes() {
        let result = load(
            """
            name: types
            steps:
              - {id: a, type: aproval}
              - {id: b, type: http, run: echo}
              - {id: c, description: nothing}
            """)
        let messages = result.errors.map { "\($0.location?.line ?? 0):\($0.location?.column ?? 0) \($0.message) | \($0.hint ?? "")" }
        #expect(messages.contains("3:19 unknown step type `aproval` | did you mean `approval`?"))
        #expect(messages.contains { $0.hasPrefix("4:19 `type: http` steps are not supported yet") })
        #expect(messages.contains { $0.hasPrefix("5:5 step `c` has nothing to do | add `run: <command>`") })
    }

    @Test func duplicateStepIDs() {
        let result = load(
            workflow(
                steps: """
                      - id: build
                        run: make
                      - id: test
                        run: make test
                      - id: build
                        run: make again

                    """))
        let diagnostic = only(.duplicateStepID, in: result)
        expectAt(diagnostic, 7, 9)
        #expect(diagnostic?.message == "duplicate step id `build` (first used at line 3)")
    }

    @Test func invalidStepIDs() {
        let result = load(workflow(steps: "  - id: \"has space\"\n    run: x\n  - id: -dash\n    run: y\n"))
        #expect(result.errors.filter { $0.code == .invalidValue }.count == 2)
        #expect(result.errors.first?.hint == WorkflowParser.stepIDRule)
    }

    @Test func unknownDependencyWithSuggestion() {
        let result = load(
            workflow(
                steps: """
                      - id: compile
                        run: make
                      - id: test
                        depends_on: [compil, deploy]
                        run: make test

                    """))
        let unknown = result.errors.filter { $0.code == .unknownDependency }
        #expect(unknown.count == 2)
        expectAt(unknown.first, 6, 18)
        #expect(unknown.first?.message == "step `test` depends on `compil`, which is not a step")
        #expect(unknown.first?.hint == "did you mean `compile`?")
        expectAt(unknown.last, 6, 26)
        #expect(unknown.last?.hint == "steps: compile, test")
    }

    @Test func selfDependency() {
        let result = load(workflow(steps: "  - id: a\n    depends_on: a\n    run: x\n"))
        let diagnostic = only(.dependencyCycle, in: result)
        #expect(diagnostic?.message == "step `a` depends on itself")
        expectAt(diagnostic, 4, 17)
    }

    @Test func cyclesAreNamed() {
        let result = load(
            workflow(
                steps: """
                      - id: a
                        depends_on: [c]
                        run: x
                      - id: b
                        depends_on: [a]
                        run: x
                      - id: c
                        depends_on: [b]
                        run: x
                      - id: d
                        depends_on: [e]
                        run: x
                      - id: e
                        depends_on: [d]
                        run: x
                      - id: free
                        run: x

                    """))
        let cycles = result.errors.filter { $0.code == .dependencyCycle }
        #expect(cycles.map(\.message) == ["dependency cycle: a → b → c → a", "dependency cycle: d → e → d"])
        // Each points at the `depends_on` entry that closes it: b's `a`, e's `d`.
        expectAt(cycles.first, 7, 18)
        #expect(cycles.first?.hint == "remove one of: `b` depends on `a`, `c` depends on `b`, `a` depends on `c`")
        expectAt(cycles.last, 16, 18)
    }

    @Test func referencesMustBeUpstream() throws {
        let result = load(
            """
            name: refs
            steps:
              - id: fetch
                run: echo items
              - id: sibling
                run: echo {steps.fetch.output.items.0}
              - id: consume
                depends_on: [sibling]
                run: echo {steps.fetch.output} {steps.later.output} {steps.consume.status} {steps.nope.output}
              - id: later
                depends_on: [consume]
                run: echo done
            """)
        let notUpstream = result.errors.filter { $0.code == .referenceNotUpstream }
        #expect(
            notUpstream.map(\.message) == [
                "step `sibling` reads `{steps.fetch.output.items.0}` but `fetch` is not upstream of it",
                // `consume` depends on `sibling` only, which does not depend on `fetch`.
                "step `consume` reads `{steps.fetch.output}` but `fetch` is not upstream of it",
                "step `consume` reads `{steps.later.output}` but `later` is not upstream of it",
                "step `consume` reads its own result `{steps.consume.status}`",
            ])
        try #require(notUpstream.count == 4)
        #expect(notUpstream[0].hint == "add it to the dependencies: depends_on: [fetch]")
        expectAt(notUpstream[0], 6, 15)
        #expect(notUpstream[1].hint == "add it to the dependencies: depends_on: [sibling, fetch]")
        #expect(notUpstream[2].hint == "`later` runs after `consume` (it depends on it), so its result does not exist yet")
        expectAt(notUpstream[2], 9, 36)
        let unknown = only(.unknownStep, in: result)
        #expect(unknown?.message == "`{steps.nope.output}` names step `nope`, which does not exist")
    }

    @Test func transitiveUpstreamIsEnough() {
        let result = load(
            workflow(
                steps: """
                      - id: a
                        run: echo 1
                      - id: b
                        depends_on: [a]
                        run: echo 2
                      - id: c
                        depends_on: [b]
                        run: echo {steps.a.output}
                        when: steps.a.output == 1

                    """))
        #expect(result.isValid, "\(lines(result))")
    }

    @Test func inputReferencesAndTypes() {
        let result = load(
            """
            name: inputs
            inputs:
              name: {type: string, default: x}
              config: {type: object, default: {a: 1}}
              count: {type: integr}
              flag: {type: boolean, default: "yes"}
              rows: {type: integer, default: "100"}
              tags: {type: list, default: a}
              level: {type: string, enum: [low, high], default: mid}
              _item: string
              bad-name: string
            steps:
              - id: a
                run: echo {input.nam} {input.name.first} {input.config.a}
            """)
        let messages = result.errors.map { "\($0.location?.line ?? 0): \($0.message) | \($0.hint ?? "")" }
        #expect(messages.contains("5: unknown input type `integr` | did you mean `integer`?"))
        #expect(messages.contains("6: the default of `flag` must be a boolean, found string | remove the quotes: default: yes") == false)
        #expect(messages.contains { $0.hasPrefix("6: the default of `flag` must be a boolean, found string") })
        #expect(messages.contains("7: the default of `rows` must be an integer, found string | remove the quotes: default: 100"))
        #expect(messages.contains("8: the default of `tags` must be a list, found string | write a list: default: [a, b]"))
        #expect(messages.contains("9: the default of `level` is not one of its `enum` values | "))
        #expect(messages.contains("10: `_item` is reserved for the current item of a `parallel_over` fan-out | rename the input"))
        #expect(messages.contains { $0.hasPrefix("11: `bad-name` is not a valid name") })
        #expect(messages.contains("14: `input.nam` is not a declared input | did you mean `name`?"))
        #expect(messages.contains("14: input `name` is a string, which has no `first` | declare it as type: object or list, or read {input.name}"))
        #expect(!messages.contains { $0.contains("config") })
    }

    @Test func unusedInputIsAWarning() {
        let result = load("name: w\ninputs:\n  spare: {type: integer, default: 1}\nsteps:\n  - {id: a, run: echo}\n")
        #expect(result.isValid)
        #expect(result.warnings.map(\.message) == ["input `spare` is never used"])
    }

    @Test func wrongTypes() {
        let result = load(
            """
            name: types
            steps:
              - id: a
                run: echo
                depends_on: {b: 1}
                env: [A, B]
                max_concurrency: 2
              - id: b
                run: [echo, hi]
                timeout: true
                retry: 3
                on_failure: ignore
                parallel_over: "{run_id}"
              - id: c
                run: echo
                env:
                  1BAD: x
                  SC_MINE: y
                  NESTED: {a: 1}
                  EMPTY:
            """)
        let messages = result.errors.map { "\($0.location?.line ?? 0):\($0.location?.column ?? 0) \($0.message)" }
        let expected = [
            "5:17 `depends_on` must be a list of strings, found mapping",
            "6:10 `env` must be a mapping, found list",
            "7:5 `max_concurrency` only applies to a step with `parallel_over`",
            "9:10 `run` must be a string, found list",
            "10:14 `timeout` must be a duration, found `true`",
            "11:12 `retry` must be a mapping, found integer",
            "12:17 `ignore` is not a valid `on_failure`",
            "13:20 `parallel_over` cannot fan out over `{run_id}`",
            "17:7 `1BAD` is not a valid name: use letters, digits and `_`, starting with a letter or `_`",
            "18:7 `SC_MINE`: names starting with SC_ are reserved for the values of template references",
            "19:15 `env.NESTED` must be a string, found mapping",
            "20:13 `env.EMPTY` must be a string, found null",
        ]
        for line in expected { #expect(messages.contains(line), "missing: \(line)\n got: \(messages)") }
        #expect(messages.count == expected.count, "\(messages)")
    }

    @Test func badRetryAndDurations() {
        let result = load(
            workflow(
                steps: """
                      - id: a
                        run: x
                        timeout: 0s
                        retry: {max_attempts: 0, backoff: linear, initial_delay: 1m, max_delay: 10s, jitter: maybe}
                      - id: b
                        run: x
                        timeout: 2d
                        retry: {max_attempts: 1000}

                    """))
        let messages = result.errors.map { "\($0.location?.line ?? 0):\($0.location?.column ?? 0) \($0.message)" }
        #expect(messages.contains("5:14 `timeout` must be between 1s and 1d, found 0s"))
        #expect(messages.contains("6:27 `retry.max_attempts` must be between 1 and 100, found 0"))
        #expect(messages.contains("6:39 `linear` is not a valid `backoff`"))
        #expect(messages.contains("6:77 `retry.max_delay` is shorter than `initial_delay`"))
        #expect(messages.contains("6:90 `jitter` must be true or false, found string"))
        #expect(messages.contains("9:14 `timeout` must be between 1s and 1d, found 2d"))
        #expect(messages.contains("10:27 `retry.max_attempts` must be between 1 and 100, found 1000"))
        #expect(
            result.errors.first { $0.message.contains("found 0") && $0.code == .invalidRetry }?.hint
                == "max_attempts counts the first try too: 1 means no retry")
    }

    @Test func fanOutChecks() {
        let result = load(
            """
            name: fan
            inputs:
              files: {type: list, default: [a]}
              one: {type: string, default: a}
            steps:
              - id: ok
                parallel_over: "{input.files}"
                run: echo {input._item} {input._index}
              - id: scalar
                parallel_over: input.one
                run: echo {input._item}
              - id: outside
                run: echo {input._item}
                when: input._index == 0
              - id: inside-when
                parallel_over: "{input.files}"
                when: input._item == "a"
                run: echo
              - id: bad
                parallel_over: "{steps.ok.status}"
                run: echo
            """)
        let messages = result.errors.map { "\($0.location?.line ?? 0): \($0.message)" }
        #expect(messages.contains("10: `parallel_over` needs a list, but input `one` is a string"))
        #expect(messages.contains("13: `{input._item}` only exists in a step with `parallel_over`"))
        #expect(messages.contains("14: `{input._index}` only exists in a step with `parallel_over`"))
        #expect(messages.contains("17: `when` is evaluated once for the whole step, so it cannot read `input._item`"))
        #expect(messages.contains("20: `parallel_over` cannot fan out over `{steps.ok.status}`"))
        #expect(messages.count == 5, "\(messages)")
    }

    @Test func backendsParseAndAreCheckedAgainstTheAvailableOnes() {
        let result = load(
            workflow(
                steps: """
                      - {id: a, run: x, backend: e2b}
                      - {id: b, run: x, backend: auto}
                      - {id: c, run: x, backend: dockr}
                      - {id: d, run: x, backend: docker}

                    """), options: ValidationOptions(availableBackends: [.docker]))
        let unavailable = result.errors.filter { $0.code == .unavailableBackend }
        #expect(unavailable.count == 2)
        #expect(unavailable.first?.message == "backend `e2b` is not available here")
        #expect(unavailable.first?.hint == "use backend: docker")
        expectAt(unavailable.first, 3, 30)
        #expect(result.errors.contains { $0.message == "unknown backend `dockr`" && $0.hint == "did you mean `docker`?" })
        // By default every backend is available (the engine checks which are configured).
        let later = load(workflow(steps: "  - {id: a, run: x, backend: e2b}\n  - {id: b, run: x, backend: auto}\n"))
        #expect(later.isValid)
    }

    @Test func knownProfiles() {
        let options = ValidationOptions(knownProfiles: ["default", "networked"])
        let result = load(workflow(steps: "  - {id: a, run: x, profile: networkd}\n"), options: options)
        let diagnostic = only(.invalidValue, in: result)
        #expect(diagnostic?.message == "unknown isolation profile `networkd`")
        #expect(diagnostic?.hint == "did you mean `networked`?")
    }

    @Test func sessions() {
        let result = load(
            workflow(
                steps: """
                      - {id: a, run: x, session: s}
                      - {id: b, run: x, session: s, depends_on: [a]}
                      - {id: c, run: x, session: s, depends_on: [a]}
                      - {id: d, run: x, session: t, image: python, parallel_over: "{steps.a.output}", depends_on: [a]}
                      - {id: e, run: x, session: t, image: node, depends_on: [d]}

                    """))
        let messages = result.errors.map { "\($0.location?.line ?? 0): \($0.message)" }
        #expect(
            messages == [
                "5: steps `b` and `c` share session `s` but may run at the same time",
                "6: step `d` fans out with parallel_over, so its items cannot share session `t`",
                "7: steps in session `t` share one sandbox, but `d` uses image `python` and `e` uses `node`",
            ], "\(messages)")
    }

    @Test func unsafeShellContexts() {
        let result = load(
            """
            name: shell
            inputs: {n: {type: integer, default: 1}}
            steps:
              - id: a
                run: |
                  echo $(( {input.n} + 1 ))
                  (( {input.n} > 0 )) && echo positive
                  cat <<'PY' > x.py
                  print({input.n})
                  PY
                  cat <<EOF
                  fine: {input.n}
                  EOF
                  echo '{input.n}' "{input.n}" {input.n} # {input.n}
            """)
        let unsafe = result.errors.filter { $0.code == .unsafeShellContext }
        #expect(unsafe.map(\.location?.line) == [6, 7, 9], "\(lines(result))")
        #expect(unsafe.first?.message == "`{input.n}` is inside shell arithmetic, where bash evaluates the value as code")
        expectAt(unsafe.first, 6, 16)
        #expect(unsafe.last?.message == "`{input.n}` is in a quoted here-document, whose text the shell does not expand")
    }

    @Test func workflowLevelChecks() {
        let result = load(
            """
            name: top
            memory: []
            default_timeout: 10
            defaults:
              timeout: 5m
              session: s
              env:
                A: "{steps.x.output}"
                B: "{input.nope}"
            steps:
              - {id: a, run: x}
            outputs:
              r: "{steps.missing.output}"
              i: "{input._index}"
            """)
        let messages = result.errors.map { "\($0.location?.line ?? 0): \($0.message) | \($0.hint ?? "")" }
        #expect(
            messages.contains("2: `memory` is not a field of the workflow | `memory` is not supported yet; remove it to run this workflow"))
        #expect(messages.contains("3: `default_timeout` and `defaults.timeout` both set the same default | keep one of them"))
        #expect(messages.contains { $0.hasPrefix("6: `session` is not a field of `defaults`") })
        #expect(messages.contains { $0.hasPrefix("8: defaults.env applies to every step, so it cannot read `{steps.x.output}`") })
        #expect(messages.contains { $0.hasPrefix("9: `input.nope` is not a declared input") })
        #expect(messages.contains { $0.hasPrefix("13: output `r` reads step `missing`, which does not exist") })
        #expect(messages.contains { $0.hasPrefix("14: `{input._index}` only exists inside a `parallel_over` step") })
        #expect(messages.count == 7, "\(messages)")
    }

    @Test func missingNameAndSteps() {
        let result = load("description: nothing\n")
        #expect(result.errors.map(\.message) == ["the workflow is missing `name`", "the workflow has no `steps`"])
        let empty = load("name: x\nsteps: []\n")
        #expect(empty.errors.map(\.message) == ["`steps` is empty"])
    }

    @Test func structuralTypes() {
        let result = load(
            """
            name: shapes
            inputs:
              count: 5
              list: [a]
            steps: run everything
            """)
        let messages = result.errors.map { "\($0.location?.line ?? 0):\($0.location?.column ?? 0) \($0.message)" }
        #expect(
            messages == [
                "3:10 input `count` must be a type name or a mapping, found integer",
                "4:9 input `list` must be a mapping, found list",
                "5:8 `steps` must be a list, found string",
            ], "\(messages)")
        let step = load("name: x\nsteps:\n  - run echo\n")
        #expect(step.errors.map(\.message) == ["step 1 must be a mapping, found string"])
    }

    @Test func literalWhenAndStepIDNumbers() throws {
        let result = load("name: x\nsteps:\n  - {id: 1, run: echo, when: false}\n  - {id: b, run: echo, depends_on: 1}\n")
        #expect(result.isValid, "\(lines(result))")
        #expect(result.workflow?.step("1")?.when?.expression.kind == .literal(.bool(false)))
        #expect(result.workflow?.step("b")?.dependencyIDs == ["1"])
    }

    @Test func approvalConfig() {
        let result = load(
            workflow(
                steps: """
                      - id: a
                        type: approval
                        approval_config:
                          mesage: hi
                          timeout: 31d
                          on_timeout: retry
                      - id: b
                        type: approval
                        approval_config: {on_timeout: skip}
                      - id: c
                        type: approval
                        approval_config: {timeout: 1h, timeout_hours: 2}

                    """))
        let messages = result.diagnostics.map { "\($0.severity) \($0.location?.line ?? 0): \($0.message)" }
        #expect(messages.contains("error 6: unknown field `mesage` in `approval_config`"))
        #expect(messages.contains("error 7: `timeout` must be between 1s and 30d, found 31d"))
        #expect(messages.contains("error 8: `retry` is not a valid `on_timeout`"))
        #expect(messages.contains("warning 11: `on_timeout` has no effect without `timeout`"))
        #expect(messages.contains("error 14: give either `timeout` or `timeout_hours`, not both"))
    }
}
