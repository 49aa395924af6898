import JSONValues
import ModelProviders
import Testing

@testable import Agent

@Suite("Tool plumbing without a sandbox")
struct ToolSupportTests {
    @Test(
        "globs follow ripgrep's gitignore rules",
        arguments: [
            ("*.ts", "top.ts", true), ("*.ts", "src/a/b/z.ts", true), ("*.ts", ".hidden/h.ts", true), ("*.ts", "src/x.tsx", false),
            ("**/*.ts", "top.ts", true), ("**/*.ts", "src/a/y.ts", true), ("src/*.ts", "src/x.ts", true), ("src/*.ts", "src/a/y.ts", false),
            ("src/**/*.ts", "src/x.ts", true), ("src/**/*.ts", "src/a/b/z.ts", true), ("src/**/*.ts", "lib/src/x.ts", false),
            ("*.{ts,js}", "src/a/b/z.js", true), ("*.{ts,js}", "README.md", false), ("a/*.ts", "src/a/y.ts", false),
            ("**/a/*.ts", "src/a/y.ts", true), ("/top.ts", "top.ts", true), ("/top.ts", "src/top.ts", false), ("x.ts", "src/x.ts", true),
            ("file?.txt", "file1.txt", true), ("file?.txt", "file10.txt", false), ("[ab]*.md", "b-notes.md", true),
            ("[!ab]*.md", "b-notes.md", false), ("[a-c]x", "bx", true), ("\\*.txt", "*.txt", true), ("\\*.txt", "a.txt", false),
            ("src/**", "src/a/b/c.txt", true), ("{src,lib}/**/*.swift", "lib/x/y.swift", true),
        ])
    func globs(pattern: String, path: String, matches: Bool) {
        #expect(GlobPattern(pattern).matches(path) == matches, "\(pattern) vs \(path)")
    }

    @Test("brace expansion nests and leaves unbalanced braces alone")
    func braces() {
        #expect(GlobPattern.expandBraces("a{b,c{d,e}}f") == ["abf", "acdf", "acef"])
        #expect(GlobPattern.expandBraces("a{b") == ["a{b"])
        #expect(GlobPattern.expandBraces("*.{ts,tsx}") == ["*.ts", "*.tsx"])
    }

    @Test("HTML becomes readable text: scripts gone, headings and list items marked, entities decoded")
    func htmlText() {
        let html = """
            <html><head><title>T &amp; Co</title><style>body{color:red}</style><script>var x = "<p>no</p>";</script></head>
            <body><h1>Main   title</h1><!-- hidden <b>comment</b> --><p>Hello,&nbsp;<b>world</b> &#8212; &#x41;&lt;3</p>
            <ul><li>one</li><li>two</li></ul><p>a &unknown; b</p></body></html>
            """
        let text = HTMLText.extract(html)
        #expect(text.contains("# Main title"))
        #expect(text.contains("Hello, world — A<3"))
        #expect(text.contains("- one\n- two"))
        #expect(text.contains("T & Co"))
        #expect(text.contains("a &unknown; b"))
        #expect(!text.contains("color") && !text.contains("var x") && !text.contains("comment"))
        #expect(!text.contains("\n\n\n"))
    }

    @Test("input checks name what is wrong")
    func inputChecks() throws {
        let schema: JSONValue = [
            "type": "object", "properties": ["a": ["type": "string"], "n": ["type": "number"], "i": ["type": ["integer", "null"]]],
            "required": ["a"],
        ]
        #expect(ToolInputCheck.problems(["a": "x", "n": 1.5, "i": 2], schema: schema).isEmpty)
        #expect(ToolInputCheck.problems(["a": "x", "i": 2.0], schema: schema).isEmpty)
        #expect(ToolInputCheck.problems(["a": .null], schema: schema) == ["missing required field `a`"])
        #expect(ToolInputCheck.problems(["a": "x", "n": "1"], schema: schema) == ["`n` must be number, got string"])
        #expect(ToolInputCheck.problems(.array([]), schema: schema) == ["the input must be a JSON object, got list"])

        let input = try ToolInput(["count": 3.0, "flag": "yes", "negative": -1])
        #expect(try input.optionalInteger("count") == 3)
        #expect(throws: ToolFailure.self) { try input.optionalBool("flag") }
        #expect(throws: ToolFailure.self) { try input.optionalCount("negative") }
        #expect(throws: ToolFailure.self) { try input.string("missing") }
    }

