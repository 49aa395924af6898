import Foundation
import TestSupport
import Testing

@testable import Workflow

@Suite struct ShellRenderingTests {
    func render(_ command: String, _ context: TemplateContext) throws(WorkflowError) -> RenderedCommand {
        try TemplateRenderer.renderCommand(Template.parse(command).template, context: context)
    }

    let hostile: [JSONValue] = [
        "$(touch /tmp/pwned)", "`touch /tmp/pwned`", "'; touch /tmp/pwned; echo '", "\"; touch /tmp/pwned; echo \"",
        "a b  c\t*", "$HOME ${PATH} \\n", "'\"'\"'", "line1\nline2; touch /tmp/pwned", "!!", "-rf /", "",
    ]

    @Test func replacesReferencesWithQuotedExpansions() throws {
        let context = TemplateContext(runID: "r", inputs: ["x": "v"], steps: ["a": StepResult(output: ["k": [1, 2]])])
        let rendered = try render(#"echo {input.x} "in {input.x} dq" 'in {input.x} sq' $'c {input.x}' {steps.a.output.k}"#, context)
        #expect(rendered.command == #"echo "${SC_INPUT_X}" "in ${SC_INPUT_X} dq" 'in '"${SC_INPUT_X}"' sq' $'c '"${SC_INPUT_X}"$'' "${SC_STEPS_A_OUTPUT_K}""#)
        #expect(rendered.environment == ["SC_INPUT_X": "v", "SC_STEPS_A_OUTPUT_K": "[1,2]"])
        #expect(try render("echo plain", context) == RenderedCommand(command: "echo plain", environment: [:]))
    }

    @Test func collidingVariableNamesGetSuffixes() throws {
        let context = TemplateContext(runID: "r", steps: ["a-b": StepResult(output: "dash"), "a_b": StepResult(output: "under")])
        let rendered = try render("echo {steps.a-b.output} {steps.a_b.output} {steps.a-b.output}", context)
        #expect(rendered.command == #"echo "${SC_STEPS_A_B_OUTPUT}" "${SC_STEPS_A_B_OUTPUT_2}" "${SC_STEPS_A_B_OUTPUT}""#)
        #expect(rendered.environment == ["SC_STEPS_A_B_OUTPUT": "dash", "SC_STEPS_A_B_OUTPUT_2": "under"])
    }

    @Test func contexts() {
        func context(of command: String) -> ShellContextScanner.Context? {
            let offset =
                command.unicodeScalars.firstIndex(of: "{").map { command.unicodeScalars.distance(from: command.unicodeScalars.startIndex, to: $0) } ?? 0
            return ShellContextScanner.contexts(in: command, at: [offset])[offset]
        }
        #expect(context(of: "echo {x}") == .unquoted)
        #expect(context(of: #"echo "a {x}""#) == .doubleQuoted)
        #expect(context(of: "echo 'a {x}'") == .singleQuoted)
        #expect(context(of: "echo $'a {x}'") == .ansiCQuoted)
        #expect(context(of: #"echo "it's {x}""#) == .doubleQuoted)
        #expect(context(of: #"echo 'say "hi" {x}'"#) == .singleQuoted)
        #expect(context(of: #"echo \' {x}"#) == .unquoted)
        #expect(context(of: "# don't\necho {x}") == .unquoted)
        #expect(context(of: "echo \"$(cat {x})\"") == .unquoted)
        #expect(context(of: "echo `cat {x}`") == .unquoted)
        #expect(context(of: "echo $(( {x} + 1 ))") == .arithmetic)
        #expect(context(of: "echo \"$(( {x} ))\"") == .arithmetic)
        #expect(context(of: "(( {x} > 1 ))") == .arithmetic)
        #expect(context(of: "echo $(( $(echo {x}) ))") == .unquoted)
        #expect(context(of: "cat <<EOF\n{x}\nEOF") == .heredoc(expanding: true))
        #expect(context(of: "cat <<'EOF'\n{x}\nEOF") == .heredoc(expanding: false))
        #expect(context(of: "cat <<-\"EOF\"\n\t{x}\n\tEOF") == .heredoc(expanding: false))
        #expect(context(of: "cat <<'EOF'\nbody\nEOF\necho {x}") == .unquoted)
        #expect(context(of: "cat <<< {x}") == .unquoted)
    }

    @Test func unsafeContextsAreRefusedAtRenderTime() {
        let context = TemplateContext(runID: "r", inputs: ["n": "a[$(touch /tmp/pwned)]"])
        for command in ["echo $(( {input.n} + 1 ))", "cat <<'EOF'\n{input.n}\nEOF"] {
            do {
                _ = try render(command, context)
                Issue.record("rendered \(command)")
            } catch {
                #expect(error.code == .unsafeTemplate)
            }
        }
        #expect(throws: WorkflowError.self) { try render("echo {input.n}", TemplateContext(runID: "r", inputs: ["n": "a\u{0}b"])) }
    }

    /// Runs rendered commands in a real bash with hostile values: each value must come back
    /// byte for byte, as one argument, and nothing may run.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/bin/bash")))
    func hostileValuesCannotInject() async throws {
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("sc-inject-\(UUID().uuidString)")
        let commands = [
            #"printf '%s\0' {input.v} {steps.a.output}"#,
            #"printf '%s\0' "{input.v}" "pre-{steps.a.output}-post""#,
            #"printf '%s\0' '{input.v}' 'x{steps.a.output}y'"#,
            #"printf '%s\0' $'{input.v}'"#,
            "x=$(printf '%s' {input.v}); printf '%s\\0' \"$x\"",
            "cat <<EOF | tr -d '\\n'; printf '\\0'\n{input.v}\nEOF",
        ]
        for value in hostile {
            let text = value.renderedString.replacingOccurrences(of: "/tmp/pwned", with: marker.path)
            let context = TemplateContext(
                runID: "r", inputs: ["v": .string(text)],
                steps: ["a": StepResult(output: .string(text))])
            for command in commands {
                let rendered = try render(command, context)
                let output = try await bash(rendered)
                let arguments = output.split(separator: 0, omittingEmptySubsequences: false).dropLast().map { String(decoding: $0, as: UTF8.self) }
                if command.contains("pre-") {
                    #expect(arguments == [text, "pre-\(text)-post"], "\(command) with \(text)")
                } else if command.contains("'x{") {
                    #expect(arguments == [text, "x\(text)y"], "\(command) with \(text)")
                } else if command.hasPrefix("cat") {
                    #expect(arguments == [text.replacingOccurrences(of: "\n", with: "")], "\(command) with \(text)")
                } else if command.hasPrefix("x=") {
                    #expect(arguments == [text], "\(command) with \(text)")
                } else if command.contains("$'") {
                    #expect(arguments == [text], "\(command) with \(text)")
                } else {
                    #expect(arguments == [text, text], "\(command) with \(text)")
                }
                #expect(!FileManager.default.fileExists(atPath: marker.path), "\(command) ran code from \(text)")
            }
        }
    }

    private func bash(_ rendered: RenderedCommand) async throws -> [UInt8] {
        var environment = ["PATH": "/usr/bin:/bin", "HOME": "/nonexistent"]
        environment.merge(rendered.environment) { $1 }
        let child = try await runChild("/bin/bash", ["-c", rendered.command], environment: environment, includeStandardError: false)
        return Array(child.output)
    }
}
