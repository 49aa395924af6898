import Testing

@testable import Workflow

@Suite struct ExpressionTests {
    let context = TemplateContext(
        runID: "run-9",
        inputs: ["env": "prod", "count": 3, "tags": ["a", "b"], "ratio": 0.5, "deploy": true],
        steps: [
            "check": StepResult(output: ["ok": true, "score": 87, "items": [1, 2, 3], "name": "Build-7"]),
            "lint": StepResult(output: .null, status: .skipped),
            "build-x": StepResult(output: "done"),
        ],
        environment: ["CI": "1"])

    func value(_ text: String) throws -> JSONValue {
        let expression = try ExpressionParser.parse(text)
        return try ExpressionEvaluator.evaluate(expression) { context.resolveOrNull($0) }
    }

    @Test func literalsAndReferences() throws {
        #expect(try value("true") == true)
        #expect(try value("null") == .null)
        #expect(try value("-2.5e1") == -25.0)
        #expect(try value("'it\\'s'") == "it's")
        #expect(try value("\"tab\\tnew\\n\"") == "tab\tnew\n")
        #expect(try value("[1, 'a', [true],]") == [1, "a", [true]])
        #expect(try value("input.env") == "prod")
        #expect(try value("{input.env}") == "prod")
        #expect(try value("steps.check.output.items.1") == 2)
        #expect(try value("steps.build-x.output") == "done")
        #expect(try value("steps.lint.status") == "skipped")
        #expect(try value("steps.check.output.missing") == .null)
        #expect(try value("run_id") == "run-9")
        #expect(try value("env.CI") == "1")
    }

    @Test func comparisons() throws {
        #expect(try value("input.count == 3") == true)
        #expect(try value("input.count == 3.0") == true)
        #expect(try value("input.count != '3'") == true)
        #expect(try value("input.ratio < 1") == true)
        #expect(try value("steps.check.output.score >= 87") == true)
        #expect(try value("'abc' < 'abd'") == true)
        #expect(try value("'B' < 'a'") == true)
        #expect(try value("input.tags == ['a', 'b']") == true)
        #expect(try value("steps.check.output == {steps.check.output}") == true)
        #expect(try value("null == steps.nothing.output") == true)
    }

    @Test func membershipAndFunctions() throws {
        #expect(try value("'a' in input.tags") == true)
        #expect(try value("'c' not in input.tags") == true)
        #expect(try value("'rod' in input.env") == true)
        #expect(try value("'ok' in steps.check.output") == true)
        #expect(try value("'x' in steps.lint.output") == false)
        #expect(try value("input.env in ['prod', 'staging']") == true)
        #expect(try value("len(steps.check.output.items) == 3") == true)
        #expect(try value("len(steps.lint.output)") == 0)
        #expect(try value("lower(steps.check.output.name)") == "build-7")
        #expect(try value("upper('x')") == "X")
        #expect(try value("trim('  x ')") == "x")
        #expect(try value("starts_with(steps.check.output.name, 'Build')") == true)
        #expect(try value("ends_with('file.csv', '.csv')") == true)
    }

    @Test func precedence() throws {
        // and binds tighter than or; not tighter than and; comparisons tighter than not.
        #expect(try value("true or false and false") == true)
        #expect(try value("(true or false) and false") == false)
        #expect(try value("not false and false") == false)
        #expect(try value("not input.count == 4") == true)
        #expect(try value("not 'z' in input.tags") == true)
        #expect(try value("input.deploy and input.env == 'prod' or input.count > 10") == true)
        let parsed = try ExpressionParser.parse("a_b_c" == "" ? "" : "input.count > 1 and not steps.lint.output")
        guard case .and(let lhs, let rhs) = parsed.kind, case .compare(.greater, _, _) = lhs.kind, case .not = rhs.kind else {
            Issue.record("wrong tree: \(parsed)")
            return
        }
    }

    @Test func shortCircuitAvoidsErrors() throws {
        #expect(try value("false and 'a' < 1") == false)
        #expect(try value("true or 'a' < 1") == true)
        #expect(try value("steps.lint.status == 'completed' and steps.lint.output.count > 1") == false)
    }

    @Test func truthiness() throws {
        for falsy in ["0", "0.0", "''", "[]", "null", "steps.lint.output", "false"] {
            #expect(try value(falsy).isTruthy == false, "\(falsy)")
        }
        for truthy in ["1", "'x'", "[0]", "steps.check.output", "-1"] {
            #expect(try value(truthy).isTruthy, "\(truthy)")
        }
    }