    @Test("caps cut on character boundaries and say how much there was")
    func caps() {
        let text = String(repeating: "é", count: 50)
        let capped = OutputCap.limit(text, maxCharacters: 200)
        #expect(capped == text)
        let long = String(repeating: "ab", count: 1000)
        let cut = OutputCap.limit(long, maxCharacters: 300)
        #expect(cut.count <= 300 && cut.contains("2000 bytes total"))
        #expect(OutputCap.utf8Prefix(Array("aé".utf8), maxBytes: 2) == Array("a".utf8))
        #expect(OutputCap.utf8Prefix(Array("a😀".utf8), maxBytes: 4) == Array("a".utf8))
        #expect(OutputCap.eventPreview(String(repeating: "€", count: 10), maxBytes: 7) == "€€…")
    }

    @Test("paths resolve against the working directory, lexically")
    func paths() {
        #expect(SandboxPath.resolve("a/b.txt", against: "/workspace") == "/workspace/a/b.txt")
        #expect(SandboxPath.resolve("/etc//x/../hosts", against: "/workspace") == "/etc/hosts")
        #expect(SandboxPath.resolve("../../..", against: "/workspace/p") == "/")
        #expect(SandboxPath.resolve("./", against: "/workspace") == "/workspace")
    }

    @Test("tools: narrows the set; unknown names and WebFetch without network are clear errors")
    func narrowing() throws {
        let all = try ToolSet.standard(network: true)
        #expect(all.names == ["Bash", "Read", "Write", "Edit", "Glob", "Grep", "WebFetch"])
        #expect(try ToolSet.standard(network: false).names == ["Bash", "Read", "Write", "Edit", "Glob", "Grep"])
        #expect(try ToolSet.standard(network: false, only: ["Read", "Grep"]).names == ["Read", "Grep"])
        let unknown = #expect(throws: AgentError.self) { try ToolSet.standard(network: false, only: ["Read", "Shell"]) }
        #expect(unknown?.code == .unknownTool && unknown?.message.contains("Shell") == true && unknown?.message.contains("Bash") == true)
        let offline = #expect(throws: AgentError.self) { try ToolSet.standard(network: false, only: ["WebFetch"]) }
        #expect(offline?.code == .toolUnavailable)
        let withTask = try ToolSet.standard(network: false, only: ["Bash", "Task"])
        #expect(withTask.names == ["Bash", "Agent"])
        #expect(withTask.tool(named: "Task")?.name == "Agent")
        let subagents = try ToolSet.standard(network: false, subagents: [SubagentDefinition(name: "r", description: "d", prompt: "p")])
        #expect(subagents.names.last == "Agent")
        #expect(throws: AgentError.self) { try ToolSet([EchoTool("Same"), EchoTool("Same")]) }
    }

    @Test("Sandstorm's agents parse from an object or a list, and bad ones are named")
    func subagentDefinitions() throws {
        let parsed = try SubagentDefinition.parse([
            "researcher": ["description": "Finds things", "prompt": "You research.", "tools": ["Read", "Grep"], "model": "haiku"],
            "writer": ["description": "Writes", "prompt": "You write.", "maxTurns": 3],
        ])
        #expect(parsed.map(\.name) == ["researcher", "writer"])
        #expect(parsed[0].tools == ["Read", "Grep"] && parsed[0].model == "haiku" && parsed[1].maxTurns == 3)
        let list = try SubagentDefinition.parse([["name": "a", "description": "d", "prompt": "p"]])
        #expect(list.first?.name == "a" && list.first?.tools == nil)
        let missing = #expect(throws: AgentError.self) { try SubagentDefinition.parse(["x": ["description": "d"]]) }
        #expect(missing?.message.contains("`prompt` is required") == true)
        #expect(throws: AgentError.self) { try SubagentDefinition.parse(["bad name": ["description": "d", "prompt": "p"]]) }
        #expect(throws: AgentError.self) { try SubagentDefinition.parse(["x": ["description": "d", "prompt": "p", "tools": "Read"]]) }
    }

    @Test("outcomes map to Claude's result subtypes")
    func subtypes() {
        #expect(AgentOutcome.success.subtype == "success")
        #expect(AgentOutcome.maxTurns.subtype == "error_max_turns")
        #expect(AgentOutcome.cancelled(during: .tools).terminalReason == "aborted_tools")
        #expect(AgentOutcome.timedOut(after: .seconds(1)).subtype == "error_during_execution")
        #expect(AgentOutcome.structuredOutputInvalid(["e"]).subtype == "error_max_structured_output_retries")
        #expect(AgentOutcome.failed(AgentError(.sandboxGone, "gone")).terminalReason == "sandbox_gone")
    }
}
