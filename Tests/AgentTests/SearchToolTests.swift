import Agent
import JSONValues
import Sandbox
import Testing

/// Glob and Grep on both of their paths: ripgrep (installed into the sandbox from the host) and
/// the find/grep fallback (the stock `base` image has no ripgrep), with the same expectations.
@Suite("Glob and Grep in a real sandbox, with and without ripgrep", .serialized, .timeLimit(.minutes(3)))
struct SearchToolTests {
    enum Engine: String, CaseIterable, Sendable {
        case ripgrep, fallback
    }

    /// A small tree with distinct modification times (oldest first in this list).
    static let files: [(String, String)] = [
        ("src/old.ts", "export const old = 1;\n"),
        ("src/a/mid.ts", "// TODO: mid\nfunction mid() {}\n"),
        ("src/a/b/deep.js", "const Deep = 'todo later';\n"),
        ("README.md", "# Project\nTODO write docs\nmore\nlines\n"),
        (".hidden/secret.ts", "todo hidden\n"),
        ("tools/run.py", "def run():\n    pass  # TODO\n"),
        ("src/new.ts", "export const newest = 2; // TODO\n"),
    ]

    func withTree(_ engine: Engine, _ body: (any SandboxInstance, [String: String]) async throws -> Void) async throws {
        try await AgentFixture.withSandbox { sandbox in
            var environment: [String: String] = [:]
            if engine == .ripgrep {
                try await AgentFixture.installRipgrep(in: sandbox)
                environment = AgentFixture.ripgrepPath
            }
            // A .git directory is never searched; the ripgrep binary itself lives under .bin.
            _ = try await sandbox.writeFile("/workspace/.git/config.ts", bytes: Array("TODO in git\n".utf8))
            var touches = "set -e; cd /workspace\n"
            for (index, (path, content)) in Self.files.enumerated() {
                _ = try await sandbox.writeFile("/workspace/" + path, bytes: Array(content.utf8))
                touches += "touch -d '2024-01-01 00:00:\(10 + index)' '\(path)'\n"
            }
            let touched = try await sandbox.run(arguments: ["bash", "-c", touches])
            #expect(touched.exitCode == 0, "\(touched.stderrText)")
            try await body(sandbox, environment)
        }
    }

    @Test("Glob: matching files newest first, hidden included, .git excluded, relative path and errors", arguments: Engine.allCases)
    func glob(engine: Engine) async throws {
        try await withTree(engine) { sandbox, environment in
            let glob = GlobTool()
            func paths(_ input: JSONValue) async throws -> String {
                try await AgentFixture.run(glob, input, in: sandbox, environment: environment).content
            }
            #expect(
                try await paths(["pattern": "**/*.ts"])
                    == [
                        "/workspace/src/new.ts", "/workspace/.hidden/secret.ts", "/workspace/src/a/mid.ts", "/workspace/src/old.ts",
                    ].joined(separator: "\n"))
            #expect(try await paths(["pattern": "*.{js,py}"]) == "/workspace/tools/run.py\n/workspace/src/a/b/deep.js")
            #expect(try await paths(["pattern": "src/*.ts"]) == "/workspace/src/new.ts\n/workspace/src/old.ts")
            #expect(try await paths(["pattern": "*.ts", "path": "src/a"]) == "/workspace/src/a/mid.ts")
            #expect(try await paths(["pattern": "*.rs"]) == "No files found")
            let missing = try await AgentFixture.run(glob, ["pattern": "*", "path": "/nowhere"], in: sandbox, environment: environment)
            #expect(missing.isError && missing.content.contains("/nowhere"))
            let rg = try await AgentFixture.shell(sandbox, "PATH=\(environment["PATH"] ?? "$PATH") command -v rg || echo none")
            #expect(rg.contains("none") == (engine == .fallback), "the \(engine) path must be the one taken: \(rg)")
        }
    }

    @Test("Grep: files newest first, content with line numbers and context, counts, filters, paging", arguments: Engine.allCases)
    func grep(engine: Engine) async throws {
        try await withTree(engine) { sandbox, environment in
            let grep = GrepTool()
            func search(_ input: JSONValue) async throws -> ToolOutput {
                try await AgentFixture.run(grep, input, in: sandbox, environment: environment)
            }
            let files = try await search(["pattern": "TODO"])
            #expect(files.content == "Found 4 files\n/workspace/src/new.ts\n/workspace/tools/run.py\n/workspace/README.md\n/workspace/src/a/mid.ts")

            let insensitive = try await search(["pattern": "todo", "-i": true, "glob": "*.{js,ts}"])
            #expect(
                insensitive.content == "Found 4 files\n/workspace/src/new.ts\n/workspace/.hidden/secret.ts\n/workspace/src/a/b/deep.js\n/workspace/src/a/mid.ts"
            )

            let content = try await search(["pattern": "TODO write", "output_mode": "content", "-A": 1])
            #expect(content.content == "/workspace/README.md:2:TODO write docs\n/workspace/README.md-3-more")

            let plain = try await search(["pattern": "def \\w+\\(", "output_mode": "content", "-n": false, "type": "py"])
            #expect(plain.content == "/workspace/tools/run.py:def run():")

            let counts = try await search(["pattern": "o", "output_mode": "count", "path": "/workspace/src", "glob": "*.ts"])
            #expect(
                counts.content == "/workspace/src/a/mid.ts:1\n/workspace/src/new.ts:1\n/workspace/src/old.ts:1\n\nFound 3 total occurrences across 3 files.")

            let paged = try await search(["pattern": "TODO", "head_limit": 2, "offset": 1])
            #expect(
                paged.content
                    == "Found 4 files\n/workspace/tools/run.py\n/workspace/README.md\n[Showing 2 of 4 entries (offset 1); use head_limit and offset to page]")

            let multiline = try await search(["pattern": "mid.*\\n.*function", "multiline": true])
            #expect(multiline.content == "Found 1 file\n/workspace/src/a/mid.ts")

            let none = try await search(["pattern": "no-such-text-anywhere"])
            #expect(none.content == "No files found" && !none.isError)
            let noLines = try await search(["pattern": "no-such-text-anywhere", "output_mode": "content"])
            #expect(noLines.content == "No matches found")

            let broken = try await search(["pattern": "(unclosed"])
            #expect(broken.isError && broken.content.hasPrefix("Grep failed"), "\(broken.content)")
            let nowhere = try await search(["pattern": "x", "path": "/nowhere"])
            #expect(nowhere.isError && nowhere.content.contains("/nowhere"))
            let badMode = try await search(["pattern": "x", "output_mode": "lines"])
            #expect(badMode.isError && badMode.content.contains("output_mode"))
        }
    }
}