    @Test func syntaxErrorsHaveColumns() {
        let cases: [(String, String, Int, String?)] = [
            ("input.count = 3", "`=` is not an operator", 13, "compare with `==`"),
            ("a == 1", "unknown name `a`", 1, "quote text: 'a'; references start with input., steps. or env."),
            ("inputs.x == 1", "unknown name `inputs`", 1, "did you mean `input`? References look like steps.ID.output or input.NAME"),
            ("input.x == 'open", "the string is not closed", 12, "add the closing '"),
            ("(input.x == 1", "expected `)` to close the `(` at column 1, found the end of the expression", 14, nil),
            ("input.x ==", "the expression ends where a value is expected", 11, "complete the condition"),
            ("input.x && true", "`&` is not an operator", 9, "write `and`"),
            ("!input.x", "`!` is not an operator", 1, "negate with `not`"),
            ("1 < 2 < 3", "comparisons cannot be chained", 7, "write `a < b and b < c`, or add parentheses"),
            ("input.x 1", "unexpected 1", 9, "join conditions with `and` / `or`"),
            ("size(input.x)", "unknown function `size`", 1, "functions: len, lower, upper, trim, starts_with, ends_with"),
            ("lenn(input.x)", "unknown function `lenn`", 1, "did you mean `len`?"),
            ("len(1, 2)", "`len` takes 1 argument, found 2", 1, nil),
            ("steps.a == 1", "`{steps.a}` needs a field", 1, "write {steps.a.output} (or .status, .error, .exit_code)"),
            ("True", "`True` is not a literal here", 1, "write `true`"),
            ("None", "`None` is not a literal here", 1, "write `null`"),
            ("input.x + 1", "unexpected character `+`", 9, "expressions compare values; they have no arithmetic"),
            ("'a\\q'", "unknown escape `\\q`", 3, "use \\n, \\t, \\r, \\\\, \\' or \\\""),
            ("", "the expression is empty", 1, "write a condition, e.g. input.deploy == true"),
            ("{nothing}", "`{nothing}` is not a reference", 1, "references are {input.NAME}, {steps.ID.output}, {env.NAME}, {run_id}"),
            ("12abc", "a number runs into a name", 1, "put a space between them"),
        ]
        for (text, message, column, hint) in cases {
            do {
                let parsed = try ExpressionParser.parse(text)
                Issue.record("parsed \(text) as \(parsed)")
            } catch {
                #expect(error.message == message, "\(text)")
                #expect(error.column == column, "\(text)")
                #expect(error.hint == hint, "\(text)")
            }
        }
    }

    @Test func nestingAndLengthLimits() throws {
        let deep = String(repeating: "(", count: 40) + "true" + String(repeating: ")", count: 40)
        #expect(throws: ExpressionError.self) { try ExpressionParser.parse(deep) }
        do {
            _ = try ExpressionParser.parse(deep)
        } catch {
            #expect(error.message == "the expression nests deeper than 32 levels")
        }
        let nots = String(repeating: "not ", count: 100) + "true"
        #expect(throws: ExpressionError.self) { try ExpressionParser.parse(nots) }
        let okay = String(repeating: "(", count: 20) + "true" + String(repeating: ")", count: 20)
        #expect(try value(okay) == true)
        let long = Array(repeating: "true", count: 1000).joined(separator: " and ")
        #expect(throws: ExpressionError.self) { try ExpressionParser.parse(long) }
        // A long flat chain within the length limit parses without deep recursion on the right.
        let chain = Array(repeating: "true", count: 300).joined(separator: " or ")
        #expect(try value(chain) == true)
    }

    @Test func evaluationErrors() throws {
        let cases: [(String, String, Int)] = [
            ("input.env < 3", "cannot compare string with integer using `<`", 13),
            ("1 in 2", "`in` needs a list, a string or an object on the right, found integer", 6),
            ("1 in 'abc'", "`in` a string needs a string on the left, found integer", 6),
            ("len(3)", "`len` needs a string, list or object, found integer", 1),
            ("lower(input.count)", "`lower` needs a string, found integer", 1),
        ]
        for (text, message, column) in cases {
            let expression = try ExpressionParser.parse(text)
            do {
                _ = try ExpressionEvaluator.evaluate(expression) { context.resolveOrNull($0) }
                Issue.record("evaluated \(text)")
            } catch let error as ExpressionError {
                #expect(error.message == message, "\(text)")
                #expect(error.column == column, "\(text)")
            }
        }
    }

    @Test func referencesAreCollectedWithColumns() throws {
        let expression = try ExpressionParser.parse("steps.a.output.ok and input.x in [env.Y, {run_id}]")
        #expect(expression.referencesWithColumns.map(\.column) == [1, 23, 35, 42])
        #expect(
            expression.references == [
                .step(id: "a", field: .output, path: ["ok"]), .input(name: "x", path: []),
                .env(name: "Y"), .runID,
            ])
    }

    @Test func whenErrorsPointIntoTheFile() {
        let result = load(
            workflow(
                steps: """
                      - id: a
                        run: x
                        when: "input.x == 1 and steps.a.output = 2"

                    """))
        let diagnostic = only(.invalidExpression, in: result)
        #expect(diagnostic?.message == "invalid `when`: `=` is not an operator")
        expectAt(diagnostic, 5, 44)
    }
}
